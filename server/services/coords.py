"""Convert between WGS-84 and the Chinese map datums GCJ-02 and BD-09.

prcoords (public domain) implements the published GCJ-02 obfuscation and its
iterative inverse, accurate to well under a metre.
"""

from typing import Any

import prcoords


def to_wgs84(lat: float, lon: float, crs: str) -> tuple[float, float]:
    """Return (lat, lon) in WGS-84 for a point given in `crs`."""
    if crs == "wgs84":
        return lat, lon
    point = prcoords.Coords(lat, lon)
    if not prcoords.sanity_in_china_p(point):
        # Outside China the datums agree; converting would only add error.
        return lat, lon
    if crs == "gcj02":
        result = prcoords.gcj_wgs_bored(point)
    elif crs == "bd09":
        result = prcoords.bd_wgs_bored(point)
    else:
        raise ValueError(f"unknown crs {crs!r}")
    return result.lat, result.lon


def from_wgs84(lat: float, lon: float, crs: str) -> tuple[float, float]:
    """Return (lat, lon) in `crs` for a WGS-84 point."""
    if crs == "wgs84":
        return lat, lon
    point = prcoords.Coords(lat, lon)
    if not prcoords.sanity_in_china_p(point):
        return lat, lon
    if crs == "gcj02":
        result = prcoords.wgs_gcj(point)
    elif crs == "bd09":
        result = prcoords.wgs_bd(point)
    else:
        raise ValueError(f"unknown crs {crs!r}")
    return result.lat, result.lon


def geometry_from_wgs84(geometry: dict[str, Any], crs: str) -> dict[str, Any]:
    """Return a GeoJSON geometry with every position moved from WGS-84 into `crs`."""
    if crs == "wgs84":
        return geometry

    def move(coordinates: Any) -> Any:
        if coordinates and isinstance(coordinates[0], (int, float)):
            lat, lon = from_wgs84(coordinates[1], coordinates[0], crs)
            return [lon, lat, *coordinates[2:]]
        return [move(inner) for inner in coordinates]

    if geometry.get("type") == "GeometryCollection":
        parts = [geometry_from_wgs84(g, crs) for g in geometry.get("geometries", [])]
        return {**geometry, "geometries": parts}
    return {**geometry, "coordinates": move(geometry["coordinates"])}
