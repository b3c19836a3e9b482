"""Push: apply a device's mutations in its order, exactly once each (SPEC §9).

Every mutation is applied in its own transaction together with its receipt, so a
failure part-way loses nothing and a resend replays finished ones as `duplicate`
with the answer first given. The device's row is written first in each
transaction, so one device's concurrent requests queue behind each other.
Lifecycle steps go through the same services as the online API.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from schemas.hazards import HazardCreateSchema
from server.models import Hazard, Photo, SyncDevice, SyncReceipt, utcnow
from server.services.corrections import correct_report
from server.services.errors import DomainError
from server.services.hazards import NewReport, report_hazard
from server.services.lifecycle import STEP_TYPES, IllegalTransition, Step
from server.services.policy import DEFAULT_POLICY
from server.services.steps import StepRequest, append_event, apply_step
from server.services.visibility import visible_to

STEP_MUTATIONS = {f"hazard.{t}": t for t in STEP_TYPES}
TYPES = ("hazard.create", "hazard.update", *STEP_MUTATIONS)
CLOCK_AHEAD = timedelta(minutes=10)
CLOCK_BEHIND = timedelta(days=30)


@dataclass(frozen=True)
class Mutation:
    """One mutation as the device sent it."""

    seq: int
    id: uuid.UUID
    type: str
    entity_id: uuid.UUID
    occurred_at: datetime
    base_version: int | None = None
    data: dict = field(default_factory=dict)
    photos: tuple[str, ...] = ()

    def fingerprint(self):
        """Return a SHA-256 of the mutation, to tell a resend from a reused seq."""
        content = {
            "seq": self.seq,
            "id": str(self.id),
            "type": self.type,
            "entity_id": str(self.entity_id),
            "occurred_at": self.occurred_at.isoformat(),
            "base_version": self.base_version,
            "data": self.data,
            "photos": list(self.photos),
        }
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


class Refused(Exception):
    """The mutation is permanently invalid; the reason goes back to the device."""


def push(session, user, device_id, mutations, *, now=None, policy=DEFAULT_POLICY):
    """Apply mutations in order; return one result per mutation. Commits as it goes."""
    results, deferring = [], False
    for mutation in mutations:
        if deferring:
            results.append(
                {
                    "seq": mutation.seq,
                    "status": "deferred",
                    "reason": "an earlier mutation of this batch was deferred",
                }
            )
            continue
        for attempt in (1, 2):
            try:
                result = _one(session, user, device_id, mutation, now or utcnow(), policy)
                break
            except (IntegrityError, StaleDataError):
                # Another request of this device, or a step on the same hazard,
                # committed first: look again; the receipt or the new state decides.
                session.rollback()
                if attempt == 2:
                    raise
        deferring = result["status"] == "deferred"
        results.append(result)
    return results


def _touch_device(session, user, device_id, now):
    """Write the device's row first: this transaction now holds the device."""
    table = SyncDevice.__table__
    updated = session.execute(
        table.update()
        .where(table.c.user_id == user.id, table.c.device_id == device_id)
        .values(seen_at=now)
    )
    if updated.rowcount == 0:
        session.add(SyncDevice(user_id=user.id, device_id=device_id, last_seq=0, seen_at=now))
        session.flush()
    return session.get(SyncDevice, (user.id, device_id), populate_existing=True)


def _one(session, user, device_id, mutation, now, policy):
    fingerprint = mutation.fingerprint()
    device = _touch_device(session, user, device_id, now)
    last_seq = device.last_seq  # read now: a rollback below expires the object
    receipt = session.get(SyncReceipt, (user.id, device_id, mutation.seq))
    if receipt is not None:
        session.rollback()
        if receipt.payload_hash == fingerprint:
            return {
                "seq": mutation.seq,
                "status": "duplicate",
                "original": json.loads(receipt.result),
            }
        return {
            "seq": mutation.seq,
            "status": "rejected",
            "reason": "this seq was already used for a different mutation",
        }
    if mutation.seq > last_seq + 1:
        session.rollback()
        return {
            "seq": mutation.seq,
            "status": "deferred",
            "reason": f"waiting for seq {last_seq + 1}; send again in order",
        }
    if mutation.seq <= last_seq:
        session.rollback()
        return {
            "seq": mutation.seq,
            "status": "rejected",
            "reason": f"seq {mutation.seq} is behind this device's {last_seq}",
        }
    try:
        result = _apply(session, user, mutation, now, policy)
    except IllegalTransition as error:
        session.rollback()
        device = _touch_device(session, user, device_id, now)
        result = _conflict(session, user, mutation, error, now)
    except (Refused, DomainError, ma.ValidationError) as error:
        session.rollback()
        device = _touch_device(session, user, device_id, now)
        result = {"status": "rejected", "reason": _reason(error)}
    result = {"seq": mutation.seq, **result, **_clock(mutation, now)}
    session.add(
        SyncReceipt(
            user_id=user.id,
            device_id=device_id,
            seq=mutation.seq,
            mutation_id=mutation.id,
            payload_hash=fingerprint,
            status=result["status"],
            result=json.dumps(result, default=str),
        )
    )
    device.last_seq = mutation.seq
    session.commit()
    return json.loads(json.dumps(result, default=str))


def _reason(error):
    if isinstance(error, ma.ValidationError):
        return f"invalid data: {error.messages}"
    details = getattr(error, "errors", None)
    message = getattr(error, "message", str(error))
    return f"{message} {details}" if details else message


def _clock(mutation, now):
    """Flag a device clock that is implausibly ahead or behind; the server's order stands."""
    if mutation.occurred_at > now + CLOCK_AHEAD:
        return {"clock": "ahead"}
    if mutation.occurred_at < now - CLOCK_BEHIND:
        return {"clock": "behind"}
    return {}


def _missing(session, photos):
    if not photos:
        return []
    present = set(session.scalars(sa.select(Photo.sha256).where(Photo.sha256.in_(photos))))
    return [sha for sha in photos if sha not in present]


def _apply(session, user, mutation, now, policy):
    if mutation.type == "hazard.create":
        data = dict(mutation.data, id=str(mutation.entity_id))
        data.setdefault("photos", list(mutation.photos))
        loaded = HazardCreateSchema().load(data)
        loaded["photos"] = tuple(loaded["photos"])
        hazard, _ = report_hazard(session, user, NewReport(**loaded), now=now, policy=policy)
        return {
            "status": "applied",
            "version": hazard.version,
            "missing_photos": _missing(session, list(loaded["photos"])),
        }
    if mutation.type == "hazard.update":
        changes = {k: v for k, v in mutation.data.items() if k != "crs"}
        hazard, _ = correct_report(
            session,
            user,
            mutation.entity_id,
            changes,
            base_version=mutation.base_version,
            crs=mutation.data.get("crs", "wgs84"),
            now=now,
        )
        return {"status": "applied", "version": hazard.version, "missing_photos": []}
    step_type = STEP_MUTATIONS.get(mutation.type)
    if step_type is None:
        raise Refused(f"unknown mutation type {mutation.type!r}; one of {', '.join(TYPES)}")
    data = mutation.data
    until = data.get("until")
    try:
        until = date.fromisoformat(until) if until else None
        into = uuid.UUID(data["into"]) if data.get("into") else None
        other = uuid.UUID(data["other"]) if data.get("other") else None
    except (TypeError, ValueError) as error:
        raise Refused(f"invalid data: {error}") from None
    step = Step(
        step_type,
        note=data.get("note"),
        photos=tuple(mutation.photos),
        result=data.get("result"),
        department=data.get("department"),
        into=into,
        until=until,
        other=other,
    )
    event, _ = apply_step(
        session,
        user,
        mutation.entity_id,
        StepRequest(id=mutation.id, step=step),
        now=now,
        policy=policy,
    )
    return {
        "status": "applied",
        "version": event.hazard.version,
        "missing_photos": _missing(session, list(mutation.photos)),
    }


def _conflict(session, user, mutation, error, now):
    """Keep a step no longer valid in the hazard's history, for the office, not applied."""
    hazard = session.scalar(
        sa.select(Hazard).where(Hazard.id == mutation.entity_id, visible_to(user))
    )
    current = {"status": hazard.status, "version": hazard.version}
    append_event(
        session,
        hazard,
        "sync_conflict",
        user,
        now,
        hazard.status,
        note=getattr(error, "message", str(error)),
        data={
            "mutation": mutation.type,
            "occurred_at": mutation.occurred_at.isoformat(),
            "data": mutation.data,
            "photos": list(mutation.photos),
            "applied": False,
        },
    )
    session.flush()
    result = {
        "status": "conflict",
        "reason": getattr(error, "message", str(error)),
        "current": {**current, "version": hazard.version},
    }
    if "fields" in error.context:  # both values kept: the device's and the one in force
        result["fields"] = error.context["fields"]
    return result
