"""What a request gives back: a whole :class:`Response`, or a :class:`StreamingResponse` read in
chunks. Both carry the route template and request id their errors name."""

from __future__ import annotations

import dataclasses
import json as jsonlib
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any, TypeVar

import pydantic

from cbasync import errors
from cbasync._gc import collection_deferred
from cbasync._httpx import BodyReader, HttpResponse, InflateError, SendFailure

__all__ = ["Response", "StreamingResponse"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    """A whole response, read into memory. Bodies of searches are small (one page)."""

    status: int
    headers: Mapping[str, str] = dataclasses.field(repr=False)
    content: bytes = dataclasses.field(repr=False)
    method: str
    route: str
    path: str = dataclasses.field(repr=False)
    request_id: str | None
    elapsed: float

    def json(self) -> Any:
        """The decoded JSON body (``None`` for an empty body); ``ServerError`` if it is not JSON."""
        if not self.content:
            return None
        try:
            return jsonlib.loads(self.content)
        except (ValueError, UnicodeDecodeError, RecursionError):
            # RecursionError: nesting deeper than the interpreter's stack ("[[[[...").
            raise self._not_json() from None

    def parse(self, adapter: pydantic.TypeAdapter[T]) -> T:
        """Validate the body straight from bytes with a (cached) ``TypeAdapter``.

        A body that is not JSON, or not the shape the model expects, is a ``ServerError`` that
        names the route and status; the pydantic details are chained for debugging.
        """
        try:
            with collection_deferred():
                return adapter.validate_json(self.content)
        except pydantic.ValidationError as exc:
            if any(error["type"] == "json_invalid" for error in exc.errors()):
                raise self._not_json() from None
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the body"
            raise errors.ServerError(
                f"unexpected response shape at {where}: {first['msg']}",
                **self.meta(),
            ) from exc

    def _not_json(self) -> errors.ServerError:
        return errors.ServerError(
            f"the server sent a body that is not valid JSON ({len(self.content)} bytes)",
            **self.meta(),
        )

    def meta(self) -> dict[str, Any]:
        """The keyword arguments every error about this response carries."""
        return {
            "status": self.status,
            "method": self.method,
            "route": self.route,
            "request_id": self.request_id,
        }


class StreamingResponse:
    """A response whose body is read in chunks, so a file never has to fit in memory."""

    def __init__(
        self,
        response: HttpResponse,
        *,
        method: str,
        route: str,
        request_id: str | None,
        limit: int,
    ) -> None:
        self._response = response
        #: The most the body may bring, inflated (the client's ``max_download_size``).
        self.limit = limit
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.method = method
        self.route = route
        self.request_id = request_id

    @property
    def content_length(self) -> int | None:
        value = self._response.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    async def aiter_bytes(self, chunk_size: int | None = 64 * 1024) -> AsyncGenerator[bytes, None]:
        """The body in chunks of at most ``chunk_size`` bytes (inflated, when the server
        compressed it although it was asked not to). Closing this iterator early is clean.
        A body larger than :attr:`limit` raises ``ServerError`` (before reading, when the
        server says its length)."""
        meta: dict[str, Any] = {
            "method": self.method,
            "route": self.route,
            "request_id": self.request_id,
        }
        declared = self.content_length
        if declared is not None and declared > self.limit:
            raise self._too_large(meta)  # the stream's context closes the response
        received = 0
        try:
            reader = BodyReader(self._response)
        except InflateError as exc:
            raise _undecodable(exc, self.status, meta) from None
        try:
            async with aclosing(reader.pieces(chunk_size)) as pieces:
                async for chunk in pieces:
                    received += len(chunk)
                    if received > self.limit:
                        raise self._too_large(meta)
                    yield chunk
        except InflateError as exc:
            raise _undecodable(exc, self.status, meta) from None
        except SendFailure as failure:
            if failure.kind.endswith("timeout"):
                raise errors.TimeoutError("the download stalled", **meta) from failure
            raise errors.ConnectionError(
                f"the connection broke during the download ({failure.name})", **meta
            ) from failure
        finally:
            await reader.close()

    def _too_large(self, meta: Mapping[str, Any]) -> errors.ServerError:
        return errors.ServerError(
            f"the download is larger than max_download_size={self.limit} bytes; raise "
            "max_download_size on the client for larger files",
            status=self.status,
            **meta,
        )

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes(None)])


def _undecodable(exc: InflateError, status: int, meta: Mapping[str, Any]) -> errors.ServerError:
    return errors.ServerError(
        f"the server sent a body that cannot be decoded: {exc}", status=status, **meta
    )
