"""Counters a test can assert on: requests per route and status, Live Response sessions, jobs.

The same numbers are served as JSON by ``GET /__emulator__/counters`` (see :meth:`Counters.snapshot`
for the schema, which is part of the emulator's contract) so a process that runs the emulator out
of process (``cbasync emulator``) can assert on them too.

Route modules and backends report through the small methods below; they never touch the dicts.
"""

from __future__ import annotations

from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Counters", "LiveResponseCounters", "current_request_id"]

#: The ``X-Request-ID`` of the request being handled, set by the app around each request. cbasync
#: sends one id per call and keeps it on every retry of that call, so a search job or a Live
#: Response session created twice under one id is a creating POST the client sent twice.
#: (``None`` for clients that send no id, such as the official SDKs: nothing is counted.)
current_request_id: ContextVar[str | None] = ContextVar("cbasync_emulator_request_id", default=None)


@dataclass
class LiveResponseCounters:
    """Live Response session accounting for one server ("edr", "cloud_v6", "cloud_v3"...)."""

    created: int = 0
    """Sessions created (POST accepted)."""
    open: int = 0
    """Sessions currently pending or active (each occupies a server slot)."""
    max_concurrent: int = 0
    """Highest value ``open`` ever reached."""
    closed: int = 0
    """Sessions closed by the client."""
    expired: int = 0
    """Sessions ended by the server (idle timeout, never activated)."""
    slot_limit_violations: int = 0
    """Session requests refused because every slot was taken."""
    commands: int = 0
    """Commands submitted."""

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "open": self.open,
            "max_concurrent": self.max_concurrent,
            "closed": self.closed,
            "expired": self.expired,
            "slot_limit_violations": self.slot_limit_violations,
            "commands": self.commands,
        }


@dataclass
class Counters:
    """Everything the emulator counts. Single event loop: no locking needed."""

    by_route: Counter[tuple[str, int]] = field(default_factory=Counter)
    """(``"GET /api/v1/process"`` route template key, status) → requests."""
    total_requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    """Injected faults by kind: ``"5xx"``, ``"429"``, ``"reset"``, ``"slow"``."""
    unauthorized: int = 0
    live_response: dict[str, LiveResponseCounters] = field(default_factory=dict)
    jobs_created: Counter[str] = field(default_factory=Counter)
    """Search jobs created, by kind (``"process_search"``, ``"auth_events"``, ...)."""
    jobs_polled: Counter[str] = field(default_factory=Counter)
    """Status/result polls of search jobs, by kind."""
    jobs_max_running: int = 0
    """The most jobs of the job engine (search, detail, facet, summary, workflow, export jobs)
    running on the server at once: what a client's job pool is checked against."""
    events: Counter[str] = field(default_factory=Counter)
    """Free-form named events a backend wants to expose (e.g. ``"sensor.isolate"``)."""
    requests_during_block: int = 0
    """Requests a client sent while a 429 block it had already been told about (its 429 was
    answered) was still running: what a client that honours ``Retry-After`` never does."""
    duplicate_creations: int = 0
    """Search jobs and Live Response sessions created by a request whose ``X-Request-ID`` had
    already created one: a creating POST sent twice for one call."""
    _creators: set[str] = field(default_factory=set, repr=False)

    # --- requests ------------------------------------------------------------------------------
    def request_started(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def request_finished(self, route_key: str, status: int) -> None:
        self.in_flight -= 1
        self.total_requests += 1
        self.by_route[(route_key, status)] += 1

    def requests(self, route: str | None = None, status: int | None = None) -> int:
        """Requests counted, optionally only for one route key and/or one status.

        ``route`` is ``"METHOD /path/template"``, e.g. ``"GET /api/v1/process/{id}/{segment}"``;
        unmatched paths are counted under ``"METHOD <unmatched>"``.
        """
        return sum(
            n
            for (key, st), n in self.by_route.items()
            if (route is None or key == route) and (status is None or st == status)
        )

    # --- faults --------------------------------------------------------------------------------
    def fault(self, kind: str) -> None:
        self.faults[kind] += 1

    # --- Live Response -------------------------------------------------------------------------
    def lr(self, server: str) -> LiveResponseCounters:
        """The session counters of one LR server (created on first use)."""
        counters = self.live_response.get(server)
        if counters is None:
            counters = self.live_response[server] = LiveResponseCounters()
        return counters

    def _created(self) -> None:
        request_id = current_request_id.get()
        if request_id is None:
            return
        if request_id in self._creators:
            self.duplicate_creations += 1
        else:
            self._creators.add(request_id)

    def lr_session_opened(self, server: str) -> None:
        self._created()
        c = self.lr(server)
        c.created += 1
        c.open += 1
        c.max_concurrent = max(c.max_concurrent, c.open)

    def lr_session_ended(self, server: str, *, expired: bool = False) -> None:
        c = self.lr(server)
        c.open -= 1
        if expired:
            c.expired += 1
        else:
            c.closed += 1

    def lr_slot_limit_violation(self, server: str) -> None:
        self.lr(server).slot_limit_violations += 1

    def lr_command(self, server: str) -> None:
        self.lr(server).commands += 1

    # --- jobs ----------------------------------------------------------------------------------
    def job_created(self, kind: str) -> None:
        self._created()
        self.jobs_created[kind] += 1

    def job_polled(self, kind: str) -> None:
        self.jobs_polled[kind] += 1

    def jobs_running(self, count: int) -> None:
        self.jobs_max_running = max(self.jobs_max_running, count)

    def event(self, name: str, n: int = 1) -> None:
        self.events[name] += n

    # --- export --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Zero every counter except the gauges of what is still open (in-flight requests, open
        LR sessions), which describe the present rather than the past."""
        in_flight = self.in_flight
        open_sessions = {k: v.open for k, v in self.live_response.items()}
        self.by_route.clear()
        self.total_requests = 0
        self.max_in_flight = in_flight
        self.faults.clear()
        self.unauthorized = 0
        self.live_response = {
            k: LiveResponseCounters(open=n, max_concurrent=n) for k, n in open_sessions.items()
        }
        self.jobs_created.clear()
        self.jobs_polled.clear()
        self.jobs_max_running = 0
        self.events.clear()
        self.requests_during_block = 0
        self.duplicate_creations = 0
        self._creators.clear()

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy. Schema (stable)::

        {"requests": {"total": int, "in_flight": int, "max_in_flight": int,
                      "unauthorized": int,
                      "by_route": {"GET /api/v1/process": {"200": int, ...}, ...}},
         "faults": {"5xx": int, "429": int, "reset": int, "slow": int,
                    "requests_during_block": int},
         "live_response": {"edr": {"created", "open", "max_concurrent", "closed",
                                   "expired", "slot_limit_violations", "commands"}, ...},
         "jobs": {"created": {kind: int}, "polled": {kind: int}, "max_running": int},
         "duplicate_creations": int,
         "events": {name: int}}
        """
        by_route: dict[str, dict[str, int]] = {}
        for (key, status), n in sorted(self.by_route.items()):
            by_route.setdefault(key, {})[str(status)] = n
        return {
            "requests": {
                "total": self.total_requests,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "unauthorized": self.unauthorized,
                "by_route": by_route,
            },
            "faults": {
                **{k: self.faults.get(k, 0) for k in ("5xx", "429", "reset", "slow")},
                "requests_during_block": self.requests_during_block,
            },
            "live_response": {k: v.as_dict() for k, v in sorted(self.live_response.items())},
            "jobs": {
                "created": dict(sorted(self.jobs_created.items())),
                "polled": dict(sorted(self.jobs_polled.items())),
                "max_running": self.jobs_max_running,
            },
            "events": dict(sorted(self.events.items())),
            "duplicate_creations": self.duplicate_creations,
        }
