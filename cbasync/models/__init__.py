"""Pydantic data models of the Carbon Black APIs, generated from the OpenAPI documents in spec/.

One module per server family, named as Carbon Black users know the objects::

    from cbasync.models import cloud, edr, protection

    page = TypeAdapter(edr.ProcessSearchResponse).validate_json(body)
    for process in page.results:  # edr.ProcessSearchResult
        ...

- ``edr``: EDR on-prem (formerly CB Response), including Live Response (/api/v1/cblr).
- ``protection``: App Control (formerly CB Protection, /api/bit9platform).
- ``cloud``: Carbon Black Cloud - Platform devices and alerts (v6 and v7), Enterprise EDR search
  jobs, Auth Events, LiveQuery, legacy Defense v3, Live Response v6/v3 and the Jobs service.

Every model subclasses :class:`CbModel` (``extra="allow"``: unknown server fields are kept and
dumped back; ``populate_by_name=True``). Envelopes are named after the route's answer
(``ProcessSearchResponse``, ``AuthEventSearchJobResults``, ``SensorList``, ...), requests after
the operation (``...Request``). The generated code is never edited by hand: change spec/ and run
``nox -s codegen``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cbasync.models._base import CbModel

if TYPE_CHECKING:
    from cbasync.models._generated import cloud, edr, protection

__all__ = ["CbModel", "cloud", "edr", "protection"]

_FAMILIES = frozenset({"cloud", "edr", "protection"})


def __getattr__(name: str) -> Any:
    # Each family is a few hundred pydantic classes (0.2-0.4 s to import): load one only when
    # it is asked for, so an EDR client never pays for the cloud's models, nor the emulator
    # for any.
    if name in _FAMILIES:
        module = importlib.import_module(f"cbasync.models._generated.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cbasync.models' has no attribute {name!r}")
