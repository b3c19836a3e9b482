"""Push: apply a device's mutations in its order, exactly once each (SPEC §9).

A push is one transaction (group commit) with a savepoint per step: each
mutation's effect and its receipt are written together, and should something
fail part-way, what finished before it commits, so a resend replays that as
`duplicate` with the answer first given and applies the rest. The device's row
is written first, so one device's concurrent requests queue behind each other.
Runs of hazard.create (or of inspection.create) are filed together
(`report_hazards`, `submit_inspections`: a few queries and one insert per table
for the run); every other mutation runs in its own savepoint,
so a refused or conflicting one leaves nothing half-done. Everything goes
through the same services as the online API.
"""

import json
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from schemas.sync import STEP_MUTATIONS, MutationField, MutationSchema, Unreadable
from server.models import Hazard, HazardEvent, Photo, SyncDevice, SyncReceipt, User, utcnow
from server.services.errors import DomainError, NotFound
from server.services.fingerprint import canonical_hash
from server.services.hazards import Filed, NewReport, report_hazards, time_flag
from server.services.hazards.corrections import correct_report
from server.services.inspections import (
    Inspected,
    NewInspection,
    NewPlace,
    add_place,
    inspection_from,
    submit_inspections,
)
from server.services.lifecycle import IllegalTransition, Step
from server.services.policy import DEFAULT_POLICY, Policy
from server.services.steps import StepRequest, append_event, apply_step
from server.services.unit_of_work import ATTEMPTS, Claimed, version_moved
from server.services.visibility import visible_to
from sync.reasons import rejection


@dataclass(frozen=True)
class Mutation:
    """One mutation as the device sent it."""

    seq: int
    id: uuid.UUID
    type: str
    entity_id: uuid.UUID
    occurred_at: datetime
    base_version: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    photos: tuple[str, ...] = ()
    # `data` as loaded by the schema of the mutation's type (schemas.sync): the
    # command the HTTP door would have loaded from the same fields.
    command: Any = field(default=None, compare=False)

    def fingerprint(self) -> str:
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
        return canonical_hash(content)


def from_loaded(loaded: dict[str, Any] | Unreadable) -> Mutation | Unreadable:
    """Return the Mutation of one loaded by schemas.sync (an Unreadable stays as it is)."""
    if isinstance(loaded, Unreadable):
        return loaded
    return Mutation(**{**loaded, "photos": tuple(loaded["photos"])})


_MUTATION = MutationField(MutationSchema)


def read(raw: list[dict[str, Any]]) -> list[Mutation | Unreadable]:
    """Load mutations as a device sends them (JSON values), each on its own."""
    return [from_loaded(_MUTATION.deserialize(m)) for m in raw]


def _raw_fingerprint(unreadable: Unreadable) -> str:
    """Return a SHA-256 of a mutation that did not load, as sent, to tell its resend."""
    return canonical_hash(unreadable.raw)


def _mutation_id(unreadable: Unreadable, fingerprint: str) -> uuid.UUID:
    """Return the id a mutation that did not load claimed, or one made from its content."""
    try:
        return uuid.UUID(str(unreadable.raw.get("id")))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_OID, fingerprint)


def push(
    session: Session,
    user: User,
    device_id: str,
    mutations: list[Mutation | Unreadable],
    *,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> list[dict[str, Any]]:
    """Apply mutations in order in one transaction; return one result per mutation.

    A mutation that did not load (an `Unreadable`) is answered `rejected` with the
    reasons, and its answer kept like any other: bad data never blocks a device.

    Every mutation's effect commits with its receipt. Should something fail
    part-way, what was finished before it commits and the error is raised: a
    resend replays the finished mutations as `duplicate` and applies the rest.
    """
    now = now or utcnow()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            results = _push(session, user, device_id, mutations, now, policy)
            session.commit()
            return results
        except _Interrupted as interrupted:
            session.commit()  # the mutations finished before the failure stand
            raise interrupted.failure from None
        except BaseException as error:
            session.rollback()
            # Another request of this device, or a step on the same hazard,
            # committed first: start again; the receipts or the new state decide.
            if attempt == ATTEMPTS or not _race(error):
                raise
    raise AssertionError("unreachable")


# What two requests can claim at once: the device's row and receipts (the same
# batch sent twice in a moment), the ids a phone made (the same report from two
# devices of one user), a hazard's version (a step from elsewhere).
RACES = (
    Claimed("sync_devices"),
    Claimed("sync_receipts"),
    Claimed("hazards"),
    Claimed("hazard_events"),
    Claimed("places"),
    Claimed("inspections"),
    Claimed("inspection_answers"),
    version_moved,
)


def _race(error: BaseException) -> bool:
    return any(race(error) for race in RACES)


class _Interrupted(Exception):
    """Something failed part-way through a push; what finished before it may commit."""

    def __init__(self, failure: Exception) -> None:
        super().__init__(str(failure))
        self.failure = failure


def _touch_device(session: Session, user: User, device_id: str, now: datetime) -> SyncDevice:
    """Write the device's row first: this transaction now holds the device."""
    # Declarative types __table__ as any FromClause; a model's is its Table.
    table = cast(sa.Table, SyncDevice.__table__)
    # An UPDATE's result is a CursorResult, which counts the rows it matched.
    updated = cast(
        sa.CursorResult[*tuple[Any, ...]],
        session.execute(
            table.update()
            .where(table.c.user_id == user.id, table.c.device_id == device_id)
            .values(seen_at=now)
        ),
    )
    if updated.rowcount == 0:
        session.add(SyncDevice(user_id=user.id, device_id=device_id, last_seq=0, seen_at=now))
        session.flush()
    return session.get_one(SyncDevice, (user.id, device_id), populate_existing=True)


class _Batch:
    """The answers of one push as they are worked out, and the receipts to write."""

    def __init__(
        self,
        session: Session,
        user: User,
        device_id: str,
        mutations: Sequence[Mutation | Unreadable],
        now: datetime,
        done: int,
    ) -> None:
        self.user, self.device_id, self.now = user, device_id, now
        self.results: list[dict[str, Any] | None] = [None] * len(mutations)
        self.receipts: dict[int, dict[str, Any]] = {}
        self.pending: list[dict[str, Any]] = []  # receipts not yet written
        self.done = done  # the last seq whose receipt is written
        seqs = {mutation.seq for mutation in mutations}
        self.earlier = {
            receipt.seq: receipt
            for receipt in session.scalars(
                sa.select(SyncReceipt).where(
                    SyncReceipt.user_id == user.id,
                    SyncReceipt.device_id == device_id,
                    SyncReceipt.seq.in_(seqs),
                )
            )
        }

    def answer(
        self,
        index: int,
        mutation: Mutation | Unreadable,
        result: dict[str, Any],
        fingerprint: str | None = None,
    ) -> None:
        """Answer a mutation; with its fingerprint, also keep a receipt of the answer."""
        result = {"seq": mutation.seq, **result}
        if fingerprint is not None:
            if isinstance(mutation, Unreadable):
                mutation_id = _mutation_id(mutation, fingerprint)
            else:
                mutation_id = mutation.id
                result.update(_clock(mutation, self.now))
            text = json.dumps(result, default=str)
            result = json.loads(text)
            self.receipts[mutation.seq] = {
                "user_id": self.user.id,
                "device_id": self.device_id,
                "seq": mutation.seq,
                "mutation_id": mutation_id,
                "payload_hash": fingerprint,
                "status": result["status"],
                "result": text,
                "created_at": self.now,
            }
            self.pending.append(self.receipts[mutation.seq])
        self.results[index] = result

    def write(self, session: Session) -> None:
        """Write the receipts of the mutations applied since the last write."""
        if self.pending:
            # Declarative types __table__ as any FromClause; a model's is its Table.
            session.execute(sa.insert(cast(sa.Table, SyncReceipt.__table__)), self.pending)
            self.done = self.pending[-1]["seq"]
            self.pending = []

    def answered_before(
        self, mutation: Mutation | Unreadable, fingerprint: str
    ) -> dict[str, Any] | None:
        """Return the answer to a mutation this device already had answered, if any."""
        receipt = self.earlier.get(mutation.seq)
        if receipt is not None:
            same, original = receipt.payload_hash == fingerprint, json.loads(receipt.result)
        elif mutation.seq in self.receipts:  # sent twice within this batch
            kept = self.receipts[mutation.seq]
            same, original = kept["payload_hash"] == fingerprint, json.loads(kept["result"])
        else:
            return None
        if same:
            return {"status": "duplicate", "original": original}
        return {"status": "rejected", **rejection("seq_reused")}


def _push(
    session: Session,
    user: User,
    device_id: str,
    mutations: Sequence[Mutation | Unreadable],
    now: datetime,
    policy: Policy,
) -> list[dict[str, Any]]:
    device = _touch_device(session, user, device_id, now)
    expected = device.last_seq + 1
    batch = _Batch(session, user, device_id, mutations, now, device.last_seq)
    # Consecutive hazard.create (or inspection.create) mutations, filed together.
    creates: list[Creation] = []
    try:
        for index, mutation in enumerate(mutations):
            if isinstance(mutation, Unreadable):
                fingerprint = _raw_fingerprint(mutation)
            else:
                fingerprint = mutation.fingerprint()
            earlier = batch.answered_before(mutation, fingerprint)
            if earlier is not None:
                batch.answer(index, mutation, earlier)
            elif mutation.seq > expected:
                for later, rest in enumerate(mutations[index:], start=index):
                    if later == index:
                        why = rejection("waiting", expected=expected)
                    else:
                        why = rejection("behind_deferred")
                    batch.answer(later, rest, {"status": "deferred", **why})
                break
            elif mutation.seq < expected:
                why = rejection("seq_behind", seq=mutation.seq, last=expected - 1)
                batch.answer(index, mutation, {"status": "rejected", **why})
            elif isinstance(mutation, Unreadable):
                expected += 1
                # Not filed with a waiting run of creations: answers follow seq order.
                _file(session, user, batch, creates, policy)
                rejected = {"status": "rejected", **rejection(mutation.errors)}
                batch.answer(index, mutation, rejected, fingerprint)
                batch.write(session)
            else:
                expected += 1
                if mutation.type in BATCHED:
                    if creates and creates[-1][1].type != mutation.type:
                        _file(session, user, batch, creates, policy)
                    payload = BATCHED[mutation.type](mutation)
                    creates.append((index, mutation, fingerprint, payload))
                    continue
                _file(session, user, batch, creates, policy)  # what follows may build on them
                with session.begin_nested():
                    result = _one(session, user, mutation, now, policy)
                    batch.answer(index, mutation, result, fingerprint)
                    batch.write(session)
        _file(session, user, batch, creates, policy)
        batch.write(session)
    except Exception as error:
        if _race(error):
            raise
        device.last_seq = batch.done
        raise _Interrupted(error) from error
    device.last_seq = expected - 1
    session.flush()
    return cast(list[dict[str, Any]], batch.results)  # every mutation is answered by now


def _report(mutation: Mutation) -> NewReport:
    """Return the NewReport a hazard.create mutation carries."""
    return NewReport(**{**mutation.command, "photos": tuple(mutation.command["photos"])})


def _inspection(mutation: Mutation) -> NewInspection:
    """Return the NewInspection an inspection.create mutation carries."""
    return inspection_from(mutation.command)


BATCHED: dict[str, Callable[[Mutation], NewReport | NewInspection]] = {
    "hazard.create": _report,
    "inspection.create": _inspection,
}
# A creation waiting to be filed with the rest of its run: (index, mutation,
# fingerprint, what it files).
Creation = tuple[int, Mutation, str, NewReport | NewInspection]


def _file(
    session: Session, user: User, batch: _Batch, creates: list[Creation], policy: Policy
) -> None:
    """File the waiting run of creations together and answer each."""
    if not creates:
        return
    payloads = [payload for _, _, _, payload in creates]
    with session.begin_nested():
        # A run holds creations of one type (see _push): all inspections, or all reports.
        if creates[0][1].type == "inspection.create":
            inspections = cast(list[NewInspection], payloads)
            outcomes: Sequence[Inspected | Filed] = submit_inspections(
                session, user, inspections, now=batch.now, policy=policy
            )
            cited = [sha for i in inspections for a in i.answers for sha in a.photos]
        else:
            reports = cast(list[NewReport], payloads)
            outcomes = report_hazards(session, user, reports, now=batch.now, policy=policy)
            cited = [sha for report in reports for sha in report.photos]
        missing = set(_missing(session, cited))
        for (index, mutation, fingerprint, payload), outcome in zip(creates, outcomes, strict=True):
            if outcome.error is not None:
                result = {"status": "rejected", **rejection(outcome.error)}
            elif isinstance(payload, NewInspection):  # an inspection.create
                assert isinstance(outcome, Inspected)  # filed with its run of inspections
                photos = [sha for a in payload.answers for sha in a.photos]
                result = {
                    "status": "applied",
                    "hazards": outcome.hazards,
                    "missing_photos": [sha for sha in dict.fromkeys(photos) if sha in missing],
                }
            else:
                assert isinstance(outcome, Filed)  # filed with its run of reports
                result = {
                    "status": "applied",
                    "version": outcome.version,
                    "missing_photos": [sha for sha in payload.photos if sha in missing],
                }
            batch.answer(index, mutation, result, fingerprint)
        batch.write(session)
    creates.clear()


def _one(
    session: Session, user: User, mutation: Mutation, now: datetime, policy: Policy
) -> dict[str, Any]:
    """Apply one mutation in a savepoint: refused or conflicting, it leaves no trace but
    its answer (and, for a conflict, the event kept in the hazard's history)."""
    try:
        with session.begin_nested():
            return _apply(session, user, mutation, now, policy)
    except IllegalTransition as error:
        with session.begin_nested():
            return _conflict(session, user, mutation, error, now)
    except NotFound as error:
        hazard = _left_scope(session, user, mutation) if mutation.type in STEP_MUTATIONS else None
        if hazard is None:
            return {"status": "rejected", **rejection(error)}
        moved = IllegalTransition("the hazard left your scope meanwhile (reassigned or moved)")
        with session.begin_nested():
            return _conflict(session, user, mutation, moved, now, hazard)
    except DomainError as error:
        return {"status": "rejected", **rejection(error)}


def _left_scope(session: Session, user: User, mutation: Mutation) -> Hazard | None:
    """Return the hazard a step was taken on if the user may no longer see it but could
    when they took it: their department led it before it was reassigned, or they acted
    on it before it moved. Anyone else learns nothing: None, and "no such hazard"."""
    hazard_id = mutation.entity_id
    if session.scalar(sa.select(Hazard.id).where(Hazard.id == hazard_id, visible_to(user))):
        return None  # visible: the NotFound was about something else
    before = [HazardEvent.actor_id == user.id]
    if user.department is not None:
        before.append(HazardEvent.data["department"].as_string() == user.department.code)
    earlier = sa.select(HazardEvent.id).where(HazardEvent.hazard_id == hazard_id, sa.or_(*before))
    if not session.scalar(sa.select(earlier.exists())):
        return None
    return session.get(Hazard, hazard_id)


def _clock(mutation: Mutation, now: datetime) -> dict[str, str]:
    """Flag a device clock that is implausibly ahead or behind; the server's order stands."""
    flag = time_flag(mutation.occurred_at, now)
    return {"clock": flag} if flag else {}


def _missing(session: Session, photos: Collection[str]) -> list[str]:
    if not photos:
        return []
    present = set(session.scalars(sa.select(Photo.sha256).where(Photo.sha256.in_(photos))))
    return [sha for sha in photos if sha not in present]


def _apply(
    session: Session, user: User, mutation: Mutation, now: datetime, policy: Policy
) -> dict[str, Any]:
    command = mutation.command
    if mutation.type == "place.create":
        add_place(session, user, NewPlace(**command), now=now)
        return {"status": "applied"}
    if mutation.type == "hazard.update":
        hazard, _ = correct_report(
            session,
            user,
            mutation.entity_id,
            {k: v for k, v in command.items() if k != "crs"},
            base_version=mutation.base_version,
            crs=command.get("crs", "wgs84"),
            now=now,
            policy=policy,
        )
        return {"status": "applied", "version": hazard.version, "missing_photos": []}
    step = Step(STEP_MUTATIONS[mutation.type], photos=tuple(mutation.photos), **command)
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


def _conflict(
    session: Session,
    user: User,
    mutation: Mutation,
    error: IllegalTransition,
    now: datetime,
    hazard: Hazard | None = None,
) -> dict[str, Any]:
    """Keep a step no longer valid in the hazard's history, for the office, not applied."""
    if hazard is None:
        hazard = session.scalar(
            sa.select(Hazard).where(Hazard.id == mutation.entity_id, visible_to(user))
        )
        # The step that conflicted was taken on a hazard the user sees.
        assert hazard is not None
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
