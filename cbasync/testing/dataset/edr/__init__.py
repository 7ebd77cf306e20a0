"""The EDR (CB Response) server's state and rules, one module per resource family.

========================= =====================================================================
``core``                  :class:`~cbasync.testing.dataset.edr.core.EdrCore`: the state, the
                          generated processes and binaries, sensor groups, the administration
``solr``                  the Solr query types every search reads (parameters, a page)
``process_search``        process search: time windows, grouping, facets, highlights
``processes``             one process: summaries, segments, events, preview, metadata
``streams``               the v6 event streams and bulk facets
``binaries``              binary search and documents
``sensors``, ``groups``   sensors; sensor groups, installers and builds
``alerts``                alerts and their workflow
``admin``                 watchlists, feeds, reports, bans, users, teams, partitions, ingress...
``backend``               :class:`EdrBackend`, every family combined
========================= =====================================================================

As in moto's ``EC2Backend``, each family is a class over the shared core and the backend derives
from all of them, so a route calls ``edr.process_page(...)`` whichever module holds it. Nothing
here knows HTTP: methods take plain values and return plain dicts/lists (or raise the domain
errors of :mod:`cbasync.testing.dataset.errors`); ``routes/edr.py`` translates.
"""

from cbasync.testing.dataset.edr.backend import EdrBackend
from cbasync.testing.dataset.edr.solr import SearchPage, SolrParams, filtered_query, parse_solr

__all__ = ["EdrBackend", "SearchPage", "SolrParams", "filtered_query", "parse_solr"]
