"""The machinery every Live Response command goes through.

Every command is one request that queues it on the server, then polls it with the one waiter
until the sensor reports it done, within the command's limit (the servers' defaults: 120 s;
``kill`` 10 s; ``create process`` 30 s; a memory dump an hour). Around that:

- a command the sensor does not list in ``supported_commands`` raises before any request;
- a failed command raises :class:`~cbasync.errors.LiveResponseError` with the sensor's result
  code decoded ("0x80070002 ERROR_FILE_NOT_FOUND: ...");
- a command sent to a session the server has ended (idle timeout) re-creates the session once
  and is sent again;
- a command still queued when its limit passes is cancelled on the server (where the server can),
  so it does not hold up the commands after it;
- its first poll goes out when it can first be done (:mod:`~cbasync.live_response.pacing`).

The commands themselves are grouped by what they touch (:mod:`~cbasync.live_response.files`,
:mod:`~cbasync.live_response.host`) and assembled in
:class:`~cbasync.live_response.session.LiveResponseSession`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ntpath
import posixpath
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from cbasync import errors
from cbasync._polling import Backoff, wait_until
from cbasync._response import Response
from cbasync._tasks import shielded_cleanup
from cbasync._transport import Transport
from cbasync.live_response.dialect import (
    COMMAND_NAMES,
    Call,
    CommandInfo,
    CommandRequest,
    Dialect,
    SessionId,
    SessionInfo,
)
from cbasync.live_response.lease import SessionLease, send
from cbasync.live_response.win32 import describe_result

__all__ = [
    "COMMAND_WAIT",
    "CREATE_PROCESS_WAIT",
    "KILL_WAIT",
    "MEMDUMP_WAIT",
    "Queued",
    "SessionCommands",
]

R = TypeVar("R")

#: Seconds a command may take, the servers' defaults (``command_timeout``: 120 s).
COMMAND_WAIT = 120.0
#: ``kill`` is quick or it is not happening (cbapi waited 10 s).
KILL_WAIT = 10.0
#: ``create process`` waits for the process to exit when asked: 30 s, as the servers' clients do.
CREATE_PROCESS_WAIT = 30.0
#: A memory dump writes the whole of RAM: an hour.
MEMDUMP_WAIT = 3600.0
#: A paced first poll that finds its command not quite done (within MISS_WINDOW of when it
#: was due) asks again this soon: the sensor is finishing it.
MISSED_BY_A_HAIR = 0.01
MISS_WINDOW = 0.1


@dataclasses.dataclass(frozen=True, slots=True)
class Queued:
    """A command the server has queued: what was asked, what it answered, on which session."""

    request: CommandRequest
    command: CommandInfo
    session: SessionInfo


class SessionCommands:
    """A session's identity and the way its commands are sent and waited for."""

    def __init__(
        self, lease: SessionLease, transport: Transport, dialect: Dialect, *, poll: Backoff
    ) -> None:
        self._lease = lease
        self._transport = transport
        self._dialect = dialect
        self._poll = poll

    # -- what it is connected to ------------------------------------------------------------

    @property
    def device_id(self) -> int:
        return self._lease.device_id

    @property
    def sensor_id(self) -> int:
        """The device id under EDR's (and cbapi's) name."""
        return self._lease.device_id

    @property
    def info(self) -> SessionInfo:
        """The server session as last seen (a new one after a re-creation)."""
        return self._lease.current()

    @property
    def session_id(self) -> SessionId:
        return self.info.id

    @property
    def supported_commands(self) -> frozenset[str]:
        return self.info.supported_commands

    @property
    def os_windows(self) -> bool:
        """Whether the endpoint is Windows (its paths use ``\\``)."""
        return self.info.windows

    def path_join(self, *parts: str) -> str:
        """Join path parts the endpoint's way (``\\`` on Windows, ``/`` elsewhere)."""
        if self.os_windows:
            return ntpath.join(*parts)
        return posixpath.join(*parts)

    def __repr__(self) -> str:
        return f"<LiveResponseSession {self._dialect.name} device {self.device_id}>"

    # -- the command machinery --------------------------------------------------------------

    async def _send(self, call: Call, **kwargs: Any) -> Response:
        self._lease.touch()
        return await send(self._transport, call, **kwargs)

    async def _on_session(
        self, operation: Callable[[SessionInfo], Awaitable[R]], *, retry: bool = True
    ) -> R:
        """Run ``operation`` on the session; if the server says the session is gone, open a
        new one and run it once more."""
        info = self._lease.current()
        try:
            return await operation(info)
        except errors.ApiError as exc:
            if not retry or not self._dialect.session_gone(exc):
                raise
        info = await self._lease.reopen(self._transport, info)
        return await operation(info)

    def _check_supported(self, name: str) -> None:
        if name not in COMMAND_NAMES:
            raise ValueError(f"{name!r} is not a Live Response command")
        supported = self.info.supported_commands
        if name not in supported:
            raise errors.ApiError(
                f"the sensor on device {self.device_id} does not support {name!r}"
                f" (it supports: {', '.join(sorted(supported)) or 'nothing yet'})"
            )

    async def _post(self, request: CommandRequest) -> Queued:
        """Queue a command (re-creating an ended session once)."""
        self._check_supported(request.name)

        async def post(info: SessionInfo) -> Queued:
            return await self._send_command(info, request)

        return await self._on_session(post)

    async def _send_command(self, info: SessionInfo, request: CommandRequest) -> Queued:
        """POST one command on ``info`` and note its place in the session's queue (the order
        the sensor runs it in, which paces its polls)."""
        sent = anyio.current_time()
        response = await self._send(self._dialect.post_command(info.id, request))
        command = self._dialect.read_command(response)
        lease = self._lease
        shortest = lease.pace.shortest(request.name)
        lease.queue.queued(command.id, shortest, sent, anyio.current_time())
        return Queued(request, command, info)

    async def _wait(self, queued: Queued, *, max_wait: float) -> CommandInfo:
        """Poll a queued command until the sensor is done with it."""
        request, posted, info = queued.request, queued.command, queued.session
        lease = self._lease
        call = self._dialect.get_command(info.id, posted.id)
        try:
            done = (
                posted
                if posted.status == "complete"
                else await self._poll_until_done(queued, call, max_wait=max_wait)
            )
        except BaseException:
            lease.queue.release(posted.id)
            raise
        lease.pace.learn(request.name, lease.queue.finish(done))
        return done

    async def _poll_until_done(self, queued: Queued, call: Call, *, max_wait: float) -> CommandInfo:
        request, posted, info = queued.request, queued.command, queued.session
        if (error := self._failure(request, posted, call)) is not None:
            raise error

        async def fetch() -> CommandInfo:
            return self._dialect.read_command(await self._send(call))

        # The first poll arrives when the command can first be done (pacing.py); with nothing
        # learned yet, after the backoff's own first interval from when the command before it
        # in the session was seen done. (A pool's first wave polled all three of S2's queued
        # commands from the start: the last one was seen done 120 ms late, after 4 polls.)
        lease = self._lease
        lease.queue.watch(posted.id)
        paced = request.name in lease.pace.fastest
        if not paced:
            began = anyio.current_time()
            with anyio.move_on_after(max_wait):
                await lease.queue.settled_before(posted.id)
            max_wait = max(max_wait - (anyio.current_time() - began), 1e-3)
        now = anyio.current_time()
        due = lease.queue.first_poll(posted.id) if paced else now + self._poll.initial
        first = min(max(0.0, due - now), max_wait)

        missed: list[float] = []

        def hint(command: CommandInfo) -> float | None:
            # A paced first poll that arrived a hair early: ask again at once (once), not a
            # backoff interval later.
            late = anyio.current_time() - due
            if not paced or missed or not 0 <= late < MISS_WINDOW:
                return None
            missed.append(late)
            return MISSED_BY_A_HAIR

        try:
            return await wait_until(
                fetch,
                success=lambda command: command.status == "complete",
                failure=lambda command: self._failure(request, command, call),
                max_wait=max_wait,
                backoff=self._poll.resumed(first),
                after=first,
                hint=hint,
                what=f"Live Response command {request.name!r} on device {self.device_id}",
            )
        except errors.TimeoutError:
            await self._cancel(info, posted)
            raise

    def _failure(
        self, request: CommandRequest, command: CommandInfo, call: Call
    ) -> errors.ApiError | None:
        if command.status == "error":
            target = f" {request.target!r}" if request.target is not None else ""
            return errors.LiveResponseError(
                f"{request.name}{target} failed on device {self.device_id}: "
                + describe_result(command.result_code, command.result_type, command.result_desc),
                result_code=command.result_code,
                result_type=command.result_type,
                result_desc=command.result_desc,
                method=call.method,
                route=call.route,
            )
        if command.status == "cancelled":
            return errors.LiveResponseError(
                f"{request.name} on device {self.device_id} was cancelled on the server",
                method=call.method,
                route=call.route,
            )
        return None

    async def _cancel(self, info: SessionInfo, command: CommandInfo) -> None:
        call = self._dialect.cancel_command(info.id, command.id)
        if call is None:
            return
        async with shielded_cleanup(f"cancelling command {command.id} on device {self.device_id}"):
            # A command that has started meanwhile cannot be cancelled (a 4xx): let it be.
            with contextlib.suppress(errors.ClientError):
                await self._send(call)

    async def _run(
        self, request: CommandRequest, *, max_wait: float = COMMAND_WAIT
    ) -> tuple[CommandInfo, SessionInfo]:
        """Queue a command and wait for it; the completed command and its session."""
        queued = await self._post(request)
        return await self._wait(queued, max_wait=max_wait), queued.session

    async def run_command(
        self,
        name: str,
        target: str | int | None = None,
        *,
        max_wait: float = COMMAND_WAIT,
        **options: Any,
    ) -> CommandInfo:
        """Any command by its wire name (``"directory list"``...) with its extra fields: the
        way to reach what the methods below do not wrap."""
        done, _ = await self._run(CommandRequest(name, target, options), max_wait=max_wait)
        return done

    def _temporary_path(self, kind: str) -> str:
        name = f"cblr.{kind}.{secrets.token_hex(6)}.tmp"
        if self.os_windows:
            return ntpath.join("C:\\Windows\\Temp", name)
        return posixpath.join("/tmp", name)  # noqa: S108 - a path on the endpoint, not here

    # -- the session itself -----------------------------------------------------------------

    async def get_session_archive(self) -> bytes:
        """The server's archive of this session: its command log, results and files."""
        info = self.info
        call = self._dialect.archive(info.id)
        if call is None:
            raise errors.ApiError(f"{self._dialect.name} Live Response has no session archive")
        return (await self._send(call)).content

    async def keepalive(self) -> None:
        """Reset the session's idle timer on the server."""
        await self._send(self._dialect.keepalive(self.info.id))
