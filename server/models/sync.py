"""The change feed that offline devices pull from (SPEC §9)."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.models.base import Base, UTCDateTime, utcnow


class SyncState(Base):
    """One row: the database's epoch and the change counter.

    A writing transaction bumps `counter` as its last statement and holds the row
    until it commits, so change numbers follow commit order: no transaction can
    commit a number below one that a reader has already seen.
    """

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    epoch: Mapped[str] = mapped_column(sa.String(32))
    counter: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Change(Base):
    """A hazard changed: its version, and whose scope it was in before and is in now."""

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hazard_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    version: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reporter_id: Mapped[int]
    # Scope keys after the change …
    lead_department_id: Mapped[int | None]
    territorial_department_id: Mapped[int | None]
    grid_id: Mapped[int | None]
    # … and before it (all None for a new hazard): a device that could see the
    # hazard before and cannot now is sent a removal.
    was_lead_department_id: Mapped[int | None]
    was_territorial_department_id: Mapped[int | None]
    was_grid_id: Mapped[int | None]
    was_visible_before: Mapped[bool] = mapped_column(default=False)


# Stamping: session hooks collect the hazards a transaction touched (with the
# scope each had before) and, just before commit, bump the counter and insert one
# Change per hazard. Living beside the models, they run for every session: the
# API's, the CLI's, the sync engine's, a script's.
SCOPE_KEYS = ("lead_department_id", "territorial_department_id", "grid_id")
_CHANGED = "changed_hazards"


def _value_before(state, name):
    history = state.attrs[name].history
    return history.deleted[0] if history.deleted else getattr(state.object, name)


@event.listens_for(Session, "before_flush")
def _collect(session, _context, _instances):
    from server.models.hazards import Hazard

    changed = session.info.setdefault(_CHANGED, {})
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, Hazard) or obj.id in changed:
            continue
        if obj in session.new:
            changed[obj.id] = None  # new: in nobody's scope before
        elif session.is_modified(obj, include_collections=False):
            state = inspect(obj)
            changed[obj.id] = {name: _value_before(state, name) for name in SCOPE_KEYS}


def note_new_hazards(session, hazard_ids):
    """Record hazards inserted without the ORM (in bulk), so their changes are stamped."""
    changed = session.info.setdefault(_CHANGED, {})
    for hazard_id in hazard_ids:
        changed.setdefault(hazard_id, None)


@event.listens_for(Session, "before_commit")
def _stamp(session):
    from server.models.hazards import Hazard

    session.flush()
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    connection = session.connection()
    ids, current = sorted(changed), {}
    columns = (Hazard.id, Hazard.version, Hazard.reporter_id)
    columns += tuple(getattr(Hazard, name) for name in SCOPE_KEYS)
    merged = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in connection.execute(sa.select(*columns).where(Hazard.id.in_(chunk))):
            current[row.id] = row
        # The reports merged into a changed hazard show its outcome: their reporters'
        # devices pull them again. Their scope is unchanged.
        duplicates = sa.select(*columns).where(Hazard.duplicate_of_id.in_(chunk))
        for row in connection.execute(duplicates):
            if row.id not in changed:
                merged[row.id] = row
    for hazard_id, row in merged.items():
        current[hazard_id] = row
        changed[hazard_id] = {name: getattr(row, name) for name in SCOPE_KEYS}
    ids = sorted(hazard_id for hazard_id in {*ids, *merged} if hazard_id in current)
    if not ids:
        return
    # Last: the counter row stays locked until commit, so numbers follow commit order.
    table = SyncState.__table__
    last = connection.execute(
        table.update()
        .where(table.c.id == 1)
        .values(counter=table.c.counter + len(ids))
        .returning(table.c.counter)
    ).scalar_one()
    rows, now = [], utcnow()
    for seq, hazard_id in enumerate(ids, start=last - len(ids) + 1):
        hazard, before = current[hazard_id], changed[hazard_id]
        rows.append(
            {
                "seq": seq,
                "hazard_id": hazard_id,
                "version": hazard.version,
                "changed_at": now,
                "reporter_id": hazard.reporter_id,
                **{name: getattr(hazard, name) for name in SCOPE_KEYS},
                **{f"was_{name}": (before or {}).get(name) for name in SCOPE_KEYS},
                "was_visible_before": before is not None,
            }
        )
    connection.execute(sa.insert(Change), rows)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_CHANGED, None)


def new_epoch():
    """Return a fresh epoch id (a database rebuilt from scratch gets a new one)."""
    return uuid.uuid4().hex


class SyncDevice(Base):
    """A device of a user, and the last mutation number it has had answered."""

    __tablename__ = "sync_devices"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    # Updated with every mutation, so one device's requests queue behind each other.
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncReceipt(Base):
    """The answer given to one mutation, kept so a resend gets the same answer."""

    __tablename__ = "sync_receipts"

    user_id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    mutation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    payload_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(12))
    # The result exactly as first answered (JSON text), returned again on a resend.
    result: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
