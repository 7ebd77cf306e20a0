"""Files and directories of the endpoint: fetch (whole, in part, streamed), put (from bytes, a
path or a stream), delete, list, create, walk."""

from __future__ import annotations

import ntpath
import os
import posixpath
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

from cbasync import errors
from cbasync._files import save_stream
from cbasync._iterators import ClosingStream, StepIterator
from cbasync._multipart import Upload
from cbasync.live_response.commands import COMMAND_WAIT, Queued, SessionCommands
from cbasync.live_response.dialect import Call, CommandRequest, SessionInfo
from cbasync.live_response.results import DirectoryEntry

__all__ = ["FileCommands", "FileSource", "WalkEntry"]

#: What ``put_file`` uploads: bytes, a local file, or an async stream of chunks.
FileSource = bytes | os.PathLike[str] | AsyncIterable[bytes]
#: One step of :meth:`FileCommands.walk`: a directory, its subdirectories, its files.
WalkEntry = tuple[str, list[str], list[str]]


class FileCommands(SessionCommands):
    """The file commands of a session."""

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


class _Walk:
    """The state of one :meth:`LiveResponseSession.walk`: directories still to list."""

    def __init__(
        self,
        session: FileCommands,
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


def _as_directory(session: FileCommands, path: str) -> str:
    separator = "\\" if session.os_windows else "/"
    return path if path.endswith(separator) else path + separator


def _basename(path: str) -> str:
    return ntpath.basename(path) or posixpath.basename(path) or "file"
