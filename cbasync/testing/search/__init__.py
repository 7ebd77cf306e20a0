"""One search engine for every emulated server.

- :mod:`~cbasync.testing.search.columns`: columns over row keys and compiled Lucene queries;
- :mod:`~cbasync.testing.search.collation`: the one sort and the one facet count, with each
  server's rules for missing values and multi-valued fields as data (``SOLR``, ``CLOUD``,
  ``APP_CONTROL``);
- :class:`SearchEngine`: EDR's Solr searches (cached key sets over a generated collection);
- :class:`Table`: the cloud's searches (criteria, exclusions, time ranges, facets, top-k);
- :mod:`~cbasync.testing.search.facets`: facet answers in EDR's and the cloud's shapes.
"""

from cbasync.testing.search.collation import (
    APP_CONTROL,
    CLOUD,
    SOLR,
    Collation,
    count_values,
    ordered,
    smallest,
)
from cbasync.testing.search.columns import Accessor, Column, Getter, compile_search, getter_of
from cbasync.testing.search.engine import Keys, SearchEngine
from cbasync.testing.search.facets import facet_entries, facet_id, facet_values
from cbasync.testing.search.table import (
    CriteriaError,
    Table,
    dict_table,
    epoch_of,
    parse_time_range,
    sort_spec,
    window_seconds,
)

__all__ = [
    "APP_CONTROL",
    "CLOUD",
    "SOLR",
    "Accessor",
    "Collation",
    "Column",
    "CriteriaError",
    "Getter",
    "Keys",
    "SearchEngine",
    "Table",
    "compile_search",
    "count_values",
    "dict_table",
    "epoch_of",
    "facet_entries",
    "facet_id",
    "facet_values",
    "getter_of",
    "ordered",
    "parse_time_range",
    "smallest",
    "sort_spec",
    "window_seconds",
]
