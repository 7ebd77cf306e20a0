"""Live Response as a state machine, with no knowledge of HTTP.

One :class:`LiveResponseBackend` is one server's Live Response service: the EDR server
(``/api/v1/cblr``) or a cloud org (v6 ``/liveresponse`` and legacy v3 ``/cblr`` share the org's
sessions and its slot limit). Its rules:

- **Sessions** start ``pending``; an online device checks in ``activation_delay`` seconds later
  and the session becomes ``active``. An offline device never checks in: the session stays
  pending until ``check_in_timeout`` and then is gone. An active session expires after
  ``idle_timeout`` seconds without a command or a keepalive (``initial_idle_timeout`` before
  its first command); an expired or closed session answers "not found".
- **Slots**: at most ``slots`` sessions (EDR: pending ones count) or, on the cloud, sessions on
  at most ``slots`` distinct devices (several sessions on one device count once). Beyond it,
  :class:`SessionLimitError`.
- **Commands** run one at a time per session, in order, each taking its configured delay once the
  session is active; results come from the device's :class:`~cbasync.testing.dataset.vfs.EndpointImage`
  (a failure carries the Win32 HRESULT the sensor would report).
- **Files**: uploads (for ``put file``) and ``get file`` results are kept in server storage per
  session; a storage token can be issued for a download that needs no credentials (the cloud's
  302 to pre-signed storage).

Time is the injectable clock's; nothing runs in the background. Every public call first brings
the state up to "now" (activations, command completions, expiries), so a test with a manual clock
sees exactly the transitions that are due.
"""

from __future__ import annotations

import heapq
import io
import itertools
import json
import secrets
import uuid
import zipfile
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from cbasync.testing._clock import Clock
from cbasync.testing.dataset.vfs import (
    E_FILE_NOT_FOUND,
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


class LiveResponseBackend:
    """Sessions, commands and server storage of one Live Response server."""

    def __init__(
        self,
        policy: LrPolicy,
        devices: DeviceDirectory,
        clock: Clock,
        observer: LrObserver | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        self.policy = policy
        self.timeline = timeline if timeline is not None else Timeline()
        self.devices = devices
        self.clock = clock
        self.observer = observer
        self._sessions: dict[int, Session] = {}
        self._live: dict[int, Session] = {}
        self._pending: dict[int, Session] = {}
        self._seq = itertools.count(1)
        self._tie = itertools.count()
        self._deadlines: list[tuple[float, int, int]] = []
        self._tokens: dict[str, tuple[StoredFile, float]] = {}
        self._token_order: deque[tuple[str, float]] = deque()
        self._ended: deque[Session] = deque()

    # ------------------------------------------------------------------ time
    def _now(self) -> float:
        return self.clock.monotonic()

    def _wall(self, mono: float) -> float:
        """Wall-clock time of a monotonic instant (for timestamps of lazily applied events)."""
        return self.clock.time() - (self._now() - mono)

    def advance(self) -> None:
        """Apply every activation, command completion and expiry that is due by now."""
        now = self._now()
        for session in list(self._pending.values()):
            self._try_activate(session, now)
        self.timeline.run_until(now)
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, _, seq = heapq.heappop(self._deadlines)
            expiring = self._live.get(seq)
            if expiring is not None and expiring.deadline_mono == deadline:
                self._end(expiring, SessionState.EXPIRED, deadline)
        cutoff = now - self.policy.closed_retention
        while self._ended and (self._ended[0].ended_mono or 0.0) < cutoff:
            self._sessions.pop(self._ended.popleft().seq, None)
        wall = self.clock.time()
        while self._token_order and self._token_order[0][1] < wall:
            self._tokens.pop(self._token_order.popleft()[0], None)

    def _try_activate(self, session: Session, now: float) -> None:
        at = session.created_mono + self.policy.activation_delay
        if now < at or not self.devices.lr_online(session.device.device_id):
            return
        # Evaluated lazily: the check-in is dated when it was due, not when someone looked.
        session.state = SessionState.ACTIVE
        self._pending.pop(session.seq, None)
        session.activated_mono = at
        session.check_in_time = self._wall(at)
        session.last_activity_mono = max(session.last_activity_mono, at)
        session.busy_until = at
        for command in session.commands:
            if command.state is CommandState.PENDING and command.start_mono is None:
                self._schedule(command)
        self._push_deadline(session, self._deadline(session))

    def _deadline(self, session: Session) -> float | None:
        if not session.live:
            return None
        p = self.policy
        if session.state is SessionState.PENDING:
            return session.created_mono + p.check_in_timeout
        if any(c.state is CommandState.PENDING for c in session.commands):
            return None  # never idle while the sensor has work
        timeout = p.idle_timeout
        if not session.had_command and p.initial_idle_timeout is not None:
            timeout = p.initial_idle_timeout
        return max(session.last_activity_mono, session.busy_until) + timeout

    def _push_deadline(self, session: Session, deadline: float | None) -> None:
        """Record the session's expiry; older heap entries become stale and are skipped."""
        if deadline == session.deadline_mono:
            return
        session.deadline_mono = deadline
        if deadline is not None:
            heapq.heappush(self._deadlines, (deadline, next(self._tie), session.seq))

    def _end(self, session: Session, state: SessionState, at: float) -> None:
        session.state = state
        session.ended_mono = at
        self._ended.append(session)
        self._live.pop(session.seq, None)
        self._pending.pop(session.seq, None)
        for command in session.commands:
            if command.state is CommandState.PENDING:
                command.state = CommandState.CANCELLED
        for stored in session.files.values():
            stored.deleted = True
        for token in [t for t, (f, _) in self._tokens.items() if f.session is session]:
            del self._tokens[token]
        if self.observer is not None:
            self.observer.lr_session_ended(
                self.policy.server, expired=state is SessionState.EXPIRED
            )

    # ------------------------------------------------------------------ sessions
    def _format_id(self, seq: int, device_id: int) -> str | int:
        if self.policy.session_ids == "int":
            return seq
        return f"{seq}:{device_id}"

    def _parse_id(self, session_id: object) -> int | None:
        text = str(session_id).strip()
        if self.policy.session_ids == "int":
            return int(text) if text.isdigit() else None
        seq, sep, device = text.partition(":")
        if not sep or not seq.isdigit() or not device.isdigit():
            return None
        session = self._sessions.get(int(seq))
        if session is None or session.device.device_id != int(device):
            return None
        return int(seq)

    def _slots_in_use(self, device_id: int) -> tuple[int, bool]:
        """``(slots used, whether a new session on device_id needs a new slot)``."""
        if self.policy.slots_per_device:
            devices = {s.device.device_id for s in self._live.values()}
            return len(devices), device_id not in devices
        return len(self._live), True

    def create_session(self, device_id: int, username: str) -> Session:
        """Open a session (pending). Raises UnknownDeviceError or SessionLimitError."""
        self.advance()
        device = self.devices.lr_device(device_id)
        if device is None:
            raise UnknownDeviceError(device_id)
        used, needs_slot = self._slots_in_use(device_id)
        if needs_slot and used >= self.policy.slots:
            if self.observer is not None:
                self.observer.lr_slot_limit_violation(self.policy.server)
            raise SessionLimitError(self.policy.slots)
        image = self.devices.lr_image(device_id)
        now = self._now()
        seq = next(self._seq)
        session = Session(
            seq=seq,
            id=self._format_id(seq, device_id),
            device=device,
            username=username,
            create_time=self.clock.time(),
            created_mono=now,
            cwd=image.default_cwd,
            drives=image.drives,
            last_activity_mono=now,
            next_command_id=self.policy.first_command_id,
        )
        self._sessions[seq] = self._live[seq] = self._pending[seq] = session
        self._push_deadline(session, self._deadline(session))
        if self.observer is not None:
            self.observer.lr_session_opened(self.policy.server)
        self._try_activate(session, now)
        return session

    def session(self, session_id: object, *, include_ended: bool = False) -> Session:
        """A session by id; closed/expired ones only with ``include_ended``."""
        self.advance()
        seq = self._parse_id(session_id)
        session = self._sessions.get(seq) if seq is not None else None
        if session is None or (not session.live and not include_ended):
            raise SessionNotFoundError(session_id)
        return session

    def sessions(self, *, active_only: bool = False) -> list[Session]:
        """Sessions in creation order: live ones, plus recently ended ones unless active_only."""
        self.advance()
        pool = self._live if active_only else self._sessions
        return sorted(pool.values(), key=lambda s: s.seq)

    def live_sessions(self) -> int:
        self.advance()
        return len(self._live)

    def keepalive(self, session_id: object) -> Session:
        session = self.session(session_id)
        session.last_activity_mono = self._now()
        self._push_deadline(session, self._deadline(session))
        return session

    def close_session(self, session_id: object) -> Session:
        """Close a live session; one already closed or expired is not found."""
        session = self.session(session_id)
        self._end(session, SessionState.CLOSED, self._now())
        return session

    # ------------------------------------------------------------------ commands
    def post_command(
        self,
        session_id: object,
        name: str,
        target: Any,
        options: Mapping[str, Any] | None = None,
        *,
        username: str,
    ) -> Command:
        """Queue a command. Raises SessionNotFoundError or CommandRejectedError."""
        session = self.session(session_id)
        if not isinstance(name, str) or name not in COMMANDS:
            raise CommandRejectedError(f"Unknown command {name!r}")
        if name not in session.supported_commands:
            raise CommandRejectedError(f"Command {name!r} is not supported by this sensor")
        p = self.policy
        if p.max_commands is not None and len(session.commands) >= p.max_commands:
            raise CommandRejectedError(
                f"Too many commands in this session (limit {p.max_commands})"
            )
        now = self._now()
        command = Command(
            id=session.next_command_id,
            session=session,
            name=name,
            target=target,
            options=dict(options or {}),
            username=username,
            create_time=self.clock.time(),
            created_mono=now,
        )
        session.next_command_id += 1
        session.commands.append(command)
        session.had_command = True
        session.last_activity_mono = now
        if name == "get file":
            command.file = self._new_file(session, str(target or ""), from_upload=False)
        if self.observer is not None:
            self.observer.lr_command(p.server)
        if session.state is SessionState.ACTIVE:
            self._schedule(command)
        self._push_deadline(session, self._deadline(session))
        return command

    def _schedule(self, command: Command) -> None:
        session = command.session
        start = max(command.created_mono, session.busy_until)
        command.start_mono = start
        command.complete_mono = start + self.policy.delay(command.name)
        session.busy_until = command.complete_mono
        self.timeline.push(command.complete_mono, lambda: self._execute(command))

    def command(
        self, session_id: object, command_id: object, *, include_ended: bool = False
    ) -> Command:
        session = self.session(session_id, include_ended=include_ended)
        cid = _as_int(command_id)
        for command in session.commands:
            if command.id == cid:
                return command
        raise ObjectNotFoundError("Command", command_id)

    def commands(
        self,
        session_id: object,
        *,
        status: str | None = None,
        count: int | None = None,
        include_ended: bool = False,
    ) -> list[Command]:
        session = self.session(session_id, include_ended=include_ended)
        now = self._now()
        out = session.commands
        if status:
            wanted = status.strip().lower().replace("_", " ")
            wanted = {"canceled": "cancel", "cancelled": "cancel", "completed": "complete"}.get(
                wanted, wanted
            )
            out = [c for c in out if c.status(now).value == wanted]
        return out[:count] if count is not None and count >= 0 else list(out)

    def cancel_command(self, session_id: object, command_id: object) -> Command:
        """Cancel a command still waiting for the sensor (only PENDING can be cancelled)."""
        command = self.command(session_id, command_id)
        state = command.status(self._now())
        if state is not CommandState.PENDING:
            raise CommandRejectedError(
                f"Cannot cancel command in status {state.name}; only PENDING commands can be"
                " cancelled"
            )
        command.state = CommandState.CANCELLED
        command.completion_time = self.clock.time()
        if command.start_mono is not None:
            # Nothing queued behind it moves earlier; the slot simply stays idle.
            command.start_mono = None
        return command

    def _execute(self, command: Command) -> None:
        if command.state is not CommandState.PENDING:
            return
        session = command.session
        assert command.complete_mono is not None
        at = command.complete_mono
        wall = self._wall(at)
        command.completion_time = wall
        session.last_activity_mono = max(session.last_activity_mono, at)
        image = self.devices.lr_image(session.device.device_id)
        try:
            command.result = self._run(command, image, wall)
        except VfsError as exc:
            command.state = CommandState.ERROR
            command.error = (exc.hresult, exc.description)
            if command.file is not None:
                command.file.status = exc.hresult
        else:
            command.state = CommandState.COMPLETE
        self._push_deadline(session, self._deadline(session))

    def _run(self, command: Command, image: EndpointImage, wall: float) -> dict[str, Any]:
        name, target, opts = command.name, command.target, command.options
        cwd = command.session.cwd
        if name == "process list":
            return {"processes": image.process_list()}
        if name == "kill":
            image.kill(target)
            return {}
        path = _path_target(target)
        if name == "get file":
            offset = _opt_int(opts.get("offset"), 0)
            count = _opt_int(opts.get("get_count"), None)
            data = image.read_file(path, offset or 0, count or None, cwd=cwd)
            assert command.file is not None
            command.file.data = data
            return {}
        if name == "put file":
            stored = self._find_file(command.session, opts.get("file_id"))
            if stored is None or stored.data is None:
                raise VfsError(E_FILE_NOT_FOUND, f"no uploaded file {opts.get('file_id')!r}")
            image.write_file(path, stored.data, wall, cwd=cwd)
            return {}
        if name == "delete file":
            image.delete_file(path, cwd=cwd)
            return {}
        if name == "directory list":
            return {"files": image.list_directory(path, cwd=cwd)}
        if name == "create directory":
            image.create_directory(path, wall, cwd=cwd)
            return {}
        if name == "reg enum key":
            sub_keys, values = image.reg_enum_key(path)
            return {"sub_keys": sub_keys, "values": values}
        if name == "reg query value":
            return {"value": image.reg_query_value(path)}
        if name == "reg create key":
            image.reg_create_key(path)
            return {}
        if name == "reg delete key":
            image.reg_delete_key(path)
            return {}
        if name == "reg delete value":
            image.reg_delete_value(path)
            return {}
        if name == "reg set value":
            image.reg_set_value(
                path,
                opts.get("value_type", "REG_SZ"),
                opts.get("value_data"),
                _opt_bool(opts.get("overwrite"), default=False),
            )
            return {}
        if name == "create process":
            run = image.create_process(
                path,
                now=wall,
                wait=_opt_bool(opts.get("wait"), default=False),
                working_directory=opts.get("working_directory") or None,
                output_file=opts.get("output_file") or None,
            )
            result: dict[str, Any] = {"pid": run.pid}
            if run.return_code is not None and _opt_bool(opts.get("wait"), default=False):
                result["return_code"] = run.return_code
            return result
        if name == "memdump":
            compress = _opt_bool(opts.get("compress", opts.get("commpress")), default=False)
            written = image.memdump(
                path, compress=compress, size=self.policy.memdump_bytes, now=wall
            )
            return {"return_code": 0, "path": written, "compress": compress}
        raise VfsError(E_INVALIDARG, f"unknown command {name}")  # pragma: no cover - guarded

    # ------------------------------------------------------------------ storage
    def _new_file(self, session: Session, file_name: str, *, from_upload: bool) -> StoredFile:
        stored = StoredFile(
            id=session.next_file_id,
            uuid=str(uuid.uuid4()),
            session=session,
            file_name=file_name,
            create_time=self.clock.time(),
            from_upload=from_upload,
        )
        session.next_file_id += 1
        session.files[stored.id] = stored
        return stored

    def _find_file(self, session: Session, file_id: object) -> StoredFile | None:
        if isinstance(file_id, int) and not isinstance(file_id, bool):
            stored = session.files.get(file_id)
        elif isinstance(file_id, str) and file_id.strip().isdigit():
            stored = session.files.get(int(file_id))
        elif isinstance(file_id, str):
            stored = next((f for f in session.files.values() if f.uuid == file_id), None)
        else:  # pragma: no cover - defensive
            stored = None
        return stored if stored is not None and not stored.deleted else None

    def upload(self, session_id: object, file_name: str, data: bytes) -> StoredFile:
        """Store an upload (the ``file_id`` a later ``put file`` names)."""
        session = self.session(session_id)
        session.last_activity_mono = self._now()
        self._push_deadline(session, self._deadline(session))
        stored = self._new_file(session, file_name, from_upload=True)
        stored.data = bytes(data)
        return stored

    def file(self, session_id: object, file_id: object) -> StoredFile:
        session = self.session(session_id)
        stored = self._find_file(session, file_id)
        if stored is None:
            raise ObjectNotFoundError("File", file_id)
        return stored

    def files(self, session_id: object) -> list[StoredFile]:
        session = self.session(session_id)
        return [f for f in session.files.values() if not f.deleted]

    def file_content(self, session_id: object, file_id: object) -> bytes:
        """The bytes of a stored file; not found while a ``get file`` has not completed."""
        stored = self.file(session_id, file_id)
        if stored.data is None or stored.status != 0:
            raise ObjectNotFoundError("File", file_id)
        return stored.data

    def delete_file(self, session_id: object, file_id: object) -> None:
        stored = self.file(session_id, file_id)
        stored.deleted = True

    def issue_download(self, session_id: object, file_id: object) -> str:
        """A one-purpose token for fetching a stored file without credentials."""
        stored = self.file(session_id, file_id)
        if stored.data is None or stored.status != 0:
            raise ObjectNotFoundError("File", file_id)
        token = secrets.token_urlsafe(24)
        expires = self.clock.time() + self.policy.storage_url_ttl
        self._tokens[token] = (stored, expires)
        self._token_order.append((token, expires))
        return token

    def redeem_download(self, token: str) -> tuple[StoredFile, bytes]:
        """The file behind a storage token (not found when unknown or expired)."""
        self.advance()
        entry = self._tokens.get(token)
        if entry is None or entry[0].deleted or entry[0].data is None:
            raise ObjectNotFoundError("Download", "token")
        return entry[0], entry[0].data

    def archive(self, session_id: object) -> bytes:
        """A zip of the session: its command log and the files in storage."""
        session = self.session(session_id, include_ended=True)
        now = self._now()
        log = [
            {
                "id": c.id,
                "name": c.name,
                "object": c.target,
                "status": c.status(now).value,
                "create_time": c.create_time,
                "completion": c.completion_time or 0,
                "result_code": c.error[0] if c.error else 0,
                "result_desc": c.error[1] if c.error else "",
            }
            for c in session.commands
        ]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("commands.json", json.dumps(log, indent=2, default=str))
            for stored in session.files.values():
                if stored.data is not None and not stored.deleted:
                    archive.writestr(f"files/{stored.id}", stored.data)
        return buffer.getvalue()


def _as_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _opt_int(value: object, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    parsed = _as_int(value)
    if parsed is None:
        raise VfsError(E_INVALIDARG, f"not an integer: {value!r}")
    return parsed


def _opt_bool(value: object, *, default: bool) -> bool:
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


def _path_target(target: object) -> str:
    if not isinstance(target, str) or not target.strip():
        raise VfsError(E_INVALIDARG, "the command needs a target path")
    return target
