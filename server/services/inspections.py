"""Field inspections (检查, SPEC §10): places, checklists kept as versioned data,
inspections made offline whose failed items become routed hazards, and the office's
inspection tasks. Plain Python over a session; flushes, never commits."""

import csv
import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from server.models import (
    PLACE_TYPES,
    SEVERITIES,
    Area,
    Category,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    Department,
    Hazard,
    Inspection,
    InspectionAnswer,
    InspectionPhoto,
    InspectionTask,
    Place,
    User,
    task_assignees,
    task_places,
    utcnow,
)
from server.services.areas import area_index
from server.services.coords import to_wgs84
from server.services.errors import (
    AlreadyExists,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from server.services.hazards import NewReport, report_hazards
from server.services.lifecycle import OPEN
from server.services.policy import DEFAULT_POLICY
from server.services.stats import rate
from server.services.visibility import inspections_visible_to

INSPECTING_ROLES = ("grid_worker", "dept_staff", "office")
# A failed item's hazard id follows from its answer's id: a resend makes no second one.
HAZARD_FROM_ANSWER = uuid.UUID("6f1d3c1e-1c55-4a7b-9d1e-7b4c2f0a9e31")


def _fingerprint(value, user_id):
    content = {f.name: getattr(value, f.name) for f in fields(value)}
    content["by"] = user_id
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# --- Checklists -----------------------------------------------------------------


@dataclass(frozen=True)
class NewItem:
    """One question of a checklist version as the office writes it."""

    code: str
    question: str
    category: str
    severity: str = "general"
    photo_required: bool = False


def create_template(session, code, name, place_types, items):
    """Create a checklist with its first version as a draft; return the version."""
    if session.scalar(sa.select(ChecklistTemplate.id).filter_by(code=code)) is not None:
        raise AlreadyExists(f"checklist {code!r} exists", errors={"code": ["already used"]})
    template = ChecklistTemplate(code=code, name=name)
    session.add(template)
    version = ChecklistVersion(template=template, number=1, status="draft")
    session.add(version)
    with session.no_autoflush:
        _fill(session, version, place_types, items)
    session.flush()
    return version


def _template(session, code):
    template = session.scalar(sa.select(ChecklistTemplate).filter_by(code=code))
    if template is None:
        raise NotFound(f"no checklist {code!r}")
    return template


def get_version(session, code, number):
    """Return version `number` of checklist `code`."""
    version = session.scalar(
        sa.select(ChecklistVersion)
        .join(ChecklistTemplate)
        .where(ChecklistTemplate.code == code, ChecklistVersion.number == number)
    )
    if version is None:
        raise NotFound(f"checklist {code!r} has no version {number}")
    return version


def new_version(session, code, place_types, items):
    """Start the next version of a checklist as a draft (one draft at a time)."""
    template = _template(session, code)
    if any(v.status == "draft" for v in template.versions):
        raise Conflict("this checklist already has a draft: edit or publish it")
    number = max(v.number for v in template.versions) + 1
    version = ChecklistVersion(template=template, number=number, status="draft")
    session.add(version)
    with session.no_autoflush:
        _fill(session, version, place_types, items)
    session.flush()
    return version


def edit_draft(session, code, number, place_types, items):
    """Replace a draft's items; a published version never changes."""
    version = get_version(session, code, number)
    if version.status == "published":
        raise Conflict(
            f"version {number} of {code!r} is published and cannot change: "
            "start a new version and publish that"
        )
    version.items.clear()
    session.flush()
    _fill(session, version, place_types, items)
    session.flush()
    return version


def publish(session, code, number, now=None):
    """Publish a draft: from now on inspections may answer it, and it never changes."""
    version = get_version(session, code, number)
    if version.status == "published":
        raise Conflict(f"version {number} of {code!r} is already published")
    if not version.items:
        raise InvalidInput("a checklist needs at least one item", errors={"items": ["empty"]})
    version.status, version.published_at = "published", now or utcnow()
    session.flush()
    return version


def _fill(session, version, place_types, items):
    errors = {}
    unknown_types = sorted(set(place_types) - set(PLACE_TYPES))
    if unknown_types:
        errors["place_types"] = [f"unknown place types {unknown_types}; one of {list(PLACE_TYPES)}"]
    codes = [item.code for item in items]
    if len(set(codes)) != len(codes):
        errors["items"] = ["each item needs its own code"]
    categories = dict(
        session.execute(
            sa.select(Category.code, Category.id).where(
                Category.code.in_({item.category for item in items}), Category.active
            )
        ).all()
    )
    for n, item in enumerate(items):
        if item.category not in categories:
            errors[f"items[{n}].category"] = [f"unknown category {item.category!r}"]
        if item.severity not in SEVERITIES:
            errors[f"items[{n}].severity"] = [f"one of {list(SEVERITIES)}"]
        if not item.question.strip():
            errors[f"items[{n}].question"] = ["must not be empty"]
    if errors:
        raise InvalidInput("the checklist is not valid", errors=errors)
    version.place_types = list(place_types)
    version.items = [
        ChecklistItem(
            code=item.code,
            position=n,
            question=item.question,
            category_id=categories[item.category],
            severity=item.severity,
            photo_required=item.photo_required,
        )
        for n, item in enumerate(items)
    ]


def published_versions(session):
    """Return every published version, newest first within each checklist."""
    return session.scalars(
        sa.select(ChecklistVersion)
        .join(ChecklistTemplate)
        .where(ChecklistVersion.status == "published")
        .order_by(ChecklistTemplate.code, ChecklistVersion.number.desc())
    ).all()


def list_templates(session):
    """Return every checklist with its versions."""
    return session.scalars(sa.select(ChecklistTemplate).order_by(ChecklistTemplate.code)).all()


# --- Places ---------------------------------------------------------------------


@dataclass(frozen=True)
class NewPlace:
    """A place as the office imports it or a grid worker adds it in the field."""

    id: uuid.UUID
    name: str
    type: str
    lat: float
    lon: float
    crs: str = "wgs84"
    address: str | None = None
    code: str | None = None


def _place_row(session, place, index=None):
    lat, lon = to_wgs84(place.lat, place.lon, place.crs)
    where = (index or area_index(session)).locate(lat, lon)
    return {
        "id": place.id,
        "code": place.code,
        "name": place.name,
        "type": place.type,
        "address": place.address,
        "lat": lat,
        "lon": lon,
        "street_id": where.street_id,
        "community_id": where.community_id,
        "grid_id": where.grid_id,
    }


def add_place(session, user, new, *, now=None):
    """Add a place: confirmed when the office adds it, proposed from the field.

    A grid worker may add places only in their own grids. Idempotent on the id.
    """
    if user.role not in INSPECTING_ROLES:
        raise PermissionDenied("only inspectors and the office add places")
    if new.type not in PLACE_TYPES:
        raise InvalidInput("unknown place type", errors={"type": [f"one of {list(PLACE_TYPES)}"]})
    fingerprint = _fingerprint(new, user.id)
    existing = session.get(Place, new.id)
    if existing is not None:
        if existing.payload_hash == fingerprint:
            return existing, False
        raise AlreadyExists("a different place has this id", errors={"id": [str(new.id)]})
    row = _place_row(session, new)
    if row["grid_id"] is None:
        raise InvalidInput("the place is outside every grid", errors={"lat": ["outside"]})
    if user.role == "grid_worker" and row["grid_id"] not in {g.id for g in user.grids}:
        raise PermissionDenied("a grid worker adds places in their own grids only")
    place = Place(
        **row,
        status="confirmed" if user.role == "office" else "proposed",
        added_by_id=user.id,
        created_at=now or utcnow(),
        payload_hash=fingerprint,
    )
    session.add(place)
    session.flush()
    return place, True


def confirm_place(session, place_id):
    """Confirm a place added in the field (the office)."""
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound("no such place")
    place.status = "confirmed"
    session.flush()
    return place


CSV_COLUMNS = ("code", "name", "type", "lat", "lon")  # and address, which may be left out


def _feature_row(feature):
    """Return a GeoJSON point feature's properties with its lat and lon, as a CSV row
    would give them; what is not an object counts as empty, and is refused as such."""
    feature = feature if isinstance(feature, dict) else {}
    props = feature.get("properties")
    row = dict(props) if isinstance(props, dict) else {}
    geometry = feature.get("geometry")
    geometry = geometry if isinstance(geometry, dict) else {}
    coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
    point = isinstance(coords, list) and len(coords) >= 2
    row["lon"], row["lat"] = coords[:2] if point else (None, None)
    return row


def _text(value):
    """Return a text value stripped, or None if it is missing or not text."""
    return value.strip() if isinstance(value, str) else None


def parse_places(payload: dict | str) -> list[NewPlace]:
    """Return NewPlaces from a GeoJSON FeatureCollection (dict) or CSV text.

    CSV columns: code, name, type, address, lat, lon (WGS-84). Every row is
    checked; any fault refuses the whole file, naming the rows.
    """
    if isinstance(payload, dict):
        if payload.get("type") != "FeatureCollection":
            raise InvalidInput("send a GeoJSON FeatureCollection of points, or CSV")
        features = payload.get("features")
        if not isinstance(features, list):
            raise InvalidInput("the features of a FeatureCollection are a list")
        rows = [_feature_row(feature) for feature in features]
    else:
        reader = csv.DictReader(io.StringIO(payload.lstrip("\ufeff")))
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:  # a file without its header would import nothing and say nothing
            raise InvalidInput(
                "the CSV needs a header row: code,name,type,address,lat,lon",
                errors={"header": [f"missing {', '.join(missing)}"]},
            )
        rows = list(reader)
    places, errors = [], {}
    for n, row in enumerate(rows, start=1):
        problems = []
        code, name, address = (_text(row.get(key)) for key in ("code", "name", "address"))
        if not code or not name:
            problems.append("code and name are required text")
        if row.get("address") is not None and address is None:
            problems.append("address must be text")
        if len(code or "") > 60 or len(name or "") > 200 or len(address or "") > 300:
            problems.append("code, name and address are at most 60, 200 and 300 characters")
        if not isinstance(row.get("type"), str) or row["type"] not in PLACE_TYPES:
            problems.append(f"type must be one of {list(PLACE_TYPES)}")
        try:
            lat, lon = float(row.get("lat")), float(row.get("lon"))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except (TypeError, ValueError):
            problems.append("lat and lon must be WGS-84 degrees")
            lat = lon = None
        if problems:
            errors[f"row {n}"] = problems
            continue
        place_id = uuid.uuid5(uuid.NAMESPACE_URL, f"place:{code}")
        places.append(NewPlace(place_id, name, row["type"], lat, lon, address=address, code=code))
    if errors:
        raise InvalidInput("some places are not valid; nothing was imported", errors=errors)
    if len({p.code for p in places}) != len(places):
        raise InvalidInput("each place needs its own code", errors={"code": ["repeated"]})
    return places


def import_places(session, places, user):
    """Create or update places by code (all or nothing); return (created, updated)."""
    index = area_index(session)
    codes = [p.code for p in places]
    existing = {p.code: p for p in session.scalars(sa.select(Place).where(Place.code.in_(codes)))}
    created = updated = 0
    new_rows = []
    for new in places:
        row = _place_row(session, new, index)
        place = existing.get(new.code)
        if place is None:
            new_rows.append(
                {**row, "status": "confirmed", "added_by_id": user.id, "created_at": utcnow()}
            )
            created += 1
        else:
            for key, value in row.items():
                if key != "id":
                    setattr(place, key, value)
            updated += 1
    if new_rows:
        session.execute(sa.insert(Place.__table__), new_rows)
    session.flush()
    return created, updated


def _within(session, query, code, field):
    """Narrow a query of places to those in area `code` (the district: all of them)."""
    area = session.scalar(sa.select(Area).filter_by(code=code))
    if area is None:
        raise InvalidInput(f"unknown {field}", errors={field: [code]})
    levels = {"street": Place.street_id, "community": Place.community_id, "grid": Place.grid_id}
    column = levels.get(area.level)
    return query if column is None else query.where(column == area.id)


def list_places(session, *, type_=None, area=None, status=None, offset=0, limit=500):
    """Return (a page of places by code then name, how many match), filtered."""
    query = sa.select(Place)
    if type_:
        query = query.where(Place.type == type_)
    if status:
        query = query.where(Place.status == status)
    if area:
        query = _within(session, query, area, "area")
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = (
        query.options(selectinload(Place.grid))
        .order_by(Place.code, Place.name, Place.id)
        .offset(offset)
        .limit(limit)
    )
    return session.scalars(page).all(), total


# --- Inspections ----------------------------------------------------------------


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


def inspection_from(body):
    """Return the NewInspection of a loaded inspection body (schemas.inspections)."""
    answers = tuple(NewAnswer(**{**a, "photos": tuple(a["photos"])}) for a in body["answers"])
    return NewInspection(**{**body, "answers": answers})


@dataclass
class Inspected:
    """What became of one inspection of a batch: the hazards it made, or its refusal."""

    id: uuid.UUID
    created: bool = False
    hazards: list = field(default_factory=list)
    missing_photos: list = field(default_factory=list)
    error: Exception | None = None


def submit_inspection(session, user, new, *, now=None, policy=DEFAULT_POLICY):
    """File one inspection; return (Inspection, created). Raises what is wrong."""
    [outcome] = submit_inspections(session, user, [new], now=now, policy=policy)
    if outcome.error is not None:
        raise outcome.error
    return session.get(Inspection, new.id), outcome.created


def submit_inspections(session, user, inspections, *, now=None, policy=DEFAULT_POLICY):
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
    outcomes, accepted = [], []
    for new in inspections:
        fingerprint = _fingerprint(new, user.id)
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

    def __init__(self, session, user, inspections):
        self.session, self.user = session, user
        ids = {i.id for i in inspections}
        self.known = dict(
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
        self.items = {}
        for item, category, active in items:
            self.items.setdefault(item.version_id, {})[item.code] = (item, category, active)
        self.places = {
            p.id: p
            for p in session.scalars(
                sa.select(Place).where(Place.id.in_({i.place for i in inspections}))
            )
        }
        self.grids = {g.id for g in user.grids} if user.role == "grid_worker" else None
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
        self.used_answers = set()
        for start in range(0, len(answer_ids), 5000):  # a full batch may cite 200,000
            chunk = answer_ids[start : start + 5000]
            self.used_answers.update(
                session.scalars(
                    sa.select(InspectionAnswer.id).where(InspectionAnswer.id.in_(chunk))
                )
            )

    def hazards_of(self, inspection_id):
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

    def check(self, new):
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
        errors, seen, answered = {}, set(), []
        for n, answer in enumerate(new.answers):
            where = f"answers[{n}]"
            found = items.get(answer.item)
            if found is None:
                errors[where] = [f"item {answer.item!r} is not in {new.template} v{new.version}"]
                continue
            item, category, active = found
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


def hazard_id_for(answer_id):
    """Return the id of the hazard a failed answer makes."""
    return uuid.uuid5(HAZARD_FROM_ANSWER, str(answer_id))


def _store(session, user, accepted, now, policy):
    reports, found_by, inspections, answers = [], [], [], []
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
    connection.execute(sa.insert(Inspection.__table__), inspections)
    if reports:
        filed = report_hazards(session, user, reports, now=now, policy=policy, found_by=found_by)
        refused = [f for f in filed if f.error is not None]
        if refused:  # checked beforehand; reaching here means a clash with another writer
            raise refused[0].error
    if answers:
        connection.execute(sa.insert(InspectionAnswer.__table__), answers)
    cited = [
        {"answer_id": a["id"], "sha256": sha256, "inspection_id": a["inspection_id"]}
        for a in answers
        for sha256 in dict.fromkeys(a["photos"])
    ]
    if cited:
        connection.execute(sa.insert(InspectionPhoto.__table__), cited)
    session.flush()


def inspection_detail(session, viewer, inspection_id):
    """Return an inspection the viewer may see, with its answers."""
    inspection = session.scalar(
        sa.select(Inspection).where(Inspection.id == inspection_id, inspections_visible_to(viewer))
    )
    if inspection is None:
        raise NotFound("no such inspection")
    return inspection


def list_inspections(session, viewer, *, place=None, limit=200):
    """Return the latest inspections the viewer may see, newest first (of a place)."""
    query = (
        sa.select(Inspection)
        .where(inspections_visible_to(viewer))
        .order_by(Inspection.finished_at.desc(), Inspection.id)
        .limit(limit)
    )
    if place is not None:
        query = query.where(Inspection.place_id == place)
    return session.scalars(query).all()


# --- Tasks ----------------------------------------------------------------------


def create_task(
    session,
    office,
    *,
    title,
    template,
    due_on,
    place_types=(),
    area=None,
    assignees=(),
    department=None,
):
    """Hand out a campaign task: the places of these types (in this area) to inspect."""
    checklist = _template(session, template)
    query = sa.select(Place.id).where(Place.status == "confirmed")
    if not place_types:  # the kinds of place the checklist's latest published version is for
        published = [v for v in checklist.versions if v.status == "published"]
        place_types = published[-1].place_types if published else ()
    if place_types:
        unknown = sorted(set(place_types) - set(PLACE_TYPES))
        if unknown:
            raise InvalidInput("unknown place types", errors={"place_types": unknown})
        query = query.where(Place.type.in_(place_types))
    if area:
        query = _within(session, query, area, "area")
    users = session.scalars(sa.select(User).where(User.username.in_(assignees))).all()
    if len(users) != len(set(assignees)):
        missing = sorted(set(assignees) - {u.username for u in users})
        raise InvalidInput("unknown assignees", errors={"assignees": missing})
    department_id = None
    if department:
        department_id = session.scalar(sa.select(Department.id).filter_by(code=department))
        if department_id is None:
            raise InvalidInput("unknown department", errors={"department": [department]})
    if not users and department_id is None:
        raise InvalidInput("assign the task to grid workers or a department")
    place_ids = session.scalars(query).all()
    if not place_ids:
        raise InvalidInput("no places match this task", errors={"place_types": ["none match"]})
    task = InspectionTask(
        title=title,
        template_id=checklist.id,
        due_on=due_on,
        department_id=department_id,
        created_by_id=office.id,
    )
    session.add(task)
    session.flush()
    session.execute(
        sa.insert(task_places), [{"task_id": task.id, "place_id": p} for p in place_ids]
    )
    if users:
        session.execute(
            sa.insert(task_assignees), [{"task_id": task.id, "user_id": u.id} for u in users]
        )
    session.flush()
    return task


def tasks_for(session, viewer):
    """Return the tasks a viewer works on (the office: all of them)."""
    query = sa.select(InspectionTask).order_by(InspectionTask.due_on, InspectionTask.id)
    if viewer.role != "office":
        mine = sa.select(task_assignees.c.task_id).where(task_assignees.c.user_id == viewer.id)
        condition = InspectionTask.id.in_(mine)
        if viewer.department_id is not None:
            condition = sa.or_(condition, InspectionTask.department_id == viewer.department_id)
        query = query.where(condition)
    return session.scalars(query).all()


def task_cards(session, tasks, today):
    """Return each task as its assignees and the office see it: what, by when, its
    places, and how far it has got (coverage, overdue). A place counts as done once
    inspected against the task's checklist (any version) for the task, or received
    since the task was handed out (phones' clocks are not trusted to say when)."""
    if not tasks:
        return []
    ids = [task.id for task in tasks]
    places = {}
    for task_id, place_id in session.execute(
        sa.select(task_places.c.task_id, task_places.c.place_id).where(
            task_places.c.task_id.in_(ids)
        )
    ):
        places.setdefault(task_id, []).append(place_id)
    done = dict(
        session.execute(
            sa.select(task_places.c.task_id, sa.func.count(sa.distinct(Inspection.place_id)))
            .join(InspectionTask, InspectionTask.id == task_places.c.task_id)
            .join(Inspection, Inspection.place_id == task_places.c.place_id)
            .join(ChecklistVersion, ChecklistVersion.id == Inspection.version_id)
            .where(
                task_places.c.task_id.in_(ids),
                ChecklistVersion.template_id == InspectionTask.template_id,
                sa.or_(
                    Inspection.task_id == InspectionTask.id,
                    Inspection.received_at >= InspectionTask.created_at,
                ),
            )
            .group_by(task_places.c.task_id)
        ).all()
    )
    cards = []
    for task in tasks:
        total, finished = len(places.get(task.id, ())), done.get(task.id, 0)
        cards.append(
            {
                "id": task.id,
                "title": task.title,
                "template": task.template.code,
                "due_on": task.due_on,
                "places": places.get(task.id, []),
                "total": total,
                "done": finished,
                "coverage": rate(finished, total),
                "overdue": task.due_on < today and finished < total,
            }
        )
    return cards
