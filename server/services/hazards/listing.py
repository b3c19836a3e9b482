"""Hazard lists: what a viewer may see, narrowed by filters, newest first, in pages."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import (
    Area,
    Category,
    Department,
    Hazard,
    User,
    utcnow,
)
from server.services import paging, stats, workdays
from server.services.errors import PermissionDenied
from server.services.hazards.records import RECORDS, records_for
from server.services.policy import DEFAULT_POLICY, Policy
from server.services.stats import Period
from server.services.visibility import visible_to
from server.vocabulary import OPEN


@dataclass(frozen=True)
class HazardFilter:
    """What a hazard list is narrowed to; every field is optional."""

    status: tuple[str, ...] = ()
    category: str | None = None
    street: str | None = None
    department: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    since: datetime | None = None
    overdue: bool | None = None
    escalation: int | None = None  # at least this 督办 level
    level: int | None = None  # overdue at exactly this 督办 level (0: not yet escalated)
    period: Period | None = None  # reported in it: the statistics' cohort
    figure: str | None = None  # counted in this figure of the statistics
    place: uuid.UUID | None = None  # found inspecting this place
    reporter: str | None = None  # filed by this user (username): the office's only
    address: str | None = None  # the address contains this text (a unit's hazards)


# A street or department filter of this value selects the hazards with none (the
# statistics' rows for hazards outside every street, or not yet assigned).
NONE = "-"


@dataclass
class Page:
    """One page of a keyset-paginated list; `total` counts all its pages when asked."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None
    total: int | None = None


def _code_id(
    model: type[Area] | type[Category] | type[Department], code: str
) -> sa.ScalarSelect[int]:
    return sa.select(model.id).where(model.code == code).scalar_subquery()


def filtered(
    query: sa.Select[*tuple[Any, ...]],
    filters: HazardFilter,
    *,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> sa.Select[*tuple[Any, ...]]:
    """Narrow a hazard query by a HazardFilter."""
    if filters.status:
        query = query.where(Hazard.status.in_(filters.status))
    if filters.category:
        query = query.where(Hazard.category_id == _code_id(Category, filters.category))
    if filters.street == NONE:
        query = query.where(Hazard.street_id.is_(None))
    elif filters.street:
        query = query.where(Hazard.street_id == _code_id(Area, filters.street))
    if filters.department == NONE:
        query = query.where(Hazard.lead_department_id.is_(None))
    elif filters.department:
        query = query.where(Hazard.lead_department_id == _code_id(Department, filters.department))
    if filters.bbox:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        query = query.where(
            Hazard.lon.between(min_lon, max_lon), Hazard.lat.between(min_lat, max_lat)
        )
    if filters.since:
        query = query.where(Hazard.received_at >= filters.since)
    overdue = sa.and_(Hazard.status.in_(OPEN), Hazard.deadline < now)
    if filters.overdue is True:
        query = query.where(overdue)
    elif filters.overdue is False:
        query = query.where(sa.not_(overdue) | Hazard.deadline.is_(None))
    if filters.escalation:
        cutoff = workdays.escalation_cutoff(now, filters.escalation, policy.escalation_days)
        query = query.where(Hazard.status.in_(OPEN), Hazard.deadline < cutoff)
    if filters.level is not None:
        level = stats.escalation_level(now, policy.escalation_days)
        query = query.where(Hazard.status.in_(OPEN), Hazard.deadline < now, level == filters.level)
    if filters.period is not None:
        query = query.where(stats.in_period(filters.period))
    if filters.figure:
        query = query.where(stats.figure_condition(filters.figure, now))
    if filters.place is not None:
        query = query.where(Hazard.place_id == filters.place)
    if filters.address:
        # Contains, as typed: % and _ are the user's characters, not wildcards.
        text = filters.address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Hazard.address.ilike(f"%{text}%", escape="\\"))
    if filters.reporter is not None:
        query = query.where(
            Hazard.reporter_id
            == sa.select(User.id).where(User.username == filters.reporter).scalar_subquery()
        )
    return query


NEWEST_FIRST = [(Hazard.received_at, "received_at", datetime), (Hazard.id, "id", uuid.UUID)]


def list_hazards(
    session: Session,
    viewer: User,
    filters: HazardFilter,
    *,
    limit: int,
    cursor: str | None = None,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
    count: bool = False,
) -> Page:
    """Return a Page of the records of hazards the viewer may see, newest first; with
    `count`, also how many there are in all its pages (a statistic's figure, say)."""
    now = now or utcnow()
    if filters.reporter is not None and viewer.role != "office":
        # Who reported what is the office's to know (举报人保密, SPEC §5).
        raise PermissionDenied("only the office may list hazards by reporter")
    query = filtered(RECORDS.where(visible_to(viewer)), filters, now=now, policy=policy)
    rows, next_cursor = paging.page(
        session, query, NEWEST_FIRST, limit=limit, cursor=cursor, descending=True
    )
    total = None
    if count:
        counted = filtered(
            sa.select(sa.func.count()).select_from(Hazard).where(visible_to(viewer)),
            filters,
            now=now,
            policy=policy,
        )
        total = session.scalar(counted)
    return Page(
        items=records_for(session, rows, viewer, now=now, policy=policy),
        next_cursor=next_cursor,
        total=total,
    )
