"""The exceptions Frankly raises. Every edge (CLI, web, worker) turns them into plain words.

``InvalidInput`` is the caller's mistake (CLI exit 2, HTTP 400/422); the others are
failures of a well-formed request (CLI exit 1, HTTP 404/409/503).
"""

from __future__ import annotations


class FranklyError(Exception):
    """Base class: ``str(error)`` is a one-line message a user can act on."""

    exit_code = 1
    http_status = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def details(self) -> dict[str, object]:
        """What an API client needs beyond the message (findings, the times in conflict)."""
        return {}


class InvalidInput(FranklyError):
    """Input that cannot be accepted: a malformed value, an unknown language, a bad email."""

    exit_code = 2
    http_status = 422
    code = "invalid_input"


class NotFound(FranklyError):
    """A case, customer, agent or message that does not exist."""

    http_status = 404
    code = "not_found"


class IllegalTransition(FranklyError):
    """A state change the case's life cycle does not allow."""

    http_status = 409
    code = "illegal_transition"


class Conflict(FranklyError):
    """The request clashes with what is stored (a duplicate, a second use of a code)."""

    http_status = 409
    code = "conflict"


class DatabaseUnavailable(FranklyError):
    """The database cannot be reached or opened."""

    http_status = 503
    code = "database_unavailable"
