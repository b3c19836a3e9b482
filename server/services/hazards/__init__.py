"""Hazard reports: filing them, reading them, listing them, by what a viewer may see.

filing       NewReport, report_hazard(s): idempotent on the phone's id, routed at once
records      a hazard as a viewer may see it (the reporter only for the office and them)
corrections  the reporter's corrections before a department takes the hazard on
listing      HazardFilter, list_hazards: what a viewer may see, filtered, in pages
"""

from server.services.hazards.filing import (
    CLOCK_AHEAD,
    CLOCK_BEHIND,
    REPORTING_ROLES,
    Filed,
    NewReport,
    report_hazard,
    report_hazards,
    time_flag,
)
from server.services.hazards.listing import HazardFilter, Page, filtered, list_hazards
from server.services.hazards.records import RECORDS, get_record, hazard_record, records_for

__all__ = [
    "CLOCK_AHEAD",
    "CLOCK_BEHIND",
    "REPORTING_ROLES",
    "RECORDS",
    "Filed",
    "HazardFilter",
    "NewReport",
    "Page",
    "filtered",
    "get_record",
    "hazard_record",
    "list_hazards",
    "records_for",
    "report_hazard",
    "report_hazards",
    "time_flag",
]
