"""Authenticity flags the office sees on a photo cited by a hazard."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from geopy.distance import geodesic

from uploads.exif import ExifFacts

FLAGS = ("location_mismatch", "stale", "no_exif", "reused")


@dataclass(frozen=True)
class Rules:
    """Thresholds for the flags; all configurable."""

    max_distance_m: float = 200.0
    max_age: timedelta = timedelta(hours=24)
    future_slack: timedelta = timedelta(minutes=10)


DEFAULT_RULES = Rules()


@dataclass(frozen=True)
class Assessment:
    """The flags raised and, where both positions are known, the distance."""

    flags: tuple[str, ...]
    distance_m: float | None


def assess(
    exif: ExifFacts,
    *,
    lat: float,
    lon: float,
    observed_at: datetime,
    reused: bool,
    rules: Rules = DEFAULT_RULES,
) -> Assessment:
    """Return the Assessment of a photo's EXIF against where and when it was reported."""
    flags = []
    distance = None
    if exif.status != "ok" or not exif.camera:
        flags.append("no_exif")
    if exif.gps_lat is not None and exif.gps_lon is not None:
        distance = geodesic((exif.gps_lat, exif.gps_lon), (lat, lon)).meters
        if distance > rules.max_distance_m:
            flags.append("location_mismatch")
    if exif.taken_at is not None:
        if exif.taken_at < observed_at - rules.max_age:
            flags.append("stale")
        elif exif.taken_at > observed_at + rules.future_slack:
            flags.append("stale")
    if reused:
        flags.append("reused")
    return Assessment(flags=tuple(flags), distance_m=distance)
