"""Corrections to a report by its reporter before a department takes it on (SPEC §9).

Conflicts are decided by versions, per field: the hazard remembers the version at
which each field last changed, so two devices editing different fields from the
same version both succeed, and the second edit of the same field conflicts.
"""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import Category, Hazard, HazardEvent, User
from server.services.areas import locate
from server.services.coords import to_wgs84
from server.services.errors import InvalidInput, NotFound, PermissionDenied
from server.services.lifecycle import IllegalTransition
from server.services.policy import DEFAULT_POLICY, Policy
from server.services.steps import append_event, route_on_receipt, unassign
from server.services.visibility import visible_to

FIELDS = ("description", "category", "lat", "lon", "accuracy_m", "address")
CORRECTABLE_STATES = ("reported", "assigned")


class FieldConflict(IllegalTransition):
    """A field changed since the version the edit was made from."""

    code = "field_conflict"


def correct_report(
    session: Session,
    user: User,
    hazard_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    base_version: int | None,
    crs: str = "wgs84",
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[Hazard, HazardEvent]:
    """Apply the reporter's corrections; return the hazard, or raise FieldConflict."""
    hazard = session.scalar(sa.select(Hazard).where(Hazard.id == hazard_id, visible_to(user)))
    if hazard is None:
        raise NotFound("no such hazard")
    if hazard.reporter_id != user.id and user.role != "office":
        raise PermissionDenied("only the reporter corrects a report")
    if hazard.status not in CORRECTABLE_STATES:
        raise IllegalTransition(
            f"a hazard that is {hazard.status} can no longer be corrected",
            current={"status": hazard.status, "version": hazard.version},
        )
    unknown = set(changes) - set(FIELDS)
    if not changes or unknown:
        raise InvalidInput("nothing to correct", errors={"data": [f"fields: {', '.join(FIELDS)}"]})
    if "description" in changes and (too_long := policy.description_error(changes["description"])):
        raise too_long
    base = base_version or 0
    versions = dict(hazard.field_versions or {})
    clashes = {
        name: {"yours": value, "current": _current(hazard, name)}
        for name, value in changes.items()
        if versions.get(name, 1) > base
    }
    if clashes:
        raise FieldConflict(
            f"changed by someone else since version {base}: {', '.join(sorted(clashes))}",
            fields=clashes,
            current={"status": hazard.status, "version": hazard.version},
        )
    reroute = False
    if "category" in changes:
        category = session.scalar(
            sa.select(Category).filter_by(code=changes["category"], active=True)
        )
        if category is None:
            # Unknown, or retired by the office: no new hazards of that kind.
            raise InvalidInput("unknown category", errors={"category": [changes["category"]]})
        hazard.category, reroute = category, True
    if "lat" in changes or "lon" in changes:
        lat, lon = to_wgs84(changes.get("lat", hazard.lat), changes.get("lon", hazard.lon), crs)
        where = locate(session, lat, lon)
        hazard.lat, hazard.lon = lat, lon
        hazard.street_id, hazard.community_id, hazard.grid_id = (
            where.street_id,
            where.community_id,
            where.grid_id,
        )
        reroute = True
    for name in ("description", "accuracy_m", "address"):
        if name in changes:
            setattr(hazard, name, changes[name])
    if reroute:
        # Back to triage, in the event itself, so that the state follows from the
        # history whether or not routing finds a department again.
        unassign(hazard, None)
    event = append_event(
        session,
        hazard,
        "update",
        user,
        now,
        "reported" if reroute else hazard.status,
        data={"changes": changes, "base_version": base},
    )
    for name in changes:
        versions[name] = hazard.version
    hazard.field_versions = versions
    session.flush()
    if reroute:
        route_on_receipt(session, hazard, now)
        session.flush()
    return hazard, event


def _current(hazard: Hazard, name: str) -> object:
    return hazard.category.code if name == "category" else getattr(hazard, name)
