"""Read the EXIF facts the office needs: GPS, time taken, camera, orientation.

exifread parses the tags. It is fed only the EXIF block that Pillow (or
pillow-heif) has already cut out of the file, so a hostile file cannot make it
read far; any failure marks the EXIF unreadable and never stops intake.
"""

import io
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import exifread
from exifread.utils import Ratio

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExifFacts:
    """What a photo's EXIF says; status is 'ok', 'none' or 'unreadable'."""

    status: str = "none"
    taken_at: datetime | None = None  # aware
    offset_assumed: bool = False  # no offset in EXIF: taken as Asia/Shanghai
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_alt: float | None = None
    make: str | None = None
    model: str | None = None
    orientation: int | None = None
    # Anything a camera writes: capture time, make/model or GPS. Editors such as
    # Photoshop leave EXIF with none of these, which counts as no EXIF.
    camera: bool = False


def _text(tags: dict[str, Any], name: str, limit: int = 100) -> str | None:
    value = tags.get(name)
    if value is None:
        return None
    text = str(value.printable if hasattr(value, "printable") else value)
    text = text.replace("\x00", "").strip()
    return text[:limit] or None


def _ratio(value: Ratio | float) -> float:
    den = getattr(value, "den", 1)
    num = getattr(value, "num", value)
    if not den:
        raise ValueError("zero denominator")
    result = float(num) / float(den)
    if not math.isfinite(result):
        raise ValueError("not finite")
    return result


def _coordinate(tags: dict[str, Any], name: str, limit: float) -> float | None:
    values = tags.get(f"GPS GPS{name}")
    ref = _text(tags, f"GPS GPS{name}Ref")
    if values is None or not isinstance(values.values, list) or len(values.values) != 3:
        return None
    degrees, minutes, seconds = (_ratio(v) for v in values.values)
    result = degrees + minutes / 60 + seconds / 3600
    if ref and ref[0].upper() in "SW":
        result = -result
    if not -limit <= result <= limit or (degrees, minutes, seconds) == (0, 0, 0):
        return None
    return result


def _altitude(tags: dict[str, Any]) -> float | None:
    values = tags.get("GPS GPSAltitude")
    if values is None or not values.values:
        return None
    altitude = _ratio(values.values[0])
    ref = tags.get("GPS GPSAltitudeRef")
    if ref is not None and ref.values and ref.values[0] == 1:
        altitude = -altitude
    return altitude if -1000 < altitude < 100_000 else None


def _offset(text: str | None) -> timezone | None:
    if not text or len(text) < 6 or text[0] not in "+-":
        return None
    hours, minutes = int(text[1:3]), int(text[4:6])
    delta = timedelta(hours=hours, minutes=minutes)
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if text[0] == "-" else delta)


def _taken_at(tags: dict[str, Any]) -> tuple[datetime | None, bool, bool]:
    """Return (aware time taken, offset assumed?, from a camera tag?)."""
    for stamp_tag, offset_tag in (
        ("EXIF DateTimeOriginal", "EXIF OffsetTimeOriginal"),
        ("EXIF DateTimeDigitized", "EXIF OffsetTimeDigitized"),
        ("Image DateTime", "EXIF OffsetTime"),
    ):
        stamp = _text(tags, stamp_tag, limit=40)
        if not stamp:
            continue
        try:
            naive = datetime.strptime(stamp[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        try:
            offset = _offset(_text(tags, offset_tag, limit=10))
        except ValueError:
            offset = None
        from_camera = stamp_tag != "Image DateTime"
        if offset is None:
            return naive.replace(tzinfo=SHANGHAI), True, from_camera
        return naive.replace(tzinfo=offset), False, from_camera
    return None, False, False


def read_exif(raw: bytes) -> ExifFacts:
    """Return ExifFacts from a raw EXIF block (with or without its 'Exif\\0\\0' header)."""
    if not raw:
        return ExifFacts(status="none")
    if raw.startswith(b"Exif\x00\x00"):
        raw = raw[6:]
    try:
        tags = exifread.process_file(io.BytesIO(raw), details=False, extract_thumbnail=False)
    except Exception:  # exifread raises many types on hostile input
        log.info("unreadable EXIF", exc_info=True)
        return ExifFacts(status="unreadable")
    if not tags:
        return ExifFacts(status="unreadable")
    facts: dict[str, Any] = {}  # ExifFacts' keyword arguments, each read on its own
    for name, read in (
        ("gps_lat", lambda: _coordinate(tags, "Latitude", 90)),
        ("gps_lon", lambda: _coordinate(tags, "Longitude", 180)),
        ("gps_alt", lambda: _altitude(tags)),
        ("make", lambda: _text(tags, "Image Make")),
        ("model", lambda: _text(tags, "Image Model")),
        ("orientation", lambda: tags["Image Orientation"].values[0]),
    ):
        try:
            facts[name] = read()
        except Exception:  # one bad tag must not cost the others
            facts[name] = None
    if facts["gps_lat"] is None or facts["gps_lon"] is None:
        facts["gps_lat"] = facts["gps_lon"] = facts["gps_alt"] = None
    if not isinstance(facts["orientation"], int) or not 1 <= facts["orientation"] <= 8:
        facts["orientation"] = None
    taken_at, assumed, from_camera = _taken_at(tags)
    camera = from_camera or bool(facts["make"] or facts["model"] or facts["gps_lat"] is not None)
    return ExifFacts(status="ok", taken_at=taken_at, offset_assumed=assumed, camera=camera, **facts)
