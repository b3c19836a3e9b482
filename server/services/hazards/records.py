"""A hazard as a viewer may see it: one select of what a record shows, and its photos."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from server.models import (
    Area,
    Category,
    Department,
    Hazard,
    HazardPhoto,
    Photo,
    User,
    utcnow,
)
from server.services import workdays
from server.services.errors import (
    NotFound,
)
from server.services.policy import DEFAULT_POLICY, Policy
from server.services.routing import triage_reason
from server.services.visibility import may_see_reporter, visible_to
from server.vocabulary import OPEN

# Reads go through one select of exactly what a record shows: hazards joined to the
# codes of their category, departments and areas (no ORM objects, no polygons).
_lead, _territorial = aliased(Department), aliased(Department)
_street, _community, _grid = aliased(Area), aliased(Area), aliased(Area)
_original = aliased(Hazard)  # the hazard a duplicate was merged into
_holder = aliased(User)  # the clerk who claimed it


def _one(column: QueryableAttribute[Any], key: QueryableAttribute[Any]) -> Any:
    """`column` of the row `key` points at, as a subquery rather than a join. Past eight
    tables PostgreSQL's planner weighs many more join orders: with the reporter, a
    duplicate's original and a claim's holder joined too, planning a 20-row queue page
    over a million hazards took 40 ms against its 0.5 ms run."""
    row = column.parent.entity  # the (aliased) table the column belongs to
    return sa.select(column).where(row.id == key).scalar_subquery()


RECORDS = (
    sa.select(
        Hazard.id,
        Hazard.reporter_id,
        Hazard.description,
        Hazard.lat,
        Hazard.lon,
        Hazard.accuracy_m,
        Hazard.crs,
        Hazard.address,
        Hazard.observed_at,
        Hazard.received_at,
        Hazard.time_flag,
        Hazard.status,
        Hazard.severity,
        Hazard.version,
        Hazard.deadline,
        Hazard.deadline_basis,
        Hazard.extension_requested_until,
        Hazard.closed_at,
        Hazard.duplicate_of_id,
        _one(_original.status, Hazard.duplicate_of_id).label("original_status"),
        _one(_original.closed_at, Hazard.duplicate_of_id).label("original_closed_at"),
        Hazard.routing_note,
        Hazard.place_id,
        Hazard.inspection_id,
        Category.code.label("category"),
        Category.name_zh.label("category_name"),
        Category.name_en.label("category_name_en"),
        _lead.code.label("lead_department"),
        _lead.name.label("lead_department_name"),
        _territorial.code.label("territorial_department"),
        _street.code.label("street"),
        _street.name.label("street_name"),
        _community.code.label("community"),
        _community.name.label("community_name"),
        _grid.code.label("grid"),
        _one(User.username, Hazard.reporter_id).label("reporter_username"),
        _one(User.display_name, Hazard.reporter_id).label("reporter_display_name"),
        _one(User.phone, Hazard.reporter_id).label("reporter_phone"),
        _one(User.role, Hazard.reporter_id).label("reporter_role"),
        _one(_holder.username, Hazard.claimed_by_id).label("holder_username"),
        _one(_holder.display_name, Hazard.claimed_by_id).label("holder_display_name"),
        Hazard.claimed_at,
    )
    .join(Category, Category.id == Hazard.category_id)
    .outerjoin(_lead, _lead.id == Hazard.lead_department_id)
    .outerjoin(_territorial, _territorial.id == Hazard.territorial_department_id)
    .outerjoin(_street, _street.id == Hazard.street_id)
    .outerjoin(_community, _community.id == Hazard.community_id)
    .outerjoin(_grid, _grid.id == Hazard.grid_id)
)


# Built once: the photos cited by a page of hazards, arrived or not.
CITATIONS = (
    sa.select(
        HazardPhoto.hazard_id,
        HazardPhoto.sha256,
        HazardPhoto.phase,
        HazardPhoto.flags,
        HazardPhoto.distance_m,
        Photo.sha256.is_not(None).label("present"),
    )
    .outerjoin(Photo, Photo.sha256 == HazardPhoto.sha256)
    .where(HazardPhoto.hazard_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(HazardPhoto.hazard_id, HazardPhoto.position)
)


def records_for(
    session: Session,
    rows: Sequence[sa.Row[*tuple[Any, ...]]],
    viewer: User,
    *,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> list[dict[str, Any]]:
    """Return the records of selected rows, with their photo citations (one more query)."""
    now = now or utcnow()
    cutoffs = workdays.escalation_cutoffs(now, policy.escalation_days)
    links: dict[uuid.UUID, list[sa.Row[*tuple[Any, ...]]]] = {}
    if rows:
        ids = [row.id for row in rows]
        cited = session.connection().execute(CITATIONS, {"ids": ids})
        for link in cited:
            links.setdefault(link.hazard_id, []).append(link)
    return [hazard_record(row, links.get(row.id, []), viewer, now, cutoffs) for row in rows]


def get_record(
    session: Session,
    viewer: User,
    hazard_id: uuid.UUID,
    *,
    check_visible: bool = True,
    policy: Policy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """Return the record of one hazard the viewer may see; anything else is NotFound."""
    query = RECORDS.where(Hazard.id == hazard_id)
    if check_visible:
        query = query.where(visible_to(viewer))
    row = session.connection().execute(query).one_or_none()
    if row is None:
        raise NotFound("no such hazard")
    return records_for(session, [row], viewer, policy=policy)[0]


def _photo_detail(link: sa.Row[*tuple[Any, ...]], viewer: User) -> dict[str, Any]:
    detail = {"sha256": link.sha256, "phase": link.phase, "missing": not link.present}
    if viewer.role == "office":
        detail["flags"] = link.flags
        detail["distance_m"] = link.distance_m
    return detail


def hazard_record(
    row: sa.Row[*tuple[Any, ...]],
    links: Sequence[sa.Row[*tuple[Any, ...]]],
    viewer: User,
    now: datetime,
    cutoffs: Sequence[datetime],
) -> dict[str, Any]:
    """Return a hazard as plain values, leaving out the reporter unless the viewer may know.

    `cutoffs` are workdays.escalation_cutoffs(now): computed once for a whole page.
    """
    overdue = bool(row.status in OPEN and row.deadline is not None and now > row.deadline)
    reporter = None
    if may_see_reporter(viewer, row):
        reporter = {
            "username": row.reporter_username,
            "display_name": row.reporter_display_name,
            "phone": row.reporter_phone,
            "role": row.reporter_role,
        }
    return {
        "id": row.id,
        "category": row.category,
        "category_name": row.category_name,
        "category_name_en": row.category_name_en,
        "description": row.description,
        "lat": row.lat,
        "lon": row.lon,
        "accuracy_m": row.accuracy_m,
        "crs": row.crs,
        "address": row.address,
        "observed_at": row.observed_at,
        "received_at": row.received_at,
        "time_flag": row.time_flag,
        "status": row.status,
        "severity": row.severity,
        "version": row.version,
        "deadline": row.deadline,
        "deadline_basis": row.deadline_basis,
        "overdue": overdue,
        "escalation": workdays.level_from_cutoffs(row.deadline, cutoffs) if overdue else 0,
        "working_days_left": (
            workdays.working_days_left(row.deadline, now) if row.status in OPEN else None
        ),
        "extension_requested_until": row.extension_requested_until,
        "closed_at": row.closed_at,
        "duplicate_of": row.duplicate_of_id,
        # The public outcome: a report merged into another follows that one's fate.
        "outcome": {
            "status": row.original_status if row.duplicate_of_id else row.status,
            "closed_at": row.original_closed_at if row.duplicate_of_id else row.closed_at,
        },
        "lead_department": row.lead_department,
        "lead_department_name": row.lead_department_name,
        "territorial_department": row.territorial_department,
        "street": row.street,
        "street_name": row.street_name,
        "community": row.community,
        "community_name": row.community_name,
        "grid": row.grid,
        "routing_note": row.routing_note,
        "triage_reason": triage_reason(row.status, row.routing_note),
        # Who of the department works it: the department's and the office's business,
        # not a reporter's.
        "claim": (
            {
                "username": row.holder_username,
                "display_name": row.holder_display_name,
                "at": row.claimed_at,
            }
            if row.holder_username is not None and viewer.role != "volunteer"
            else None
        ),
        "place": row.place_id,
        "inspection": row.inspection_id,
        "photos": [link.sha256 for link in links if link.phase == "report"],
        "photo_details": [_photo_detail(link, viewer) for link in links],
        "mine": row.reporter_id == viewer.id,
        "reporter": reporter,
    }
