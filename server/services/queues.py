"""Work queues (待办): what each role has to act on next, most urgent first."""

import uuid
from datetime import datetime

import sqlalchemy as sa

from server.models import DuplicateLink, Hazard, department_open
from server.services import paging
from server.services.errors import InvalidInput, PermissionDenied
from server.services.hazards import load_options
from server.services.lifecycle import OPEN

URGENT_FIRST = [(Hazard.deadline, "deadline", datetime), (Hazard.id, "id", uuid.UUID)]
OLDEST_FIRST = [(Hazard.received_at, "received_at", datetime), (Hazard.id, "id", uuid.UUID)]
VIEWS = {
    "dept_staff": ("lead", "territorial"),
    "grid_worker": ("verify",),
    "office": ("triage", "extensions", "duplicates", "major", "overdue", "verify"),
}


def _pending_duplicate():
    return sa.exists().where(
        sa.or_(DuplicateLink.hazard_id == Hazard.id, DuplicateLink.other_id == Hazard.id),
        DuplicateLink.dismissed_at.is_(None),
    )


def _selection(viewer, view, now):
    """Return (condition, sort keys) of a queue."""
    open_ = Hazard.status.in_(OPEN)
    if view == "lead":
        # Overdue level rises as the deadline recedes, so nearest deadline first is
        # also highest escalation first.
        return sa.and_(
            Hazard.lead_department_id == viewer.department_id, department_open()
        ), URGENT_FIRST
    if view == "territorial":
        return sa.and_(
            Hazard.territorial_department_id == viewer.department_id, department_open()
        ), URGENT_FIRST
    if view == "verify":
        in_scope = (
            sa.true()
            if viewer.role == "office"
            else Hazard.grid_id.in_([g.id for g in viewer.grids])
        )
        return sa.and_(Hazard.status == "rectified", in_scope), URGENT_FIRST
    if view == "triage":
        return Hazard.status == "reported", OLDEST_FIRST
    if view == "extensions":
        return sa.and_(open_, Hazard.extension_requested_until.is_not(None)), URGENT_FIRST
    if view == "duplicates":
        return sa.and_(open_, _pending_duplicate()), OLDEST_FIRST
    if view == "major":
        return sa.and_(open_, Hazard.severity == "major"), OLDEST_FIRST
    return sa.and_(open_, Hazard.deadline < now), URGENT_FIRST  # overdue


def queue(session, viewer, view, *, limit, cursor=None, now):
    """Return (view, hazards, next cursor, duplicate links by hazard) for the viewer's role."""
    views = VIEWS.get(viewer.role)
    if not views:
        raise PermissionDenied("volunteers have no work queue; see your reports under /hazards")
    view = view or views[0]
    if view not in views:
        raise InvalidInput(
            f"a {viewer.role} has the queues {', '.join(views)}",
            errors={"view": [f"one of {', '.join(views)}"]},
        )
    condition, keys = _selection(viewer, view, now)
    query = load_options(sa.select(Hazard)).where(condition)
    items, next_cursor = paging.page(session, query, keys, limit=limit, cursor=cursor)
    links = {}
    if viewer.role == "office" and items:
        ids = [h.id for h in items]
        for link in session.scalars(
            sa.select(DuplicateLink).where(
                sa.or_(DuplicateLink.hazard_id.in_(ids), DuplicateLink.other_id.in_(ids)),
                DuplicateLink.dismissed_at.is_(None),
            )
        ):
            for side in (link.hazard_id, link.other_id):
                links.setdefault(side, []).append(link)
    return view, items, next_cursor, links
