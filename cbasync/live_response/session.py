"""The commands of a Live Response session.

Every command is one request that queues it on the server, then polls it with the one waiter
until the sensor reports it done, within the command's limit (the servers' defaults: 120 s;
``kill`` 10 s; ``create process`` 30 s; a memory dump an hour). Around that:

- a command the sensor does not list in ``supported_commands`` raises before any request;
- a failed command raises :class:`~cbasync.errors.LiveResponseError` with the sensor's result
  code decoded ("0x80070002 ERROR_FILE_NOT_FOUND: ...");
- a command sent to a session the server has ended (idle timeout) re-creates the session once
  and is sent again;
- a command still queued when its limit passes is cancelled on the server (where the server can),
  so it does not hold up the commands after it.

Commands of one session may be awaited concurrently (``anyio`` task group): the server queues
them in order and runs them one at a time, so a job that needs three results waits for the
three back to back instead of paying three round trips of polling.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ntpath
import os
import posixpath
import secrets
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any, TypeVar

import anyio

from cbasync import errors
from cbasync._files import save_stream
from cbasync._iterators import ClosingStream, StepIterator
from cbasync._multipart import Upload
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
from cbasync.live_response.results import (
    CreatedProcess,
    DirectoryEntry,
    ProcessEntry,
    RegistryKey,
    RegistryValue,
)
from cbasync.live_response.win32 import describe_result

__all__ = [
    "COMMAND_WAIT",
    "CREATE_PROCESS_WAIT",
    "KILL_WAIT",
    "MEMDUMP_WAIT",
    "FileSource",
    "LiveResponseSession",
    "Memdump",
    "WalkEntry",
    "registry_type_of",
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

#: What ``put_file`` uploads: bytes, a local file, or an async stream of chunks.
FileSource = bytes | os.PathLike[str] | AsyncIterable[bytes]
#: One step of :meth:`LiveResponseSession.walk`: a directory, its subdirectories, its files.
WalkEntry = tuple[str, list[str], list[str]]


@dataclasses.dataclass(frozen=True, slots=True)
class Queued:
    """A command the server has queued: what was asked, what it answered, on which session."""

    request: CommandRequest
    command: CommandInfo
    session: SessionInfo


class LiveResponseSession:
    """An open Live Response session on one device, from
    ``async with api.live_response.session(device) as lr:``. Use it inside the block: the
    session is closed when the block ends."""

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
        response = await self._send(self._dialect.post_command(info.id, request))
        command = self._dialect.read_command(response)
        lease = self._lease
        lease.queue.queued(command.id, lease.pace.shortest(request.name), anyio.current_time())
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

        # The first poll goes out when the command can first be done (pacing.py).
        # With nothing learned yet, the backoff's own first interval.
        lease = self._lease
        if request.name in lease.pace.fastest:
            earliest = lease.queue.earliest_end(posted.id) - anyio.current_time()
        else:
            earliest = self._poll.initial
        first = min(max(0.0, earliest), max_wait)
        try:
            return await wait_until(
                fetch,
                success=lambda command: command.status == "complete",
                failure=lambda command: self._failure(request, command, call),
                max_wait=max_wait,
                backoff=self._poll.resumed(first),
                after=first,
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

    # -- files ------------------------------------------------------------------------------

    async def _fetched(
        self, path: str, offset: int | None, count: int | None, max_wait: float
    ) -> Call:
        """Run ``get file`` and return the download of the bytes it put in server storage."""
        options: dict[str, Any] = {}
        if offset is not None:
            options["offset"] = offset
        if count is not None:
            options["get_count"] = count
        done, info = await self._run(CommandRequest("get file", path, options), max_wait=max_wait)
        if done.file_id is None:
            raise errors.ServerError(
                f"get file {path!r} on device {self.device_id} completed without a file id"
            )
        return self._dialect.file_content(info.id, done.file_id)

    async def get_file(
        self,
        path: str,
        *,
        offset: int | None = None,
        count: int | None = None,
        max_wait: float = COMMAND_WAIT,
    ) -> bytes:
        """The bytes of a file on the endpoint (``offset``/``count`` for a part of it). For a
        large file, :meth:`stream_file` or :meth:`download_file` keep memory flat."""
        call = await self._fetched(path, offset, count, max_wait)
        return (await self._send(call)).content

    def stream_file(
        self,
        path: str,
        *,
        offset: int | None = None,
        count: int | None = None,
        max_wait: float = COMMAND_WAIT,
    ) -> ClosingStream[bytes]:
        """A file on the endpoint as it streams in; close it (``async with``) to stop early."""
        return ClosingStream(self._stream(path, offset, count, max_wait))

    async def _stream(
        self, path: str, offset: int | None, count: int | None, max_wait: float
    ) -> AsyncGenerator[bytes, None]:
        call = await self._fetched(path, offset, count, max_wait)
        self._lease.touch()
        async with (
            self._transport.stream(
                call.method, call.route, path_params=call.path_params
            ) as response,
            aclosing(response.aiter_bytes()) as chunks,
        ):
            async for chunk in chunks:
                yield chunk

    async def download_file(
        self, path: str, local_path: str | os.PathLike[str], *, max_wait: float = COMMAND_WAIT
    ) -> Path:
        """Save a file of the endpoint to ``local_path`` as it streams in (a failed download
        leaves no partial file)."""
        async with self.stream_file(path, max_wait=max_wait) as chunks:
            return await save_stream(chunks, local_path)

    async def put_file(
        self, source: FileSource, path: str, *, max_wait: float = COMMAND_WAIT
    ) -> None:
        """Write ``source`` (bytes, a local ``pathlib.Path``, or an async iterable of chunks)
        to ``path`` on the endpoint: uploaded to server storage, then put by the sensor."""
        if isinstance(source, str):
            raise TypeError(
                "put_file takes bytes, a pathlib.Path or an async iterable of bytes;"
                " a str is ambiguous (content or a local path?)"
            )
        if isinstance(source, bytearray | memoryview):
            source = bytes(source)
        self._check_supported("put file")
        upload = Upload(source, filename=_basename(path))

        async def store_and_put(info: SessionInfo) -> Queued:
            call = self._dialect.upload(info.id)
            try:
                response = await self._send(call, upload=upload)
            except errors.ClientError as exc:
                if exc.status != 413:
                    raise
                size = f"{upload.size:,} bytes" if upload.size is not None else "the file"
                raise errors.ClientError(
                    f"the server refused the upload of {size} as too large (413 Request Entity"
                    f" Too Large): its proxy caps Live Response uploads; send a smaller file"
                    " or split it",
                    status=413,
                    method=exc.method,
                    route=exc.route,
                    request_id=exc.request_id,
                ) from exc
            file_id = self._dialect.read_upload(response)
            return await self._send_command(
                info, CommandRequest("put file", path, {"file_id": file_id})
            )

        # An async stream can be read once: a session re-created meanwhile cannot get it again.
        queued = await self._on_session(store_and_put, retry=upload.replayable)
        await self._wait(queued, max_wait=max_wait)

    async def delete_file(self, path: str, *, max_wait: float = COMMAND_WAIT) -> None:
        await self._run(CommandRequest("delete file", path), max_wait=max_wait)

    async def create_directory(self, path: str, *, max_wait: float = COMMAND_WAIT) -> None:
        await self._run(CommandRequest("create directory", path), max_wait=max_wait)

    async def list_directory(
        self, path: str, *, max_wait: float = COMMAND_WAIT
    ) -> list[DirectoryEntry]:
        """The entries of a directory: ``path`` ends with the separator (``C:\\Temp\\``,
        ``.`` and ``..`` included) or is a pattern (``C:\\Temp\\*.exe``)."""
        done, _ = await self._run(CommandRequest("directory list", path), max_wait=max_wait)
        return done.files or []

    def walk(
        self,
        top: str,
        *,
        topdown: bool = True,
        onerror: Callable[[errors.ApiError], object] | None = None,
    ) -> StepIterator[WalkEntry]:
        """``(directory, subdirectory names, file names)`` for ``top`` and every directory
        below it, like ``os.walk``: top-down by default (remove names from the subdirectory
        list to skip them), bottom-up with ``topdown=False``. A directory that cannot be
        listed is skipped after ``onerror(error)``, or its error is raised without one."""
        return StepIterator(_Walk(self, top, topdown, onerror).step)

    # -- processes --------------------------------------------------------------------------

    async def list_processes(self, *, max_wait: float = COMMAND_WAIT) -> list[ProcessEntry]:
        done, _ = await self._run(CommandRequest("process list"), max_wait=max_wait)
        return done.processes or []

    async def kill_process(self, pid: int, *, max_wait: float = KILL_WAIT) -> None:
        """End process ``pid``; ``LiveResponseError`` if the sensor could not."""
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise TypeError(f"pid must be an integer, not {pid!r}")
        await self._run(CommandRequest("kill", pid), max_wait=max_wait)

    async def create_process(
        self,
        command_line: str,
        *,
        wait_for_completion: bool = True,
        wait_for_output: bool = True,
        output_file: str | None = None,
        working_directory: str | None = None,
        max_wait: float = CREATE_PROCESS_WAIT,
    ) -> CreatedProcess:
        """Start a process. With ``wait_for_output`` (the default; it implies
        ``wait_for_completion``) its stdout and stderr are written to a temporary file on the
        endpoint, fetched and the file deleted; ``output_file`` names that file instead (and it
        is kept)."""
        wait_for_completion = wait_for_completion or wait_for_output
        options: dict[str, Any] = {"wait": wait_for_completion}
        remote_output = output_file
        if wait_for_output and remote_output is None:
            remote_output = self._temporary_path("out")
        if remote_output is not None:
            options["output_file"] = remote_output
        if working_directory is not None:
            options["working_directory"] = working_directory
        done, _ = await self._run(
            CommandRequest("create process", command_line, options), max_wait=max_wait
        )
        if not wait_for_output or remote_output is None:
            return CreatedProcess(done.pid, done.return_code)
        try:
            output = await self.get_file(remote_output)
        finally:
            if output_file is None:  # ours: leave nothing behind on the endpoint
                async with shielded_cleanup(f"deleting {remote_output} on device {self.device_id}"):
                    await self.delete_file(remote_output)
        return CreatedProcess(done.pid, done.return_code, output)

    def _temporary_path(self, kind: str) -> str:
        name = f"cblr.{kind}.{secrets.token_hex(6)}.tmp"
        if self.os_windows:
            return ntpath.join("C:\\Windows\\Temp", name)
        return posixpath.join("/tmp", name)  # noqa: S108 - a path on the endpoint, not here

    # -- registry ---------------------------------------------------------------------------

    async def list_registry_keys_and_values(
        self, key: str, *, max_wait: float = COMMAND_WAIT
    ) -> RegistryKey:
        """A key's subkeys and values (``HKLM\\SYSTEM\\CurrentControlSet\\services\\ACPI``)."""
        done, _ = await self._run(CommandRequest("reg enum key", key), max_wait=max_wait)
        return RegistryKey(sub_keys=done.sub_keys or [], values=done.values or [])

    async def get_registry_value(
        self, path: str, *, max_wait: float = COMMAND_WAIT
    ) -> RegistryValue:
        """A value, by key path and value name (``HKLM\\...\\ACPI\\Start``)."""
        done, _ = await self._run(CommandRequest("reg query value", path), max_wait=max_wait)
        if done.value is None:
            raise errors.ServerError(
                f"reg query value {path!r} on device {self.device_id} completed without a value"
            )
        return done.value

    async def set_registry_value(
        self,
        path: str,
        value: str | int | list[str],
        *,
        overwrite: bool = True,
        value_type: str | None = None,
        max_wait: float = COMMAND_WAIT,
    ) -> None:
        """Set a value; its type is inferred unless given: ``REG_SZ`` for a string,
        ``REG_DWORD`` for an integer (``REG_QWORD`` beyond 32 bits), ``REG_MULTI_SZ`` for a
        list of strings."""
        options = {
            "value_type": value_type or registry_type_of(value),
            "value_data": value,
            "overwrite": overwrite,
        }
        await self._run(CommandRequest("reg set value", path, options), max_wait=max_wait)

    async def create_registry_key(self, key: str, *, max_wait: float = COMMAND_WAIT) -> None:
        await self._run(CommandRequest("reg create key", key), max_wait=max_wait)

    async def delete_registry_key(self, key: str, *, max_wait: float = COMMAND_WAIT) -> None:
        await self._run(CommandRequest("reg delete key", key), max_wait=max_wait)

    async def delete_registry_value(self, path: str, *, max_wait: float = COMMAND_WAIT) -> None:
        await self._run(CommandRequest("reg delete value", path), max_wait=max_wait)

    # -- memory -----------------------------------------------------------------------------

    async def start_memdump(
        self, remote_path: str | None = None, *, compress: bool = True
    ) -> Memdump:
        """Start a memory dump to ``remote_path`` on the endpoint (a temporary file by default;
        compressed dumps get ``.zip`` appended). Wait for it, fetch it and delete it through
        the returned :class:`Memdump`."""
        remote = remote_path or self._temporary_path("dmp")
        queued = await self._post(CommandRequest("memdump", remote, {"compress": compress}))
        return Memdump(self, queued, remote + ".zip" if compress else remote)

    async def memdump(
        self,
        local_path: str | os.PathLike[str],
        remote_path: str | None = None,
        *,
        compress: bool = False,
        max_wait: float = MEMDUMP_WAIT,
    ) -> Path:
        """Dump the endpoint's memory, save it to ``local_path`` and delete it from the
        endpoint (also when the download fails)."""
        dump = await self.start_memdump(remote_path, compress=compress)
        try:
            await dump.wait(max_wait=max_wait)
            return await dump.download(local_path, max_wait=max_wait)
        finally:
            async with shielded_cleanup(f"deleting the memory dump on device {self.device_id}"):
                await dump.delete()

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


class Memdump:
    """A memory dump started on the endpoint (:meth:`LiveResponseSession.start_memdump`)."""

    def __init__(self, session: LiveResponseSession, queued: Queued, remote_path: str) -> None:
        self.session = session
        self.remote_path = remote_path
        self._queued = queued
        self.done: CommandInfo | None = None

    async def wait(self, *, max_wait: float = MEMDUMP_WAIT) -> None:
        """Wait until the dump is written."""
        if self.done is None:
            self.done = await self.session._wait(self._queued, max_wait=max_wait)

    async def download(
        self, local_path: str | os.PathLike[str], *, max_wait: float = MEMDUMP_WAIT
    ) -> Path:
        """Fetch the dump into ``local_path`` (after :meth:`wait`)."""
        await self.wait(max_wait=max_wait)
        return await self.session.download_file(self.remote_path, local_path, max_wait=max_wait)

    async def delete(self) -> None:
        """Delete the dump from the endpoint."""
        await self.session.delete_file(self.remote_path)


class _Walk:
    """The state of one :meth:`LiveResponseSession.walk`: directories still to list."""

    def __init__(
        self,
        session: LiveResponseSession,
        top: str,
        topdown: bool,
        onerror: Callable[[errors.ApiError], object] | None,
    ) -> None:
        self.session = session
        self.topdown = topdown
        self.onerror = onerror
        # (path, its entry once listed and waiting for its children: bottom-up only)
        self.stack: list[tuple[str, WalkEntry | None]] = [(top, None)]
        self.last: WalkEntry | None = None

    def _descend(self, entry: WalkEntry) -> None:
        path, dirnames, _ = entry
        for name in reversed(dirnames):
            self.stack.append((self.session.path_join(path, name), None))

    async def step(self) -> list[WalkEntry] | None:
        if self.last is not None:  # top-down: the caller may have pruned its subdirectories
            self._descend(self.last)
            self.last = None
        while self.stack:
            path, listed = self.stack.pop()
            if listed is not None:
                return [listed]
            try:
                entries = await self.session.list_directory(_as_directory(self.session, path))
            except errors.ApiError as exc:
                if self.onerror is None:
                    raise
                self.onerror(exc)
                continue
            dirnames = [
                e.filename for e in entries if e.is_directory and e.filename not in (".", "..")
            ]
            filenames = [e.filename for e in entries if not e.is_directory]
            entry = (path, dirnames, filenames)
            if self.topdown:
                self.last = entry
                return [entry]
            self.stack.append((path, entry))
            self._descend(entry)
        return None


def _as_directory(session: LiveResponseSession, path: str) -> str:
    separator = "\\" if session.os_windows else "/"
    return path if path.endswith(separator) else path + separator


def _basename(path: str) -> str:
    return ntpath.basename(path) or posixpath.basename(path) or "file"


def registry_type_of(value: object) -> str:
    """The registry type a Python value is written as."""
    if isinstance(value, bool):
        raise TypeError("a registry value cannot be a bool; pass 0 or 1 (REG_DWORD)")
    if isinstance(value, int):
        if 0 <= value < 1 << 32:
            return "REG_DWORD"
        if 0 <= value < 1 << 64:
            return "REG_QWORD"
        raise ValueError(f"{value} does not fit a REG_DWORD or a REG_QWORD")
    if isinstance(value, str):
        return "REG_SZ"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "REG_MULTI_SZ"
    raise TypeError(f"cannot infer a registry type for {type(value).__name__}; pass value_type")
