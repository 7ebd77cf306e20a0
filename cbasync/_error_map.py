"""From a failed attempt to the error tree: statuses, broken connections, and product rules.

The core knows HTTP: a 404 is ``ObjectNotFoundError``, a 5xx ``ServerError``, a 429 closes the
client-wide gate, a connect failure never reached the server. What a status means beyond that
is a product's dialect — EDR's ``query_malformed_syntax``, an ``errorMessage`` in a 200, App
Control's 401 for missing rights, a Live Response "session limit" 403 — and each product says it
as :data:`ErrorRule` functions on its API class (``BaseAPI.error_rules``). A rule sees the
:class:`Answer` (status, headers, the first 64 KiB of the body, a token-free description) and
returns the error to raise, or ``None`` to leave the answer to the next rule and then to the
status. Rules see successful answers too (an error can arrive with a 200); the first error wins.

Nothing here puts the token, a query string or a body that was sent into a message: bodies are
described (a ``reason``, a ``message``, an HTML ``<title>``), with the token masked first.
"""

from __future__ import annotations

import dataclasses
import json as jsonlib
import logging
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from cbasync import errors
from cbasync._httpx import SendFailure
from cbasync._retry import AttemptFailed, Failure, RateLimitGate, RetryPolicy, parse_retry_after

__all__ = [
    "ERROR_BODY_LIMIT",
    "MASK",
    "Answer",
    "ErrorRule",
    "describe_body",
    "error_for_answer",
    "error_for_send_failure",
    "error_message_in_body",
]

logger = logging.getLogger("cbasync.http")

#: Bytes of an error body read to build the error message.
ERROR_BODY_LIMIT = 64 * 1024
MASK = "**********"
#: How long a description of a body may be in a message.
_DESCRIPTION_LIMIT = 300


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """A server's answer to one attempt, as an :data:`ErrorRule` sees it."""

    status: int
    headers: Mapping[str, str] = dataclasses.field(repr=False)
    #: The body (for an error, its first 64 KiB).
    body: bytes = dataclasses.field(repr=False)
    method: str
    route: str
    request_id: str | None
    token: str = dataclasses.field(repr=False)

    def describe(self) -> tuple[str, str | None]:
        """A short, token-free description of the body, and its ``reason`` if it has one."""
        return describe_body(self.body, self.headers.get("content-type", ""), self.token)

    @property
    def message(self) -> str:
        """``"400 Bad Request: <description>"``."""
        detail, _ = self.describe()
        phrase = _phrase(self.status)
        return f"{phrase}: {detail}" if detail else phrase

    def json(self) -> Any:
        """The body as JSON, or ``None`` when it is not JSON."""
        try:
            return jsonlib.loads(self.body) if self.body else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None

    def meta(self) -> dict[str, Any]:
        """The keyword arguments of an error about this answer."""
        return {
            "status": self.status,
            "method": self.method,
            "route": self.route,
            "request_id": self.request_id,
        }


#: A product's reading of an answer: the error to raise, or ``None``.
ErrorRule = Callable[[Answer], "errors.ApiError | None"]


def error_message_in_body(answer: Answer) -> errors.ApiError | None:
    """A rule EDR and the cloud's legacy APIs share (wire §1.3): a JSON object with the key
    ``errorMessage`` is a failure even with a 200. Only the top level counts: a result row
    with such a field is data."""
    if answer.status >= 300 or b'"errorMessage"' not in answer.body:
        return None
    try:
        document = jsonlib.loads(answer.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return errors.ServerError(
            f"the server sent a body that is not valid JSON ({len(answer.body)} bytes)",
            **answer.meta(),
        )
    if not isinstance(document, dict) or "errorMessage" not in document:
        return None
    detail, _ = describe_body(
        jsonlib.dumps({"errorMessage": str(document["errorMessage"])}).encode(),
        "application/json",
        answer.token,
    )
    return errors.ServerError(f"the server reported an error: {detail}", **answer.meta())


def error_for_answer(
    answer: Answer,
    rules: Sequence[ErrorRule],
    policy: RetryPolicy,
    gate: RateLimitGate,
) -> AttemptFailed | None:
    """The classified failure an answer means (``None``: it is a success)."""
    status = answer.status
    if status == 429:
        return _rate_limited(answer, policy, gate)
    for rule in rules:
        ruled = rule(answer)
        if ruled is not None:
            return AttemptFailed(ruled, _failure_for(status, answer, policy))
    if status < 400:
        return None
    meta = answer.meta()
    message = answer.message
    error: errors.ApiError
    if status == 401:
        error = errors.UnauthorizedError(f"{message} — check the token", **meta)
    elif status == 404:
        error = errors.ObjectNotFoundError(message, **meta)
    elif status < 500:
        error = errors.ClientError(message, **meta)
    else:
        error = errors.ServerError(message, **meta)
    failure = _failure_for(status, answer, policy)
    retry_after = (
        parse_retry_after(answer.headers.get("retry-after"))
        if failure is Failure.MAYBE_HANDLED
        else None
    )
    return AttemptFailed(error, failure, retry_after=retry_after)


def _failure_for(status: int, answer: Answer, policy: RetryPolicy) -> Failure:
    if status in (502, 503, 504):
        retry_after = parse_retry_after(answer.headers.get("retry-after"))
        # A server that asks for a longer pause than the clamp is not waited out.
        if retry_after is None or retry_after <= policy.max_retry_after:
            return Failure.MAYBE_HANDLED
    return Failure.FINAL


def _rate_limited(answer: Answer, policy: RetryPolicy, gate: RateLimitGate) -> AttemptFailed:
    meta = answer.meta()
    retry_after = parse_retry_after(answer.headers.get("retry-after"))
    if retry_after is not None and retry_after > policy.max_retry_after:
        shown = "forever" if retry_after == float("inf") else f"{retry_after:.0f}s"
        return AttemptFailed(
            errors.RateLimitError(
                f"rate limited: the server asks to wait {shown}, more than "
                f"max_retry_after={policy.max_retry_after:g}s",
                retry_after=retry_after,
                **meta,
            ),
            Failure.FINAL,
        )
    hold = retry_after if retry_after is not None else policy.backoff(1)
    gate.close_for(hold)
    logger.info(
        "Rate limited (429) on %s %s: every request of this client waits %.2fs%s",
        answer.method,
        answer.route,
        hold,
        " (Retry-After)" if retry_after is not None else "",
    )
    return AttemptFailed(
        errors.RateLimitError(answer.message, retry_after=retry_after, **meta),
        Failure.RATE_LIMITED,
        retry_after=retry_after,
    )


def error_for_send_failure(failure: SendFailure, meta: dict[str, Any], host: str) -> AttemptFailed:
    """A request that got no answer: whether it reached the server decides its retry."""
    kind = failure.kind
    if kind in ("connect_timeout", "pool_timeout"):
        phase = "connecting" if kind == "connect_timeout" else "waiting for a free connection"
        return AttemptFailed(
            errors.TimeoutError(f"timed out {phase} to {host}", **meta),
            Failure.NOT_SENT,
            timeout=True,
        )
    if kind in ("write_timeout", "read_timeout"):
        phase = "sending the request" if kind == "write_timeout" else "waiting for the response"
        return AttemptFailed(
            errors.TimeoutError(f"timed out {phase} from {host}", **meta),
            Failure.MAYBE_HANDLED,
            timeout=True,
        )
    if kind == "certificate":
        return AttemptFailed(
            errors.ConnectionError(
                f"TLS certificate verification failed for {host}: pin the server's certificate "
                "with ssl_cert_file, or (not recommended) set ssl_verify=False",
                **meta,
            ),
            Failure.FINAL,
        )
    if kind == "connect":
        return AttemptFailed(
            errors.ConnectionError(f"could not connect to {host} ({failure.name})", **meta),
            Failure.NOT_SENT,
        )
    if kind == "proxy":
        return AttemptFailed(
            errors.ConnectionError(f"the proxy refused the connection to {host}", **meta),
            Failure.NOT_SENT,
        )
    if kind == "broken":
        return AttemptFailed(
            errors.ConnectionError(f"the connection to {host} broke ({failure.name})", **meta),
            Failure.MAYBE_HANDLED,
        )
    if kind == "invalid_url":
        return AttemptFailed(
            errors.ClientError(
                f"the request URL is too long or malformed to send ({failure.detail}); httpx "
                "sends at most 65,536 characters and servers often accept fewer: split the "
                "query into smaller ones",
                **meta,
            ),
            Failure.FINAL,
        )
    return AttemptFailed(
        errors.ApiError(f"the request could not be sent ({failure.name})", **meta), Failure.FINAL
    )


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def describe_body(body: bytes, content_type: str, token: str) -> tuple[str, str | None]:
    """A short, token-free description of an error body, and its ``reason`` if it has one.

    The token is masked before anything is cut: cutting first would leave the head of a token
    that straddles the cut unmasked.
    """
    if not body:
        return "", None
    if token and len(body) >= ERROR_BODY_LIMIT:
        # The body was cut at the read limit, maybe inside a token: drop what could be a
        # token's head.
        body = body[: -len(token)]
    reason: str | None = None
    text = ""
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            document = jsonlib.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            document = None
        if isinstance(document, list) and document and isinstance(document[0], str):
            text = document[0]
        elif isinstance(document, dict):
            found = {
                key: document[key]
                for key in (
                    "reason",
                    "error_code",
                    "message",
                    "errorMessage",
                    "error",
                    "status",
                    "detail",
                )
                if isinstance(document.get(key), str) and document[key]
            }
            reason = found.get("reason")
            text = "; ".join(dict.fromkeys(found.values()))
    elif "html" in content_type or body.lstrip()[:1] == b"<":
        lowered = body.lower()
        start, end = lowered.find(b"<title>"), lowered.find(b"</title>")
        if start != -1 and end > start:
            text = body[start + 7 : end].decode("utf-8", "replace")
    else:
        text = body.decode("utf-8", "replace")
    if token:
        text = text.replace(token, MASK)
    text = " ".join(text.split())
    if len(text) > _DESCRIPTION_LIMIT:
        text = text[: _DESCRIPTION_LIMIT - 3] + "..."
    return text, reason
