"""Chinese working days (工作日) for deadlines and escalation, in Asia/Shanghai.

The `holidays` package's China calendar knows the statutory holidays and the
official make-up working days (调休) for the years the State Council has
published. Past the last such year, holidays are only guesses from rules, so
the calendar counts weekends only there and says so.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=1)
def _china() -> holidays.HolidayBase:
    return holidays.China(years=range(2000, date.today().year + 4))


@lru_cache(maxsize=1)
def published_until() -> int:
    """Return the last year whose official make-up working days the package knows."""
    return max(day.year for day in _china().weekend_workdays)


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """Say whether `day` is a working day in mainland China."""
    if day.year > published_until():
        return day.weekday() < 5
    return _china().is_working_day(day)


def add_working_days(day: date, count: int) -> date:
    """Return the date `count` working days after `day` (not counting `day` itself)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_after(start: date, end: date, cap: int | None = None) -> int:
    """Count the working days d with start < d <= end, stopping once `cap` is reached."""
    count, day = 0, start
    while day < end and (cap is None or count < cap):
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def nth_working_day_back(day: date, count: int) -> date:
    """Return the `count`-th working day counting back from `day` (inclusive)."""
    while True:
        if is_working_day(day):
            count -= 1
            if count == 0:
                return day
        day -= timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    """A rectification deadline and the calendar it was counted with."""

    at: datetime
    basis: str  # 'china_working_days' or 'weekends_only'


def deadline_after(moment: datetime, working_days: int) -> Deadline:
    """Return the Deadline: the end of the Nth working day after `moment`'s day (Shanghai)."""
    start = moment.astimezone(SHANGHAI).date()
    day = add_working_days(start, working_days)
    basis = "china_working_days" if day.year <= published_until() else "weekends_only"
    return Deadline(datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI), basis)


def end_of_day(day: date) -> datetime:
    """Return the last second of a Shanghai calendar day."""
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


def working_hours_between(start: datetime, end: datetime) -> float:
    """Return the hours between two instants that fall on working days (Shanghai)."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    total, day = 0.0, start.date()
    while day <= end.date():
        if is_working_day(day):
            day_start = datetime.combine(day, time(0), tzinfo=SHANGHAI)
            day_end = day_start + timedelta(days=1)
            overlap = min(end, day_end) - max(start, day_start)
            total += max(overlap.total_seconds(), 0) / 3600
        day += timedelta(days=1)
    return total


def working_days_overdue(deadline: datetime | None, now: datetime, cap: int | None = None) -> int:
    """Count whole working days since the deadline's day (up to `cap`), once it has passed."""
    if deadline is None or now <= deadline:
        return 0
    return working_days_after(
        deadline.astimezone(SHANGHAI).date(), now.astimezone(SHANGHAI).date(), cap
    )


@lru_cache(maxsize=4096)
def _working_days_from(today: date, last_day: date, cap: int) -> int:
    return working_days_after(today - timedelta(days=1), last_day, cap)


def working_days_left(deadline: datetime | None, now: datetime, cap: int = 365) -> int | None:
    """Count the working days from today to the deadline's day, both counted (1 on the
    last day itself), up to `cap`; None once the deadline has passed or when there is none."""
    if deadline is None or now > deadline:
        return None
    return _working_days_from(
        now.astimezone(SHANGHAI).date(), deadline.astimezone(SHANGHAI).date(), cap
    )


ESCALATION_DAYS = (1, 3, 7)  # 督办 levels 1, 2, 3: working days past the deadline


def escalation_level(
    deadline: datetime | None, now: datetime, thresholds: tuple[int, ...] = ESCALATION_DAYS
) -> int:
    """Return the 督办 level (0 to len(thresholds)) of a hazard with this deadline."""
    # Past the highest threshold the exact count does not matter: stop counting there.
    days = working_days_overdue(deadline, now, cap=max(thresholds))
    return sum(days >= threshold for threshold in thresholds)


def escalation_cutoffs(
    now: datetime, thresholds: tuple[int, ...] = ESCALATION_DAYS
) -> list[datetime]:
    """Return the cutoff of every level: a deadline before the k-th means level ≥ k."""
    return [escalation_cutoff(now, level, thresholds) for level in range(1, len(thresholds) + 1)]


def level_from_cutoffs(deadline: datetime | None, cutoffs: Sequence[datetime]) -> int:
    """Return the 督办 level of a deadline, given escalation_cutoffs for now."""
    return 0 if deadline is None else sum(deadline < cutoff for cutoff in cutoffs)


def escalation_cutoff(
    now: datetime, level: int, thresholds: tuple[int, ...] = ESCALATION_DAYS
) -> datetime:
    """Return the instant before which a deadline must fall for at least `level`."""
    today = now.astimezone(SHANGHAI).date()
    first_counted = nth_working_day_back(today, thresholds[level - 1])
    return datetime.combine(first_counted, time(0, 0), tzinfo=SHANGHAI)


def shanghai_today(now: datetime | None = None) -> date:
    """Return today's date in Shanghai, whatever the server's time zone."""
    return (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).date()
