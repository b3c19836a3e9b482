"""The office's tunable thresholds, passed into services as one value."""

from dataclasses import dataclass, field
from datetime import timedelta

from server.services.errors import InvalidInput
from server.services.workdays import ESCALATION_DAYS
from uploads.authenticity import DEFAULT_RULES, Rules


@dataclass(frozen=True)
class Policy:
    """Thresholds for photo flags, duplicate detection, escalation (督办) and reports."""

    photos: Rules = field(default_factory=lambda: DEFAULT_RULES)
    duplicate_radius_m: float = 30.0
    duplicate_window: timedelta = timedelta(days=7)
    escalation_days: tuple[int, ...] = ESCALATION_DAYS
    description_max_chars: int = 2000

    def description_error(self, description: str) -> InvalidInput | None:
        """Return why a report's description is refused, or None when it fits."""
        if len(description) <= self.description_max_chars:
            return None
        return InvalidInput(
            "the description is too long",
            errors={"description": [f"at most {self.description_max_chars} characters"]},
        )


DEFAULT_POLICY = Policy()
