"""Places to inspect (检查对象): imported by the office, added in the field, listed."""

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from server.models import (
    Area,
    Place,
    User,
    utcnow,
)
from server.services.areas import AreaIndex, area_index
from server.services.coords import to_wgs84
from server.services.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from server.services.inspections.common import INSPECTING_ROLES, resend_hash
from server.vocabulary import PLACE_TYPES


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


def _place_row(session: Session, place: NewPlace, index: AreaIndex | None = None) -> dict[str, Any]:
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


def add_place(
    session: Session, user: User, new: NewPlace, *, now: datetime | None = None
) -> tuple[Place, bool]:
    """Add a place: confirmed when the office adds it, proposed from the field.

    A grid worker may add places only in their own grids. Idempotent on the id.
    """
    if user.role not in INSPECTING_ROLES:
        raise PermissionDenied("only inspectors and the office add places")
    if new.type not in PLACE_TYPES:
        raise InvalidInput("unknown place type", errors={"type": [f"one of {list(PLACE_TYPES)}"]})
    fingerprint = resend_hash(new, user.id)
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


def confirm_place(session: Session, place_id: uuid.UUID) -> Place:
    """Confirm a place added in the field (the office)."""
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound("no such place")
    place.status = "confirmed"
    session.flush()
    return place


CSV_COLUMNS = ("code", "name", "type", "lat", "lon")  # and address, which may be left out


def _feature_row(feature: object) -> dict[str, Any]:
    """Return a GeoJSON point feature's properties with its lat and lon, as a CSV row
    would give them; what is not an object counts as empty, and is refused as such."""
    feature = feature if isinstance(feature, dict) else {}
    props = feature.get("properties")
    row = dict(props) if isinstance(props, dict) else {}
    geometry = feature.get("geometry")
    geometry = geometry if isinstance(geometry, dict) else {}
    coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
    if isinstance(coords, list) and len(coords) >= 2:
        row["lon"], row["lat"] = coords[:2]
    else:
        row["lon"], row["lat"] = None, None
    return row


def _text(value: object) -> str | None:
    """Return a text value stripped, or None if it is missing or not text."""
    return value.strip() if isinstance(value, str) else None


def parse_places(payload: dict[str, Any] | str) -> list[NewPlace]:
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
        rows: list[dict[str, Any]] = [_feature_row(feature) for feature in features]
    else:
        reader = csv.DictReader(io.StringIO(payload.lstrip("\ufeff")))
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:  # a file without its header would import nothing and say nothing
            raise InvalidInput(
                "the CSV needs a header row: code,name,type,address,lat,lon",
                errors={"header": [f"missing {', '.join(missing)}"]},
            )
        rows = list(reader)
    places: list[NewPlace] = []
    errors: dict[str, list[str]] = {}
    for n, row in enumerate(rows, start=1):
        problems: list[str] = []
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
            # Every row has both (the CSV header is checked; a feature's are set), maybe None.
            lat, lon = float(row["lat"]), float(row["lon"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except (TypeError, ValueError):
            problems.append("lat and lon must be WGS-84 degrees")
        if problems:  # a row whose lat or lon did not read stops here
            errors[f"row {n}"] = problems
            continue
        assert name  # required above
        place_id = uuid.uuid5(uuid.NAMESPACE_URL, f"place:{code}")
        places.append(NewPlace(place_id, name, row["type"], lat, lon, address=address, code=code))
    if errors:
        raise InvalidInput("some places are not valid; nothing was imported", errors=errors)
    if len({p.code for p in places}) != len(places):
        raise InvalidInput("each place needs its own code", errors={"code": ["repeated"]})
    return places


def import_places(session: Session, places: Sequence[NewPlace], user: User) -> tuple[int, int]:
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
        # Declarative types __table__ as any FromClause; a model's is its Table.
        session.execute(sa.insert(cast(sa.Table, Place.__table__)), new_rows)
    session.flush()
    return created, updated


# A select of places, or of their columns, narrowed by where.
_PlaceSelect = TypeVar("_PlaceSelect", bound=sa.Select[*tuple[Any, ...]])


def _within(session: Session, query: _PlaceSelect, code: str, field: str) -> _PlaceSelect:
    """Narrow a query of places to those in area `code` (the district: all of them)."""
    area = session.scalar(sa.select(Area).filter_by(code=code))
    if area is None:
        raise InvalidInput(f"unknown {field}", errors={field: [code]})
    levels = {"street": Place.street_id, "community": Place.community_id, "grid": Place.grid_id}
    column = levels.get(area.level)
    return query if column is None else query.where(column == area.id)


def list_places(
    session: Session,
    *,
    type_: str | None = None,
    area: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 500,
) -> tuple[Sequence[Place], int]:
    """Return (a page of places by code then name, how many match), filtered."""
    query = sa.select(Place)
    if type_:
        query = query.where(Place.type == type_)
    if status:
        query = query.where(Place.status == status)
    if area:
        query = _within(session, query, area, "area")
    total = session.execute(
        sa.select(sa.func.count()).select_from(query.subquery())
    ).scalar_one()  # a count is one row
    page = (
        query.options(selectinload(Place.grid))
        .order_by(Place.code, Place.name, Place.id)
        .offset(offset)
        .limit(limit)
    )
    return session.scalars(page).all(), total
