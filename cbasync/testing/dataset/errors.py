"""Domain errors raised by the emulator's backends (which know nothing of HTTP).

The app renders an uncaught one as an EDR-style error (``{"reason", "message"}``) with the status
below; a route module that needs another body shape (the cloud's ``error_code``) catches it.
"""

from __future__ import annotations

__all__ = ["BackendError", "Conflict", "Forbidden", "Invalid", "NotFound"]


class BackendError(Exception):
    """Base class; ``status`` is the HTTP status a route should answer with."""

    status = 500
    reason = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class NotFound(BackendError):
    status = 404
    reason = "not_found"


class Conflict(BackendError):
    status = 409
    reason = "conflict"


class Invalid(BackendError):
    status = 400
    reason = "invalid_request"


class Forbidden(BackendError):
    status = 403
    reason = "forbidden"
