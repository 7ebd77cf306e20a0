"""The App Control (CB Protection) server's state and rules, and its search language.

Objects live in :class:`Collection`\\ s: generated rows (a pure function of ``(seed, index)``; the
big ones - file instances, events - are never materialised whole) plus overrides for what clients
changed, created or deleted. The search language is App Control's own, not Lucene (wire §9.2,
:mod:`~cbasync.testing.dataset.protection.conditions`).

Computers are the shared endpoint population; file catalog entries are the EDR binary catalog
(same MD5s), so a hash banned here is a hash the EDR side knows too.

One module per concern: ``rows`` (generated objects), ``trust`` (publishers, certificates,
rules, approvals), ``rules`` (what a write may change), ``analysis`` (files on their way to
connectors, and their downloads), ``tables`` (the seed tables, as data),
``fields``, ``store`` and ``core``; ``backend`` combines them into :class:`ProtectionBackend`.
"""

from cbasync.testing.dataset.protection.analysis import DOWNLOADABLE
from cbasync.testing.dataset.protection.backend import ProtectionBackend
from cbasync.testing.dataset.protection.conditions import (
    Condition,
    condition_predicate,
    parse_conditions,
)
from cbasync.testing.dataset.protection.store import Collection

__all__ = [
    "DOWNLOADABLE",
    "Collection",
    "Condition",
    "ProtectionBackend",
    "condition_predicate",
    "parse_conditions",
]
