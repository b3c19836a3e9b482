"""Closure statistics (SPEC §6), computed by the database with GROUP BY.

periods   [start, end) in Asia/Shanghai calendar days; ISO weeks
figures   the summary and trend figures of a cohort, rates, percentiles (nearest rank)
reports   volunteers, overdue by 督办 level, the weekly progress table
"""

from server.services.stats.figures import (
    GROUPS,
    LISTED_FIGURES,
    figure_condition,
    in_period,
    rate,
    summary,
)
from server.services.stats.periods import MAX_PERIOD, Period, iso_week, period, week_start
from server.services.stats.reports import (
    district_name,
    escalation_level,
    overdue,
    volunteers,
    weekly_report,
)

__all__ = [
    "GROUPS",
    "LISTED_FIGURES",
    "MAX_PERIOD",
    "Period",
    "district_name",
    "escalation_level",
    "figure_condition",
    "in_period",
    "iso_week",
    "overdue",
    "period",
    "rate",
    "summary",
    "volunteers",
    "week_start",
    "weekly_report",
]
