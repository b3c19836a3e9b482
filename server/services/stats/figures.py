"""The figures of a cohort (SPEC §6), computed by the database with GROUP BY.

The cohort of a period is the hazards reported in it, [start, end) in Asia/Shanghai;
every figure describes that cohort as it stands now. Rates carry their numerator
and denominator. Percentiles are nearest-rank, so SQLite and PostgreSQL give the
same figures (see `_run` for how each computes them).
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, TypedDict

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.sql.visitors import InternalTraversal

from server.models import Area, Category, Department, Hazard, User
from server.services.errors import InvalidInput
from server.services.stats.periods import Period, week_start
from server.vocabulary import OPEN

GROUPS = ("street", "community", "department", "category", "week", "severity")
VALID = ~Hazard.status.in_(("invalid", "duplicate"))

# A key of the groups: its name in the rows, and the SQL it groups by.
Key = tuple[str, sa.ColumnElement[Any] | InstrumentedAttribute[Any]]
# The (id, code, name) columns a key that is an id reads its code and name from.
Names = tuple[InstrumentedAttribute[int], InstrumentedAttribute[str], InstrumentedAttribute[str]]
# A grouping is the names of the keys it groups by; a group, the values of those keys.
Grouping = tuple[str, ...]
Group = tuple[Any, ...]
# (outer, inner) groupings, outer a prefix of inner, whose percentiles are wanted.
Chain = tuple[Grouping, Grouping]

AREA_NAMES: Names = (Area.id, Area.code, Area.name)
DEPARTMENT_NAMES: Names = (Department.id, Department.code, Department.name)


def _group(
    group_by: str, dialect: str
) -> tuple[sa.ColumnElement[Any] | InstrumentedAttribute[Any], Names | None]:
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


def _names(
    session: Session, columns: Names | None, ids: Iterable[int | None]
) -> dict[int | None, tuple[str, str]]:
    """Return {id: (code, name)} for the ids of the groups found (a few rows)."""
    # Keyed by int | None: it is looked up by group keys, None for what is in no group.
    ids = {i for i in ids if i is not None}
    if columns is None or not ids:
        return {}
    id_, code, name = columns
    rows = session.execute(sa.select(id_, code, name).where(id_.in_(ids)))
    return {row[0]: (row[1], row[2]) for row in rows}


class _Labelled:
    """A row of counts under the code and name people read for its group."""

    def __init__(self, row: sa.Row[*tuple[Any, ...]], key: str | None, label: str | None) -> None:
        self._row, self.key, self.label = row, key, label

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


COUNTED = (
    "valid",
    "assigned",
    "rectified",
    "verified",
    "closed",
    "closed_on_time",
    "closed_or_overdue",
    "open",
    "open_overdue",
    "reopened",
    "returned",
    "by_volunteers",
    "by_grid_workers",
    "photos_flagged",
)


def in_period(the_period: Period) -> sa.ColumnElement[bool]:
    """Return the condition of a period's cohort: the hazards reported in it."""
    return sa.and_(
        Hazard.received_at >= the_period.start_at, Hazard.received_at < the_period.end_at
    )


# The figures a hazard list can be narrowed to (`figure_condition`): every count of a
# cohort but those that would tell a department about reporters or photo flags.
LISTED_FIGURES = (
    "reported",
    "valid",
    "assigned",
    "rectified",
    "verified",
    "closed",
    "closed_on_time",
    "closed_or_overdue",
    "open",
    "open_overdue",
    "reopened",
    "returned",
    "credited_valid",
    "credited_closed",
)


def credit_conditions() -> dict[str, sa.ColumnElement[bool]]:
    """Return {figure: condition} of what a report earns its reporter on the leaderboard
    (SPEC §3): valid unless invalid, a report merged into another included; closed once
    it, or the hazard it was merged into, is closed. Each reporter of a hazard is credited."""
    original = aliased(Hazard)
    merged_into_closed = (
        sa.exists()
        .where(original.id == Hazard.duplicate_of_id, original.status == "closed")
        .correlate(Hazard)
    )
    return {
        "credited_valid": Hazard.status != "invalid",
        "credited_closed": sa.or_(
            Hazard.status == "closed", sa.and_(Hazard.status == "duplicate", merged_into_closed)
        ),
    }


def figure_conditions(now: datetime) -> dict[str, sa.ColumnElement[bool]]:
    """Return {figure: the condition a hazard of the cohort meets to count in it}.

    The statistics count by these conditions and the hazard list filters by them, so a
    figure clicked through to its list finds exactly the hazards it counted. A hazard
    still open past its deadline is already late: it counts against the on-time rate
    with those closed late, not only once it is closed (issue 13)."""
    is_open = Hazard.status.in_(OPEN)
    closed = Hazard.status == "closed"
    open_overdue = sa.and_(is_open, Hazard.deadline < now)
    return {
        "reported": sa.true(),
        "valid": VALID,
        "assigned": sa.and_(VALID, Hazard.assigned_at.is_not(None)),
        "rectified": Hazard.status.in_(("rectified", "verified", "closed")),
        "verified": Hazard.status.in_(("verified", "closed")),
        "closed": closed,
        "closed_on_time": sa.and_(closed, Hazard.closed_at <= Hazard.deadline),
        "closed_or_overdue": sa.or_(closed, open_overdue),
        "open": is_open,
        "open_overdue": open_overdue,
        "reopened": Hazard.reopen_count > 0,
        "returned": Hazard.return_count > 0,
    }


def figure_condition(name: str, now: datetime) -> sa.ColumnElement[bool]:
    """Return the condition of one listed figure (see figure_conditions)."""
    if name not in LISTED_FIGURES:
        raise InvalidInput(
            "unknown figure", errors={"figure": [f"one of {', '.join(LISTED_FIGURES)}"]}
        )
    return {**figure_conditions(now), **credit_conditions()}[name]


def _where(
    the_period: Period, department_id: int | None, lead_only: bool
) -> sa.ColumnElement[bool]:
    where = in_period(the_period)
    if department_id is not None:
        mine: sa.ColumnElement[bool] = Hazard.lead_department_id == department_id
        if not lead_only:
            mine = sa.or_(mine, Hazard.territorial_department_id == department_id)
        where = sa.and_(where, mine)
    return where


def _base(
    keys: Sequence[Key], where: sa.ColumnElement[bool], now: datetime
) -> sa.Select[*tuple[Any, ...]]:
    """The period's hazards, narrow: group keys, a 0/1 column per count, and the two
    times to close. Read once; everything else is computed from it."""
    reporter = aliased(User)
    closed = Hazard.status == "closed"
    conditions = {
        **{n: c for n, c in figure_conditions(now).items() if n != "reported"},
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


# The percentiles of each group of each grouping.
TimesBy = dict[Grouping, dict[Group, Times]]
# The count rows of a run, and its percentiles.
Run = tuple[Sequence[sa.Row[*tuple[Any, ...]]], TimesBy]


def _counts(source: sa.FromClause, names: Grouping) -> sa.Select[*tuple[Any, ...]]:
    """One row per group of `names`: how many were reported, each count, and how many
    have each time to close (the n their percentiles rank among)."""
    query = sa.select(
        *(source.c[n] for n in names),
        sa.func.count().label("reported"),
        *(sa.func.sum(source.c[name]).label(name) for name in COUNTED),
        *(sa.func.count(source.c[column]).label(f"{column}_n") for column in TIMES),
    )
    return query.group_by(*(source.c[n] for n in names)) if names else query


def _run(
    session: Session,
    keys: Sequence[Key],
    where: sa.ColumnElement[bool],
    now: datetime,
    chains: Sequence[Chain],
) -> Run:
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


def _run_percentile_disc(
    connection: sa.Connection,
    base: sa.Select[*tuple[Any, ...]],
    names: Grouping,
    groupings: Sequence[Grouping],
) -> Run:
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
    counts: list[sa.Row[*tuple[Any, ...]]] = []
    times: TimesBy = {by: {} for by in groupings}
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

    def __init__(self, select: sa.Select[*tuple[Any, ...]]) -> None:
        self.select = select


@compiles(_CreateScratch)
def _compile_create_scratch(element: _CreateScratch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CREATE TEMP TABLE {SCRATCH} AS {compiler.process(element.select, **kw)}"


def _run_scratch(
    connection: sa.Connection,
    base: sa.Select[*tuple[Any, ...]],
    names: Grouping,
    chains: Sequence[Chain],
) -> Run:
    # Per chain, one index per time ordered by the outer keys, then the time, then the
    # rest of the inner keys (covered, so a walk never reads the table): an outer
    # group's value at a rank is a seek and a short walk; an inner group's is a walk
    # of its outer range in time order that counts only its own rows.
    quote = connection.dialect.identifier_preparer.quote
    served: dict[Grouping, int] = {}  # grouping -> the index suffix of the chain that serves it
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
        times: TimesBy = {}
        for by, number in served.items():
            sizes: dict[Group, dict[str, int]] = {}
            for row in counts:
                group = tuple(getattr(row, n) for n in by)
                have = sizes.setdefault(group, dict.fromkeys(TIMES, 0))
                for column in TIMES:
                    have[column] += getattr(row, f"{column}_n")
            times[by] = _ranked(connection, by, sizes, f"{SCRATCH}_{number}")
        return counts, times
    finally:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{SCRATCH}")


def _ranked(
    connection: sa.Connection, by: Grouping, sizes: dict[Group, dict[str, int]], index: str
) -> dict[Group, Times]:
    """Return {group: Times}: for each group and time, the value at rank ceil(p·n),
    read from the time's index with OFFSET (one statement per group, its text the
    same for every group, so SQLite prepares it once)."""
    quote = connection.dialect.identifier_preparer.quote
    match = "".join(f"{quote(name)} IS :g{i} AND " for i, name in enumerate(by))
    picks: list[str] = []
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
    result: dict[Group, Times] = {}
    for group, n in sizes.items():
        params: dict[str, Any] = {f"g{i}": value for i, value in enumerate(group)}
        for column in TIMES:
            for percent in PERCENTS:
                rank = (percent * n[column] + 99) // 100
                offset = rank - 1 if percent <= 50 else n[column] - rank
                params[f"{column}_{percent}"] = max(offset, 0)  # no rows: NULL either way
        result[group] = Times(*connection.exec_driver_sql(statement, params).one())
    return result


def _sum_counts(groups: Iterable[sa.Row[*tuple[Any, ...]] | dict[str, Any]]) -> dict[str, int]:
    """Return the counts of several groups (row objects or figures) added up."""
    return {name: sum(int(_get(g, name) or 0) for g in groups) for name in ("reported", *COUNTED)}


def _get(group: sa.Row[*tuple[Any, ...]] | dict[str, Any], name: str) -> int | None:
    return group[name] if isinstance(group, dict) else getattr(group, name)


def summary(
    session: Session,
    the_period: Period,
    group_by: str | None,
    *,
    now: datetime,
    department_id: int | None = None,
    lead_only: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Return (rows, total): the figures per group and for all.

    With `department_id`, only that department's hazards count: those it leads and,
    unless `lead_only`, those in its street (属地). `group_by` None gives no rows.
    """
    where = _where(the_period, department_id, lead_only)
    keys: list[Key]
    columns: Names | None
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

    def __init__(
        self, counts: dict[str, int], key: str | None = "total", label: str | None = "合计"
    ) -> None:
        self.__dict__.update(counts)
        self.key, self.label = key, label


# A row of counts: as the database gives it, under its group's code and name, or summed.
Counted = sa.Row[*tuple[Any, ...]] | _Labelled | _Total


class Rate(TypedDict):
    """A rate and the counts it comes from."""

    value: float | None
    numerator: int
    denominator: int


def rate(numerator: int, denominator: int) -> Rate:
    """Return a rate with the counts it comes from (None when there is nothing to divide)."""
    return {
        "value": round(numerator / denominator, 4) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def _days(seconds: float | None) -> float | None:
    return round(seconds / 86400, 2) if seconds is not None else None


def _figures(row: Counted, times: Times | None, group_by: str | None) -> dict[str, Any]:
    """Return one group's figures as plain values, with each rate's parts."""
    key = getattr(row, "key", "total")
    label = getattr(row, "label", "合计")
    if group_by == "week" and key is not None:
        label = "{}-W{:02d}".format(*date.fromisoformat(key).isocalendar()[:2])
    figures: dict[str, Any] = {
        name: int(getattr(row, name) or 0) for name in ("reported", *COUNTED)
    }
    figures.update(
        key=key,
        label=label,
        closure_rate=rate(figures["closed"], figures["valid"]),
        on_time_rate=rate(figures["closed_on_time"], figures["closed_or_overdue"]),
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
