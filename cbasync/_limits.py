"""Capacity pools shared by the layers above the transport.

:data:`request_slots` bounds the HTTP exchanges of a unit of work (the pages of one paginator
window) without bounding what the work does with the answers: the transport holds a slot only
while a request is on the wire, so a task parsing its page has already handed its slot to the
next request. The paginator sets it around a window; every request made inside (in tasks that
inherit the context) takes a slot.
"""

from __future__ import annotations

import contextvars

import anyio

__all__ = ["request_slots"]

#: Request slots for the current unit of work, or ``None`` (no bound beyond the client's pool).
request_slots: contextvars.ContextVar[anyio.CapacityLimiter | None] = contextvars.ContextVar(
    "cbasync_request_slots", default=None
)
