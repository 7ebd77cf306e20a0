"""How App Control's answers map onto the error tree, beyond what HTTP says (wire §1.2, §9)."""

from __future__ import annotations

from cbasync import errors
from cbasync._error_map import Answer

__all__ = ["PROTECTION_ERROR_RULES"]


def missing_rights(answer: Answer) -> errors.ApiError | None:
    """App Control answers 401 both for a bad token and for a user without the rights."""
    if answer.status != 401:
        return None
    return errors.UnauthorizedError(
        f"{answer.message} — check the token, and the rights of the console user it belongs to "
        "(App Control answers 401 for missing rights too)",
        **answer.meta(),
    )


def access_refused(answer: Answer) -> errors.ApiError | None:
    """App Control's 403: the object exists but this user may not read or change it."""
    if answer.status != 403:
        return None
    return errors.ClientError(
        f"{answer.message} — App Control refuses access to this object for this user",
        **answer.meta(),
    )


def malformed_search(answer: Answer) -> errors.ApiError | None:
    """A 400 to a search: a condition names a field the object does not have, or a parameter
    is wrong (App Control puts the details in the body)."""
    if answer.status != 400 or answer.method != "GET" or answer.route.endswith("{id}"):
        return None
    return errors.QuerySyntaxError(
        f"{answer.message} — App Control could not run this search", **answer.meta()
    )


PROTECTION_ERROR_RULES = (missing_rights, access_refused, malformed_search)
