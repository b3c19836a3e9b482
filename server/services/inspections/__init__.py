"""Field inspections (检查, SPEC §10), by use case. Plain Python over a session; flushes,
never commits.

checklists  checklists (检查清单) kept as versioned data: drafts, publishing
places      places to inspect (检查对象): imported, added in the field, confirmed, listed
filing      inspections made offline; every failed item becomes a routed hazard
reading     inspections as whoever may see them sees them
tasks       the office's inspection tasks (检查任务) and their progress
"""

from server.services.inspections.checklists import (
    NewItem,
    create_template,
    edit_draft,
    get_version,
    list_templates,
    new_version,
    publish,
    published_versions,
)
from server.services.inspections.common import HAZARD_FROM_ANSWER, INSPECTING_ROLES
from server.services.inspections.filing import (
    Inspected,
    NewAnswer,
    NewInspection,
    hazard_id_for,
    inspection_from,
    submit_inspection,
    submit_inspections,
)
from server.services.inspections.places import (
    NewPlace,
    add_place,
    confirm_place,
    import_places,
    list_places,
    parse_places,
)
from server.services.inspections.reading import inspection_detail, list_inspections
from server.services.inspections.tasks import create_task, task_cards, tasks_for

__all__ = [
    "HAZARD_FROM_ANSWER",
    "INSPECTING_ROLES",
    "Inspected",
    "NewAnswer",
    "NewInspection",
    "NewItem",
    "NewPlace",
    "add_place",
    "confirm_place",
    "create_task",
    "create_template",
    "edit_draft",
    "get_version",
    "hazard_id_for",
    "import_places",
    "inspection_detail",
    "inspection_from",
    "list_inspections",
    "list_places",
    "list_templates",
    "new_version",
    "parse_places",
    "publish",
    "published_versions",
    "submit_inspection",
    "submit_inspections",
    "task_cards",
    "tasks_for",
]
