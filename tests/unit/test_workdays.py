"""Deadlines in Chinese working days, with the 2026 holidays and make-up days."""

from datetime import date, datetime, timedelta

import pytest

from server.services import workdays
from server.services.workdays import SHANGHAI


def at(*args):
    """Return a Shanghai time."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 14), True),  # Saturday, make-up working day (调休) for Spring Festival
        (date(2026, 10, 10), True),  # Saturday, make-up working day for National Day
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),  # still the National Day holiday
        (date(2026, 10, 8), True),
        (date(2026, 11, 28), False),  # an ordinary Saturday
        (date(2026, 11, 25), True),  # an ordinary Wednesday
    ],
)
def test_working_days_follow_the_official_2026_calendar(day, working):
    assert workdays.is_working_day(day) is working


def test_deadline_skips_the_national_day_holiday():
    deadline = workdays.deadline_after(at(2026, 9, 30, 10, 0), 1)
    assert deadline.at == at(2026, 10, 8, 23, 59, 59)
    assert deadline.basis == "china_working_days"


def test_a_make_up_saturday_counts_as_a_working_day():
    assert workdays.deadline_after(at(2026, 2, 13, 17, 0), 1).at == at(2026, 2, 14, 23, 59, 59)


def test_seven_working_days_across_a_weekend():
    # Wednesday 25 Nov 2026 + 7 working days = Friday 4 Dec.
    assert workdays.deadline_after(at(2026, 11, 25, 9, 0), 7).at.date() == date(2026, 12, 4)


def test_the_shanghai_day_decides_not_the_utc_day():
    # 23:30 UTC on Thursday is already Friday morning in Shanghai.
    late = datetime(2026, 11, 26, 23, 30, tzinfo=workdays.ZoneInfo("UTC"))
    assert workdays.deadline_after(late, 1).at.date() == date(2026, 11, 30)


def test_past_the_published_calendar_only_weekends_are_off_and_it_says_so():
    year = workdays.published_until() + 1
    deadline = workdays.deadline_after(at(year, 1, 4, 9, 0), 1)
    assert deadline.basis == "weekends_only"
    assert workdays.is_working_day(date(year, 1, 1)) is (date(year, 1, 1).weekday() < 5)


@pytest.mark.parametrize(
    ("now", "level"),
    [
        (at(2026, 11, 20, 23, 0), 0),  # before the deadline
        (at(2026, 11, 21, 10, 0), 0),  # overdue, but Saturday: no working day has passed
        (at(2026, 11, 23, 10, 0), 1),  # Monday: one working day past
        (at(2026, 11, 25, 10, 0), 2),  # Wednesday: three
        (at(2026, 12, 1, 10, 0), 3),  # Tuesday a week later: seven
    ],
)
def test_escalation_levels_count_working_days_past_the_deadline(now, level):
    deadline = at(2026, 11, 20, 23, 59, 59)  # a Friday
    assert workdays.escalation_level(deadline, now) == level


@pytest.mark.parametrize("level", [1, 2, 3])
def test_the_sql_cutoff_agrees_with_the_level(level):
    now = at(2026, 12, 2, 15, 0)
    cutoff = workdays.escalation_cutoff(now, level)
    for days_back in range(0, 20):
        deadline = workdays.end_of_day(now.date() - timedelta(days=days_back))
        assert (deadline < cutoff) == (workdays.escalation_level(deadline, now) >= level)
