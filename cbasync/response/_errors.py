"""How EDR's answers map onto the error tree, beyond what HTTP says (wire §1.2-1.4)."""

from __future__ import annotations

from cbasync import errors
from cbasync._error_map import Answer, error_message_in_body
from cbasync.live_response import session_limit_reached

__all__ = ["EDR_ERROR_RULES"]


def malformed_query(answer: Answer) -> errors.ApiError | None:
    """A 400 with ``reason: query_malformed_syntax``: the search query does not parse."""
    if answer.status != 400:
        return None
    _, reason = answer.describe()
    if reason == "query_malformed_syntax" or b"query_malformed_syntax" in answer.body:
        return errors.QuerySyntaxError(answer.message, **answer.meta())
    return None


#: In order: an ``errorMessage`` in a 200 is an error (wire §1.3), then the 4xx dialect (a
#: 403 "session limit reached" is Live Response's, shared by every server).
EDR_ERROR_RULES = (error_message_in_body, malformed_query, session_limit_reached)
