"""SQLAlchemy models, one module per aggregate; importing this registers them all.

The words they use (roles, statuses, place types …) live in server.vocabulary.
"""

from server.models.accounts import DeviceToken, User, user_grids
from server.models.base import Base, UTCDateTime, utcnow
from server.models.hazards import (
    PHOTO_PHASES,
    DuplicateLink,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Photo,
    PhotoUpload,
    department_open,
)
from server.models.inspections import (
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
    InspectionPhoto,
    InspectionTask,
    Place,
    task_assignees,
    task_places,
)
from server.models.invites import Invite
from server.models.org import Area, Category, Department, RoutingRule
from server.models.sync import Change, SyncDevice, SyncReceipt, SyncState, new_epoch

__all__ = [
    "ChecklistItem",
    "ChecklistTemplate",
    "ChecklistVersion",
    "Inspection",
    "InspectionAnswer",
    "InspectionPhoto",
    "InspectionTask",
    "Invite",
    "Place",
    "task_assignees",
    "task_places",
    "department_open",
    "PHOTO_PHASES",
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
