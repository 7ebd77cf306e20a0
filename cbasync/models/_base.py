"""The base class of every generated Carbon Black data model.

The generated modules (``cbasync.models._generated``) subclass :class:`CbModel`, so one
configuration applies to all of them:

- ``extra="allow"``: a field the server sends that the spec does not know is kept (in
  ``model_extra``) and dumped back, never dropped; Carbon Black servers add fields between
  releases and per feed (``alliance_score_<feed>``).
- ``populate_by_name=True``: fields whose JSON names are not identifiers (``cb.urlver``,
  ``_version_``, ``global``) can be set by alias or by their Python name.
- ``protected_namespaces=()``: server fields may start with ``model_`` without a warning.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["CbModel"]


class CbModel(BaseModel):
    """A Carbon Black JSON object: typed known fields, unknown fields kept."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        protected_namespaces=(),
    )
