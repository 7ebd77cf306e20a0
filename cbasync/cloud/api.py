"""The Carbon Black Cloud API object, and the names the seeds use for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from typing_extensions import Unpack

from cbasync._api import ApiOptions, BaseAPI
from cbasync._error_map import ErrorRule
from cbasync._jobs import DEFAULT_JOB_WAIT, DEFAULT_MAX_JOBS
from cbasync._limits import Capacity
from cbasync._pagination import DEFAULT_CONCURRENCY
from cbasync.cloud._errors import CLOUD_ERROR_RULES
from cbasync.cloud._platform_api import PlatformMethods
from cbasync.cloud.live_response import CloudV3Dialect, CloudV6Dialect
from cbasync.config import Product
from cbasync.live_response import LiveResponse

__all__ = [
    "CBCloudAPI",
    "CbDefenseAPI",
    "CbLiveQueryAPI",
    "CbPSCBaseAPI",
    "CbThreatHunterAPI",
]


class CBCloudAPI(BaseAPI, PlatformMethods):
    """Carbon Black Cloud: Platform devices and alerts, Enterprise EDR, LiveQuery, Auth Events,
    legacy Defense, Live Response.

    Needs ``org_key`` (a ``CredentialError`` naming the profile when it is missing); credentials
    come from ``credentials.cbc`` (and the legacy ``credentials.psc`` and ``credentials.defense``)
    profiles. Every ``{org_key}`` in a route is filled in from it.

    Server-side searches run as jobs: at most ``max_concurrent_jobs`` of this client's jobs run
    on the server at once (the others queue here, not there), and a wait for one gives up after
    ``job_max_wait`` seconds unless a call says otherwise.

    Seed 001/002's API-level methods (``device_quarantine(ids, True)``,
    ``bulk_threat_dismiss(...)``, ``get_notifications()``, ``notification_listener()``, ...)
    come from :class:`~cbasync.cloud._platform_api.PlatformMethods`.
    """

    product: ClassVar[Product] = "cloud"
    error_rules: ClassVar[tuple[ErrorRule, ...]] = CLOUD_ERROR_RULES

    def __init__(
        self,
        profile: str | None = None,
        *,
        max_concurrent_jobs: int = DEFAULT_MAX_JOBS,
        job_max_wait: float = DEFAULT_JOB_WAIT,
        **options: Unpack[ApiOptions],
    ) -> None:
        super().__init__(profile, **options)
        #: The client's job pool (shared with its ``with_options()`` copies).
        self.job_slots = Capacity(max_concurrent_jobs)
        #: Result pages of finished jobs fetched at once, over all of the client's jobs. A
        #: results page is large (1,000 rows are about 1 MB of JSON): eight keep the link and the
        #: server busy, while more would only queue the small requests that matter more — a
        #: poll that frees a job slot, the submit of the next job — behind them.
        self.result_page_slots = Capacity(DEFAULT_CONCURRENCY)
        if not job_max_wait > 0:
            raise ValueError(f"job_max_wait must be a positive number of seconds: {job_max_wait!r}")
        self.job_max_wait = float(job_max_wait)

    @property
    def org_key(self) -> str:
        org_key = self.credentials.org_key
        assert org_key is not None  # load_credentials requires it for the cloud
        return org_key

    @property
    def path_defaults(self) -> Mapping[str, object]:
        return {"org_key": self.org_key}

    @property
    def live_response(self) -> LiveResponse:
        """Live Response v6: ``session(device_id)``, ``run(job, device_ids)``, ``pool()``,
        ``max_sessions`` (10 by default; the org allows up to 100)."""
        return LiveResponse(self, CloudV6Dialect(self.org_key))

    @property
    def live_response_v3(self) -> LiveResponse:
        """The legacy Live Response v3 API (``/integrationServices/v3/cblr``; deactivated by the
        cloud in 2024), for installations that still serve it. It shares the org's sessions
        limit, and this client's slots, with :attr:`live_response`."""
        return LiveResponse(self, CloudV3Dialect())


#: The seeds' names for the same client (cbapi's ThreatHunter, LiveQuery, PSC and Defense APIs
#: are one Carbon Black Cloud API today): kept so scripts written for cbapi read naturally.
CbThreatHunterAPI = CBCloudAPI
CbLiveQueryAPI = CBCloudAPI
CbPSCBaseAPI = CBCloudAPI
CbDefenseAPI = CBCloudAPI
