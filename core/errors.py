"""Errors the domain raises; the web layer turns them into pages or problem details."""

from __future__ import annotations


class DomainError(ValueError):
    """A refused operation with a message the user can act on (Japanese, shown as is)."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class StaleEdit(Conflict):
    """Someone else saved the record after it was opened (optimistic lock)."""
