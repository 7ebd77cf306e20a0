"""The Carbon Black Cloud org's data: one module per store, composed by :class:`CloudOrg`.

=================== ==========================================================================
``org``             :class:`CloudOrg`, the composition root (one per emulator state)
``common``          seeded numbers and ids, the cloud's timestamp spelling
``devices``         platform devices (search, facets, actions); ``device_views`` their v6/v3 JSON
``alerts``          alerts v7 with workflow and notes, v6 as a view; ``alert_rows`` the generated
                    records, ``alert_tables`` their v6/v7 searches
``processes``       Enterprise EDR processes; ``process_catalog`` the programs they run,
                    ``process_events`` their events
``auth_events``     Windows authentication events (seed 004); ``auth_data`` what they are made of
``livequery``       LiveQuery runs; ``osquery`` the SQL they run against an endpoint's image
``threat_intel``    feeds, reports, watchlists, query translation
``defense``         the legacy Endpoint Standard (Defense) v3 views
=================== ==========================================================================

Generated rows are pure functions of ``(seed, index)`` built on the shared endpoint population
(:mod:`cbasync.testing.dataset.endpoints`); only what a client changes (a quarantine, an alert's
workflow, a feed) is kept in memory. Large sets (processes, auth events) are never materialised:
a :class:`~cbasync.testing.search.Table` evaluates queries, criteria and facets through per-field
columns over row indices, and a row's JSON is built only when it is returned.

Timestamps describe a history that ends at the configuration's ``data_epoch``; relative windows
(``time_range: {"window": "-2w"}``, ``{"range": "-1d"}``, the alerts v7 default of two weeks) count
back from that end, so a seed answers the same whatever today's date is.

Nothing here knows HTTP. The routes in ``cbasync.testing.routes.cloud_*`` translate requests to
these calls.
"""

from cbasync.testing.dataset.cloud.alert_rows import Workflow
from cbasync.testing.dataset.cloud.alert_tables import (
    V6_FACET_FIELDS,
    V6_TIME_CRITERIA,
    V7_FACET_FIELDS,
    V7_TIME_CRITERIA,
)
from cbasync.testing.dataset.cloud.alerts import AlertStore
from cbasync.testing.dataset.cloud.auth_data import AUTH_DESCRIPTIONS, AUTH_SEARCH_FIELDS
from cbasync.testing.dataset.cloud.auth_events import AuthEventStore
from cbasync.testing.dataset.cloud.common import iso, mix, short_id, stable
from cbasync.testing.dataset.cloud.defense import V3_EVENT_TYPES, V3_RESULT_CAP, DefenseStore
from cbasync.testing.dataset.cloud.devices import DEVICE_ACTIONS, DEVICE_FACET_FIELDS, DeviceStore
from cbasync.testing.dataset.cloud.livequery import LiveQueryRun, LiveQueryStore
from cbasync.testing.dataset.cloud.org import CLOUD_BACKEND, CloudOrg, cloud_org
from cbasync.testing.dataset.cloud.osquery import LIVEQUERY_TABLES, SqlError, osquery_rows
from cbasync.testing.dataset.cloud.process_catalog import FAMILY
from cbasync.testing.dataset.cloud.process_events import EVENT_SCHEMA, event_table, process_events
from cbasync.testing.dataset.cloud.processes import (
    EVENT_TYPES,
    PROCESS_DEFAULT_FIELDS,
    ProcessStore,
)
from cbasync.testing.dataset.cloud.threat_intel import (
    EDR_TO_EEDR_FIELDS,
    ThreatIntelStore,
    translate_edr_query,
)

__all__ = [
    "AUTH_DESCRIPTIONS",
    "AUTH_SEARCH_FIELDS",
    "CLOUD_BACKEND",
    "DEVICE_ACTIONS",
    "DEVICE_FACET_FIELDS",
    "EDR_TO_EEDR_FIELDS",
    "EVENT_SCHEMA",
    "EVENT_TYPES",
    "FAMILY",
    "LIVEQUERY_TABLES",
    "PROCESS_DEFAULT_FIELDS",
    "V3_EVENT_TYPES",
    "V3_RESULT_CAP",
    "V6_FACET_FIELDS",
    "V6_TIME_CRITERIA",
    "V7_FACET_FIELDS",
    "V7_TIME_CRITERIA",
    "AlertStore",
    "AuthEventStore",
    "CloudOrg",
    "DefenseStore",
    "DeviceStore",
    "LiveQueryRun",
    "LiveQueryStore",
    "ProcessStore",
    "SqlError",
    "ThreatIntelStore",
    "Workflow",
    "cloud_org",
    "event_table",
    "iso",
    "mix",
    "osquery_rows",
    "process_events",
    "short_id",
    "stable",
    "translate_edr_query",
]
