"""Server-agnostic Live Response: sessions, commands and storage (no HTTP here).

The EDR, cloud v6 and legacy v3 route modules (``cbasync.testing.routes.lr_*``) translate the
wire to :class:`LiveResponseBackend` calls and render its objects in each server's shapes.
"""

from cbasync.testing.live_response.backend import LiveResponseBackend
from cbasync.testing.live_response.model import (
    COMMANDS,
    REGISTRY_COMMANDS,
    Command,
    CommandRejectedError,
    CommandState,
    DeviceDirectory,
    LiveResponseError,
    LrDevice,
    LrObserver,
    LrPolicy,
    ObjectNotFoundError,
    Session,
    SessionLimitError,
    SessionNotFoundError,
    SessionState,
    StoredFile,
    Timeline,
    UnknownDeviceError,
)

__all__ = [
    "COMMANDS",
    "REGISTRY_COMMANDS",
    "Command",
    "CommandRejectedError",
    "CommandState",
    "DeviceDirectory",
    "LiveResponseBackend",
    "LiveResponseError",
    "LrDevice",
    "LrObserver",
    "LrPolicy",
    "ObjectNotFoundError",
    "Session",
    "SessionLimitError",
    "SessionNotFoundError",
    "SessionState",
    "StoredFile",
    "Timeline",
    "UnknownDeviceError",
]
