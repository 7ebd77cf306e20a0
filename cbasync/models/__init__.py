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

from cbasync.models._base import CbModel
from cbasync.models._generated import cloud, edr, protection

__all__ = ["CbModel", "cloud", "edr", "protection"]
