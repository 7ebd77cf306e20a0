"""The base class of every generated Carbon Black data model.

The generated modules (``cbasync.models._generated``) subclass :class:`CbModel`, so one
configuration applies to all of them:

- ``extra="allow"``: a field the server sends that the spec does not know is kept (in
  ``model_extra``) and dumped back, never dropped; Carbon Black servers add fields between
  releases and per feed (``alliance_score_<feed>``).
- ``populate_by_name=True``: fields whose JSON names are not identifiers (``cb.urlver``,
  ``_version_``, ``global``) can be set by alias or by their Python name.
- ``protected_namespaces=()``: server fields may start with ``model_`` without a warning.

Fields that hold a credential (:data:`SECRET_FIELDS`: a user's ``auth_token``, a feed's
``password`` and client key, ...) are masked in ``repr()`` and in rich/IPython displays, like the
client's own token; ``model_dump()`` still returns them, because saving an object sends them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["MASK", "SECRET_FIELDS", "CbModel", "is_secret"]

#: JSON names of fields whose values are credentials.
SECRET_FIELDS = frozenset(
    {
        "auth_token",
        "api_key",
        "api_token",
        "password",
        "secret",
        "ssl_client_key",
        "token",
        # App Control spells its own: a user's API token, an agent's CLI password.
        "apitoken",
        "clipassword",
    }
)
MASK = "**********"


def is_secret(name: str) -> bool:
    return name.lower() in SECRET_FIELDS


class CbModel(BaseModel):
    """A Carbon Black JSON object: typed known fields, unknown fields kept."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        protected_namespaces=(),
    )

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # pydantic's repr, str, rich and IPython pretty printers all read these pairs.
        for name, value in super().__repr_args__():
            yield name, (MASK if name is not None and is_secret(name) and value else value)
