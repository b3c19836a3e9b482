"""Areas of the district: GeoJSON import and point-in-polygon lookup (属地)."""

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from shapely.validation import explain_validity
from sqlalchemy.orm import Session, aliased

from server.models import Area
from server.services.errors import InvalidInput
from server.vocabulary import AREA_LEVELS

LEVEL_RANK = {level: rank for rank, level in enumerate(AREA_LEVELS)}


@dataclass(frozen=True)
class Location:
    """The street, community and grid ids containing a point (any may be None)."""

    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None


class AreaIndex:
    """A spatial index over every area polygon, for lookups without a scan."""

    def __init__(self, rows: Sequence[sa.Row[int, str, dict[str, Any]]]) -> None:
        self._ids = [row.id for row in rows]
        self._levels = [row.level for row in rows]
        self._geoms = [shape(row.geometry) for row in rows]
        for geom in self._geoms:
            shapely.prepare(geom)
        self._tree = shapely.STRtree(self._geoms)
        self._id_array = np.array(self._ids, dtype=np.int64)
        self._level_array = np.array(self._levels)

    def locate_many(
        self, lats: Sequence[float], lons: Sequence[float]
    ) -> dict[str, npt.NDArray[np.int64]]:
        """Return {level: array of area ids (0 where none)} for many points at once."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        point_index, area_index = self._tree.query(points, predicate="intersects")
        found: dict[str, npt.NDArray[np.int64]] = {}
        for level in AREA_LEVELS:
            ids = np.zeros(len(points), dtype=np.int64)
            mask = self._level_array[area_index] == level
            ids[point_index[mask]] = self._id_array[area_index[mask]]
            found[level] = ids
        return found

    def locate(self, lat: float, lon: float) -> Location:
        """Return the Location of the areas containing (lat, lon)."""
        point = shapely.Point(lon, lat)
        found: dict[str, int] = {}
        for i in self._tree.query(point, predicate="intersects"):
            found.setdefault(self._levels[i], self._ids[i])
        return Location(
            district_id=found.get("district"),
            street_id=found.get("street"),
            community_id=found.get("community"),
            grid_id=found.get("grid"),
        )


_index_lock = threading.Lock()
# What the cached index was built from: the database, and its areas' (count, max id, last change).
_index_cache: dict[str, tuple[tuple[str, tuple[Any, ...]], AreaIndex]] = {}


def area_index(session: Session) -> AreaIndex:
    """Return the area index, rebuilt only when the areas table has changed."""
    signature = session.execute(
        sa.select(sa.func.count(Area.id), sa.func.max(Area.id), sa.func.max(Area.updated_at))
    ).one()
    # The bind is an Engine or a Connection; either names its engine, and the engine its URL.
    key = (str(session.get_bind().engine.url), tuple(signature))
    with _index_lock:
        cached = _index_cache.get("index")
        if cached and cached[0] == key:
            return cached[1]
    rows = session.execute(sa.select(Area.id, Area.level, Area.geometry)).all()
    index = AreaIndex(rows)
    with _index_lock:
        _index_cache["index"] = (key, index)
    return index


def locate(session: Session, lat: float, lon: float) -> Location:
    """Return the Location of a WGS-84 point in the district."""
    return area_index(session).locate(lat, lon)


def _check_feature(
    number: int, feature: object, known_codes: Collection[str]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Return (code, props, geometry) of one feature, or raise with what is wrong."""
    where = f"features[{number}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput(f"{where} is not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidInput(f"{where} has properties that are not an object")
    errors: dict[str, list[str]] = {}
    for key, longest in (("code", 40), ("name", 100), ("level", 20)):
        if not isinstance(props.get(key), str) or not props[key].strip():
            errors[key] = ["required text property"]
        elif len(props[key].strip()) > longest:
            errors[key] = [f"at most {longest} characters"]
    if not isinstance(props.get("level"), str) or props["level"] not in LEVEL_RANK:
        errors["level"] = [f"must be one of {', '.join(AREA_LEVELS)}"]
    parent = props.get("parent")
    if parent is not None and (not isinstance(parent, str) or parent not in known_codes):
        errors["parent"] = [f"unknown parent area {parent!r}"]
    geometry = feature.get("geometry")
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises many types for bad GeoJSON
        errors["geometry"] = [f"not a GeoJSON geometry: {exc}"]
    else:
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            errors["geometry"] = ["must be a Polygon or MultiPolygon"]
        elif geom.is_empty or not geom.is_valid:
            errors["geometry"] = [f"invalid polygon: {explain_validity(geom)}"]
        else:
            minx, miny, maxx, maxy = geom.bounds
            if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
                errors["geometry"] = ["coordinates outside WGS-84 longitude/latitude"]
    if errors:
        raise InvalidInput(f"{where} ({props.get('code')!r}) is not a valid area", errors=errors)
    assert isinstance(geometry, dict)  # shape() took it as GeoJSON: from JSON, an object
    return props["code"].strip(), props, geometry


def import_areas(session: Session, collection: object) -> tuple[int, int]:
    """Create or update areas from a GeoJSON FeatureCollection; all or nothing.

    Features carry properties `code`, `name`, `level` and `parent` (a code, from
    this file or already stored). Returns (created, updated).
    """
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise InvalidInput("expected a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput("the FeatureCollection has no features")

    existing = {a.code: a for a in session.scalars(sa.select(Area))}
    file_codes = {
        code
        for f in features
        if isinstance(f, dict) and isinstance(props := f.get("properties"), dict)
        if isinstance(code := props.get("code"), str)
    }
    known = set(existing) | file_codes
    # Every feature is checked, so one answer names each bad one ("feature 3"), as a
    # places import names its rows, and the office fixes the file in one go.
    checked = []
    problems: dict[str, list[str]] = {}
    for n, feature in enumerate(features):
        try:
            checked.append(_check_feature(n, feature, known))
        except InvalidInput as bad:
            problems[f"feature {n + 1}"] = [
                f"{field}: {message}"
                for field, messages in bad.errors.items()
                for message in messages
            ] or [bad.message]
    if problems:
        raise InvalidInput("some areas are not valid; nothing was imported", errors=problems)
    seen: set[str] = set()
    for code, _, _ in checked:
        if code in seen:
            raise InvalidInput(f"area code {code!r} appears twice", errors={"code": [code]})
        seen.add(code)

    # Parents first, so each child can point at a row that exists.
    checked.sort(key=lambda item: LEVEL_RANK[item[1]["level"]])
    levels = {code: a.level for code, a in existing.items()}
    levels.update({code: props["level"] for code, props, _ in checked})
    created = updated = 0
    for code, props, geometry in checked:
        parent = props.get("parent")
        if parent is not None and LEVEL_RANK[levels[parent]] >= LEVEL_RANK[props["level"]]:
            raise InvalidInput(
                f"area {code!r} ({props['level']}) cannot sit inside {parent!r} ({levels[parent]})",
                errors={"parent": [parent]},
            )
        area = existing.get(code)
        if area is None:
            area = Area(code=code)
            session.add(area)
            existing[code] = area
            created += 1
        else:
            updated += 1
        area.name = props["name"].strip()
        area.level = props["level"]
        area.geometry = geometry
        area.parent = existing[parent] if parent is not None else None
    session.flush()
    return created, updated


def areas_feature_collection(session: Session) -> dict[str, Any]:
    """Return every area as a GeoJSON FeatureCollection, parents before children."""
    parent = aliased(Area)
    rows = sorted(
        session.execute(
            sa.select(Area, parent.code)
            .outerjoin(parent, Area.parent_id == parent.id)
            .order_by(Area.code)
        ).all(),
        key=lambda row: LEVEL_RANK[row[0].level],  # stable: by code within a level
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": area.code,
                "geometry": area.geometry,
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "parent": parent_code,
                },
            }
            for area, parent_code in rows
        ],
    }
