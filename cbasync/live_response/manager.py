"""``api.live_response``: sessions, jobs across devices, and the client's session slots.

A product builds a :class:`LiveResponse` with its dialect (``CbResponseAPI.live_response``,
``CBCloudAPI.live_response``); it is a light view over the client's shared state (slots, open
sessions, poll settings), so it may be made on every access and by ``with_options()`` copies.
"""

from __future__ import annotations

import functools
import logging
import math
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sized
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import anyio

from cbasync import errors
from cbasync._limits import SessionSlots
from cbasync._polling import Backoff
from cbasync._tasks import first_error, settled
from cbasync._transport import Transport
from cbasync.live_response.devices import DeviceRef, device_id_of
from cbasync.live_response.dialect import Dialect
from cbasync.live_response.lease import LiveResponseState, SessionLease
from cbasync.live_response.pool import (
    Job,
    JobHandle,
    JobPool,
    JobResults,
    JobRun,
    ProgressCallback,
    _Counter,
    submission_stream,
)
from cbasync.live_response.session import LiveResponseSession

if sys.version_info < (3, 11):  # pragma: no cover - exercised on Python 3.10 only
    from exceptiongroup import BaseExceptionGroup

__all__ = [
    "ACTIVATION_POLL",
    "ACTIVATION_WAIT",
    "COMMAND_POLL",
    "KEEPALIVE_INTERVAL",
    "LiveResponse",
    "LiveResponseHost",
]

T = TypeVar("T")

logger = logging.getLogger("cbasync")

#: Seconds a session may take to open: a free slot, the request, the sensor's check-in. 360 s,
#: as the servers' own clients wait (a sensor checks in every 30-60 s, and is told then).
ACTIVATION_WAIT = 360.0
#: How often a pending session is polled: soon at first (an idle sensor on a quiet server
#: checks in within a second), stretching by a quarter each time to every 5 s (a real one may
#: take a minute). Once this client has seen sessions open, the first poll waits for the
#: quickest check-in seen (pacing.py) and the polls go on from there.
ACTIVATION_POLL = Backoff(initial=0.02, maximum=5.0, factor=1.25)
#: How often a running command is polled: every 50 ms at first, stretching to 2 s for long ones
#: (a memory dump takes minutes). Once a command of the same name has been seen, the first poll
#: waits until this one can be done (pacing.py): one or two polls for most commands.
COMMAND_POLL = Backoff(initial=0.05, maximum=2.0, factor=1.5)
#: Seconds of silence before an opt-in keepalive: half of the shortest idle timeout a server
#: is known to use with a margin (EDR's sensor_wait_timeout is 120 s).
KEEPALIVE_INTERVAL = 60.0


class LiveResponseHost(Protocol):
    """What Live Response needs of an API object (``BaseAPI`` is one)."""

    @property
    def transport(self) -> Transport: ...

    @property
    def shared_state(self) -> dict[str, Any]: ...


class _Settings:
    """Poll settings a client keeps (in its shared state, beside the slots)."""

    __slots__ = ("activation_poll", "command_poll")

    def __init__(self) -> None:
        self.activation_poll = ACTIVATION_POLL
        self.command_poll = COMMAND_POLL


class LiveResponse:
    """Live Response on one server (``api.live_response``).

    - ``async with lr.session(device) as session:`` — one device, interactively;
    - ``async with lr.run(job, devices) as results: async for result in results:`` — a job on
      many devices, results as they complete;
    - ``async with lr.pool() as pool: handle = pool.submit_job(job, device)`` — cbapi's
      job-based API; ``await lr.submit_job(job, device)`` runs one job;
    - ``lr.max_sessions`` — the client's session slots (10 by default, EDR's server default).
    """

    def __init__(self, host: LiveResponseHost, dialect: Dialect) -> None:
        self._host = host
        self.dialect = dialect
        self._state = LiveResponseState.of(host.shared_state)
        settings = host.shared_state.get("live_response_settings")
        if not isinstance(settings, _Settings):
            settings = host.shared_state["live_response_settings"] = _Settings()
        self._settings = settings

    # -- settings ---------------------------------------------------------------------------

    @property
    def max_sessions(self) -> int:
        """Sessions this client keeps open at most (10 by default, EDR's server default). Raise
        it to what the server allows: EDR's administrator sets its limit; the cloud allows 100
        per org. Shared by every ``live_response`` of this client, v6 and v3 alike."""
        return self._state.slots.capacity

    @max_sessions.setter
    def max_sessions(self, value: int) -> None:
        ceiling = self.dialect.max_sessions
        if ceiling is not None and isinstance(value, int) and value > ceiling:
            raise ValueError(
                f"{self.dialect.name} allows at most {ceiling} concurrent sessions, not {value}"
            )
        self._state.slots.capacity = value

    @property
    def slots(self) -> SessionSlots:
        """The client's session slots: how many are in use, the limit now (lower after the
        server said "session limit reached"), how often it refused, the most held at once."""
        return self._state.slots

    @property
    def sessions_open(self) -> int:
        """Server sessions this client has open now."""
        return self._state.open_sessions()

    @property
    def most_sessions_open(self) -> int:
        """The most session slots this client has held at once."""
        return self._state.slots.most_in_use

    @property
    def activation_poll(self) -> Backoff:
        return self._settings.activation_poll

    @activation_poll.setter
    def activation_poll(self, value: Backoff) -> None:
        self._settings.activation_poll = value

    @property
    def command_poll(self) -> Backoff:
        return self._settings.command_poll

    @command_poll.setter
    def command_poll(self, value: Backoff) -> None:
        self._settings.command_poll = value

    # -- one device -------------------------------------------------------------------------

    @asynccontextmanager
    async def session(
        self,
        device: DeviceRef,
        *,
        max_wait: float = ACTIVATION_WAIT,
        keepalive: bool | float = False,
    ) -> AsyncIterator[LiveResponseSession]:
        """An active session on ``device`` (its id, or an object with an ``id``)::

            async with api.live_response.session(sensor) as lr:
                data = await lr.get_file(r"C:\\Windows\\win.ini")

        It takes one of the client's session slots and opens the server session — or shares
        the one this client already has open on the device — and waits until the sensor has
        checked in, all within ``max_wait`` seconds (``TimeoutError``; a session that cannot
        open leaves none pending). Leaving the block — normally, with an error or cancelled —
        closes the session (shielded, bounded) and gives the slot back. ``keepalive=True`` (or
        a number of seconds) keeps an idle session from expiring while the block runs.
        """
        device_id = device_id_of(device)
        _check_seconds("max_wait", max_wait)
        interval = _keepalive_interval(keepalive)
        lease = self._state.attach(self.dialect, device_id)
        try:
            await lease.open(
                self._host.transport, max_wait=max_wait, poll=self._settings.activation_poll
            )
            session = LiveResponseSession(
                lease, self._host.transport, self.dialect, poll=self._settings.command_poll
            )
            if interval is None:
                yield session
            else:
                try:
                    async with anyio.create_task_group() as keeper:
                        keeper.start_soon(self._keep_alive, session, lease, interval)
                        try:
                            yield session
                        finally:
                            keeper.cancel_scope.cancel()
                except BaseExceptionGroup as group:
                    raise first_error(group) from None
        finally:
            await self._state.detach(lease)

    async def _keep_alive(
        self, session: LiveResponseSession, lease: SessionLease, interval: float
    ) -> None:
        while True:
            quiet = anyio.current_time() - lease.last_activity
            if quiet < interval:
                await anyio.sleep(interval - quiet)
                continue
            try:
                await session.keepalive()
            except errors.ObjectNotFoundError:
                lease.touch()  # gone: the next command re-creates it
            except errors.ApiError as exc:
                lease.touch()
                logger.warning("keepalive on device %s failed: %s", lease.device_id, exc)

    # -- jobs -------------------------------------------------------------------------------

    async def _job(self, device_id: int, job: Job[T], max_wait: float) -> T:
        """``job`` on ``device_id``'s session, after the jobs before it on that device."""
        async with (
            self.session(device_id, max_wait=max_wait) as session,
            session._lease.turn,
        ):
            return await job(session)

    def run(
        self,
        job: Job[T],
        devices: Iterable[DeviceRef] | AsyncIterable[DeviceRef],
        *,
        slots: int | None = None,
        job_timeout: float | None = None,
        on_progress: ProgressCallback[T] | None = None,
        max_wait: float = ACTIVATION_WAIT,
    ) -> JobRun[T]:
        """Run ``job`` (``async def job(lr) -> T``) once per device, results as they complete::

            async with api.live_response.run(collect, device_ids, slots=10) as results:
                async for result in results:
                    if result.ok:
                        save(result.device_id, result.value)

        At most ``slots`` sessions are open at once (the client's ``max_sessions`` by
        default); the other devices queue. ``devices`` may be an async iterable (devices named
        by a stream of alerts, as they arrive). A device's jobs share its session, in order.
        Each result has ``device_id``, ``value``, ``error`` (``None`` on success, else the
        exception) and timings; a failure, a timeout (``job_timeout`` seconds from the job's
        turn, its session's opening included) or an offline device fails that device's result
        and never stops or stalls the others. "Too many sessions" from the server shrinks the
        pool instead of failing. ``on_progress(progress)`` is called with each result.

        Use it with ``async with`` — it is where the sessions live: leaving the block (a
        ``break``, an error, a cancellation) cancels the jobs still running and closes every
        session they opened before it returns.
        """
        limit = self._slot_limit(slots)
        if job_timeout is not None:
            _check_seconds("job_timeout", job_timeout)
        _check_seconds("max_wait", max_wait)
        total = len(devices) if isinstance(devices, Sized) else None
        runner = functools.partial(self._job, max_wait=max_wait)

        def call(device: DeviceRef) -> tuple[int, Callable[[], Any]]:
            device_id = device_id_of(device)
            return device_id, functools.partial(runner, device_id, job)

        calls: Any
        if isinstance(devices, AsyncIterable):

            async def from_stream() -> AsyncIterator[tuple[int, Callable[[], Any]]]:
                async for device in devices:
                    yield call(device)

            calls = from_stream()
        else:
            calls = (call(device) for device in devices)

        @asynccontextmanager
        async def start() -> AsyncIterator[JobResults[T]]:
            async with settled(
                calls, limit=limit, deadline=job_timeout, describe=_job_on_device
            ) as outcomes:
                yield JobResults(outcomes, total, on_progress)

        return JobRun(start)

    @asynccontextmanager
    async def pool(
        self,
        *,
        slots: int | None = None,
        job_timeout: float | None = None,
        on_progress: ProgressCallback[Any] | None = None,
        max_wait: float = ACTIVATION_WAIT,
    ) -> AsyncIterator[JobPool]:
        """A job pool, for cbapi's job-based API (:meth:`JobPool.submit_job`). The same rules
        as :meth:`run`: ``slots`` sessions at most, ``job_timeout`` per job, a device's jobs
        in order on one session; leaving the block waits for the jobs submitted, or — with an
        error or a cancellation — cancels them and closes their sessions."""
        limit = self._slot_limit(slots)
        if job_timeout is not None:
            _check_seconds("job_timeout", job_timeout)
        _check_seconds("max_wait", max_wait)
        send_jobs, jobs = submission_stream()
        pool = JobPool(
            functools.partial(self._job, max_wait=max_wait), send_jobs, _Counter(None, on_progress)
        )
        try:
            async with settled(
                jobs, limit=limit, deadline=job_timeout, describe=_handle_job
            ) as outcomes:
                try:
                    async with anyio.create_task_group() as delivery:
                        delivery.start_soon(pool._deliver, outcomes)
                        try:
                            yield pool
                        finally:
                            send_jobs.close()  # no more jobs: the pool drains those it has
                except BaseExceptionGroup as group:
                    raise first_error(group) from None
        finally:
            pool._close()

    async def submit_job(
        self,
        job: Job[T],
        device: DeviceRef,
        *,
        job_timeout: float | None = None,
        max_wait: float = ACTIVATION_WAIT,
    ) -> T:
        """Run one job on one device and return its value (cbapi's ``submit_job``, awaited).
        Awaited together (a task group), such jobs share the client's session slots; for many
        devices, :meth:`run` and :meth:`pool` add results as they complete and progress."""
        device_id = device_id_of(device)
        if job_timeout is None:
            return await self._job(device_id, job, max_wait)
        _check_seconds("job_timeout", job_timeout)
        with anyio.move_on_after(job_timeout):
            return await self._job(device_id, job, max_wait)
        raise errors.TimeoutError(
            f"the job on device {device_id} did not finish within {job_timeout:g}s"
        )

    def _slot_limit(self, slots: int | None) -> int:
        capacity = self._state.slots.capacity
        if slots is None:
            return capacity
        if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
            raise ValueError(f"slots must be an integer >= 1, not {slots!r}")
        if slots > capacity:
            raise ValueError(
                f"slots={slots} is more than this client's {capacity} session slots: raise"
                " `api.live_response.max_sessions` first (to what the server allows)"
            )
        return slots

    def __repr__(self) -> str:
        slots = self._state.slots
        return (
            f"<LiveResponse {self.dialect.name}: {self.sessions_open} session(s) open,"
            f" {slots.in_use}/{slots.capacity} slots>"
        )


def _job_on_device(device_id: int) -> str:
    return f"the job on device {device_id}"


def _handle_job(handle: JobHandle[Any]) -> str:
    return f"the job on device {handle.device_id}"


def _check_seconds(name: str, value: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")


def _keepalive_interval(keepalive: bool | float) -> float | None:
    if keepalive is False:
        return None
    if keepalive is True:
        return KEEPALIVE_INTERVAL
    _check_seconds("keepalive", keepalive)
    return float(keepalive)
