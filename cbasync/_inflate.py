"""Inflating compressed bytes in bounded steps.

``zlib``'s ``decompress(data)`` returns everything ``data`` expands to at once: 64 KB of a
deflate bomb becomes 64 MB in one allocation, before any caller can count it. An
:class:`Inflater` hands the output out in pieces of at most :data:`PIECE` bytes, so whoever reads
it can stop at a limit having held one piece. Both the transport (gzip response bodies) and the
ZIP reader (deflated members) inflate through it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

__all__ = ["PIECE", "InflateError", "Inflater", "for_content_encoding"]

#: The most one step of inflation produces (64 KiB: one typical network read, uncompressed).
PIECE = 64 * 1024

_GZIP = 16 + zlib.MAX_WBITS
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS


class InflateError(ValueError):
    """The compressed bytes are corrupt, cut short, or in an encoding not supported."""


class Inflater:
    """A ``zlib`` stream (gzip, zlib or raw deflate) inflated :data:`PIECE` bytes at a time."""

    __slots__ = ("_stream", "_wbits")

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._stream = zlib.decompressobj(wbits)

    @property
    def eof(self) -> bool:
        """True once the end of the compressed stream has been read."""
        return self._stream.eof

    @property
    def unused_data(self) -> bytes:
        """Bytes after the end of the compressed stream (the next ZIP header, for instance)."""
        return self._stream.unused_data

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The bytes ``data`` inflates to, in pieces of at most :data:`PIECE` bytes."""
        pending = data
        while True:
            try:
                out = self._stream.decompress(pending, PIECE)
            except zlib.error as exc:
                if self._wbits == _ZLIB and not self._stream.eof and pending is data:
                    # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate
                    # (as browsers also accept): retry the stream as raw deflate once.
                    self._wbits = _RAW_DEFLATE
                    self._stream = zlib.decompressobj(_RAW_DEFLATE)
                    yield from self.feed(data)
                    return
                raise InflateError(f"the compressed data is corrupt ({exc})") from None
            if out:
                yield out
            if self._stream.eof:
                return  # what follows the stream is in unused_data
            # A full piece may leave output inside zlib even with all input consumed.
            pending = self._stream.unconsumed_tail
            if not pending and len(out) < PIECE:
                return

    def check_complete(self) -> None:
        """Raise :class:`InflateError` when the compressed stream was cut short."""
        if not self._stream.eof:
            raise InflateError("the compressed data ended early")


def for_content_encoding(value: str | None) -> Inflater | None:
    """An inflater for a ``Content-Encoding`` header, ``None`` for an uncompressed body."""
    if not value:
        return None
    encoding = value.strip().lower()
    if encoding in ("identity", ""):
        return None
    if encoding in ("gzip", "x-gzip"):
        return Inflater(_GZIP)
    if encoding == "deflate":
        return Inflater(_ZLIB)
    raise InflateError(f"the body is encoded as {value!r}, which was not asked for")
