"""Streaming ``multipart/form-data`` bodies for Live Response uploads.

httpx builds multipart bodies only from synchronous files; an upload here streams from bytes, a
local path (read in chunks without blocking the event loop) or an async iterator, so a file never
has to fit in memory and the loop never blocks on disk.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

import anyio

__all__ = ["MultipartBody", "Upload"]

_CHUNK = 256 * 1024


@dataclasses.dataclass(frozen=True)
class Upload:
    """One file part. ``source`` is bytes, a local path, or an async iterator of chunks.

    An async iterator can be read only once, so a request carrying one is never retried.
    """

    source: bytes | os.PathLike[str] | AsyncIterable[bytes]
    filename: str = "file"
    field: str = "file"
    content_type: str = "application/octet-stream"

    @property
    def replayable(self) -> bool:
        return isinstance(self.source, (bytes, os.PathLike))

    @property
    def size(self) -> int | None:
        if isinstance(self.source, bytes):
            return len(self.source)
        if isinstance(self.source, os.PathLike):
            return Path(self.source).stat().st_size
        return None


def _quote(value: str) -> str:
    # RFC 7578 §4.2: escape quotes and line breaks in the disposition parameters.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """The body of one request: a fresh boundary and a fresh chunk iterator per attempt."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.boundary = uuid.uuid4().hex
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(upload.field)}"; '
            f'filename="{_quote(upload.filename)}"\r\n'
            f"Content-Type: {upload.content_type}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int | None:
        size = self.upload.size
        return None if size is None else len(self._head) + size + len(self._tail)

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self._head
        source = self.upload.source
        if isinstance(source, bytes):
            yield source
        elif isinstance(source, os.PathLike):
            async with await anyio.open_file(source, "rb") as handle:
                while chunk := await handle.read(_CHUNK):
                    yield chunk
        else:
            async for chunk in source:
                yield chunk
        yield self._tail
