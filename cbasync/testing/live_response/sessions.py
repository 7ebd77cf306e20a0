"""The state machine of one Live Response server: sessions become active when their device
checks in and end when closed or idle; commands run one at a time per session, in order.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections import deque

from cbasync.testing._clock import Clock
from cbasync.testing.dataset.vfs import (
    VfsError,
)
from cbasync.testing.live_response.interpreter import run_command
from cbasync.testing.live_response.model import (
    Command,
    CommandState,
    DeviceDirectory,
    LrObserver,
    LrPolicy,
    Session,
    SessionLimitError,
    SessionNotFoundError,
    SessionState,
    StoredFile,
    Timeline,
    UnknownDeviceError,
)

__all__ = ["SessionMachine"]


class SessionMachine:
    """The state machine of one Live Response server: sessions, their clocks and expiries, the
    commands' schedule, and the files sessions keep."""

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

    def _schedule(self, command: Command) -> None:
        session = command.session
        start = max(command.created_mono, session.busy_until)
        command.start_mono = start
        command.complete_mono = start + self.policy.delay(command.name)
        session.busy_until = command.complete_mono
        self.timeline.push(command.complete_mono, lambda: self._execute(command))

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
            command.result = run_command(command, image, wall, self.policy.memdump_bytes)
        except VfsError as exc:
            command.state = CommandState.ERROR
            command.error = (exc.hresult, exc.description)
            if command.file is not None:
                command.file.status = exc.hresult
        else:
            command.state = CommandState.COMPLETE
        self._push_deadline(session, self._deadline(session))

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
