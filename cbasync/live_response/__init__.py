"""Live Response: sessions on endpoints, every command, and jobs across a fleet.

One implementation for every server: EDR (``/api/v1/cblr``), the cloud's v6 and its legacy v3
API differ only in a :class:`Dialect` (routes and shapes) that the products inject::

    async with api.live_response.session(device_id) as lr:       # one device
        listing = await lr.list_directory("C:\\\\Windows\\\\Temp\\\\")

    async with api.live_response.run(collect, device_ids) as results:   # many devices
        async for result in results:
            print(result.device_id, result.value if result.ok else result.error)

Sessions hold one of the client's session slots (``api.live_response.max_sessions``) for their
whole life and are closed when their block ends, whatever ends it. This package sits above the
core and below the products: it imports no product.
"""

from cbasync._limits import SessionSlots
from cbasync.live_response.devices import DeviceRef, HasId, device_id_of
from cbasync.live_response.dialect import (
    COMMAND_NAMES,
    Call,
    CommandInfo,
    CommandRequest,
    Dialect,
    SessionId,
    SessionInfo,
    epoch_seconds,
    normalise_status,
    session_limit_reached,
)
from cbasync.live_response.manager import (
    ACTIVATION_WAIT,
    KEEPALIVE_INTERVAL,
    LiveResponse,
    LiveResponseHost,
)
from cbasync.live_response.pool import (
    Job,
    JobHandle,
    JobPool,
    JobResult,
    JobResults,
    JobRun,
    Progress,
    ProgressCallback,
)
from cbasync.live_response.results import (
    CreatedProcess,
    DirectoryEntry,
    ProcessEntry,
    RegistryKey,
    RegistryValue,
    records,
)
from cbasync.live_response.session import (
    COMMAND_WAIT,
    CREATE_PROCESS_WAIT,
    KILL_WAIT,
    MEMDUMP_WAIT,
    FileSource,
    LiveResponseSession,
    Memdump,
    WalkEntry,
    registry_type_of,
)
from cbasync.live_response.win32 import describe_result, win32_code

__all__ = [
    "ACTIVATION_WAIT",
    "COMMAND_NAMES",
    "COMMAND_WAIT",
    "CREATE_PROCESS_WAIT",
    "KEEPALIVE_INTERVAL",
    "KILL_WAIT",
    "MEMDUMP_WAIT",
    "Call",
    "CommandInfo",
    "CommandRequest",
    "CreatedProcess",
    "DeviceRef",
    "Dialect",
    "DirectoryEntry",
    "FileSource",
    "HasId",
    "Job",
    "JobHandle",
    "JobPool",
    "JobResult",
    "JobResults",
    "JobRun",
    "LiveResponse",
    "LiveResponseHost",
    "LiveResponseSession",
    "Memdump",
    "ProcessEntry",
    "Progress",
    "ProgressCallback",
    "RegistryKey",
    "RegistryValue",
    "SessionId",
    "SessionInfo",
    "SessionSlots",
    "WalkEntry",
    "describe_result",
    "device_id_of",
    "epoch_seconds",
    "normalise_status",
    "records",
    "registry_type_of",
    "session_limit_reached",
    "win32_code",
]
