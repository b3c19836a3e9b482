"""Periods of the statistics: [start, end) in Asia/Shanghai calendar days, ISO weeks."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from server.models import Hazard
from server.services.errors import InvalidInput
from server.services.workdays import SHANGHAI

MAX_PERIOD = timedelta(days=5 * 366)


@dataclass(frozen=True)
class Period:
    """A half-open period [start, end) of Shanghai calendar days."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        """Return the moment the period starts: its first day's Shanghai midnight."""
        if self.start == date.min:
            # Its Shanghai midnight is 16:00 UTC the day before, in a year Python has not.
            return datetime.min.replace(tzinfo=UTC)
        return datetime.combine(self.start, time(0), tzinfo=SHANGHAI)

    @property
    def end_at(self) -> datetime:
        """Return the moment the period ends: the Shanghai midnight after its last day."""
        return datetime.combine(self.end, time(0), tzinfo=SHANGHAI)


def period(start: date, end: date) -> Period:
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


def week_start(
    dialect: str, column: InstrumentedAttribute[datetime] = Hazard.received_at
) -> sa.ColumnElement[str]:
    """Return SQL for the Monday (Shanghai) of a moment (a hazard's report), as 'YYYY-MM-DD'."""
    # Constants are written into the SQL: PostgreSQL matches GROUP BY to the select
    # list by text, and bound parameters would make the two differ.
    lit = sa.literal_column
    if dialect == "sqlite":
        # Stored as naive UTC text; China has no daylight saving since 1991.
        return sa.func.date(column, lit("'+8 hours'"), lit("'-6 days'"), lit("'weekday 1'"))
    local = sa.func.timezone(lit("'Asia/Shanghai'"), column)
    return sa.func.to_char(sa.func.date_trunc(lit("'week'"), local), lit("'YYYY-MM-DD'"))
