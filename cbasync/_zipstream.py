"""Unpack one member of a ZIP archive while it streams in, without a temporary file.

EDR serves a binary as a ZIP holding ``filedata`` (the file) and ``metadata``. ``zipfile`` needs
a seekable file; this reads the local headers in order instead, inflating the wanted member in
pieces of at most 64 KiB (``_inflate.Inflater``: 0.12 MB of deflated zeros once became one 128 MB
chunk) and checking its CRC-32 and, when the header gives it, its size, so a download never has
to fit in memory or on disk twice.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncGenerator, AsyncIterable

from cbasync import errors
from cbasync._inflate import InflateError, Inflater

__all__ = ["unzip_member"]

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_DESCRIPTOR = b"PK\x07\x08"
_HEADER = struct.Struct("<4sHHHHHIIIHH")  # 30 bytes
_STORED, _DEFLATED = 0, 8


class _Reader:
    def __init__(self, chunks: AsyncIterable[bytes]) -> None:
        self._chunks = chunks.__aiter__()
        self._buffer = b""
        self._done = False

    async def fill(self, size: int) -> bool:
        while len(self._buffer) < size and not self._done:
            try:
                self._buffer += await self._chunks.__anext__()
            except StopAsyncIteration:
                self._done = True
        return len(self._buffer) >= size

    async def take(self, size: int) -> bytes:
        if not await self.fill(size):
            raise errors.ServerError("the ZIP archive ended early")
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    async def some(self) -> bytes:
        """Whatever is buffered, or the next chunk (b"" at the end)."""
        if not self._buffer:
            await self.fill(1)
        data, self._buffer = self._buffer, b""
        return data

    def push_back(self, data: bytes) -> None:
        self._buffer = data + self._buffer


async def unzip_member(
    chunks: AsyncIterable[bytes], name: str | None, *, limit: int | None = None
) -> AsyncGenerator[bytes, None]:
    """Yield the uncompressed bytes of member ``name`` (``None``: the first member, for servers
    that name it after the file); ``ServerError`` if it is missing or corrupt, or inflates past
    ``limit`` bytes (the client's ``max_download_size``: a member with a data descriptor or in
    ZIP64 declares no size up front, and a few megabytes can inflate to terabytes)."""
    reader = _Reader(chunks)
    while await reader.fill(4):
        signature = await reader.take(4)
        if signature in (_CENTRAL, _END):
            break
        if signature != _LOCAL:
            raise errors.ServerError("the download is not a ZIP archive")
        reader.push_back(signature)
        (_, _, flags, method, _, _, crc, csize, usize, name_len, extra_len) = _HEADER.unpack(
            await reader.take(_HEADER.size)
        )
        member = (await reader.take(name_len)).decode("utf-8", "replace")
        await reader.take(extra_len)
        if flags & 0x1:
            raise errors.ServerError("the ZIP archive is encrypted")
        sizes_follow = bool(flags & 0x8)
        # The size the header declares, when it declares one (not with a data descriptor, not
        # in ZIP64): inflating past it is a corrupt or hostile archive.
        declared = None if sizes_follow or usize == 0xFFFFFFFF else usize
        wanted = member == name or name is None
        checksum = 0
        produced = 0
        if method == _DEFLATED:
            inflater = Inflater(-15)
            while not inflater.eof:
                data = await reader.some()
                if not data:
                    raise errors.ServerError(f"the ZIP member {member!r} ended early")
                try:
                    for out in inflater.feed(data):
                        produced += len(out)
                        if declared is not None and produced > declared:
                            raise errors.ServerError(
                                f"the ZIP member {member!r} inflates past its declared "
                                f"size of {declared} bytes"
                            )
                        if limit is not None and produced > limit:
                            raise errors.ServerError(
                                f"the ZIP member {member!r} inflates past "
                                f"max_download_size={limit} bytes; raise max_download_size "
                                "on the client for larger files"
                            )
                        if wanted:
                            checksum = zlib.crc32(out, checksum)
                            yield out
                except InflateError as exc:
                    raise errors.ServerError(f"the ZIP member {member!r} is corrupt") from exc
                if inflater.unused_data:
                    reader.push_back(inflater.unused_data)
        elif method == _STORED and not sizes_follow:
            remaining = csize
            while remaining:
                data = await reader.some()
                if not data:
                    raise errors.ServerError(f"the ZIP member {member!r} ended early")
                piece, rest = data[:remaining], data[remaining:]
                if rest:
                    reader.push_back(rest)
                remaining -= len(piece)
                if wanted:
                    checksum = zlib.crc32(piece, checksum)
                    yield piece
        else:
            raise errors.ServerError(f"unsupported ZIP compression method {method} for {member!r}")
        if sizes_follow:
            head = await reader.take(4)
            descriptor = head + await reader.take(12 if head == _DESCRIPTOR else 8)
            crc = struct.unpack("<I", descriptor[4:8] if head == _DESCRIPTOR else descriptor[0:4])[
                0
            ]
        if wanted:
            if checksum != crc:
                raise errors.ServerError(f"the ZIP member {member!r} failed its CRC check")
            return
    if name is None:
        raise errors.ServerError("the ZIP archive is empty")
    raise errors.ServerError(f"the ZIP archive has no member {name!r}")
