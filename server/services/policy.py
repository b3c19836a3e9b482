"""The office's tunable thresholds, passed into services as one value."""

from dataclasses import dataclass, field
from datetime import timedelta

from server.services.workdays import ESCALATION_DAYS
from uploads.authenticity import DEFAULT_RULES, Rules


@dataclass(frozen=True)
class Policy:
    """Thresholds for photo flags, duplicate detection and escalation (督办)."""

    photos: Rules = field(default_factory=lambda: DEFAULT_RULES)
    duplicate_radius_m: float = 30.0
    duplicate_window: timedelta = timedelta(days=7)
    escalation_days: tuple[int, ...] = ESCALATION_DAYS


DEFAULT_POLICY = Policy()
