"""The office's reports from the figures: volunteers, overdue by 督办 level, the weekly
progress table (活动进展情况统计表)."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from server.models import Area, Department, Hazard, User
from server.services import workdays

# The figures engine's parts the reports share (one package, one cohort logic).
from server.services.stats.figures import (
    AREA_NAMES,
    TimesBy,
    _count,
    _figures,
    _Labelled,
    _names,
    _run,
    _sum_counts,
    _Total,
    _where,
    credit_conditions,
    in_period,
)
from server.services.stats.periods import Period
from server.vocabulary import OPEN

# One sector department's sheet: (its name, its street rows, its total).
Sheet = tuple[str, list[dict[str, Any]], dict[str, Any]]


def volunteers(session: Session, the_period: Period, *, limit: int = 100) -> list[dict[str, Any]]:
    """Return reporters ranked by valid reports, then closed ones (office only). A report
    merged into another counts as valid, and as closed once that hazard is: each
    reporter of the same hazard gets the credit (SPEC §3)."""
    # The same conditions as the hazard list's credited_* figures: a count opens its list.
    credit = credit_conditions()
    query = (
        sa.select(
            User.username,
            User.display_name,
            User.role,
            sa.func.count().label("reported"),
            _count(credit["credited_valid"]).label("valid"),
            _count(credit["credited_closed"]).label("closed"),
        )
        .select_from(Hazard)
        .join(User, User.id == Hazard.reporter_id)
        .where(in_period(the_period))
        .group_by(User.id, User.username, User.display_name, User.role)
        .order_by(sa.desc("valid"), sa.desc("closed"), User.username)
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.connection().execute(query)]


def escalation_level(now: datetime, escalation_days: tuple[int, ...]) -> sa.ColumnElement[int]:
    """Return SQL for an overdue hazard's 督办 level now (0: overdue, not yet escalated).

    The overdue report counts by it and the hazard list filters by it, so a level's
    count clicked through finds its hazards."""
    cutoffs = workdays.escalation_cutoffs(now, escalation_days)
    return sa.case(
        *[(Hazard.deadline < cutoff, n) for n, cutoff in reversed(list(enumerate(cutoffs, 1)))],
        else_=0,
    )


def overdue(
    session: Session,
    *,
    now: datetime,
    escalation_days: tuple[int, ...],
    department_id: int | None = None,
) -> list[dict[str, Any]]:
    """Return open overdue hazards counted by 督办 level, department and street."""
    level = escalation_level(now, escalation_days)
    department, street = aliased(Department), aliased(Area)
    query = (
        sa.select(
            level.label("level"),
            department.code.label("department"),
            department.name.label("department_name"),
            street.code.label("street"),
            street.name.label("street_name"),
            sa.func.count().label("count"),
        )
        .select_from(Hazard)
        .outerjoin(department, department.id == Hazard.lead_department_id)
        .outerjoin(street, street.id == Hazard.street_id)
        .where(Hazard.status.in_(OPEN), Hazard.deadline < now)
        .group_by(level, department.code, department.name, street.code, street.name)
        .order_by(sa.desc("level"), department.code, street.code)
    )
    if department_id is not None:
        query = query.where(
            sa.or_(
                Hazard.lead_department_id == department_id,
                Hazard.territorial_department_id == department_id,
            )
        )
    return [dict(row._mapping) for row in session.connection().execute(query)]


def weekly_report(
    session: Session, the_period: Period, *, now: datetime, district_name: str
) -> tuple[str, list[dict[str, Any]], dict[str, Any], list[Sheet]]:
    """Return (title, street rows, total, [(department name, rows, total)]) for a period.

    One pass over the period: counts by lead department and street, percentiles for
    each street, the district, each department's streets and each department."""
    last_day = the_period.end - timedelta(days=1)
    year, week, _ = the_period.start.isocalendar()
    span = f"{the_period.start.isoformat()} 至 {last_day.isoformat()}"
    if (the_period.end - the_period.start).days == 7 and the_period.start.weekday() == 0:
        span = f"{year}年第{week}周（{span}）"
    title = f"{district_name}安全隐患排查整治进展情况统计表 {span}"
    keys = [("department", Hazard.lead_department_id), ("key", Hazard.street_id)]
    chains = [((), ("key",)), (("department",), ("department", "key"))]
    counts, times = _run(session, keys, _where(the_period, None, False), now, chains)
    streets = _names(session, AREA_NAMES, [r.key for r in counts])
    by_street: dict[int | None, list[sa.Row[*tuple[Any, ...]]]] = {}
    for row in counts:
        by_street.setdefault(row.key, []).append(row)
    rows: list[dict[str, Any]] = []
    for street_id, parts in by_street.items():
        code, label = streets.get(street_id, (None, None))
        street = _Total(_sum_counts(parts), code, label)
        rows.append(_figures(street, times[("key",)].get((street_id,)), "street"))
    rows.sort(key=lambda r: r["key"] or "")
    total = _figures(_Total(_sum_counts(rows)), times[()].get(()), None)
    return title, rows, total, _department_sheets(session, counts, times, streets)


def _department_sheets(
    session: Session,
    counts: Sequence[sa.Row[*tuple[Any, ...]]],
    times: TimesBy,
    streets: dict[int | None, tuple[str, str]],
) -> list[Sheet]:
    """Return [(department name, street rows, total)] for every sector department
    (行业主管部门) that led any hazard of the period, by name."""
    led = {row.department for row in counts if row.department is not None}
    sectors = {
        row.id: row.name
        for row in session.execute(
            sa.select(Department.id, Department.name).where(
                Department.id.in_(led), Department.kind == "sector"
            )
        )
    }
    sheets: dict[int, list[dict[str, Any]]] = {}
    for row in counts:
        if row.department in sectors:
            code, label = streets.get(row.key, (None, None))
            group = times[("department", "key")].get((row.department, row.key))
            figures = _figures(_Labelled(row, code, label), group, "street")
            sheets.setdefault(row.department, []).append(figures)
    result: list[Sheet] = []
    for department_id in sorted(sheets, key=lambda d: sectors[d]):
        rows = sorted(sheets[department_id], key=lambda r: r["key"] or "")
        total = _figures(
            _Total(_sum_counts(rows)), times[("department",)].get((department_id,)), None
        )
        result.append((sectors[department_id], rows, total))
    return result


def district_name(session: Session) -> str:
    """Return the name of the district (the top area), for report titles."""
    name = session.scalar(sa.select(Area.name).where(Area.level == "district").limit(1))
    return name or "本区"
