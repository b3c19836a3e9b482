"""Exceptions the domain raises; the HTTP layer maps each to a status."""

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "domain_error"

    def __init__(
        self, message: str, *, errors: dict[str, list[str]] | None = None, **context: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.context = context


class InvalidInput(DomainError):
    """The request is well formed but its values break a rule."""

    code = "invalid_input"


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""

    code = "not_found"


class AlreadyExists(DomainError):
    """An id was reused for different content."""

    code = "conflict"


class AuthenticationFailed(DomainError):
    """Credentials or token are missing, wrong or revoked."""

    code = "unauthenticated"


class PermissionDenied(DomainError):
    """The caller's role may not do this."""

    code = "forbidden"


class Conflict(DomainError):
    """The request is valid but clashes with the state of things (a published version)."""

    code = "conflict"
