"""SQLAlchemy models, one module per aggregate; importing this registers them all."""

from server.models.accounts import ROLES, DeviceToken, User, user_grids
from server.models.base import Base, UTCDateTime, utcnow
from server.models.hazards import (
    CRS_NAMES,
    DEPARTMENT_OPEN,
    PHOTO_PHASES,
    STATUSES,
    DuplicateLink,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Photo,
    PhotoUpload,
    department_open,
)
from server.models.org import AREA_LEVELS, SEVERITIES, Area, Category, Department, RoutingRule
from server.models.sync import Change, SyncDevice, SyncReceipt, SyncState, new_epoch

__all__ = [
    "AREA_LEVELS",
    "CRS_NAMES",
    "DEPARTMENT_OPEN",
    "department_open",
    "PHOTO_PHASES",
    "ROLES",
    "SEVERITIES",
    "STATUSES",
    "SyncDevice",
    "SyncReceipt",
    "SyncState",
    "Area",
    "Base",
    "Category",
    "Change",
    "Department",
    "DuplicateLink",
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
    "new_epoch",
]
