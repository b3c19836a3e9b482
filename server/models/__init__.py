"""SQLAlchemy models, one module per aggregate; importing this registers them all."""

from server.models.accounts import ROLES, DeviceToken, User, user_grids
from server.models.base import Base, UTCDateTime, utcnow
from server.models.hazards import (
    CRS_NAMES,
    PHOTO_PHASES,
    STATUSES,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Photo,
    PhotoUpload,
)
from server.models.org import AREA_LEVELS, SEVERITIES, Area, Category, Department, RoutingRule

__all__ = [
    "AREA_LEVELS",
    "CRS_NAMES",
    "PHOTO_PHASES",
    "ROLES",
    "SEVERITIES",
    "STATUSES",
    "Area",
    "Base",
    "Category",
    "Department",
    "DeviceToken",
    "Hazard",
    "HazardEvent",
    "HazardPhoto",
    "Photo",
    "PhotoUpload",
    "RoutingRule",
    "UTCDateTime",
    "User",
    "user_grids",
    "utcnow",
]
