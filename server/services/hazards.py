"""Hazard reports: filing (idempotent on the phone's id), reading, and who may see what."""

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from server.models import Area, Category, Department, Hazard, HazardPhoto, Photo, User, utcnow
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


# Reads go through one select of exactly what a record shows: hazards joined to the
# codes of their category, departments and areas (no ORM objects, no polygons).
_lead, _territorial = aliased(Department), aliased(Department)
_street, _community, _grid = aliased(Area), aliased(Area), aliased(Area)
RECORDS = (
    sa.select(
        Hazard.id,
        Hazard.reporter_id,
        Hazard.description,
        Hazard.lat,
        Hazard.lon,
        Hazard.accuracy_m,
        Hazard.crs,
        Hazard.address,
        Hazard.observed_at,
        Hazard.received_at,
        Hazard.status,
        Hazard.severity,
        Hazard.version,
        Hazard.deadline,
        Hazard.deadline_basis,
        Hazard.extension_requested_until,
        Hazard.closed_at,
        Hazard.duplicate_of_id,
        Hazard.routing_note,
        Category.code.label("category"),
        Category.name_zh.label("category_name"),
        _lead.code.label("lead_department"),
        _territorial.code.label("territorial_department"),
        _street.code.label("street"),
        _community.code.label("community"),
        _grid.code.label("grid"),
        User.username.label("reporter_username"),
        User.display_name.label("reporter_display_name"),
        User.phone.label("reporter_phone"),
        User.role.label("reporter_role"),
    )
    .join(Category, Category.id == Hazard.category_id)
    .join(User, User.id == Hazard.reporter_id)
    .outerjoin(_lead, _lead.id == Hazard.lead_department_id)
    .outerjoin(_territorial, _territorial.id == Hazard.territorial_department_id)
    .outerjoin(_street, _street.id == Hazard.street_id)
    .outerjoin(_community, _community.id == Hazard.community_id)
    .outerjoin(_grid, _grid.id == Hazard.grid_id)
)


# Built once: the photos cited by a page of hazards, arrived or not.
CITATIONS = (
    sa.select(
        HazardPhoto.hazard_id,
        HazardPhoto.sha256,
        HazardPhoto.phase,
        HazardPhoto.flags,
        HazardPhoto.distance_m,
        Photo.sha256.is_not(None).label("present"),
    )
    .outerjoin(Photo, Photo.sha256 == HazardPhoto.sha256)
    .where(HazardPhoto.hazard_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(HazardPhoto.hazard_id, HazardPhoto.position)
)


def records_for(session, rows, viewer, *, now=None, policy=DEFAULT_POLICY):
    """Return the records of selected rows, with their photo citations (one more query)."""
    now = now or utcnow()
    cutoffs = workdays.escalation_cutoffs(now, policy.escalation_days)
    links = {}
    if rows:
        ids = [row.id for row in rows]
        cited = session.connection().execute(CITATIONS, {"ids": ids})
        for link in cited:
            links.setdefault(link.hazard_id, []).append(link)
    return [hazard_record(row, links.get(row.id, []), viewer, now, cutoffs) for row in rows]


def get_record(session, viewer, hazard_id, *, check_visible=True, policy=DEFAULT_POLICY):
    """Return the record of one hazard the viewer may see; anything else is NotFound."""
    query = RECORDS.where(Hazard.id == hazard_id)
    if check_visible:
        query = query.where(visible_to(viewer))
    row = session.connection().execute(query).one_or_none()
    if row is None:
        raise NotFound("no such hazard")
    return records_for(session, [row], viewer, policy=policy)[0]


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
    """Return a Page of the records of hazards the viewer may see, newest first."""
    now = now or utcnow()
    query = filtered(RECORDS.where(visible_to(viewer)), filters, now=now, policy=policy)
    rows, next_cursor = paging.page(
        session, query, NEWEST_FIRST, limit=limit, cursor=cursor, descending=True
    )
    return Page(
        items=records_for(session, rows, viewer, now=now, policy=policy), next_cursor=next_cursor
    )


def _photo_detail(link, viewer):
    detail = {"sha256": link.sha256, "phase": link.phase, "missing": not link.present}
    if viewer.role == "office":
        detail["flags"] = link.flags
        detail["distance_m"] = link.distance_m
    return detail


def hazard_record(row, links, viewer, now, cutoffs):
    """Return a hazard as plain values, leaving out the reporter unless the viewer may know.

    `cutoffs` are workdays.escalation_cutoffs(now): computed once for a whole page.
    """
    overdue = bool(row.status in OPEN and row.deadline is not None and now > row.deadline)
    reporter = None
    if may_see_reporter(viewer, row):
        reporter = {
            "username": row.reporter_username,
            "display_name": row.reporter_display_name,
            "phone": row.reporter_phone,
            "role": row.reporter_role,
        }
    return {
        "id": row.id,
        "category": row.category,
        "category_name": row.category_name,
        "description": row.description,
        "lat": row.lat,
        "lon": row.lon,
        "accuracy_m": row.accuracy_m,
        "crs": row.crs,
        "address": row.address,
        "observed_at": row.observed_at,
        "received_at": row.received_at,
        "status": row.status,
        "severity": row.severity,
        "version": row.version,
        "deadline": row.deadline,
        "deadline_basis": row.deadline_basis,
        "overdue": overdue,
        "escalation": workdays.level_from_cutoffs(row.deadline, cutoffs) if overdue else 0,
        "extension_requested_until": row.extension_requested_until,
        "closed_at": row.closed_at,
        "duplicate_of": row.duplicate_of_id,
        "lead_department": row.lead_department,
        "territorial_department": row.territorial_department,
        "street": row.street,
        "community": row.community,
        "grid": row.grid,
        "routing_note": row.routing_note,
        "photos": [link.sha256 for link in links if link.phase == "report"],
        "photo_details": [_photo_detail(link, viewer) for link in links],
        "mine": row.reporter_id == viewer.id,
        "reporter": reporter,
    }
