"""EDR processes: search documents (one per process segment), summaries, events of every kind.

Layout. Processes come in blocks of ``BLOCK`` (16): block ``b`` is one instance of a process-tree
template (see ``_catalog``) on one endpoint, so parents, children, siblings and cross-process
targets are all computable from the block alone. A block's search documents are its processes'
newest segments in template order, followed by their older segments; documents are numbered
across blocks, and document ``d`` has ``last_update = epoch - (d + 1) * step``: index order *is*
the default sort (``last_update desc``), and ``cb.min_last_update``-style filters are a binary
search.

Identity. A process id is a real EDR 4.2-style GUID: sensor id, PID and the start time as a
Windows FILETIME whose sub-second digits carry the process number, so any GUID a client sends back
maps to its process without a lookup table. Segment ids are the segment's ``last_update`` in epoch
milliseconds (as EDR 6.x uses); ``unique_id`` is ``<guid>-<segment id as 12 hex digits>``.

Events are generated on demand from the template's pools with a per-(process, segment) RNG; every
pool value occurs in every segment it belongs to, so searching ``filemod:``/``domain:``/...
against a segment document is exact.

One module per part, combined by :class:`ProcessSet` (``process_set``): ``kinds`` (what each
process runs), ``layout`` (where each document is), ``documents`` (blocks and JSON), ``columns``
(search columns), ``events``; ``blocks`` holds :class:`BlockInfo`, ``common`` the identity scheme
and value types, ``schema`` the search fields.
"""

from cbasync.testing.dataset.edr_process.blocks import BlockInfo
from cbasync.testing.dataset.edr_process.common import (
    EVENT_TYPES,
    MAX_PROCESSES,
    Event,
    ProcKind,
    parse_guid,
)
from cbasync.testing.dataset.edr_process.process_set import ProcessSet
from cbasync.testing.dataset.edr_process.schema import PROCESS_FACETS, PROCESS_SCHEMA

__all__ = [
    "EVENT_TYPES",
    "MAX_PROCESSES",
    "PROCESS_FACETS",
    "PROCESS_SCHEMA",
    "BlockInfo",
    "Event",
    "ProcKind",
    "ProcessSet",
    "parse_guid",
]
