"""Settings from the environment; tests pass a dict to create_app instead.

Every setting has one environment variable of the same name:

DATABASE_URL           SQLAlchemy URL. Default: SQLite file instance/hazards.sqlite3.
                       Production: postgresql+psycopg://user@host/dbname
MEDIA_ROOT             Directory for photo files. Default: instance/media
SECRET_KEY             Signs opaque cursors and the console's CSRF tokens. Set a long
                       random value in production.
PASSWORD_HASH_METHOD   Werkzeug KDF spec for new passwords. Default: scrypt
MAX_CONTENT_LENGTH     Largest JSON request body in bytes. Default: 1048576 (1 MiB)
SYNC_MAX_BYTES         Largest sync call (a phone's batch of mutations). Default: 16777216 (16 MiB)
AREAS_IMPORT_MAX_BYTES Largest area import (GeoJSON polygons). Default: 52428800 (50 MiB)
PLACES_IMPORT_MAX_BYTES Largest place import (CSV or GeoJSON). Default: 20971520 (20 MiB)
JSON_MAX_DEPTH         Deepest nesting of arrays and objects in a JSON body. Default: 32
DESCRIPTION_MAX_CHARS  Longest hazard description. Default: 2000
PAGE_SIZE_MAX          Largest page a list endpoint returns. Default: 200
MAP_PAGE_SIZE_MAX      Largest page of map points (/hazards.geojson). Default: 2000
PHOTO_MAX_BYTES        Largest photo upload in bytes. Default: 25000000 (25 MB)
PHOTO_MAX_PIXELS       Largest photo in pixels (decompression bombs). Default: 100000000
PHOTO_MAX_DISTANCE_M   EXIF GPS this far from the report is flagged. Default: 200
PHOTO_MAX_AGE_HOURS    Photo taken this long before the report is flagged. Default: 24
PHOTO_FUTURE_MINUTES   Photo taken this long after the report is flagged. Default: 10
DUPLICATE_RADIUS_M     Same-category open hazards this close are possible duplicates. Default: 30
DUPLICATE_WINDOW_DAYS  ... if reported within this many days. Default: 7
ESCALATION_DAYS        Working days past the deadline for 督办 levels 1, 2, 3. Default: 1,3,7
SESSION_COOKIE_SECURE  Send the console's session cookie over HTTPS only (true behind TLS).
                       Default: false, for the local http demo
MAP_TILE_URL           Tiles of an intranet map server for the console's map, as a Leaflet URL
                       template (http://tiles.intranet/{z}/{x}/{y}.png; {s} for subdomains).
                       Default: empty, no tiles: the district's area polygons are the base
                       map and the console asks no other host for anything
MAP_TILE_CRS           Datum of those tiles: gcj02 (most Chinese tile servers) or wgs84;
                       the console then asks the API for hazards and areas in it. Default: gcj02
"""

import os
from datetime import timedelta
from pathlib import Path

from server.services.policy import Policy
from uploads.authenticity import Rules

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _int(name, default):
    return int(os.environ.get(name, default))


def _flag(name, default):
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def from_environment():
    """Return the settings read from the process environment."""
    return {
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'hazards.sqlite3'}"
        ),
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(INSTANCE_DIR / "media")),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-not-secret"),
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        "SYNC_MAX_BYTES": _int("SYNC_MAX_BYTES", 16 * 1024 * 1024),
        "AREAS_IMPORT_MAX_BYTES": _int("AREAS_IMPORT_MAX_BYTES", 50 * 1024 * 1024),
        "PLACES_IMPORT_MAX_BYTES": _int("PLACES_IMPORT_MAX_BYTES", 20 * 1024 * 1024),
        "JSON_MAX_DEPTH": _int("JSON_MAX_DEPTH", 32),
        "DESCRIPTION_MAX_CHARS": _int("DESCRIPTION_MAX_CHARS", 2000),
        "PAGE_SIZE_MAX": _int("PAGE_SIZE_MAX", 200),
        "MAP_PAGE_SIZE_MAX": _int("MAP_PAGE_SIZE_MAX", 2000),
        "PHOTO_MAX_BYTES": _int("PHOTO_MAX_BYTES", 25_000_000),
        "PHOTO_MAX_PIXELS": _int("PHOTO_MAX_PIXELS", 100_000_000),
        "PHOTO_MAX_DISTANCE_M": float(os.environ.get("PHOTO_MAX_DISTANCE_M", 200)),
        "PHOTO_MAX_AGE_HOURS": float(os.environ.get("PHOTO_MAX_AGE_HOURS", 24)),
        "PHOTO_FUTURE_MINUTES": float(os.environ.get("PHOTO_FUTURE_MINUTES", 10)),
        "DUPLICATE_RADIUS_M": float(os.environ.get("DUPLICATE_RADIUS_M", 30)),
        "DUPLICATE_WINDOW_DAYS": float(os.environ.get("DUPLICATE_WINDOW_DAYS", 7)),
        "ESCALATION_DAYS": os.environ.get("ESCALATION_DAYS", "1,3,7"),
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", "false"),
        "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", "").strip(),
        "MAP_TILE_CRS": os.environ.get("MAP_TILE_CRS", "gcj02").strip().lower(),
    }


def policy(config):
    """Return the office's thresholds (photos, duplicates, escalation) from the settings."""
    return Policy(
        photos=photo_rules(config),
        duplicate_radius_m=config["DUPLICATE_RADIUS_M"],
        duplicate_window=timedelta(days=config["DUPLICATE_WINDOW_DAYS"]),
        escalation_days=tuple(int(d) for d in str(config["ESCALATION_DAYS"]).split(",")),
        description_max_chars=config["DESCRIPTION_MAX_CHARS"],
    )


TILE_CRS_NAMES = ("gcj02", "wgs84")


def map_tiles(config):
    """Return the console's base map settings: the tile URL (None: no tiles) and its datum.

    Raises ValueError for a datum tiles are not served in, so a typo fails at start-up
    rather than as hazards drawn half a kilometre off their streets.
    """
    crs = config.get("MAP_TILE_CRS") or "gcj02"
    if crs not in TILE_CRS_NAMES:
        raise ValueError(f"MAP_TILE_CRS must be one of {', '.join(TILE_CRS_NAMES)}, not {crs!r}")
    return {"tile_url": config.get("MAP_TILE_URL") or None, "tile_crs": crs}


def photo_rules(config):
    """Return the authenticity thresholds from the app's settings."""
    return Rules(
        max_distance_m=config["PHOTO_MAX_DISTANCE_M"],
        max_age=timedelta(hours=config["PHOTO_MAX_AGE_HOURS"]),
        future_slack=timedelta(minutes=config["PHOTO_FUTURE_MINUTES"]),
    )
