"""Work queues (待办): what each role has to act on next, most urgent first."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.models import DuplicateLink, Hazard, HazardEvent, User, department_open
from server.services import paging
from server.services.errors import InvalidInput, PermissionDenied
from server.services.hazards import RECORDS, records_for
from server.services.policy import DEFAULT_POLICY, Policy
from server.vocabulary import OPEN

# A sort key as paging takes it: (column, name in the row, python type).
SortKey = tuple[InstrumentedAttribute[Any], str, type]
URGENT_FIRST: list[SortKey] = [
    (Hazard.deadline, "deadline", datetime),
    (Hazard.id, "id", uuid.UUID),
]
OLDEST_FIRST: list[SortKey] = [
    (Hazard.received_at, "received_at", datetime),
    (Hazard.id, "id", uuid.UUID),
]
VIEWS = {
    "dept_staff": ("lead", "territorial", "returned"),
    "grid_worker": ("verify",),
    "office": ("triage", "extensions", "duplicates", "major", "overdue", "verify", "conflicts"),
}


def _pending_duplicate() -> sa.Exists:
    return sa.exists().where(
        sa.or_(DuplicateLink.hazard_id == Hazard.id, DuplicateLink.other_id == Hazard.id),
        DuplicateLink.dismissed_at.is_(None),
    )


def _selection(view: str, role: str) -> tuple[sa.ColumnElement[bool], list[SortKey]]:
    """Return (condition with bound :dept, :grids, :now; sort keys) of a queue."""
    open_ = Hazard.status.in_(OPEN)
    if view == "lead":
        # Overdue level rises as the deadline recedes, so nearest deadline first is
        # also highest escalation first.
        return sa.and_(
            Hazard.lead_department_id == sa.bindparam("dept"), department_open()
        ), URGENT_FIRST
    if view == "returned":
        # Sent back to the department to do again (SPEC §2): verification failed
        # (复查不合格) or the office reopened it; to do until rectified anew.
        return sa.and_(
            Hazard.lead_department_id == sa.bindparam("dept"),
            department_open(),
            Hazard.status.in_(("assigned", "accepted", "rectifying")),
            Hazard.reopen_count > 0,
        ), URGENT_FIRST
    if view == "territorial":
        return sa.and_(
            Hazard.territorial_department_id == sa.bindparam("dept"), department_open()
        ), URGENT_FIRST
    if view == "verify":
        in_scope = (
            sa.true()
            if role == "office"
            else Hazard.grid_id.in_(sa.bindparam("grids", expanding=True))
        )
        return sa.and_(Hazard.status == "rectified", in_scope), URGENT_FIRST
    if view == "triage":
        return Hazard.status == "reported", OLDEST_FIRST
    if view == "extensions":
        return sa.and_(open_, Hazard.extension_requested_until.is_not(None)), URGENT_FIRST
    if view == "duplicates":
        return sa.and_(open_, _pending_duplicate()), OLDEST_FIRST
    if view == "conflicts":
        # Steps made offline that could no longer apply (kept, not applied).
        conflicted = sa.exists().where(
            HazardEvent.hazard_id == Hazard.id, HazardEvent.type == "sync_conflict"
        )
        return conflicted, OLDEST_FIRST
    if view == "major":
        return sa.and_(open_, Hazard.severity == "major"), OLDEST_FIRST
    return sa.and_(
        open_, Hazard.deadline < sa.bindparam("now", type_=Hazard.deadline.type)
    ), URGENT_FIRST


_statements: dict[tuple[str, str], tuple[sa.Select[*tuple[Any, ...]], list[SortKey]]] = {}


def _statement(view: str, role: str) -> tuple[sa.Select[*tuple[Any, ...]], list[SortKey]]:
    """Return the queue's select and keys, composed once per (view, role)."""
    if (view, role) not in _statements:
        condition, keys = _selection(view, role)
        _statements[(view, role)] = (RECORDS.where(condition), keys)
    return _statements[(view, role)]


def queue(
    session: Session,
    viewer: User,
    view: str | None,
    *,
    limit: int,
    cursor: str | None = None,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[str, list[dict[str, Any]], str | None]:
    """Return (view, records, next cursor) of the viewer's queue; office records carry
    their open duplicate links."""
    views = VIEWS.get(viewer.role)
    if not views:
        raise PermissionDenied("volunteers have no work queue; see your reports under /hazards")
    view = view or views[0]
    if any(view in others for others in VIEWS.values()) and view not in views:
        raise PermissionDenied(f"a {viewer.role} has the queues {', '.join(views)}, not {view}")
    if view not in views:
        raise InvalidInput(
            f"a {viewer.role} has the queues {', '.join(views)}",
            errors={"view": [f"one of {', '.join(views)}"]},
        )
    query, keys = _statement(view, viewer.role)
    params: dict[str, object] = {"dept": viewer.department_id, "now": now}
    if view == "verify" and viewer.role != "office":
        params["grids"] = [grid.id for grid in viewer.grids]
    rows, next_cursor = paging.page(
        session, query, keys, limit=limit, cursor=cursor, params=params, reuse=(view, viewer.role)
    )
    records = records_for(session, rows, viewer, now=now, policy=policy)
    with_duplicate_links(session, records, viewer)
    sent_back = _why_sent_back(session, [row.id for row in rows]) if view == "returned" else {}
    for record in records:
        record["sent_back"] = sent_back.get(record["id"])
    return view, records, next_cursor


def _why_sent_back(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Return, for each hazard, the last step that sent it back to its department: a
    failed verification (复查不合格) or a reopening, with its note and time."""
    if not ids:
        return {}
    steps = session.execute(
        sa.select(HazardEvent.hazard_id, HazardEvent.type, HazardEvent.note, HazardEvent.at)
        .where(
            HazardEvent.hazard_id.in_(ids),
            sa.or_(
                HazardEvent.type == "reopen",
                sa.and_(HazardEvent.type == "verify", HazardEvent.to_status == "rectifying"),
            ),
        )
        .order_by(HazardEvent.hazard_id, HazardEvent.seq)
    )
    return {row.hazard_id: {"step": row.type, "note": row.note, "at": row.at} for row in steps}


def with_duplicate_links(
    session: Session, records: list[dict[str, Any]], viewer: User
) -> list[dict[str, Any]]:
    """Give each record its open possible-duplicate links (`duplicates`): the office's to
    merge or unlink; an empty list for anyone else."""
    links: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if viewer.role == "office" and records:
        ids = [record["id"] for record in records]
        for link in session.scalars(
            sa.select(DuplicateLink).where(
                sa.or_(DuplicateLink.hazard_id.in_(ids), DuplicateLink.other_id.in_(ids)),
                DuplicateLink.dismissed_at.is_(None),
            )
        ):
            for side in (link.hazard_id, link.other_id):
                links.setdefault(side, []).append(
                    {
                        "hazard": link.hazard_id,
                        "other": link.other_id,
                        "reason": link.reason,
                        "distance_m": link.distance_m,
                    }
                )
    for record in records:
        record["duplicates"] = links.get(record["id"], [])
    return records
