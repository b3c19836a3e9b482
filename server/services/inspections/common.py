"""What every part of inspections shares: who may inspect, and how a resend is known."""

import uuid
from dataclasses import fields
from typing import Any

from server.services.fingerprint import canonical_hash

INSPECTING_ROLES = ("grid_worker", "dept_staff", "office")
# A failed item's hazard id follows from its answer's id: a resend makes no second one.
HAZARD_FROM_ANSWER = uuid.UUID("6f1d3c1e-1c55-4a7b-9d1e-7b4c2f0a9e31")


def resend_hash(value: Any, user_id: int) -> str:
    """Return the fingerprint of a dataclass sent by a user, to tell a resend from new content."""
    content = {f.name: getattr(value, f.name) for f in fields(value)}
    content["by"] = user_id
    return canonical_hash(content)
