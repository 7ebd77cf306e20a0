"""How Carbon Black Cloud's answers map onto the error tree, beyond what HTTP says (wire §1.2-1.4).

The cloud speaks several dialects: the Platform and Enterprise EDR APIs answer JSON with an
``error_code``; the legacy Defense v3 API (``/integrationServices/v3``) answers
``{"success": false, "message": ...}``, also with a 200; and some legacy routes carry an
``errorMessage`` in a 200 like EDR.
"""

from __future__ import annotations

import json as jsonlib

from cbasync import errors
from cbasync._error_map import Answer, error_message_in_body
from cbasync.live_response import session_limit_reached

__all__ = ["CLOUD_ERROR_RULES"]

#: ``error_code`` values that mean the search query (or criteria) does not parse (fixture).
_QUERY_CODES = frozenset({"INVALID_QUERY", "QUERY_SYNTAX_ERROR", "MALFORMED_QUERY"})


def v3_failure(answer: Answer) -> errors.ApiError | None:
    """Defense v3: ``"success": false`` is a failure whatever the status (wire §1.3)."""
    # The route first: scanning a megabyte results page for the word costs 0.3 ms.
    if answer.status >= 300 or not answer.route.startswith("/integrationServices/v3"):
        return None
    if b'"success"' not in answer.body:
        return None
    try:
        document = jsonlib.loads(answer.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(document, dict) and document.get("success") is False:
        message = document.get("message") or "the request failed"
        return errors.ServerError(
            f"the server reported a failure: {str(message)[:300]}", **answer.meta()
        )
    return None


def bad_query(answer: Answer) -> errors.ApiError | None:
    """A 400 whose ``error_code`` says the query does not parse."""
    if answer.status != 400:
        return None
    document = answer.json()
    code = document.get("error_code") if isinstance(document, dict) else None
    if code in _QUERY_CODES:
        return errors.QuerySyntaxError(answer.message, **answer.meta())
    return None


#: Known values a message lists before it says how many more there are.
_KNOWN_SHOWN = 12


def invalid_value(answer: Answer) -> errors.ApiError | None:
    """A v6/v7 400 naming the ``field`` whose value the server refused and the values it
    accepts (``{"error_code": "INVALID_ENUM_VALUE", "field": "terms.fields[0]",
    "known_values": [...]}``, wire §1.2): the message says which field and what it takes."""
    if answer.status != 400:
        return None
    document = answer.json()
    if not isinstance(document, dict) or not isinstance(document.get("field"), str):
        return None
    known = document.get("known_values")
    hint = ""
    if isinstance(known, list) and known:
        shown = ", ".join(str(value) for value in known[:_KNOWN_SHOWN])
        more = len(known) - _KNOWN_SHOWN
        hint = f"; {document['field']} takes {shown}" + (f" and {more} more" if more > 0 else "")
    return errors.ClientError(
        f"{answer.message} (field {document['field']}){hint}", **answer.meta()
    )


#: A 403 "session limit reached" is Live Response's SessionLimitError, as on every server.
CLOUD_ERROR_RULES = (
    error_message_in_body,
    v3_failure,
    bad_query,
    invalid_value,
    session_limit_reached,
)
