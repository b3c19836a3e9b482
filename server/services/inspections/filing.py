"""Filing inspections made on site, usually offline: every failed item becomes a
routed hazard, and a resent inspection never makes a second one."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import (
    Category,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    Hazard,
    Inspection,
    InspectionAnswer,
    InspectionPhoto,
    InspectionTask,
    Place,
    User,
    utcnow,
)
from server.services.coords import to_wgs84
from server.services.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from server.services.hazards import NewReport, report_hazards
from server.services.inspections.common import HAZARD_FROM_ANSWER, INSPECTING_ROLES, resend_hash
from server.services.policy import DEFAULT_POLICY, Policy
from server.vocabulary import OPEN


@dataclass(frozen=True)
class NewAnswer:
    """The answer to one item, with the phone's id for it."""

    id: uuid.UUID
    item: str
    answer: str
    note: str | None = None
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewInspection:
    """An inspection as the phone sends it."""

    id: uuid.UUID
    place: uuid.UUID
    template: str
    version: int
    started_at: datetime
    finished_at: datetime
    answers: tuple[NewAnswer, ...] = ()
    lat: float | None = None
    lon: float | None = None
    crs: str = "wgs84"
    task: int | None = None
    follows: uuid.UUID | None = None


def inspection_from(body: dict[str, Any]) -> NewInspection:
    """Return the NewInspection of a loaded inspection body (schemas.inspections)."""
    answers = tuple(NewAnswer(**{**a, "photos": tuple(a["photos"])}) for a in body["answers"])
    return NewInspection(**{**body, "answers": answers})


@dataclass
class Inspected:
    """What became of one inspection of a batch: the hazards it made, or its refusal."""

    id: uuid.UUID
    created: bool = False
    hazards: list[str] = field(default_factory=list)
    missing_photos: list[str] = field(default_factory=list)
    error: DomainError | None = None


# An inspection as checked: (version, checklist name, place, [(answer, item, category code)]).
_Checked = tuple[ChecklistVersion, str, Place, list[tuple[NewAnswer, ChecklistItem, str]]]
# One to store: (inspection, its fingerprint, as checked, its outcome).
_Accepted = tuple[NewInspection, str, _Checked, Inspected]


def submit_inspection(
    session: Session,
    user: User,
    new: NewInspection,
    *,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[Inspection, bool]:
    """File one inspection; return (Inspection, created). Raises what is wrong."""
    [outcome] = submit_inspections(session, user, [new], now=now, policy=policy)
    if outcome.error is not None:
        raise outcome.error
    return session.get_one(Inspection, new.id), outcome.created


def submit_inspections(
    session: Session,
    user: User,
    inspections: Sequence[NewInspection],
    *,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> list[Inspected]:
    """File inspections together; every failed item becomes a routed hazard.

    Returns one Inspected per inspection, in order. A refused inspection writes
    nothing; a resent one (same content) is answered as before and makes nothing
    new. The whole batch costs a handful of queries and one insert per table.
    """
    now = now or utcnow()
    if user.role not in INSPECTING_ROLES:
        refusal = PermissionDenied("only grid workers, departments and the office inspect")
        return [Inspected(i.id, error=refusal) for i in inspections]
    context = _Context(session, user, inspections)
    outcomes: list[Inspected] = []
    accepted: list[_Accepted] = []
    for new in inspections:
        fingerprint = resend_hash(new, user.id)
        known = context.known.get(new.id)
        if known is not None:
            if known == fingerprint:
                outcomes.append(Inspected(new.id, hazards=context.hazards_of(new.id)))
            else:
                error = AlreadyExists(
                    "a different inspection was already filed with this id",
                    errors={"id": [str(new.id)]},
                )
                outcomes.append(Inspected(new.id, error=error))
            continue
        try:
            checked = context.check(new)
        except (InvalidInput, PermissionDenied, Conflict, NotFound) as error:
            outcomes.append(Inspected(new.id, error=error))
            continue
        context.known[new.id] = fingerprint
        outcome = Inspected(new.id, created=True)
        outcomes.append(outcome)
        accepted.append((new, fingerprint, checked, outcome))
    if accepted:
        _store(session, user, accepted, now, policy)
    return outcomes


class _Context:
    """What a batch of inspections refers to, loaded in one query per kind."""

    def __init__(self, session: Session, user: User, inspections: Sequence[NewInspection]) -> None:
        self.session, self.user = session, user
        ids = {i.id for i in inspections}
        self.known: dict[uuid.UUID, str] = dict(
            session.execute(
                sa.select(Inspection.id, Inspection.payload_hash).where(Inspection.id.in_(ids))
            ).all()
        )
        wanted = {(i.template, i.version) for i in inspections}
        versions = session.execute(
            sa.select(ChecklistVersion, ChecklistTemplate.code, ChecklistTemplate.name)
            .join(ChecklistTemplate)
            .where(
                sa.tuple_(ChecklistTemplate.code, ChecklistVersion.number).in_(wanted)
                if wanted
                else sa.false()
            )
        ).all()
        self.versions = {(code, v.number): (v, name) for v, code, name in versions}
        items = session.execute(
            sa.select(ChecklistItem, Category.code, Category.active)
            .join(Category, Category.id == ChecklistItem.category_id)
            .where(ChecklistItem.version_id.in_([v.id for v, _, _ in versions]))
        ).all()
        self.items: dict[int, dict[str, tuple[ChecklistItem, str, bool]]] = {}
        for item, category, active in items:
            self.items.setdefault(item.version_id, {})[item.code] = (item, category, active)
        self.places = {
            p.id: p
            for p in session.scalars(
                sa.select(Place).where(Place.id.in_({i.place for i in inspections}))
            )
        }
        self.grids: set[int] | None = (
            {g.id for g in user.grids} if user.role == "grid_worker" else None
        )
        follows = {i.follows for i in inspections if i.follows}
        self.earlier = {
            row.id: row.place_id
            for row in session.execute(
                sa.select(Inspection.id, Inspection.place_id).where(Inspection.id.in_(follows))
            )
        }
        self.still_open = set(
            session.scalars(
                sa.select(Hazard.inspection_id)
                .where(Hazard.inspection_id.in_(follows), Hazard.status.in_(OPEN))
                .distinct()
            )
        )
        tasks = {i.task for i in inspections if i.task is not None}
        self.tasks = set(
            session.scalars(sa.select(InspectionTask.id).where(InspectionTask.id.in_(tasks)))
        )
        answer_ids = list({a.id for i in inspections for a in i.answers})
        self.used_answers: set[uuid.UUID] = set()
        for start in range(0, len(answer_ids), 5000):  # a full batch may cite 200,000
            chunk = answer_ids[start : start + 5000]
            self.used_answers.update(
                session.scalars(
                    sa.select(InspectionAnswer.id).where(InspectionAnswer.id.in_(chunk))
                )
            )

    def hazards_of(self, inspection_id: uuid.UUID) -> list[str]:
        """Return the ids of the hazards an inspection's failed items made, as text."""
        return [
            str(h)
            for h in self.session.scalars(
                sa.select(InspectionAnswer.hazard_id)
                .where(
                    InspectionAnswer.inspection_id == inspection_id,
                    InspectionAnswer.hazard_id.is_not(None),
                )
                .order_by(InspectionAnswer.hazard_id)
            )
        ]

    def check(self, new: NewInspection) -> _Checked:
        """Return (version, template name, place, [(answer, item, category)]) or raise."""
        found = self.versions.get((new.template, new.version))
        if found is None or found[0].status != "published":
            raise InvalidInput(
                "unknown or unpublished checklist version",
                errors={"version": [f"{new.template} v{new.version} is not published"]},
            )
        version, name = found
        place = self.places.get(new.place)
        if place is None:
            raise InvalidInput("unknown place", errors={"place": [str(new.place)]})
        if self.grids is not None and place.grid_id not in self.grids:
            raise PermissionDenied("this place is outside your grids")
        if version.place_types and place.type not in version.place_types:
            raise InvalidInput(
                "this checklist does not apply to this kind of place",
                errors={"template": [f"for {version.place_types}, not {place.type}"]},
            )
        if new.task is not None and new.task not in self.tasks:
            raise InvalidInput("unknown task", errors={"task": [str(new.task)]})
        if new.follows is not None:
            if self.earlier.get(new.follows) != place.id:
                raise InvalidInput(
                    "a re-inspection follows an earlier inspection of the same place",
                    errors={"follows": [str(new.follows)]},
                )
            if new.follows in self.still_open:
                raise Conflict("the hazards the earlier inspection found are not all closed")
        if new.finished_at < new.started_at:
            raise InvalidInput("finished before it started", errors={"finished_at": ["early"]})
        items = self.items.get(version.id, {})
        errors: dict[str, list[str]] = {}
        seen: set[str] = set()
        answered: list[tuple[NewAnswer, ChecklistItem, str]] = []
        for n, answer in enumerate(new.answers):
            where = f"answers[{n}]"
            listed = items.get(answer.item)
            if listed is None:
                errors[where] = [f"item {answer.item!r} is not in {new.template} v{new.version}"]
                continue
            item, category, active = listed
            if answer.item in seen:
                errors[where] = [f"item {answer.item!r} is answered twice"]
            seen.add(answer.item)
            if answer.id in self.used_answers:
                errors[where] = ["this answer id was already used"]
            if answer.answer == "fail" and item.photo_required and not answer.photos:
                errors[where] = [f"item {answer.item!r} needs a photo when it fails"]
            if answer.answer == "fail" and not active:
                errors[where] = [f"the category of item {answer.item!r} is no longer in use"]
            answered.append((answer, item, category))
        if errors:
            raise InvalidInput("the inspection's answers are not valid", errors=errors)
        self.used_answers.update(a.id for a in new.answers)
        return version, name, place, answered


def hazard_id_for(answer_id: uuid.UUID) -> uuid.UUID:
    """Return the id of the hazard a failed answer makes."""
    return uuid.uuid5(HAZARD_FROM_ANSWER, str(answer_id))


def _store(
    session: Session,
    user: User,
    accepted: Sequence[_Accepted],
    now: datetime,
    policy: Policy,
) -> None:
    reports: list[NewReport] = []
    found_by: list[dict[str, Any]] = []
    inspections: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for new, fingerprint, (version, name, place, answered), outcome in accepted:
        lat, lon = (None, None)
        if new.lat is not None and new.lon is not None:
            lat, lon = to_wgs84(new.lat, new.lon, new.crs)
        inspections.append(
            {
                "id": new.id,
                "place_id": place.id,
                "version_id": version.id,
                "inspector_id": user.id,
                "task_id": new.task,
                "follows_id": new.follows,
                "started_at": new.started_at,
                "finished_at": new.finished_at,
                "lat": lat,
                "lon": lon,
                "received_at": now,
                "street_id": place.street_id,
                "grid_id": place.grid_id,
                "payload_hash": fingerprint,
            }
        )
        for answer, item, category in answered:
            hazard_id = hazard_id_for(answer.id) if answer.answer == "fail" else None
            answers.append(
                {
                    "id": answer.id,
                    "inspection_id": new.id,
                    "item_id": item.id,
                    "answer": answer.answer,
                    "note": answer.note,
                    "photos": list(answer.photos),
                    "hazard_id": hazard_id,
                }
            )
            if hazard_id is None:
                continue
            note = f"（{answer.note}）" if answer.note else ""
            reports.append(
                NewReport(
                    id=hazard_id,
                    category=category,
                    description=f"【{name}】{place.name}：{item.question} 不合格{note}",
                    lat=place.lat,
                    lon=place.lon,
                    observed_at=new.finished_at,
                    address=place.address or place.name,
                    photos=tuple(answer.photos),
                )
            )
            found_by.append(
                {"place_id": place.id, "inspection_id": new.id, "severity": item.severity}
            )
            outcome.hazards.append(str(hazard_id))
    connection = session.connection()
    # Declarative types __table__ as any FromClause; a model's is its Table.
    connection.execute(sa.insert(cast(sa.Table, Inspection.__table__)), inspections)
    if reports:
        filed = report_hazards(session, user, reports, now=now, policy=policy, found_by=found_by)
        refused = [f.error for f in filed if f.error is not None]
        if refused:  # checked beforehand; reaching here means a clash with another writer
            raise refused[0]
    if answers:
        connection.execute(sa.insert(cast(sa.Table, InspectionAnswer.__table__)), answers)
    cited = [
        {"answer_id": a["id"], "sha256": sha256, "inspection_id": a["inspection_id"]}
        for a in answers
        for sha256 in dict.fromkeys(a["photos"])
    ]
    if cited:
        connection.execute(sa.insert(cast(sa.Table, InspectionPhoto.__table__)), cited)
    session.flush()
