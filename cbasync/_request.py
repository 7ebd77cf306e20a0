"""One request as the SDK describes it: a frozen :class:`RequestSpec`, the path it renders to,
and the headers and body it is sent with. What the transport does with it is in
``_transport.py``."""

from __future__ import annotations

import dataclasses
import json as jsonlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from cbasync._multipart import MultipartBody, Upload

__all__ = ["RequestSpec", "encode", "is_absolute", "render"]

#: What whole answers may arrive as. Gzip is all the servers use (the EDR's nginx; the emulator
#: at level 1); asking for nothing else keeps the decoding in this SDK, bounded.
_ACCEPT_COMPRESSED = "gzip"
#: Streams are files (ZIPs, installers) that compression cannot shrink: ask for them as they are.
_ACCEPT_IDENTITY = "identity"


@dataclasses.dataclass(frozen=True, slots=True)
class RequestSpec:
    """One request as the SDK describes it, before it is sent (and re-sent by retries)."""

    method: str
    #: The route template (``/api/v1/process/{id}``): what logs and errors name.
    route: str
    path_params: Mapping[str, object] | None = None
    params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
    json: Any = None
    content: bytes | None = None
    upload: Upload | None = None
    headers: Mapping[str, str] | None = None
    #: Whether a retry after the server may have seen it is safe (``None``: by method).
    idempotent: bool | None = None
    stream: bool = False

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent again (an upload from a one-shot stream cannot)."""
        return self.upload is None or self.upload.replayable


def render(
    route: str, defaults: Mapping[str, object], path_params: Mapping[str, object] | None
) -> str:
    """The path: the route with its parameters filled in, each quoted; ``defaults`` (the
    cloud's ``org_key``) under the request's own."""
    if "{" not in route:
        return route
    values = {**defaults, **path_params} if path_params else defaults
    quoted = {key: quote(str(value), safe=":@-._~") for key, value in values.items()}
    try:
        return route.format_map(quoted)
    except KeyError as exc:
        raise ValueError(f"route {route!r} needs the path parameter {exc.args[0]!r}") from None


def is_absolute(path: str) -> bool:
    return path.startswith(("https://", "http://"))


def encode(spec: RequestSpec, user_agent: str, request_id: str) -> tuple[dict[str, str], Any]:
    """The headers (before the token) and the body of one attempt."""
    headers = {
        "User-Agent": user_agent,
        "X-Request-ID": request_id,
        "Accept-Encoding": _ACCEPT_IDENTITY if spec.stream else _ACCEPT_COMPRESSED,
    }
    if spec.headers:
        headers.update(spec.headers)
    content: Any = None
    if spec.upload is not None:
        multipart = MultipartBody(spec.upload)
        headers["Content-Type"] = multipart.content_type
        if multipart.content_length is not None:
            headers["Content-Length"] = str(multipart.content_length)
        content = multipart.chunks()
    elif spec.content is not None:
        content = spec.content
    elif spec.json is not None:
        content = jsonlib.dumps(spec.json, separators=(",", ":")).encode()
        headers.setdefault("Content-Type", "application/json")
    return headers, content
