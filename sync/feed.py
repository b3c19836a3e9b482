"""Pull: page a device through its scope, then through the change feed (SPEC §9).

A first sync (no cursor) pages through every hazard in the device's scope by id,
remembering the feed position it started from; then the device follows the feed
from there. A change that puts a hazard into the scope sends the whole hazard,
however old; one that takes it out sends a removal. Cursors are signed; one from
another database, or from before the device's scope changed, resets the device.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from server.models import Change, Hazard, SyncState, User
from server.services.hazards import RECORDS, records_for
from server.services.visibility import scope_contains, scope_fingerprint, visible_to

SALT = "sync-cursor"


@dataclass
class PullPage:
    """One page of changes for a device."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    cursor: str = ""
    has_more: bool = False
    reset: bool = False


def _state(session: Session) -> sa.Row[str, int]:
    return session.execute(
        sa.select(SyncState.epoch, SyncState.counter).where(SyncState.id == 1)
    ).one()


def _read_cursor(
    serializer: URLSafeSerializer, cursor: str, epoch: str, scope: str, counter: int
) -> dict[str, Any] | None:
    """Return the cursor's position, or None when the device must start again.

    A cursor this server cannot use — altered, signed with another key, from
    another database or scope, or ahead of the feed (a database restored from a
    backup) — resets the device rather than refusing it: a refusal would leave
    the phone resending the same cursor for ever (SPEC §9).
    """
    try:
        position = serializer.loads(cursor)
    except BadSignature:
        return None
    if not isinstance(position, dict) or position.get("epoch") != epoch:
        return None
    if position.get("scope") != scope or position.get("phase") not in ("initial", "feed"):
        return None
    seq, after = position.get("seq"), position.get("after")
    if type(seq) is not int or not 0 <= seq <= counter:
        return None
    if after is not None:
        try:
            uuid.UUID(after)
        except (TypeError, ValueError, AttributeError):
            return None
    return position


def pull(
    session: Session,
    viewer: User,
    cursor: str | None,
    *,
    limit: int,
    secret: str | bytes,
    now: datetime | None = None,
) -> PullPage:
    """Return the next PullPage for `viewer` after `cursor` (None: a first sync)."""
    serializer = URLSafeSerializer(secret, salt=SALT)
    epoch, counter = _state(session)
    scope = scope_fingerprint(viewer)
    position = _read_cursor(serializer, cursor, epoch, scope, counter) if cursor else None
    reset = bool(cursor) and position is None
    if position is None:
        position = {
            "epoch": epoch,
            "scope": scope,
            "phase": "initial",
            "after": None,
            "seq": counter,
        }
    if position["phase"] == "initial":
        page = _initial(session, viewer, position, limit, now)
    else:
        page = _follow(session, viewer, position, limit, now)
    page.cursor = serializer.dumps(position)
    page.reset = reset
    return page


def _upserts(
    session: Session, viewer: User, hazard_ids: Collection[uuid.UUID], now: datetime | None
) -> dict[uuid.UUID, dict[str, Any]]:
    if not hazard_ids:
        return {}
    rows = (
        session.connection()
        .execute(RECORDS.where(Hazard.id.in_(hazard_ids), visible_to(viewer)))
        .all()
    )
    return {r["id"]: r for r in records_for(session, rows, viewer, now=now)}


def _initial(
    session: Session, viewer: User, position: dict[str, Any], limit: int, now: datetime | None
) -> PullPage:
    """Page through the scope's hazards by id; then switch to the feed."""
    query = sa.select(Hazard.id).where(visible_to(viewer)).order_by(Hazard.id).limit(limit + 1)
    if position["after"]:
        query = query.where(Hazard.id > uuid.UUID(position["after"]))
    ids = list(session.scalars(query))
    more = len(ids) > limit
    ids = ids[:limit]
    records = _upserts(session, viewer, ids, now)
    changes = [
        {
            "op": "upsert",
            "type": "hazard",
            "id": hid,
            "version": records[hid]["version"],
            "data": records[hid],
        }
        for hid in ids
        if hid in records
    ]
    if more:
        position["after"] = str(ids[-1])
    else:
        # Everything in scope as of the start has been sent; what changed since
        # comes from the feed, from the position the first sync started at.
        position.update(phase="feed", after=None)
    return PullPage(changes=changes, has_more=more or _feed_has_more(session, position))


def _feed_has_more(session: Session, position: dict[str, Any]) -> bool:
    return session.scalar(sa.select(sa.exists().where(Change.seq > position["seq"]))) is True


def _follow(
    session: Session, viewer: User, position: dict[str, Any], limit: int, now: datetime | None
) -> PullPage:
    """Send the hazards changed after the cursor, as upserts or removals."""
    rows = (
        session.execute(
            sa.select(Change)
            .where(Change.seq > position["seq"])
            .order_by(Change.seq)
            .limit(limit + 1)
        )
        .scalars()
        .all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    by_hazard: dict[
        uuid.UUID, list[Change]
    ] = {}  # each hazard's changes in this page, oldest first
    for change in rows:
        by_hazard.setdefault(change.hazard_id, []).append(change)
    keep: dict[uuid.UUID, str] = {}
    for hazard_id, changes_of in by_hazard.items():
        change = changes_of[-1]  # the last change of the hazard in the page decides
        now_in = scope_contains(
            viewer,
            change.reporter_id,
            change.lead_department_id,
            change.territorial_department_id,
            change.grid_id,
        )
        was_in = any(
            c.was_visible_before
            and scope_contains(
                viewer,
                c.reporter_id,
                c.was_lead_department_id,
                c.was_territorial_department_id,
                c.was_grid_id,
            )
            for c in changes_of
        )
        if now_in:
            keep[hazard_id] = "upsert"
        elif was_in:
            keep[hazard_id] = "remove"
    records = _upserts(session, viewer, [h for h, op in keep.items() if op == "upsert"], now)
    changes: list[dict[str, Any]] = []
    for hazard_id, op in keep.items():
        if op == "upsert" and hazard_id in records:
            record = records[hazard_id]
            changes.append(
                {
                    "op": "upsert",
                    "type": "hazard",
                    "id": hazard_id,
                    "version": record["version"],
                    "data": record,
                }
            )
        elif op == "remove" or hazard_id not in records:
            changes.append({"op": "remove", "type": "hazard", "id": hazard_id})
    if rows:
        position["seq"] = rows[-1].seq
    return PullPage(changes=changes, has_more=more)
