"""Filing reports (随手拍): idempotent on the phone's id, placed, routed and deadlined at once."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import (
    Area,
    Category,
    Department,
    DuplicateLink,
    Hazard,
    HazardEvent,
    HazardPhoto,
    User,
    utcnow,
)
from server.models.sync import note_new_hazards
from server.services.areas import area_index
from server.services.coords import to_wgs84
from server.services.departments import deactivated_rule
from server.services.errors import (
    AlreadyExists,
    DomainError,
    InvalidInput,
    PermissionDenied,
)
from server.services.fingerprint import canonical_hash
from server.services.photos import assess_citations
from server.services.policy import DEFAULT_POLICY, Policy
from server.services.routing import OUTSIDE, DuplicateFinder, Router, no_rule
from server.services.steps import assignment

REPORTING_ROLES = ("volunteer", "grid_worker", "office")


# A claimed time further from the server's than this is implausible (SPEC §9): a
# phone's clock far ahead, or one reset to years ago. Reports are kept, and flagged.
CLOCK_AHEAD = timedelta(minutes=10)
CLOCK_BEHIND = timedelta(days=30)


def time_flag(claimed: datetime, now: datetime) -> str | None:
    """Return 'ahead' or 'behind' when a device's claimed time is implausible, else None."""
    if claimed > now + CLOCK_AHEAD:
        return "ahead"
    if claimed < now - CLOCK_BEHIND:
        return "behind"
    return None


@dataclass(frozen=True)
class NewReport:
    """A hazard report as the phone sends it (coordinates in the phone's `crs`)."""

    id: uuid.UUID
    category: str
    description: str
    lat: float
    lon: float
    observed_at: datetime
    crs: str = "wgs84"
    accuracy_m: float | None = None
    address: str | None = None
    photos: tuple[str, ...] = ()

    def fingerprint(self, reporter_id: int) -> str:
        """Return a SHA-256 of this report's content, to recognise a resend."""
        content = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict deep-copies
        content["id"] = str(self.id)
        content["observed_at"] = self.observed_at.isoformat()
        content["photos"] = list(self.photos)
        content["reporter"] = reporter_id
        return canonical_hash(content)


@dataclass(frozen=True)
class Filed:
    """What became of one report of a batch: its hazard's version, or why it was refused."""

    id: uuid.UUID
    version: int | None = None
    created: bool = False
    error: DomainError | None = None


def report_hazard(
    session: Session,
    reporter: User,
    report: NewReport,
    *,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[Hazard, bool]:
    """File and route a report; return (hazard, created). A resend is not new.

    The same id with different content, or from another account, is refused.
    """
    [filed] = report_hazards(session, reporter, [report], now=now, policy=policy)
    if filed.error is not None:
        raise filed.error
    return session.get_one(Hazard, report.id), filed.created


def report_hazards(
    session: Session,
    reporter: User,
    reports: Sequence[NewReport],
    *,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
    found_by: Sequence[dict] | None = None,
) -> list[Filed]:
    """File and route reports together; return one Filed per report, in order.

    The whole batch costs a handful of queries and one multi-row insert per
    table, not a round of each per report: a phone's day of reports arrives at
    once (SPEC §9). Later reports of the batch see earlier ones (resends,
    duplicates nearby) exactly as if filed one by one. A refused report writes
    nothing; the others are filed all the same. `found_by` gives, per report, what
    an inspection adds (place_id, inspection_id, severity of the failed item); the
    inspector files those whatever their role.
    """
    now = now or utcnow()
    if reporter.role not in REPORTING_ROLES and found_by is None:
        refusal = PermissionDenied("department staff cannot file reports")
        return [Filed(report.id, error=refusal) for report in reports]
    prints = [report.fingerprint(reporter.id) for report in reports]
    known, ids = {}, list({report.id for report in reports})
    for start in range(0, len(ids), 5000):  # bound the statement's parameters
        for row in session.execute(
            sa.select(Hazard.id, Hazard.payload_hash, Hazard.version).where(
                Hazard.id.in_(ids[start : start + 5000])
            )
        ):
            known[row.id] = (row.payload_hash, row.version)
    categories = {
        row.code: row
        for row in session.execute(
            sa.select(
                Category.id,
                Category.code,
                Category.default_severity,
                Category.deadline_days,
                Category.active,
            ).where(Category.code.in_({r.category for r in reports}))
        )
    }
    points = [to_wgs84(r.lat, r.lon, r.crs) for r in reports]
    found = area_index(session).locate_many([p[0] for p in points], [p[1] for p in points])
    router = Router(session, [c.id for c in categories.values()])
    offices = _territorial_offices(session)
    photos = [sha for report in reports for sha in report.photos]
    duplicates = DuplicateFinder(
        session, [c.id for c in categories.values()], points, now, photos, policy
    )
    districts = dict(
        session.execute(sa.select(Area.id, Area.parent_id).where(Area.level == "street")).all()
    )
    filed: list[Filed] = []
    hazards: list[dict] = []
    events: list[dict] = []
    citations: list[dict] = []
    links: list[dict] = []
    batch = enumerate(zip(reports, prints, points, strict=True))
    for n, (report, fingerprint, (lat, lon)) in batch:
        if report.id in known:
            payload_hash, version = known[report.id]
            if payload_hash == fingerprint:
                filed.append(Filed(report.id, version=version))
            else:
                error: DomainError = AlreadyExists(
                    "a different hazard was already filed with this id",
                    errors={"id": [str(report.id)]},
                )
                filed.append(Filed(report.id, error=error))
            continue
        too_long = policy.description_error(report.description) if found_by is None else None
        if too_long is not None:
            filed.append(Filed(report.id, error=too_long))
            continue
        category = categories.get(report.category)
        if category is None or not category.active:
            # A phone offers the categories it cached, which the office may have stopped
            # since: say so, so the reporter picks another rather than doubting the app.
            error = (
                InvalidInput(
                    "unknown hazard category",
                    errors={"category": [f"unknown category {report.category!r}"]},
                )
                if category is None
                else InvalidInput(
                    "hazard category no longer in use",
                    errors={"category": [f"category {report.category!r} is deactivated"]},
                )
            )
            filed.append(Filed(report.id, error=error))
            continue
        where = {level: int(ids[n]) or None for level, ids in found.items()}
        hazard = {
            "id": report.id,
            "reporter_id": reporter.id,
            "category_id": category.id,
            "description": report.description,
            "lat": lat,
            "lon": lon,
            "accuracy_m": report.accuracy_m,
            "crs": report.crs,
            "address": report.address,
            "observed_at": report.observed_at,
            "received_at": now,
            "time_flag": time_flag(report.observed_at, now),
            "status": "reported",
            "severity": category.default_severity,
            "version": 1,
            "street_id": where["street"],
            "community_id": where["community"],
            "grid_id": where["grid"],
            "territorial_department_id": offices.get(where["street"]),
            "lead_department_id": None,
            "deadline": None,
            "deadline_basis": None,
            "assigned_at": None,
            "routing_note": None,
            "payload_hash": fingerprint,
            "field_versions": {},
            "place_id": None,
            "inspection_id": None,
        }
        if found_by is not None:
            hazard.update(found_by[n])
        report_event = uuid.uuid4()
        events.append(
            _event_row(report_event, report.id, 1, "report", reporter.id, now, None, "reported")
            | {"data": {"photos": list(report.photos)}}
        )
        citations.extend(
            {
                "hazard_id": report.id,
                "sha256": sha,
                "phase": "report",
                "event_id": report_event,
                "position": position,
                "flags": None,
                "distance_m": None,
            }
            for position, sha in enumerate(dict.fromkeys(report.photos))
        )
        if where["grid"] is None:
            hazard["routing_note"] = OUTSIDE
        else:
            area_ids = [where["grid"], where["community"], where["street"]]
            area_ids.append(districts.get(where["street"]) if where["street"] else None)
            department = router.department(category.id, area_ids)
            if department is None:
                stopped = deactivated_rule(session, category.id, area_ids)
                hazard["routing_note"] = stopped or no_rule(category.code)
            else:
                department_id, department_code = department
                deadline, data = assignment(department_code, category.deadline_days, now)
                hazard.update(
                    status="assigned",
                    version=2,
                    lead_department_id=department_id,
                    deadline=deadline.at,
                    deadline_basis=deadline.basis,
                    assigned_at=now,
                )
                events.append(
                    _event_row(uuid.uuid4(), report.id, 2, "route", None, now, "reported")
                    | {"to_status": "assigned", "data": data}
                )
        nearby = duplicates.links(report.id, category.id, lat, lon, report.photos)
        links.extend(
            {"hazard_id": report.id, "other_id": other, "reason": why, "distance_m": metres}
            for other, (why, metres) in nearby.items()
        )
        duplicates.add(report.id, category.id, lat, lon, report.photos, linked=bool(nearby))
        known[report.id] = (fingerprint, hazard["version"])
        hazards.append(hazard)
        filed.append(Filed(report.id, version=hazard["version"], created=True))
    if hazards:
        session.flush()
        connection = session.connection()
        for model, rows in (
            (Hazard, hazards),
            (HazardEvent, events),
            (HazardPhoto, citations),
            (DuplicateLink, links),
        ):
            if rows:
                connection.execute(sa.insert(model.__table__), rows)  # type: ignore[arg-type]
        note_new_hazards(session, [hazard["id"] for hazard in hazards])
        assess_citations(session, photos, policy.photos)
    return filed


def _territorial_offices(session: Session) -> dict[int | None, int]:
    """Return {street id: id of its street office}, the oldest office where a street has two."""
    rows = session.execute(
        sa.select(Department.area_id, Department.id)
        .where(Department.kind == "territorial", Department.area_id.is_not(None))
        .order_by(Department.id.desc())
    )
    return dict(rows.all())


def _event_row(
    event_id: uuid.UUID,
    hazard_id: uuid.UUID,
    seq: int,
    type_: str,
    actor_id: int | None,
    at: datetime,
    from_status: str | None,
    to_status: str | None = None,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "hazard_id": hazard_id,
        "seq": seq,
        "type": type_,
        "actor_id": actor_id,
        "at": at,
        "from_status": from_status,
        "to_status": to_status or from_status,
        "note": None,
        "data": {},
        "payload_hash": None,
    }
