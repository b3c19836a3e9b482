"""Apply lifecycle steps to hazards: check, append the event, carry out the effects.

Every change of a hazard's state is an appended HazardEvent whose `seq` is the
hazard's new `version`, so the two always agree (SPEC §2).
"""

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import (
    Department,
    DuplicateLink,
    Hazard,
    HazardEvent,
    HazardPhoto,
    User,
    utcnow,
)
from server.services import routing, workdays
from server.services.departments import refuse_if_inactive
from server.services.errors import AlreadyExists, InvalidInput, NotFound
from server.services.fingerprint import canonical_hash
from server.services.lifecycle import (
    ActorFacts,
    AlreadyClaimed,
    HazardFacts,
    IllegalTransition,
    Step,
    decide,
)
from server.services.photos import assess_citations
from server.services.policy import DEFAULT_POLICY, Policy
from server.services.visibility import visible_to
from server.vocabulary import OPEN, TERMINAL

PHOTO_PHASE = {"rectify": "after", "verify": "verification"}


class StaleVersion(IllegalTransition):
    """The hazard changed since the caller last saw it."""

    code = "stale_version"


@dataclass(frozen=True)
class StepRequest:
    """A step as a client sends it: its own id, what it saw, and the step."""

    id: uuid.UUID
    step: Step
    base_version: int | None = None

    def fingerprint(self, hazard_id: uuid.UUID, actor_id: int) -> str:
        """Return a SHA-256 of the request, to recognise a resend."""
        content = asdict(self.step)
        if content["severity"] is None:  # added later: steps sent before keep their hash
            del content["severity"]
        if not content["takeover"]:  # likewise
            del content["takeover"]
        content.update(
            id=str(self.id), hazard=str(hazard_id), actor=actor_id, base_version=self.base_version
        )
        return canonical_hash(content)


def append_event(
    session: Session,
    hazard: Hazard,
    type_: str,
    actor: User | None,
    now: datetime,
    to_status: str,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    event_id: uuid.UUID | None = None,
    payload_hash: str | None = None,
) -> HazardEvent:
    """Append an event, moving the hazard to `to_status` and its version on by one."""
    event = HazardEvent(
        id=event_id or uuid.uuid4(),
        hazard=hazard,
        seq=hazard.version + 1,
        type=type_,
        actor=actor,
        at=now,
        from_status=hazard.status,
        to_status=to_status,
        note=note,
        data=data or {},
        payload_hash=payload_hash,
    )
    session.add(event)
    hazard.status = to_status
    hazard.version += 1
    return event


def assignment(
    department_code: str, deadline_days: int, now: datetime
) -> tuple[workdays.Deadline, dict[str, Any]]:
    """Return (deadline, event data) of assigning a hazard to a department now."""
    deadline = workdays.deadline_after(now, deadline_days)
    data = {
        "department": department_code,
        "deadline": deadline.at.isoformat(),
        "deadline_basis": deadline.basis,
    }
    return deadline, data


def _assign(hazard: Hazard, department: Department, now: datetime) -> dict[str, Any]:
    deadline, data = assignment(department.code, hazard.category.deadline_days, now)
    hazard.lead_department = department
    hazard.deadline, hazard.deadline_basis = deadline.at, deadline.basis
    hazard.assigned_at = now
    hazard.extension_requested_until = None
    hazard.routing_note = None
    drop_claim(hazard)
    return data


def drop_claim(hazard: Hazard) -> None:
    """End a clerk's claim: the hazard left their department, or its work is over."""
    hazard.claimed_by = None
    hazard.claimed_at = None


def holder_of(hazard: Hazard) -> dict[str, Any] | None:
    """Return who holds a hazard (处理中) and since when, or None."""
    if hazard.claimed_by is None:
        return None
    return {
        "username": hazard.claimed_by.username,
        "display_name": hazard.claimed_by.display_name,
        "at": hazard.claimed_at.isoformat() if hazard.claimed_at else None,
    }


def unassign(hazard: Hazard, reason: str | None) -> None:
    """Take the lead department, its deadline and any extension request off a hazard."""
    hazard.lead_department = None
    hazard.deadline = hazard.deadline_basis = hazard.extension_requested_until = None
    hazard.routing_note = reason
    drop_claim(hazard)


def route_on_receipt(session: Session, hazard: Hazard, now: datetime) -> HazardEvent | None:
    """Send a new hazard to its lead department, or leave it for office triage with why."""
    hazard.territorial_department = routing.territorial_owner(session, hazard.street_id)
    department, reason = routing.routing_for(session, hazard)
    if department is None:
        hazard.routing_note = reason
        return None
    data = _assign(hazard, department, now)
    return append_event(session, hazard, "route", None, now, "assigned", data=data)


def actor_facts(user: User) -> ActorFacts:
    """Return the ActorFacts of a user."""
    return ActorFacts(
        id=user.id,
        role=user.role,
        department_id=user.department_id,
        grid_ids=frozenset(g.id for g in user.grids),
    )


def hazard_facts(hazard: Hazard) -> HazardFacts:
    """Return the HazardFacts of a hazard."""
    return HazardFacts(
        status=hazard.status,
        lead_department_id=hazard.lead_department_id,
        grid_id=hazard.grid_id,
        extension_pending=hazard.extension_requested_until is not None,
        severity=hazard.severity,
        claimed_by=hazard.claimed_by_id,
    )


def _department(session: Session, code: str | None) -> Department:
    department = session.scalar(sa.select(Department).filter_by(code=code))
    if department is None or department.kind == "office":
        raise InvalidInput(f"unknown department {code!r}", errors={"department": ["unknown"]})
    refuse_if_inactive(department)
    return department


def _extension_until(hazard: Hazard, until: date | None, now: datetime) -> datetime:
    if not isinstance(until, date):
        raise InvalidInput("until must be a date", errors={"until": ["not a date"]})
    today = now.astimezone(workdays.SHANGHAI).date()
    current = hazard.deadline.astimezone(workdays.SHANGHAI).date() if hazard.deadline else today
    if until <= max(today, current):
        raise InvalidInput(
            "an extension must end after today and after the current deadline",
            errors={"until": [f"must be after {max(today, current).isoformat()}"]},
        )
    return workdays.end_of_day(until)


def _merge_into(
    session: Session, hazard: Hazard, into_id: uuid.UUID | None, now: datetime
) -> dict[str, Any]:
    target = session.get(Hazard, into_id)
    if target is None:
        raise InvalidInput("no hazard to merge into", errors={"into": ["unknown hazard"]})
    if target.id == hazard.id or target.status not in OPEN:
        raise InvalidInput(
            "merge into another open hazard", errors={"into": [f"that hazard is {target.status}"]}
        )
    # Every photo moves over; the duplicate keeps its reporter, who keeps credit.
    have = {(link.sha256, link.phase) for link in target.photo_links}
    for link in hazard.photo_links:
        if (link.sha256, link.phase) not in have:
            session.add(
                HazardPhoto(hazard=target, sha256=link.sha256, phase=link.phase, position=len(have))
            )
            have.add((link.sha256, link.phase))
    hazard.duplicate_of_id = target.id
    _dismiss_links(session, hazard.id, target.id, now=now)
    _move_waiting_links(session, hazard, target, now)
    session.flush()
    assess_citations(session, [link.sha256 for link in hazard.photo_links])
    return {"into": str(target.id)}


def _move_waiting_links(session: Session, merged: Hazard, target: Hazard, now: datetime) -> None:
    """Point the open reports still waiting as possible duplicates of a merged hazard at
    the hazard it was merged into, which now holds its photos and reporters.

    A report at a hotspot is linked to the first report there only (see
    routing.DuplicateFinder); when the office merges that one into another, the rest
    still wait for a decision, now about that other. A pair the office has decided
    on, or that waits already, is not linked twice.
    """
    waiting = session.execute(
        sa.select(DuplicateLink, Hazard.lat, Hazard.lon)
        .join(Hazard, Hazard.id == DuplicateLink.hazard_id)
        .where(
            DuplicateLink.other_id == merged.id,
            DuplicateLink.hazard_id != target.id,
            DuplicateLink.dismissed_at.is_(None),
            Hazard.status.in_(OPEN),
        )
    ).all()
    if not waiting:
        return
    ids = [link.hazard_id for link, _, _ in waiting]
    pairs = sa.select(DuplicateLink.hazard_id, DuplicateLink.other_id).where(
        sa.or_(
            sa.and_(DuplicateLink.hazard_id.in_(ids), DuplicateLink.other_id == target.id),
            sa.and_(DuplicateLink.hazard_id == target.id, DuplicateLink.other_id.in_(ids)),
        )
    )
    paired = {tuple(row) for row in session.execute(pairs)}
    for link, lat, lon in waiting:
        link.dismissed_at = now
        if (link.hazard_id, target.id) in paired or (target.id, link.hazard_id) in paired:
            continue
        distance = None
        if link.distance_m is not None:
            distance = routing.metres(lat, lon, target.lat, target.lon)
        session.add(
            DuplicateLink(
                hazard_id=link.hazard_id,
                other_id=target.id,
                reason=link.reason,
                distance_m=distance,
                created_at=now,
            )
        )


def _dismiss_links(
    session: Session, one: uuid.UUID, other: uuid.UUID | None, now: datetime | None
) -> None:
    for link in session.scalars(
        sa.select(DuplicateLink).where(
            sa.or_(
                sa.and_(DuplicateLink.hazard_id == one, DuplicateLink.other_id == other),
                sa.and_(DuplicateLink.hazard_id == other, DuplicateLink.other_id == one),
            )
        )
    ):
        link.dismissed_at = now or utcnow()


def apply_step(
    session: Session,
    actor: User,
    hazard_id: uuid.UUID,
    request: StepRequest,
    *,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[HazardEvent, bool]:
    """Take a step on a hazard; return (event, created). A resend of the same step is not new."""
    now = now or utcnow()
    hazard = session.scalar(sa.select(Hazard).where(Hazard.id == hazard_id, visible_to(actor)))
    if hazard is None:
        raise NotFound("no such hazard")
    fingerprint = request.fingerprint(hazard_id, actor.id)
    existing = session.get(HazardEvent, request.id)
    if existing is not None:
        if existing.payload_hash == fingerprint:
            return existing, False
        raise AlreadyExists(
            "a different step was already sent with this id", errors={"id": [str(request.id)]}
        )
    if request.base_version is not None and request.base_version != hazard.version:
        raise StaleVersion(
            f"the hazard changed since version {request.base_version}",
            current={"status": hazard.status, "version": hazard.version},
        )
    step = request.step
    try:
        to_status = decide(hazard_facts(hazard), actor_facts(actor), step)
    except IllegalTransition as error:
        error.context["current"] = {"status": hazard.status, "version": hazard.version}
        if isinstance(error, AlreadyClaimed):
            error.context["holder"] = holder_of(hazard)
        raise
    data: dict[str, Any] = {}
    if step.type in ("assign", "reassign"):
        data = _assign(hazard, _department(session, step.department), now)
    elif step.type == "reroute":
        department, reason = routing.routing_for(session, hazard)
        if department is None:
            unassign(hazard, reason)
            to_status, data = "reported", {"reason": reason}
        else:
            to_status, data = "assigned", _assign(hazard, department, now)
    elif step.type == "return":
        hazard.return_count += 1
        lead = hazard.lead_department
        assert lead is not None  # decide(): only the lead department returns a hazard
        data = {"department": lead.code}
        assert step.note is not None  # decide(): a return needs its reason
        unassign(hazard, routing.returned_by(lead.name, step.note))
    elif step.type == "request_extension":
        until = _extension_until(hazard, step.until, now)
        hazard.extension_requested_until = until
        data = {"until": until.isoformat()}
    elif step.type == "grant_extension":
        requested = hazard.extension_requested_until
        assert requested is not None  # decide(): only a pending request is decided
        data = {
            "from": hazard.deadline.isoformat() if hazard.deadline else None,
            "until": requested.isoformat(),
        }
        hazard.deadline = requested
        hazard.extension_requested_until = None
    elif step.type == "refuse_extension":
        requested = hazard.extension_requested_until
        assert requested is not None  # decide(): only a pending request is decided
        data = {"until": requested.isoformat()}
        hazard.extension_requested_until = None
    elif step.type == "merge":
        data = _merge_into(session, hazard, step.into, now)
    elif step.type == "classify":
        assert step.severity is not None  # decide(): classify needs a severity
        data = {"severity": step.severity, "was": hazard.severity}
        hazard.severity = step.severity
    elif step.type == "unlink":
        _dismiss_links(session, hazard.id, step.other, now)
        data = {"other": str(step.other)}
    elif step.type == "verify":
        data = {"result": step.result}
        if step.result == "fail":
            hazard.reopen_count += 1  # 复查不合格: it came back
    elif step.type == "close":
        hazard.closed_at = now
        hazard.close_seconds = (now - hazard.received_at).total_seconds()
        hazard.close_working_hours = workdays.working_hours_between(hazard.received_at, now)
        hazard.extension_requested_until = None
    elif step.type == "claim":
        previous = holder_of(hazard)
        data = {"holder": actor.username}
        if previous is not None:  # taken over, openly: the history says from whom
            data["taken_from"] = previous["username"]
        hazard.claimed_by, hazard.claimed_at = actor, now
    elif step.type == "release":
        drop_claim(hazard)
    elif step.type == "reopen":
        hazard.reopen_count += 1
        hazard.closed_at = hazard.close_seconds = hazard.close_working_hours = None
        if hazard.lead_department is not None:
            data = _assign(hazard, hazard.lead_department, now)
    if to_status in TERMINAL:
        drop_claim(hazard)
    if step.photos:
        data["photos"] = list(step.photos)
    event = append_event(
        session,
        hazard,
        step.type,
        actor,
        now,
        to_status,
        note=step.note,
        data=data,
        event_id=request.id,
        payload_hash=fingerprint,
    )
    phase = PHOTO_PHASE.get(step.type)
    if phase and step.photos:
        # A second rectification (after a failed verification or a reopen) may cite
        # an after-photo already on the hazard: the event lists it, the link stands.
        have = {link.sha256 for link in hazard.photo_links if link.phase == phase}
        fresh = [sha for sha in dict.fromkeys(step.photos) if sha not in have]
        session.add_all(
            HazardPhoto(hazard=hazard, sha256=sha, phase=phase, event=event, position=n)
            for n, sha in enumerate(fresh, start=len(hazard.photo_links))
        )
    session.flush()
    if phase and step.photos:
        assess_citations(session, list(step.photos), policy.photos)
    return event, True


def history(
    session: Session, viewer: User, hazard_id: uuid.UUID
) -> tuple[Hazard, list[HazardEvent]]:
    """Return the events of a hazard the viewer may see, oldest first."""
    hazard = session.scalar(sa.select(Hazard).where(Hazard.id == hazard_id, visible_to(viewer)))
    if hazard is None:
        raise NotFound("no such hazard")
    return hazard, hazard.events
