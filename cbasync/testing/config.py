"""Every knob of the emulator, in one frozen dataclass.

The defaults describe a small but realistic installation (an EDR 7.7 server with 10 Live Response
slots, a cloud org with its 100-session limit, no injected faults, no added latency), so a test that
builds ``EmulatorConfig()`` talks to something that behaves like a quiet production server. The
``cbasync emulator`` command line maps its flags onto these fields one to one.

This module imports nothing outside the standard library: the CLI and the pytest plugin read it
without pulling in starlette.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "DEFAULT_DATA_EPOCH",
    "DEFAULT_ORG_KEY",
    "DEFAULT_TOKEN",
    "EmulatorConfig",
    "config_from_json",
    "config_to_json",
]

# One credential accepted by every product, shaped like a Carbon Black Cloud API key
# ("<24-character secret>/<10-character API id>"); EDR and App Control accept any token string,
# so the same value works for all three API families.
DEFAULT_TOKEN = "EMULATORSECRETKEY0000001/EMULATOR01"  # noqa: S105 - a test credential
# Cloud org keys are short alphanumeric strings, typically 8 characters.
DEFAULT_ORG_KEY = "EMU12345"
# 2024-05-01T00:00:00Z: the instant the generated data ends by default. Every dataset timestamp is
# a fixed offset before it, so a seed always produces the same bytes whatever the wall clock says.
DEFAULT_DATA_EPOCH = 1_714_521_600.0


@dataclass(frozen=True)
class EmulatorConfig:
    """Configuration of one emulated installation (EDR server, App Control server, cloud org).

    Durations are in seconds unless the name says otherwise; rates are probabilities in [0, 1]
    applied per request.
    """

    # --- identity and credentials --------------------------------------------------------------
    seed: int = 0
    """Seed of the generated dataset and of every random fault decision."""
    token: str = DEFAULT_TOKEN
    """The ``X-Auth-Token`` every route requires (a wrong or missing token gets 401)."""
    extra_tokens: tuple[str, ...] = ()
    """Further accepted tokens (e.g. a second user)."""
    org_key: str = DEFAULT_ORG_KEY
    """The cloud org key expected in ``/orgs/{org_key}/`` paths."""
    org_name: str = "Acme Corporation"
    api_username: str = "api-user"
    """The user the token belongs to (shown as ``username`` on objects the API creates)."""

    # --- dataset scale -----------------------------------------------------------------------------
    processes: int = 100_000
    """Number of EDR processes (at most 10,000,000). Rows are generated on demand, so the scale
    costs no memory until queried. Search documents are process *segments*: a few long-lived
    processes have two or three, so an ungrouped search finds ~19% more documents than
    processes (``cb.group=id`` finds exactly one per process)."""
    devices: int = 50
    """Number of endpoints: EDR sensors and cloud devices share this one population."""
    binaries: int = 2_000
    """Number of distinct EDR binaries (module MD5s) behind the processes."""
    alerts: int = 500
    """Number of EDR alerts (cloud alerts are sized by the cloud dataset)."""
    online_ratio: float = 0.8
    """Share of endpoints that are online (an offline endpoint never activates an LR session)."""
    data_epoch: float = DEFAULT_DATA_EPOCH
    """Epoch seconds at which the generated history ends (the newest ``last_update``). Fixed by
    default so a seed always produces the same bytes; ``cbasync emulator`` sets it to the current
    time (``--data-epoch now``) so relative time filters ("the last day") find recent data."""
    history_days: int = 30
    """How far back process start times reach."""

    # --- EDR server ----------------------------------------------------------------------------
    server_version: str = "7.7.0.0"
    """EDR version reported by ``/api/info``. Below 7.7 the ban and ingress routes use their old
    names (``blacklist``, ``ingress_whitelist``); from 7.7 the new ones (``bannedlist``,
    ``ingress_approvedlist``). See ``legacy_route_aliases``."""
    legacy_route_aliases: bool = True
    """A 7.7+ server also answers on the pre-7.7 route names (clients written for older servers,
    cbapi among them, keep working). Set False to serve only the names of ``server_version``."""
    cblr_enabled: bool = True
    """``cblrEnabled`` in ``/api/info``; when False every ``/api/v1/cblr`` route answers 412."""
    max_rows_per_page: int = 10_000
    """Largest ``rows`` a Solr search (process, binary, alert, threat report) accepts in one
    request (EDR's ``maxRowsSolrReportQuery``); a larger one is a 400. ``start`` is not capped:
    paging through any number of results works, as on EDR."""
    facet_limit: int = 200
    """Top values returned per facet field (EDR: 200, not adjustable)."""
    max_events_per_process: int = 10_000
    """``CoreServicesMaxEventResultsPerProcess``: cap on events returned by the event routes."""
    unpaged_sensor_limit: int = 1_000
    """``GET /api/v1/sensor`` refuses to list more sensors than this."""
    isolation_delay: float = 5.0
    """Seconds between a sensor isolation change and ``is_isolating`` following it (the sensor
    confirms at its next check-in)."""
    query_cache_size: int = 256
    """Bounded LRU of matching-row index arrays, keyed by (query, filters, sort)."""

    # --- Live Response -----------------------------------------------------------------------------
    lr_slots: int = 10
    """EDR server limit on concurrent Live Response sessions (EDR default: 10)."""
    cloud_lr_slots: int = 100
    """Cloud limit on concurrent sessions per org (100; beyond it: 403 "session limit reached")."""
    lr_activation: float = 2.0
    """Seconds a session stays pending before an online sensor checks in and activates it."""
    lr_command_delay: float = 0.5
    """Seconds a command stays pending/in progress before it completes."""
    lr_idle_timeout: float = 300.0
    """Seconds without a command or keepalive before an EDR session expires (EDR: 300)."""
    cloud_lr_idle_timeout: float = 900.0
    """Idle timeout of cloud sessions (15 minutes)."""
    lr_upload_limit: int = 50 * 1024 * 1024
    """Bytes above which a cloud LR upload (v6 and legacy v3: the same front proxy) is refused
    with nginx's 413."""
    lr_seed_files: dict[str, int] = field(default_factory=dict)
    """Files of the given number of (synthetic, stable) bytes on every endpoint, by path:
    Windows paths (``C:\\...``) on Windows endpoints, the others on macOS and Linux ones, in a
    directory that exists. For a benchmark that fetches a file of a known size everywhere."""

    # --- search jobs -------------------------------------------------------------------------------
    job_duration: float = 3.0
    """Seconds a search job (process search, auth events, LiveQuery run, alert workflow) takes to
    go from submitted to ``contacted == completed``."""
    job_ttl: float = 3600.0
    """Seconds after completion before a job id expires (then 404)."""

    # --- response encoding ---------------------------------------------------------------------------
    gzip_level: int = 1
    """zlib level of ``Content-Encoding: gzip`` for clients that accept it (0: never compress).
    EDR sits behind openresty, which gzips JSON at nginx's default level 1."""
    gzip_min_bytes: int = 1024
    """Bodies smaller than this are sent as they are."""

    # --- latency and faults ------------------------------------------------------------------------
    latency_ms: float = 0.0
    """Added to every request before it is handled."""
    jitter_ms: float = 0.0
    """Uniform random extra latency in [0, jitter_ms] per request."""
    fault_5xx: float = 0.0
    """Probability that a request is answered with a transient server error."""
    fault_5xx_statuses: tuple[int, ...] = (502, 503, 504)
    """Statuses a 5xx fault picks from (the transient ones a gateway returns)."""
    fault_429: float = 0.0
    """Probability that a request trips the rate limiter (a 429 that starts a block)."""
    fault_reset: float = 0.0
    """Probability that the connection is reset instead of answered."""
    fault_slow: float = 0.0
    """Probability that a response is delayed by ``slow_response_seconds``."""
    slow_response_seconds: float = 65.0
    """Delay of a slow response (longer than a typical 60-second client read timeout)."""
    rate_limit_requests: int | None = None
    """Requests a client may send per ``rate_limit_window`` before 429 (None: no limit). The
    vendor's worked example: 1000 requests per 300 seconds."""
    rate_limit_window: float = 300.0
    """Sliding-window length of ``rate_limit_requests``."""
    retry_after: float = 5.0
    """Length of a 429 block; each request sent during a block extends it by this much, as the
    cloud does, and ``Retry-After`` says when it ends."""
    rate_limit_key: Literal["ip", "token"] = "ip"
    """What identifies a client for the rate limiter: its source address (as the cloud does) or
    its token."""
    fault_exempt_prefixes: tuple[str, ...] = ("/__emulator__",)
    """Path prefixes never delayed, faulted or counted (the emulator's own control routes)."""

    # --- extensions ----------------------------------------------------------------------------
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form settings for route modules (read-only by convention)."""

    # --- cloud datasets, search jobs and Live Response extras --------------------------------------
    # (read by cbasync.testing.dataset.cloud, cbasync.testing.jobs and cbasync.testing.live_response)
    cloud_processes: int | None = None
    """Enterprise EDR processes behind cloud process search jobs (None: same as ``processes``)."""
    cloud_alerts: int = 1_000
    """Cloud alerts (v7, also served in the v6 shape)."""
    auth_events: int = 5_000
    """Auth events (Windows logons), spread over the Windows devices."""
    job_searchers: int = 12
    """``contacted`` of a search job: the searchers a job fans out to (the seed examples show
    9-54); ``completed`` climbs to it over ``job_duration``."""
    device_start_base: Literal[0, 1] = 1
    """Whether device search ``start`` counts from 1 (as carbon-black-cloud-sdk sends it) or from
    0; the evidence for the real server is inconsistent. ``start`` 0 and 1 both mean the first
    row when this is 1."""
    lr_command_delays: dict[str, float] = field(default_factory=dict)
    """Per-command overrides of ``lr_command_delay`` by command name (``{"memdump": 30.0}``);
    without one, ``memdump`` takes six times ``lr_command_delay``."""
    lr_memdump_bytes: int = 4 * 1024 * 1024
    """Size of the dump file an LR ``memdump`` writes (a real one is the size of RAM)."""

    def __post_init__(self) -> None:
        _check(0 <= self.processes <= 10_000_000, "processes must be within [0, 10,000,000]")
        _check(self.devices >= 1, "devices must be >= 1")
        _check(self.binaries >= 1, "binaries must be >= 1")
        _check(self.alerts >= 0, "alerts must be >= 0")
        _check(0.0 <= self.online_ratio <= 1.0, "online_ratio must be within [0, 1]")
        _check(self.history_days >= 1, "history_days must be >= 1")
        _check(self.lr_slots >= 1 and self.cloud_lr_slots >= 1, "LR slot limits must be >= 1")
        for name in (
            "lr_activation",
            "lr_command_delay",
            "lr_idle_timeout",
            "cloud_lr_idle_timeout",
            "job_duration",
            "job_ttl",
            "latency_ms",
            "jitter_ms",
            "slow_response_seconds",
            "retry_after",
            "isolation_delay",
        ):
            _check(getattr(self, name) >= 0, f"{name} must be >= 0")
        for name in ("fault_5xx", "fault_429", "fault_reset", "fault_slow"):
            _check(0.0 <= getattr(self, name) <= 1.0, f"{name} must be a probability in [0, 1]")
        _check(
            all(500 <= s <= 599 for s in self.fault_5xx_statuses) and bool(self.fault_5xx_statuses),
            "fault_5xx_statuses must be non-empty 5xx codes",
        )
        _check(
            self.rate_limit_requests is None or self.rate_limit_requests >= 1,
            "rate_limit_requests must be >= 1 or None",
        )
        _check(self.rate_limit_window > 0, "rate_limit_window must be > 0")
        _check(self.rate_limit_key in ("ip", "token"), "rate_limit_key must be 'ip' or 'token'")
        _check(bool(self.token), "token must not be empty")
        _check(self.org_key.isalnum(), "org_key must be alphanumeric")
        _check(self.max_rows_per_page >= 1 and self.facet_limit >= 1, "row caps must be >= 1")
        _check(self.query_cache_size >= 1, "query_cache_size must be >= 1")
        _check(0 <= self.gzip_level <= 9, "gzip_level must be within [0, 9]")
        _check(self.gzip_min_bytes >= 0, "gzip_min_bytes must be >= 0")
        _check(self.lr_upload_limit >= 0, "lr_upload_limit must be >= 0")
        _check(
            all(isinstance(v, int) and v >= 0 for v in self.lr_seed_files.values()),
            "lr_seed_files sizes must be integers >= 0",
        )
        _check(
            self.cloud_processes is None or self.cloud_processes >= 0,
            "cloud_processes must be >= 0 or None",
        )
        _check(self.cloud_alerts >= 0 and self.auth_events >= 0, "cloud row counts must be >= 0")
        _check(self.job_searchers >= 1, "job_searchers must be >= 1")
        _check(self.device_start_base in (0, 1), "device_start_base must be 0 or 1")
        _check(self.lr_memdump_bytes >= 0, "lr_memdump_bytes must be >= 0")
        _check(
            all(v >= 0 for v in self.lr_command_delays.values()),
            "lr_command_delays must be >= 0",
        )
        _version_tuple(self.server_version)  # validates

    @property
    def tokens(self) -> frozenset[str]:
        """Every accepted token."""
        return frozenset((self.token, *self.extra_tokens))

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return _version_tuple(self.server_version)

    @property
    def at_least_7_7(self) -> bool:
        """True when the EDR server uses the 7.7 route names (``bannedlist``...)."""
        return self.version_tuple[:2] >= (7, 7)

    def replace(self, **changes: Any) -> EmulatorConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(f"EmulatorConfig: {message}")


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        parts = tuple(int(p) for p in version.split("."))
    except ValueError:
        parts = ()
    if len(parts) < 2:
        raise ValueError(
            f"EmulatorConfig: server_version must look like '7.7.0.0', not {version!r}"
        )
    return parts


def config_to_json(config: EmulatorConfig) -> str:
    """An ``EmulatorConfig`` as JSON (for ``cbasync emulator --config FILE``)."""
    data = dataclasses.asdict(config)
    return json.dumps(data, indent=2, sort_keys=True)


def config_from_json(text: str) -> EmulatorConfig:
    """The inverse of :func:`config_to_json`; unknown keys are an error."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError("an emulator config file must hold a JSON object")
    names = {f.name for f in dataclasses.fields(EmulatorConfig)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"unknown emulator config keys: {', '.join(unknown)}")
    for key in ("extra_tokens", "fault_5xx_statuses", "fault_exempt_prefixes"):
        if key in data and isinstance(data[key], list):
            data[key] = tuple(data[key])
    return EmulatorConfig(**data)
