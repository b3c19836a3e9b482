"""Hazard reports: filing (idempotent on the phone's id), reading, and who may see what."""

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from server.models import Area, Category, Department, Hazard, HazardPhoto, utcnow
from server.services import paging, workdays
from server.services.areas import locate
from server.services.coords import to_wgs84
from server.services.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from server.services.lifecycle import OPEN
from server.services.photos import assess_citations
from server.services.policy import DEFAULT_POLICY
from server.services.routing import find_duplicates
from server.services.steps import append_event, route_on_receipt
from server.services.visibility import may_see_reporter, visible_to

REPORTING_ROLES = ("volunteer", "grid_worker", "office")


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

    def fingerprint(self, reporter_id):
        """Return a SHA-256 of this report's content, to recognise a resend."""
        content = asdict(self)
        content["id"] = str(self.id)
        content["observed_at"] = self.observed_at.isoformat()
        content["photos"] = list(self.photos)
        content["reporter"] = reporter_id
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class HazardFilter:
    """What a hazard list is narrowed to; every field is optional."""

    status: tuple[str, ...] = ()
    category: str | None = None
    street: str | None = None
    department: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    since: datetime | None = None
    overdue: bool | None = None
    escalation: int | None = None  # at least this 督办 level


@dataclass
class Page:
    """One page of a keyset-paginated list."""

    items: list
    next_cursor: str | None = None


def report_hazard(session, reporter, report, *, now=None, policy=DEFAULT_POLICY):
    """File and route a report; return (hazard, created). A resend is not new.

    The same id with different content, or from another account, is refused.
    """
    if reporter.role not in REPORTING_ROLES:
        raise PermissionDenied("department staff cannot file reports")
    fingerprint = report.fingerprint(reporter.id)
    existing = session.get(Hazard, report.id)
    if existing is not None:
        if existing.payload_hash == fingerprint:
            return existing, False
        raise AlreadyExists(
            "a different hazard was already filed with this id", errors={"id": [str(report.id)]}
        )
    category = session.scalar(sa.select(Category).filter_by(code=report.category, active=True))
    if category is None:
        raise InvalidInput(
            "unknown hazard category",
            errors={"category": [f"unknown category {report.category!r}"]},
        )
    now = now or utcnow()
    lat, lon = to_wgs84(report.lat, report.lon, report.crs)
    where = locate(session, lat, lon)
    hazard = Hazard(
        id=report.id,
        reporter=reporter,
        category=category,
        description=report.description,
        lat=lat,
        lon=lon,
        accuracy_m=report.accuracy_m,
        crs=report.crs,
        address=report.address,
        observed_at=report.observed_at,
        received_at=now,
        status="reported",
        severity=category.default_severity,
        version=0,
        street_id=where.street_id,
        community_id=where.community_id,
        grid_id=where.grid_id,
        payload_hash=fingerprint,
    )
    session.add(hazard)
    hazard.status = None  # the report event below moves it to 'reported'
    event = append_event(
        session, hazard, "report", reporter, now, "reported", data={"photos": list(report.photos)}
    )
    session.add_all(
        HazardPhoto(hazard=hazard, sha256=sha, phase="report", event=event, position=n)
        for n, sha in enumerate(dict.fromkeys(report.photos))
    )
    session.flush()
    route_on_receipt(session, hazard, now)
    session.flush()
    find_duplicates(session, hazard, list(report.photos), policy)
    assess_citations(session, list(report.photos), policy.photos)
    return hazard, True


def load_options(query):
    return query.options(
        joinedload(Hazard.category),
        joinedload(Hazard.lead_department),
        joinedload(Hazard.territorial_department),
        joinedload(Hazard.street),
        joinedload(Hazard.community),
        joinedload(Hazard.grid),
        joinedload(Hazard.reporter),
        selectinload(Hazard.photo_links).joinedload(HazardPhoto.photo),
    )


def get_hazard(session, viewer, hazard_id):
    """Return one hazard the viewer may see; anything else is NotFound."""
    hazard = session.scalar(
        load_options(sa.select(Hazard)).where(Hazard.id == hazard_id, visible_to(viewer))
    )
    if hazard is None:
        raise NotFound("no such hazard")
    return hazard


def _code_id(model, code):
    return sa.select(model.id).where(model.code == code).scalar_subquery()


def filtered(query, filters, *, now, policy=DEFAULT_POLICY):
    """Narrow a hazard query by a HazardFilter."""
    if filters.status:
        query = query.where(Hazard.status.in_(filters.status))
    if filters.category:
        query = query.where(Hazard.category_id == _code_id(Category, filters.category))
    if filters.street:
        query = query.where(Hazard.street_id == _code_id(Area, filters.street))
    if filters.department:
        query = query.where(Hazard.lead_department_id == _code_id(Department, filters.department))
    if filters.bbox:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        query = query.where(
            Hazard.lon.between(min_lon, max_lon), Hazard.lat.between(min_lat, max_lat)
        )
    if filters.since:
        query = query.where(Hazard.received_at >= filters.since)
    overdue = sa.and_(Hazard.status.in_(OPEN), Hazard.deadline < now)
    if filters.overdue is True:
        query = query.where(overdue)
    elif filters.overdue is False:
        query = query.where(sa.not_(overdue) | Hazard.deadline.is_(None))
    if filters.escalation:
        cutoff = workdays.escalation_cutoff(now, filters.escalation, policy.escalation_days)
        query = query.where(Hazard.status.in_(OPEN), Hazard.deadline < cutoff)
    return query


NEWEST_FIRST = [(Hazard.received_at, "received_at", datetime), (Hazard.id, "id", uuid.UUID)]


def list_hazards(session, viewer, filters, *, limit, cursor=None, now=None, policy=DEFAULT_POLICY):
    """Return a Page of hazards the viewer may see, newest first."""
    query = load_options(sa.select(Hazard)).where(visible_to(viewer))
    query = filtered(query, filters, now=now or utcnow(), policy=policy)
    items, next_cursor = paging.page(
        session, query, NEWEST_FIRST, limit=limit, cursor=cursor, descending=True
    )
    return Page(items=items, next_cursor=next_cursor)


def _photo_detail(link, viewer):
    detail = {"sha256": link.sha256, "phase": link.phase, "missing": link.photo is None}
    if viewer.role == "office":
        detail["flags"] = link.flags
        detail["distance_m"] = link.distance_m
    return detail


def hazard_record(hazard, viewer, *, now=None, policy=DEFAULT_POLICY):
    """Return a hazard as plain values, leaving out the reporter unless the viewer may know."""
    now = now or utcnow()
    is_open = hazard.status in OPEN
    overdue = bool(is_open and hazard.deadline is not None and now > hazard.deadline)
    reporter = None
    if may_see_reporter(viewer, hazard):
        reporter = {
            "username": hazard.reporter.username,
            "display_name": hazard.reporter.display_name,
            "phone": hazard.reporter.phone,
            "role": hazard.reporter.role,
        }
    return {
        "id": hazard.id,
        "category": hazard.category.code,
        "category_name": hazard.category.name_zh,
        "description": hazard.description,
        "lat": hazard.lat,
        "lon": hazard.lon,
        "accuracy_m": hazard.accuracy_m,
        "crs": hazard.crs,
        "address": hazard.address,
        "observed_at": hazard.observed_at,
        "received_at": hazard.received_at,
        "status": hazard.status,
        "severity": hazard.severity,
        "version": hazard.version,
        "deadline": hazard.deadline,
        "deadline_basis": hazard.deadline_basis,
        "overdue": overdue,
        "escalation": workdays.escalation_level(hazard.deadline, now, policy.escalation_days)
        if overdue
        else 0,
        "extension_requested_until": hazard.extension_requested_until,
        "closed_at": hazard.closed_at,
        "duplicate_of": hazard.duplicate_of_id,
        "lead_department": hazard.lead_department.code if hazard.lead_department else None,
        "territorial_department": hazard.territorial_department.code
        if hazard.territorial_department
        else None,
        "street": hazard.street.code if hazard.street else None,
        "community": hazard.community.code if hazard.community else None,
        "grid": hazard.grid.code if hazard.grid else None,
        "routing_note": hazard.routing_note,
        "photos": [link.sha256 for link in hazard.photo_links if link.phase == "report"],
        "photo_details": [_photo_detail(link, viewer) for link in hazard.photo_links],
        "mine": hazard.reporter_id == viewer.id,
        "reporter": reporter,
    }
