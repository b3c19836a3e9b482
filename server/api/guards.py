"""Checks for input no request schema reads: free-form JSON and CSV import bodies."""

from schemas.common import unsafe_values
from server.services.errors import InvalidInput


def refuse_unsafe_values(data: object, path: str = "") -> None:
    """Raise InvalidInput (422) naming each string with NUL or an unpaired surrogate, and
    each integer outside 64 bits, in `data`; the same rule every request schema applies."""
    problems = unsafe_values(data, path)
    if problems:
        raise InvalidInput(
            "the body holds values no database can store",
            errors={where: [message] for where, message in problems.items()},
        )
