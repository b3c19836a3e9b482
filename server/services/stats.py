"""Closure statistics (SPEC §6), computed by the database with GROUP BY.

The cohort of a period is the hazards reported in it, [start, end) in Asia/Shanghai;
every figure describes that cohort as it stands now. Rates carry their numerator
and denominator. Percentiles are nearest-rank, computed with window functions so
SQLite and PostgreSQL give the same figures.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from server.models import Area, Category, Department, Hazard, HazardPhoto, User
from server.services import workdays
from server.services.errors import InvalidInput
from server.services.lifecycle import OPEN
from server.services.workdays import SHANGHAI

GROUPS = ("street", "community", "department", "category", "week", "severity")
MAX_PERIOD = timedelta(days=5 * 366)
VALID = ~Hazard.status.in_(("invalid", "duplicate"))


@dataclass(frozen=True)
class Period:
    """A half-open period [start, end) of Shanghai calendar days."""

    start: date
    end: date

    @property
    def start_at(self):
        return datetime.combine(self.start, time(0), tzinfo=SHANGHAI)

    @property
    def end_at(self):
        return datetime.combine(self.end, time(0), tzinfo=SHANGHAI)


def period(start, end):
    """Return a checked Period, or raise InvalidInput saying what is wrong."""
    if start >= end:
        raise InvalidInput("the period is empty", errors={"from": ["must be before 'to'"]})
    if end - start > MAX_PERIOD:
        raise InvalidInput("the period is longer than five years", errors={"to": ["too far"]})
    return Period(start, end)


def iso_week(text):
    """Return the Period of an ISO week written '2026-W23'."""
    try:
        year, week = text.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise InvalidInput("not an ISO week", errors={"week": ["write it as 2026-W23"]}) from None
    return Period(monday, monday + timedelta(days=7))


def week_start(dialect):
    """Return SQL for the Monday (Shanghai) of a hazard's report, as 'YYYY-MM-DD'."""
    # Constants are written into the SQL: PostgreSQL matches GROUP BY to the select
    # list by text, and bound parameters would make the two differ.
    lit = sa.literal_column
    if dialect == "sqlite":
        # Stored as naive UTC text; China has no daylight saving since 1991.
        return sa.func.date(
            Hazard.received_at, lit("'+8 hours'"), lit("'-6 days'"), lit("'weekday 1'")
        )
    local = sa.func.timezone(lit("'Asia/Shanghai'"), Hazard.received_at)
    return sa.func.to_char(sa.func.date_trunc(lit("'week'"), local), lit("'YYYY-MM-DD'"))


def _group(group_by, dialect):
    """Return (key, label, joins) for a grouping."""
    if group_by in ("street", "community"):
        area = aliased(Area)
        column = Hazard.street_id if group_by == "street" else Hazard.community_id
        return area.code, area.name, [(area, area.id == column)]
    if group_by == "department":
        department = aliased(Department)
        return (
            department.code,
            department.name,
            [(department, department.id == Hazard.lead_department_id)],
        )
    if group_by == "category":
        return Category.code, Category.name_zh, []
    if group_by == "severity":
        return Hazard.severity, Hazard.severity, []
    if group_by == "week":
        key = week_start(dialect)
        return key, key, []
    raise InvalidInput("unknown grouping", errors={"group_by": [f"one of {', '.join(GROUPS)}"]})


def _count(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _flagged_photos():
    """Per hazard: how many cited photos carry at least one authenticity flag."""
    flagged = sa.and_(
        HazardPhoto.flags.is_not(None),
        sa.cast(HazardPhoto.flags, sa.Text).not_in(("[]", "null")),
    )
    return (
        sa.select(HazardPhoto.hazard_id, sa.func.count().label("flagged"))
        .where(flagged)
        .group_by(HazardPhoto.hazard_id)
        .subquery()
    )


def _percentiles(key, partition, joins, where, column, name):
    """Return a subquery of (key, p50, p90) of `column` over closed hazards, nearest rank."""
    ranked = (
        sa.select(
            key.label("key"),
            column.label("value"),
            sa.func.row_number().over(partition_by=partition, order_by=column).label("rank"),
            sa.func.count().over(partition_by=partition).label("n"),
        )
        .select_from(Hazard)
        .join(Category, Category.id == Hazard.category_id)
    )
    for target, on in joins:
        ranked = ranked.outerjoin(target, on)
    ranked = ranked.where(where, Hazard.status == "closed", column.is_not(None)).subquery()
    # Nearest rank: the ceil(p·n)-th smallest, in integer arithmetic both databases share.
    return (
        sa.select(
            ranked.c.key,
            sa.func.max(
                sa.case((ranked.c.rank == (50 * ranked.c.n + 99) // 100, ranked.c.value))
            ).label(f"{name}_p50"),
            sa.func.max(
                sa.case((ranked.c.rank == (90 * ranked.c.n + 99) // 100, ranked.c.value))
            ).label(f"{name}_p90"),
        )
        .group_by(ranked.c.key)
        .subquery()
    )


def summary(
    session, the_period, group_by, *, now, department_id=None, lead_only=False, totals=False
):
    """Return one row of figures per group (or one total row) for a period.

    With `department_id`, only that department's hazards count: those it leads and,
    unless `lead_only`, those in its street (属地).
    """
    dialect = session.get_bind().dialect.name
    if totals:
        key, label, joins = sa.literal_column("'total'"), sa.literal_column("'合计'"), []
    else:
        key, label, joins = _group(group_by, dialect)
    where = sa.and_(
        Hazard.received_at >= the_period.start_at, Hazard.received_at < the_period.end_at
    )
    if department_id is not None:
        mine = Hazard.lead_department_id == department_id
        if not lead_only:
            mine = sa.or_(mine, Hazard.territorial_department_id == department_id)
        where = sa.and_(where, mine)
    reporter = aliased(User)
    flagged = _flagged_photos()
    closed = Hazard.status == "closed"
    is_open = Hazard.status.in_(OPEN)
    query = (
        sa.select(
            key.label("key"),
            label.label("label"),
            sa.func.count().label("reported"),
            _count(VALID).label("valid"),
            _count(sa.and_(VALID, Hazard.assigned_at.is_not(None))).label("assigned"),
            _count(Hazard.status.in_(("rectified", "verified", "closed"))).label("rectified"),
            _count(Hazard.status.in_(("verified", "closed"))).label("verified"),
            _count(closed).label("closed"),
            _count(sa.and_(closed, Hazard.closed_at <= Hazard.deadline)).label("closed_on_time"),
            _count(is_open).label("open"),
            _count(sa.and_(is_open, Hazard.deadline < now)).label("open_overdue"),
            _count(Hazard.reopen_count > 0).label("reopened"),
            _count(Hazard.return_count > 0).label("returned"),
            _count(reporter.role == "volunteer").label("by_volunteers"),
            _count(reporter.role == "grid_worker").label("by_grid_workers"),
            sa.func.coalesce(sa.func.sum(flagged.c.flagged), 0).label("photos_flagged"),
        )
        .select_from(Hazard)
        .join(Category, Category.id == Hazard.category_id)
        .join(reporter, reporter.id == Hazard.reporter_id)
        .outerjoin(flagged, flagged.c.hazard_id == Hazard.id)
    )
    for target, on in joins:
        query = query.outerjoin(target, on)
    query = query.where(where)
    if not totals:
        query = query.group_by(key, label)
    query = query.subquery()
    partition = None if totals else key
    hours = _percentiles(key, partition, joins, where, Hazard.close_working_hours, "working_hours")
    seconds = _percentiles(key, partition, joins, where, Hazard.close_seconds, "seconds")
    full = (
        sa.select(
            query,
            hours.c.working_hours_p50,
            hours.c.working_hours_p90,
            seconds.c.seconds_p50,
            seconds.c.seconds_p90,
        )
        .outerjoin(hours, hours.c.key == query.c.key)
        .outerjoin(seconds, seconds.c.key == query.c.key)
        .order_by(query.c.key)
    )
    return [_figures(row, group_by) for row in session.connection().execute(full)]


def _rate(numerator, denominator):
    return {
        "value": round(numerator / denominator, 4) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def _days(seconds):
    return round(seconds / 86400, 2) if seconds is not None else None


def _figures(row, group_by):
    """Return one group's figures as plain values, with each rate's parts."""
    label = row.label
    if group_by == "week" and row.key != "total":
        label = "{}-W{:02d}".format(*date.fromisoformat(row.key).isocalendar()[:2])
    figures = {
        name: int(getattr(row, name) or 0)
        for name in (
            "reported",
            "valid",
            "assigned",
            "rectified",
            "verified",
            "closed",
            "closed_on_time",
            "open",
            "open_overdue",
            "reopened",
            "returned",
            "by_volunteers",
            "by_grid_workers",
            "photos_flagged",
        )
    }
    figures.update(
        key=row.key,
        label=label,
        closure_rate=_rate(figures["closed"], figures["valid"]),
        on_time_rate=_rate(figures["closed_on_time"], figures["closed"]),
        working_hours_to_close={"p50": row.working_hours_p50, "p90": row.working_hours_p90},
        days_to_close={"p50": _days(row.seconds_p50), "p90": _days(row.seconds_p90)},
    )
    return figures


def volunteers(session, the_period, *, limit=100):
    """Return reporters ranked by valid reports, then closed ones (office only)."""
    query = (
        sa.select(
            User.username,
            User.display_name,
            User.role,
            sa.func.count().label("reported"),
            _count(Hazard.status != "invalid").label("valid"),
            _count(Hazard.status == "closed").label("closed"),
        )
        .join(User, User.id == Hazard.reporter_id)
        .where(Hazard.received_at >= the_period.start_at, Hazard.received_at < the_period.end_at)
        .group_by(User.id, User.username, User.display_name, User.role)
        .order_by(sa.desc("valid"), sa.desc("closed"), User.username)
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.connection().execute(query)]


def overdue(session, *, now, escalation_days, department_id=None):
    """Return open overdue hazards counted by 督办 level, department and street."""
    cutoffs = workdays.escalation_cutoffs(now, escalation_days)
    level = sa.case(
        *[(Hazard.deadline < cutoff, n) for n, cutoff in reversed(list(enumerate(cutoffs, 1)))],
        else_=0,
    )
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


def weekly_report(session, the_period, *, now, district_name):
    """Return (title, street rows, total, [(department name, rows, total)]) for a period."""
    last_day = the_period.end - timedelta(days=1)
    year, week, _ = the_period.start.isocalendar()
    span = f"{the_period.start.isoformat()} 至 {last_day.isoformat()}"
    if (the_period.end - the_period.start).days == 7 and the_period.start.weekday() == 0:
        span = f"{year}年第{week}周（{span}）"
    title = f"{district_name}安全隐患排查整治进展情况统计表 {span}"
    rows = summary(session, the_period, "street", now=now)
    total = summary(session, the_period, None, now=now, totals=True)[0]
    departments = []
    for department in session.scalars(
        sa.select(Department).where(Department.kind == "sector").order_by(Department.code)
    ):
        department_rows = summary(
            session, the_period, "street", now=now, department_id=department.id, lead_only=True
        )
        if department_rows:
            department_total = summary(
                session,
                the_period,
                None,
                now=now,
                totals=True,
                department_id=department.id,
                lead_only=True,
            )[0]
            departments.append((department.name, department_rows, department_total))
    return title, rows, total, departments


def district_name(session):
    """Return the name of the district (the top area), for report titles."""
    name = session.scalar(sa.select(Area.name).where(Area.level == "district").limit(1))
    return name or "本区"
