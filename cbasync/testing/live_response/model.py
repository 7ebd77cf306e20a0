"""What Live Response is made of: the commands, the states of sessions and commands, the errors,
the device directory and observer a server is given, its policy, and sessions, commands and
stored files themselves.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from cbasync.testing.dataset.vfs import (
    E_INVALIDARG,
    EndpointImage,
    OsFamily,
    VfsError,
)

__all__ = [
    "COMMANDS",
    "REGISTRY_COMMANDS",
    "Command",
    "CommandRejectedError",
    "CommandState",
    "DeviceDirectory",
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
    "as_int",
    "opt_bool",
    "opt_int",
]


#: The 15 command names, exactly as they travel in ``name`` and in ``supported_commands``.
COMMANDS: tuple[str, ...] = (
    "delete file",
    "put file",
    "reg delete key",
    "directory list",
    "reg create key",
    "get file",
    "reg enum key",
    "reg query value",
    "kill",
    "create process",
    "process list",
    "reg delete value",
    "reg set value",
    "create directory",
    "memdump",
)


REGISTRY_COMMANDS = frozenset(c for c in COMMANDS if c.startswith("reg "))


class SessionState(Enum):
    PENDING = "pending"
    ACTIVE = "active"
    CLOSED = "close"
    EXPIRED = "timeout"


class CommandState(Enum):
    PENDING = "pending"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"
    ERROR = "error"
    CANCELLED = "cancel"


class LiveResponseError(Exception):
    """Base of the backend's refusals (each maps to one HTTP answer in the routes)."""


class SessionNotFoundError(LiveResponseError):
    """The session id is unknown, closed or expired."""

    def __init__(self, session_id: object) -> None:
        self.session_id = session_id
        super().__init__(f"Session {session_id} not found")


class UnknownDeviceError(LiveResponseError):
    def __init__(self, device_id: object) -> None:
        self.device_id = device_id
        super().__init__(f"Sensor {device_id} not found")


class SessionLimitError(LiveResponseError):
    """Every slot is taken."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"session limit reached ({limit} concurrent sessions)")


class ObjectNotFoundError(LiveResponseError):
    """A command or stored file that the (live) session does not have."""

    def __init__(self, kind: str, object_id: object) -> None:
        self.kind = kind
        self.object_id = object_id
        super().__init__(f"{kind} {object_id} not found")


class CommandRejectedError(LiveResponseError):
    """The server refuses the command before it reaches the sensor (bad name, bad state)."""


@dataclass(frozen=True)
class LrDevice:
    """What Live Response needs to know about an endpoint."""

    device_id: int
    hostname: str
    address: str
    os: OsFamily
    os_version: str


class DeviceDirectory(Protocol):
    """The endpoint population as Live Response sees it."""

    def lr_device(self, device_id: int) -> LrDevice | None:
        """The device, or None if the server does not know it."""
        ...

    def lr_online(self, device_id: int) -> bool:
        """Whether the device's sensor checks in now."""
        ...

    def lr_image(self, device_id: int) -> EndpointImage:
        """The device's file system, registry and processes (mutable)."""
        ...


class LrObserver(Protocol):
    """Where the backend reports what tests count (the emulator's Counters)."""

    def lr_session_opened(self, server: str) -> None: ...

    def lr_session_ended(self, server: str, *, expired: bool = False) -> None: ...

    def lr_slot_limit_violation(self, server: str) -> None: ...

    def lr_command(self, server: str) -> None: ...


@dataclass(frozen=True)
class LrPolicy:
    """The rules of one Live Response server. Durations in seconds."""

    server: str = "edr"
    """Counter key and flavour: ``"edr"`` or ``"cloud"``."""
    slots: int = 10
    """Concurrent session limit (EDR default 10; cloud 100 per org)."""
    slots_per_device: bool = False
    """Cloud rule: sessions on one device take one slot."""
    session_ids: str = "int"
    """``"int"`` (EDR: 1, 2, ...) or ``"seq:device"`` (cloud: ``"1:2468"``)."""
    first_command_id: int = 1
    """EDR numbers commands from 1; cloud command ids can be 0."""
    activation_delay: float = 2.0
    command_delay: float = 0.5
    command_delays: Mapping[str, float] = field(default_factory=dict)
    """Per-command overrides of ``command_delay`` (e.g. ``{"memdump": 30.0}``)."""
    idle_timeout: float = 300.0
    initial_idle_timeout: float | None = None
    """Idle timeout before the first command (cloud: 30 min); None = ``idle_timeout``."""
    check_in_timeout: float = 1200.0
    """How long a pending session waits for its sensor (EDR 1200 s, cloud 900 s)."""
    sensor_wait_timeout: float = 120.0
    command_timeout: float = 120.0
    closed_retention: float = 600.0
    """How long a closed or expired session stays visible in the EDR session list."""
    memdump_bytes: int = 4 * 1024 * 1024
    """Size of the dump file ``memdump`` writes (a real one is the size of RAM)."""
    storage_url_ttl: float = 300.0
    """Lifetime of a storage download token (the cloud's pre-signed URL)."""
    max_commands: int | None = None
    """Commands allowed per session (cloud: 250); None = no limit."""

    def delay(self, name: str) -> float:
        return self.command_delays.get(name, self.command_delay * (6 if name == "memdump" else 1))


@dataclass(eq=False)
class StoredFile:
    """A file in server storage: an upload, or the bytes a ``get file`` fetched."""

    id: int
    uuid: str
    session: Session
    file_name: str
    create_time: float
    data: bytes | None = None
    status: int = 0
    """0 = ok (or still being transferred), non-zero = transfer failed."""
    deleted: bool = False
    from_upload: bool = False

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


@dataclass(eq=False)
class Command:
    id: int
    session: Session
    name: str
    target: Any
    """``object`` (EDR, v3) or ``path``/``pid`` (v6): a path, a pid or None."""
    options: dict[str, Any]
    username: str
    create_time: float
    created_mono: float
    state: CommandState = CommandState.PENDING
    start_mono: float | None = None
    complete_mono: float | None = None
    completion_time: float | None = None
    """Wall-clock epoch seconds at which the command finished."""
    result: dict[str, Any] = field(default_factory=dict)
    """Payload once complete, in backend terms (entries are vfs objects)."""
    error: tuple[int, str] | None = None
    """``(hresult, description)`` when ``state`` is ERROR."""
    file: StoredFile | None = None
    """The storage file a ``get file`` fills."""

    def status(self, now: float) -> CommandState:
        """The state as a poll sees it (IN_PROGRESS between start and completion)."""
        started = self.start_mono is not None and now >= self.start_mono
        if self.state is CommandState.PENDING and started:
            return CommandState.IN_PROGRESS
        return self.state

    def progress(self, now: float) -> float:
        """Fraction done in [0, 1] (memdump's ``percentdone``)."""
        if self.state in (CommandState.COMPLETE, CommandState.ERROR):
            return 1.0
        if self.start_mono is None or self.complete_mono is None or now < self.start_mono:
            return 0.0
        span = self.complete_mono - self.start_mono
        return 1.0 if span <= 0 else min(1.0, (now - self.start_mono) / span)


@dataclass(eq=False)
class Session:
    seq: int
    id: str | int
    device: LrDevice
    username: str
    create_time: float
    created_mono: float
    cwd: str
    drives: list[str]
    state: SessionState = SessionState.PENDING
    activated_mono: float | None = None
    check_in_time: float | None = None
    """Wall-clock time the sensor checked in (activation)."""
    last_activity_mono: float = 0.0
    had_command: bool = False
    ended_mono: float | None = None
    commands: list[Command] = field(default_factory=list)
    files: dict[int, StoredFile] = field(default_factory=dict)
    next_command_id: int = 1
    next_file_id: int = 1
    busy_until: float = 0.0
    """Monotonic time at which the last scheduled command completes."""
    deadline_mono: float | None = None
    """When the session expires unless something happens (None: not while the sensor works)."""

    @property
    def live(self) -> bool:
        return self.state in (SessionState.PENDING, SessionState.ACTIVE)

    @property
    def supported_commands(self) -> list[str]:
        if self.device.os == "WINDOWS":
            return list(COMMANDS)
        return [c for c in COMMANDS if c not in REGISTRY_COMMANDS]

    @property
    def current_command_index(self) -> int:
        return len(self.commands)

    def find_file(self, file_id: object) -> StoredFile | None:
        """A file kept for this session, by numeric id or uuid (deleted ones are gone)."""
        if isinstance(file_id, int) and not isinstance(file_id, bool):
            stored = self.files.get(file_id)
        elif isinstance(file_id, str) and file_id.strip().isdigit():
            stored = self.files.get(int(file_id))
        elif isinstance(file_id, str):
            stored = next((f for f in self.files.values() if f.uuid == file_id), None)
        else:  # pragma: no cover - defensive
            stored = None
        return stored if stored is not None and not stored.deleted else None


class Timeline:
    """Due events of every LR server of one emulator, run in time order.

    The EDR and cloud servers reach the same machines; a command completed through one must be
    applied before a later command through the other reads the disk, so both share a timeline.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._tie = itertools.count()

    def push(self, at: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._heap, (at, next(self._tie), action))

    def run_until(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            heapq.heappop(heap)[2]()


def as_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def opt_int(value: object, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    parsed = as_int(value)
    if parsed is None:
        raise VfsError(E_INVALIDARG, f"not an integer: {value!r}")
    return parsed


def opt_bool(value: object, *, default: bool) -> bool:
    """Booleans arrive as JSON booleans or as the strings "true"/"false" (the EDR doc)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    if isinstance(value, int):
        return value != 0
    return default
