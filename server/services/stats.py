"""Closure statistics (SPEC §6), computed by the database with GROUP BY.

The cohort of a period is the hazards reported in it, [start, end) in Asia/Shanghai;
every figure describes that cohort as it stands now. Rates carry their numerator
and denominator. Percentiles are nearest-rank, so SQLite and PostgreSQL give the
same figures (see `_run` for how each computes them).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.sql.visitors import InternalTraversal

from server.models import Area, Category, Department, Hazard, User
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
    def start_at(self) -> datetime:
        if self.start == date.min:
            # Its Shanghai midnight is 16:00 UTC the day before, in a year Python has not.
            return datetime.min.replace(tzinfo=UTC)
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


def iso_week(text: str) -> Period:
    """Return the Period of an ISO week written '2026-W23'."""
    try:
        year, week = text.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise InvalidInput("not an ISO week", errors={"week": ["write it as 2026-W23"]}) from None
    try:
        return Period(monday, monday + timedelta(days=7))
    except OverflowError:  # 9999-W52 ends in the year 10000, past any date Python holds
        raise InvalidInput(
            "the week is out of range", errors={"week": ["must end by 9999-12-31"]}
        ) from None


def week_start(dialect, column=Hazard.received_at):
    """Return SQL for the Monday (Shanghai) of a moment (a hazard's report), as 'YYYY-MM-DD'."""
    # Constants are written into the SQL: PostgreSQL matches GROUP BY to the select
    # list by text, and bound parameters would make the two differ.
    lit = sa.literal_column
    if dialect == "sqlite":
        # Stored as naive UTC text; China has no daylight saving since 1991.
        return sa.func.date(column, lit("'+8 hours'"), lit("'-6 days'"), lit("'weekday 1'"))
    local = sa.func.timezone(lit("'Asia/Shanghai'"), column)
    return sa.func.to_char(sa.func.date_trunc(lit("'week'"), local), lit("'YYYY-MM-DD'"))


AREA_NAMES = (Area.id, Area.code, Area.name)
DEPARTMENT_NAMES = (Department.id, Department.code, Department.name)


def _group(group_by, dialect):
    """Return (key, names) for a grouping: the SQL key, and where the key is an id, the
    (id, code, name) columns its code and name are read from afterwards. Grouping by
    ids keeps the period's scan free of joins and its sorts on integers."""
    if group_by == "street":
        return Hazard.street_id, AREA_NAMES
    if group_by == "community":
        return Hazard.community_id, AREA_NAMES
    if group_by == "department":
        return Hazard.lead_department_id, DEPARTMENT_NAMES
    if group_by == "category":
        return Hazard.category_id, (Category.id, Category.code, Category.name_zh)
    if group_by == "severity":
        return Hazard.severity, None
    if group_by == "week":
        return week_start(dialect), None
    raise InvalidInput("unknown grouping", errors={"group_by": [f"one of {', '.join(GROUPS)}"]})


def _names(session, columns, ids):
    """Return {id: (code, name)} for the ids of the groups found (a few rows)."""
    ids = {i for i in ids if i is not None}
    if columns is None or not ids:
        return {}
    id_, code, name = columns
    rows = session.execute(sa.select(id_, code, name).where(id_.in_(ids)))
    return {row[0]: (row[1], row[2]) for row in rows}


class _Labelled:
    """A row of counts under the code and name people read for its group."""

    def __init__(self, row, key, label):
        self._row, self.key, self.label = row, key, label

    def __getattr__(self, name):
        return getattr(self._row, name)


def _count(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


COUNTED = (
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


def _where(the_period, department_id, lead_only):
    where = sa.and_(
        Hazard.received_at >= the_period.start_at, Hazard.received_at < the_period.end_at
    )
    if department_id is not None:
        mine = Hazard.lead_department_id == department_id
        if not lead_only:
            mine = sa.or_(mine, Hazard.territorial_department_id == department_id)
        where = sa.and_(where, mine)
    return where


def _base(keys, where, now):
    """The period's hazards, narrow: group keys, a 0/1 column per count, and the two
    times to close. Read once; everything else is computed from it."""
    reporter = aliased(User)
    is_open = Hazard.status.in_(OPEN)
    closed = Hazard.status == "closed"
    conditions = {
        "valid": VALID,
        "assigned": sa.and_(VALID, Hazard.assigned_at.is_not(None)),
        "rectified": Hazard.status.in_(("rectified", "verified", "closed")),
        "verified": Hazard.status.in_(("verified", "closed")),
        "closed": closed,
        "closed_on_time": sa.and_(closed, Hazard.closed_at <= Hazard.deadline),
        "open": is_open,
        "open_overdue": sa.and_(is_open, Hazard.deadline < now),
        "reopened": Hazard.reopen_count > 0,
        "returned": Hazard.return_count > 0,
        "by_volunteers": reporter.role == "volunteer",
        "by_grid_workers": reporter.role == "grid_worker",
    }
    query = (
        sa.select(
            *(expression.label(name) for name, expression in keys),
            *(
                sa.case((condition, 1), else_=0).label(name)
                for name, condition in conditions.items()
            ),
            Hazard.photos_flagged.label("photos_flagged"),
            sa.case((closed, Hazard.close_working_hours)).label("hours"),
            sa.case((closed, Hazard.close_seconds)).label("seconds"),
        )
        .select_from(Hazard)
        .join(reporter, reporter.id == Hazard.reporter_id)
    )
    return query.where(where)


TIMES = ("hours", "seconds")
PERCENTS = (50, 90)


class Times(NamedTuple):
    """Nearest-rank percentiles of one group's times to close (None: nothing closed)."""

    hours_p50: float | None = None
    hours_p90: float | None = None
    seconds_p50: float | None = None
    seconds_p90: float | None = None


def _counts(source, names):
    """One row per group of `names`: how many were reported, each count, and how many
    have each time to close (the n their percentiles rank among)."""
    query = sa.select(
        *(source.c[n] for n in names),
        sa.func.count().label("reported"),
        *(sa.func.sum(source.c[name]).label(name) for name in COUNTED),
        *(sa.func.count(source.c[column]).label(f"{column}_n") for column in TIMES),
    )
    return query.group_by(*(source.c[n] for n in names)) if names else query


def _run(session, keys, where, now, chains):
    """Return (count rows, {grouping: {group: Times}}): counts per group of all `keys`,
    and percentiles per group of every grouping the `chains` name. A chain is a pair
    (outer, inner) of tuples of key names, outer a prefix of inner (the totals of a
    sheet and its rows, say); groupings and groups are tuples of names and of values.

    Percentiles are nearest-rank (the value at rank ceil(p·n)), the same figures on
    both databases, computed where the database is quick at it: PostgreSQL has
    percentile_disc and GROUPING SETS, so one aggregate pass gives it all. SQLite has
    neither, and its window functions cost a sort and a pass each, so there the
    period's hazards are copied once into a scratch table, indexed per chain and time,
    and each percentile is a seek or a short walk of an index.
    """
    connection = session.connection()
    names = tuple(name for name, _ in keys)
    groupings = list(dict.fromkeys([names, *(g for chain in chains for g in chain)]))
    base = _base(keys, where, now)
    if connection.dialect.name == "postgresql":
        return _run_percentile_disc(connection, base, names, groupings)
    return _run_scratch(connection, base, names, chains)


def _run_percentile_disc(connection, base, names, groupings):
    # One statement, one pass over the period's hazards: the counts and percentiles
    # of every grouping together, by GROUPING SETS. grouping() of all the keys is a
    # bit mask of those a row's grouping leaves out, most significant first.
    sub = base.subquery("base")
    query = sa.select(
        (sa.func.grouping(*(sub.c[n] for n in names)) if names else sa.literal(0)).label("mask"),
        *_counts(sub, names).selected_columns,
        *(
            sa.func.percentile_disc(percent / 100)
            .within_group(sub.c[column])
            .label(f"{column}_p{percent}")
            for column in TIMES
            for percent in PERCENTS
        ),
    )
    if len(groupings) > 1:
        sets = (sa.tuple_(*(sub.c[n] for n in by)) for by in groupings)
        query = query.group_by(sa.func.grouping_sets(*sets))
    elif names:
        query = query.group_by(*(sub.c[n] for n in names))
    by_mask = {
        sum(1 << (len(names) - 1 - i) for i, n in enumerate(names) if n not in by): by
        for by in groupings
    }
    counts, times = [], {by: {} for by in groupings}
    for row in connection.execute(query):
        by = by_mask[row.mask]
        times[by][tuple(getattr(row, n) for n in by)] = Times(
            *(getattr(row, f) for f in Times._fields)
        )
        if by == names:
            counts.append(row)
    return counts, times


SCRATCH = "stats_scratch"


class _CreateScratch(Executable, ClauseElement):
    """CREATE TEMP TABLE stats_scratch AS <select> (SQLite: one per connection)."""

    inherit_cache = True
    _traverse_internals = [("select", InternalTraversal.dp_clauseelement)]

    def __init__(self, select):
        self.select = select


@compiles(_CreateScratch)
def _compile_create_scratch(element, compiler, **kw):
    return f"CREATE TEMP TABLE {SCRATCH} AS {compiler.process(element.select, **kw)}"


def _run_scratch(connection, base, names, chains):
    # Per chain, one index per time ordered by the outer keys, then the time, then the
    # rest of the inner keys (covered, so a walk never reads the table): an outer
    # group's value at a rank is a seek and a short walk; an inner group's is a walk
    # of its outer range in time order that counts only its own rows.
    quote = connection.dialect.identifier_preparer.quote
    served = {}  # grouping -> the index suffix of the chain that serves it
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{SCRATCH}")
    connection.execute(_CreateScratch(base))
    try:
        for number, (outer, inner) in enumerate(chains):
            rest = [n for n in inner if n not in outer]
            for column in TIMES:
                indexed = ", ".join(quote(c) for c in (*outer, column, *rest))
                connection.exec_driver_sql(
                    f"CREATE INDEX {SCRATCH}_{number}_{column} ON {SCRATCH} ({indexed})"
                    f" WHERE {quote(column)} IS NOT NULL"
                )
            served.setdefault(outer, number)
            served.setdefault(inner, number)
        scratch = sa.table(SCRATCH, *(sa.column(c) for c in base.selected_columns.keys()))
        counts = connection.execute(_counts(scratch, names)).all()
        times = {}
        for by, number in served.items():
            sizes = {}
            for row in counts:
                group = tuple(getattr(row, n) for n in by)
                have = sizes.setdefault(group, dict.fromkeys(TIMES, 0))
                for column in TIMES:
                    have[column] += getattr(row, f"{column}_n")
            times[by] = _ranked(connection, by, sizes, f"{SCRATCH}_{number}")
        return counts, times
    finally:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{SCRATCH}")


def _ranked(connection, by, sizes, index):
    """Return {group: Times}: for each group and time, the value at rank ceil(p·n),
    read from the time's index with OFFSET (one statement per group, its text the
    same for every group, so SQLite prepares it once)."""
    quote = connection.dialect.identifier_preparer.quote
    match = "".join(f"{quote(name)} IS :g{i} AND " for i, name in enumerate(by))
    picks = []
    for column in TIMES:
        for percent in PERCENTS:
            # Walked from the nearer end: rank r from the bottom is n - r + 1 from the top.
            order = "" if percent <= 50 else " DESC"
            picks.append(
                f"(SELECT {quote(column)} FROM {SCRATCH} INDEXED BY {index}_{column}"
                f" WHERE {match}{quote(column)} IS NOT NULL"
                f" ORDER BY {quote(column)}{order} LIMIT 1 OFFSET :{column}_{percent})"
            )
    statement = f"SELECT {', '.join(picks)}"
    result = {}
    for group, n in sizes.items():
        params = {f"g{i}": value for i, value in enumerate(group)}
        for column in TIMES:
            for percent in PERCENTS:
                rank = (percent * n[column] + 99) // 100
                offset = rank - 1 if percent <= 50 else n[column] - rank
                params[f"{column}_{percent}"] = max(offset, 0)  # no rows: NULL either way
        result[group] = Times(*connection.exec_driver_sql(statement, params).one())
    return result


def _sum_counts(groups):
    """Return the counts of several groups (row objects or figures) added up."""
    return {name: sum(int(_get(g, name) or 0) for g in groups) for name in ("reported", *COUNTED)}


def _get(group, name):
    return group[name] if isinstance(group, dict) else getattr(group, name)


def summary(session, the_period, group_by, *, now, department_id=None, lead_only=False):
    """Return (rows, total): the figures per group and for all.

    With `department_id`, only that department's hazards count: those it leads and,
    unless `lead_only`, those in its street (属地). `group_by` None gives no rows.
    """
    where = _where(the_period, department_id, lead_only)
    if group_by is None:
        keys, columns = [], None
    else:
        key, columns = _group(group_by, session.get_bind().dialect.name)
        keys = [("key", key)]
    by = tuple(name for name, _ in keys)
    counts, times = _run(session, keys, where, now, [((), by)])
    total = times[()].get(())
    if group_by is None:
        return [], _figures(counts[0], total, None)
    names = _names(session, columns, [row.key for row in counts])
    rows = []
    for row in counts:
        code, label = names.get(row.key, (None, None)) if columns else (row.key, row.key)
        rows.append(_figures(_Labelled(row, code, label), times[by].get((row.key,)), group_by))
    rows.sort(key=lambda r: r["key"] or "")
    return rows, _figures(_Total(_sum_counts(rows)), total, None)


class _Total:
    """Counts summed from groups (exact: every hazard is in one group)."""

    def __init__(self, counts, key="total", label="合计"):
        self.__dict__.update(counts)
        self.key, self.label = key, label


def rate(numerator, denominator):
    """Return a rate with the counts it comes from (None when there is nothing to divide)."""
    return {
        "value": round(numerator / denominator, 4) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def _days(seconds):
    return round(seconds / 86400, 2) if seconds is not None else None


def _figures(row, times, group_by):
    """Return one group's figures as plain values, with each rate's parts."""
    key = getattr(row, "key", "total")
    label = getattr(row, "label", "合计")
    if group_by == "week" and key is not None:
        label = "{}-W{:02d}".format(*date.fromisoformat(key).isocalendar()[:2])
    figures = {name: int(getattr(row, name) or 0) for name in ("reported", *COUNTED)}
    figures.update(
        key=key,
        label=label,
        closure_rate=rate(figures["closed"], figures["valid"]),
        on_time_rate=rate(figures["closed_on_time"], figures["closed"]),
        working_hours_to_close={
            "p50": getattr(times, "hours_p50", None),
            "p90": getattr(times, "hours_p90", None),
        },
        days_to_close={
            "p50": _days(getattr(times, "seconds_p50", None)),
            "p90": _days(getattr(times, "seconds_p90", None)),
        },
    )
    return figures


def volunteers(session, the_period, *, limit=100):
    """Return reporters ranked by valid reports, then closed ones (office only). A report
    merged into another counts as valid, and as closed once that hazard is: each
    reporter of the same hazard gets the credit (SPEC §3)."""
    original = aliased(Hazard)
    closed = sa.or_(
        Hazard.status == "closed",
        sa.and_(Hazard.status == "duplicate", original.status == "closed"),
    )
    query = (
        sa.select(
            User.username,
            User.display_name,
            User.role,
            sa.func.count().label("reported"),
            _count(Hazard.status != "invalid").label("valid"),
            _count(closed).label("closed"),
        )
        .join(User, User.id == Hazard.reporter_id)
        .outerjoin(original, original.id == Hazard.duplicate_of_id)
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
    by_street = {}
    for row in counts:
        by_street.setdefault(row.key, []).append(row)
    rows = []
    for street_id, parts in by_street.items():
        code, label = streets.get(street_id, (None, None))
        street = _Total(_sum_counts(parts), code, label)
        rows.append(_figures(street, times[("key",)].get((street_id,)), "street"))
    rows.sort(key=lambda r: r["key"] or "")
    total = _figures(_Total(_sum_counts(rows)), times[()].get(()), None)
    return title, rows, total, _department_sheets(session, counts, times, streets)


def _department_sheets(session, counts, times, streets):
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
    sheets = {}
    for row in counts:
        if row.department in sectors:
            code, label = streets.get(row.key, (None, None))
            group = times[("department", "key")].get((row.department, row.key))
            figures = _figures(_Labelled(row, code, label), group, "street")
            sheets.setdefault(row.department, []).append(figures)
    result = []
    for department_id in sorted(sheets, key=lambda d: sectors[d]):
        rows = sorted(sheets[department_id], key=lambda r: r["key"] or "")
        total = _figures(
            _Total(_sum_counts(rows)), times[("department",)].get((department_id,)), None
        )
        result.append((sectors[department_id], rows, total))
    return result


def district_name(session):
    """Return the name of the district (the top area), for report titles."""
    name = session.scalar(sa.select(Area.name).where(Area.level == "district").limit(1))
    return name or "本区"
