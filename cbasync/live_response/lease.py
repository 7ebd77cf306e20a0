"""A server session and who holds it: opened once per device, shared, closed by the last user.

One :class:`SessionLease` stands for one device's Live Response session on one client. The
first user takes a session slot (:class:`~cbasync._limits.SessionSlots`) and opens the session;
users who come while it is open share it (one slot, one server session); the last one to leave
closes it under the shielded, time-bounded cleanup and gives the slot back. Jobs on one device
take :attr:`SessionLease.turn` so they run one after another, in order. A close that does not get
through (a failing or too slow server) keeps its slot, since the session still takes one on the
server, and is tried again at the next session's end and when the client closes
(:attr:`LiveResponseState.unclosed`).

Opening is where sessions leak elsewhere, so every step here is guarded:

- the slot wait, the request and the sensor's check-in share one deadline (``max_wait``);
- the POST that creates a session is shielded from cancellation (bounded): once it is on the
  wire its answer is always read, so the session it created is known and can be closed. A
  cancellation that arrives meanwhile lands right after. When the answer is lost (a timeout, a
  broken connection, a gateway's 5xx) and the server can list its sessions (EDR), the device's
  open session is looked up and taken, as cbapi does, instead of left to hold a slot;
- anything that goes wrong after that (a sensor that never checks in, a timeout, a
  cancellation) closes the pending session before the error goes on, so none is left behind;
- "session limit reached" shrinks the slot pool and waits for the next free slot
  (:meth:`SessionSlots.refused`), it does not fail.

A session the server ended (idle timeout) is re-created by :meth:`SessionLease.reopen`, on the
slot the lease still holds.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.lowlevel

from cbasync import errors
from cbasync._limits import DEFAULT_SESSION_SLOTS, SessionSlots
from cbasync._polling import Backoff, wait_until
from cbasync._response import Response
from cbasync._tasks import CLEANUP_TIMEOUT, shielded_cleanup
from cbasync._transport import Transport
from cbasync.live_response.dialect import Call, Dialect, SessionInfo
from cbasync.live_response.pacing import CommandPace, SessionQueue

__all__ = ["LiveResponseState", "SessionLease", "send"]

logger = logging.getLogger("cbasync")

#: Seconds the POST that creates a session may take while shielded from cancellation: one
#: round trip to a slow server, well within the transport's own attempt deadline.
OPEN_REQUEST_LIMIT = 30.0
STATE_KEY = "live_response"


async def send(transport: Transport, call: Call, **kwargs: Any) -> Response:
    """Send a dialect's :class:`Call` through the one request path."""
    return await transport.request(
        call.method,
        call.route,
        path_params=call.path_params,
        params=call.params,
        json=call.json,
        **kwargs,
    )


class LiveResponseState:
    """A client's Live Response state, shared by ``with_options()`` copies: its session slots,
    the sessions it has open (by server dialect and device) and how long commands take."""

    __slots__ = ("leases", "pace", "slots", "unclosed")

    def __init__(self) -> None:
        self.slots = SessionSlots(DEFAULT_SESSION_SLOTS)
        self.leases: dict[tuple[str, int], SessionLease] = {}
        self.pace = CommandPace()
        #: Sessions whose close did not get through (the server was failing or too slow for
        #: the cleanup's time bound): each still holds its slot, and every later detach, and
        #: closing the client, tries again.
        self.unclosed: list[SessionLease] = []

    @classmethod
    def of(cls, shared_state: dict[str, Any]) -> LiveResponseState:
        state = shared_state.get(STATE_KEY)
        if not isinstance(state, cls):
            state = shared_state[STATE_KEY] = cls()
        return state

    def attach(self, dialect: Dialect, device_id: int) -> SessionLease:
        """The lease of ``device_id``'s session (a new one if none is open), with one more
        user. Every :meth:`attach` is followed by one :meth:`detach`."""
        key = (dialect.name, device_id)
        lease = self.leases.get(key)
        if lease is None:
            lease = self.leases[key] = SessionLease(self.slots, dialect, device_id, self.pace)
        lease.users += 1
        return lease

    async def detach(self, lease: SessionLease) -> None:
        """One user fewer; the last one closes the session and gives its slot back."""
        lease.users -= 1
        if lease.users > 0:
            return
        key = (lease.dialect.name, lease.device_id)
        if self.leases.get(key) is lease:
            del self.leases[key]  # a newcomer from now on opens a session of its own
        await self.close_unclosed()
        await lease.close()
        if lease.info is not None:
            self.unclosed.append(lease)

    async def close_unclosed(self) -> None:
        """Try again to close the sessions whose close did not get through."""
        # Taken out of the list while they are tried, so concurrent callers never close one
        # twice; whatever is still open (or not tried, on cancellation) goes back.
        leftovers, self.unclosed = self.unclosed, []
        try:
            while leftovers:
                await leftovers[0].close()
                lease = leftovers.pop(0)
                if lease.info is not None:
                    self.unclosed.append(lease)
        finally:
            self.unclosed.extend(leftovers)

    async def aclose(self) -> None:
        """Closing the client: a last try for the sessions whose close did not get through."""
        await self.close_unclosed()

    def open_sessions(self) -> int:
        return sum(1 for lease in self.leases.values() if lease.info is not None) + len(
            self.unclosed
        )


class SessionLease:
    """One device's server session on this client (see the module docstring)."""

    def __init__(
        self,
        slots: SessionSlots,
        dialect: Dialect,
        device_id: int,
        pace: CommandPace | None = None,
    ) -> None:
        self.slots = slots
        self.dialect = dialect
        self.device_id = device_id
        self.pace = pace if pace is not None else CommandPace()
        #: The commands being waited for, in the order the sensor runs them.
        self.queue = SessionQueue()
        self.users = 0
        self.info: SessionInfo | None = None
        self.closed = False
        #: Held while a session is opened or re-opened, so that users who arrive meanwhile
        #: wait for it and share it.
        self.lock = anyio.Lock()
        #: Jobs on this device run one after another, in the order they asked.
        self.turn = anyio.Lock()
        self.slot_held = False
        self.last_activity = 0.0
        #: How long a re-creation may wait for the sensor (the opener's ``max_wait``).
        self.max_wait = 0.0
        self.poll = Backoff()
        self._transport: Transport | None = None

    def touch(self) -> None:
        """Something was sent on the session (its idle timer restarts on the server)."""
        self.last_activity = anyio.current_time()

    def current(self) -> SessionInfo:
        """The open session; an error once it is closed."""
        if self.closed or self.info is None:
            raise errors.ClientStateError(
                f"the Live Response session on device {self.device_id} is closed: use the"
                " session inside its `async with` block"
            )
        return self.info

    # -- opening ----------------------------------------------------------------------------

    async def open(self, transport: Transport, *, max_wait: float, poll: Backoff) -> SessionInfo:
        """The active session, opened (or waited for, when another user is opening it) within
        ``max_wait`` seconds: slot, request and check-in together."""
        deadline = anyio.current_time() + max_wait
        with anyio.move_on_after(max_wait) as scope:
            await self.lock.acquire()
        if scope.cancelled_caught:
            raise errors.TimeoutError(
                f"the Live Response session for device {self.device_id} did not open within"
                f" {max_wait:g}s (another task was opening it)"
            )
        try:
            if self.info is not None and self.info.active:
                return self.info
            self.max_wait = max_wait
            self.poll = poll
            return await self._open(transport, deadline)
        finally:
            self.lock.release()

    async def reopen(self, transport: Transport, gone: SessionInfo) -> SessionInfo:
        """Re-create a session the server has ended (``gone``), on the slot still held; a
        session another user re-created meanwhile is simply returned."""
        async with self.lock:
            if self.closed:
                return self.current()
            if self.info is not None and self.info.id != gone.id and self.info.active:
                return self.info
            logger.info(
                "Live Response session %s on device %s is gone: opening a new one",
                gone.id,
                self.device_id,
            )
            self.info = None  # the server ended it: nothing to close
            return await self._open(transport, anyio.current_time() + self.max_wait)

    async def _open(self, transport: Transport, deadline: float) -> SessionInfo:
        what = f"the Live Response session for device {self.device_id}"
        try:
            await self._take_slot(deadline, what)
            info, made = await self._request(transport, deadline, what)
            self.info = info
            self._transport = transport
            self.touch()
            # A cancellation that arrived during the shielded request lands here, with the
            # session known: the handler below closes it.
            await anyio.lowlevel.checkpoint()
            if not info.active:
                info = await self._wait_active(transport, info, made, deadline, what)
        except BaseException:
            await self._abandon()
            raise
        self.info = info
        return info

    async def _find_created(self, transport: Transport, what: str) -> SessionInfo | None:
        """The device's newest open session on the server, where the server can list them
        (EDR: cbapi, too, takes the open session of a sensor rather than create another)."""
        listing = self.dialect.list_sessions()
        if listing is None:
            return None
        try:
            sessions = self.dialect.read_sessions(await send(transport, listing))
        except errors.ApiError:
            return None
        mine = [s for s in sessions if s.device_id == self.device_id and (s.pending or s.active)]
        if not mine:
            return None
        found = max(mine, key=lambda s: (isinstance(s.id, int), s.id))
        logger.info("%s: the answer to its request was lost; taking session %s", what, found.id)
        return found

    async def _take_slot(self, deadline: float, what: str) -> None:
        if self.slot_held:
            return
        with anyio.move_on_after(deadline - anyio.current_time()):
            await self.slots.acquire()
            self.slot_held = True
        if not self.slot_held:
            raise errors.TimeoutError(
                f"{what} did not open: no session slot became free within its max_wait"
                f" ({self.slots.in_use} of this client's {self.slots.limit} in use)"
            )

    async def _request(
        self, transport: Transport, deadline: float, what: str
    ) -> tuple[SessionInfo, float]:
        """POST for a session until the server has a slot for it (or the deadline passes); the
        session and when its answer arrived (the sensor's wait starts when the server has made
        the session, which its answer follows at once: pacing.ActivationBounds)."""
        call = self.dialect.open_session(self.device_id)
        while True:
            try:
                response: Response | None = None
                found: SessionInfo | None = None
                # A 429 block is waited out first, cancellably: the shield's bound is for the
                # request itself (under a storm of blocks the first sessions of a pool spent
                # all 30 s at the gate, and failed).
                with anyio.move_on_after(deadline - anyio.current_time()) as gate:
                    await transport.rate_limit_cleared()
                if gate.cancelled_caught:
                    raise errors.TimeoutError(
                        f"{what} did not open: this client was held back by the server's rate"
                        " limit (429) past its max_wait",
                        method=call.method,
                        route=call.route,
                    )
                with anyio.move_on_after(OPEN_REQUEST_LIMIT, shield=True):
                    try:
                        response = await send(transport, call, idempotent=False)
                    except (errors.TimeoutError, errors.ConnectionError, errors.ServerError):
                        # The request may have created a session whose answer was lost: find
                        # it, or it holds a server slot, unknown to anyone, until it expires.
                        found = await self._find_created(transport, what)
                        if found is None:
                            raise
                if found is not None:
                    return found, anyio.current_time()
                if response is None:
                    raise errors.TimeoutError(
                        f"{what}: the server did not answer the session request within"
                        f" {OPEN_REQUEST_LIMIT:g}s",
                        method=call.method,
                        route=call.route,
                    )
                return self.dialect.read_session(response), anyio.current_time()
            except errors.SessionLimitError:
                # The server's slots are taken (by other users too): wait for one of ours.
                self.slot_held = False
                with anyio.move_on_after(deadline - anyio.current_time()):
                    await self.slots.refused()
                    self.slot_held = True
                if not self.slot_held:
                    raise errors.TimeoutError(
                        f"{what} did not open: the server has no free session slot and none"
                        " of this client's sessions freed one within its max_wait",
                        method=call.method,
                        route=call.route,
                    ) from None

    async def _wait_active(
        self,
        transport: Transport,
        info: SessionInfo,
        made: float,
        deadline: float,
        what: str,
    ) -> SessionInfo:
        """Wait (with the one waiter) until the sensor checks in; the first poll no sooner than
        the quickest check-in this client has seen (pacing.py)."""
        call = self.dialect.get_session(info.id)
        now = anyio.current_time()
        remaining = deadline - now
        if remaining <= 0:
            raise errors.TimeoutError(
                f"{what} did not become active: no time left", last_response=info
            )
        bounds = self.pace.activation
        waited = now - made
        planned = bounds.first_poll()
        first = self.poll.initial if planned is None else planned - waited
        first = min(max(0.0, first), remaining)
        last_pending: list[float] = []

        async def fetch() -> SessionInfo:
            sent = anyio.current_time()
            try:
                state = self.dialect.read_session(await send(transport, call))
            except errors.ObjectNotFoundError as exc:
                # EDR ends a session whose sensor did not check in in time with a 404.
                raise errors.TimeoutError(
                    f"{what} was not established: the sensor did not check in before the"
                    " server gave up",
                    status=exc.status,
                    method=exc.method,
                    route=exc.route,
                    request_id=exc.request_id,
                ) from exc
            if state.active:
                bounds.learn(sent - made, last_pending[-1] if last_pending else None)
            elif state.pending:
                last_pending.append(sent - made)
            return state

        def hint(state: SessionInfo) -> float | None:
            # A probe below the quickest check-in seen found it pending: try at that bound.
            known = bounds.by
            elapsed = anyio.current_time() - made
            return known - elapsed if known is not None and elapsed < known else None

        def failed(state: SessionInfo) -> errors.ApiError | None:
            if state.pending or state.active:
                return None
            return errors.ApiError(
                f"{what} ended before the sensor checked in (status {state.status!r})",
                method=call.method,
                route=call.route,
            )

        return await wait_until(
            fetch,
            success=lambda state: state.active,
            failure=failed,
            max_wait=remaining,
            backoff=self.poll.resumed(waited + first),
            after=first,
            hint=hint,
            what=f"{what} to become active",
        )

    # -- closing ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the server session and give the slot back (shielded, bounded, best effort:
        on error, cancellation and normal exit alike)."""
        self.closed = True
        await self._abandon()

    async def _abandon(self) -> None:
        info, self.info = self.info, None
        gone = True
        try:
            if info is not None and self._transport is not None:
                gone = await self._close_on_server(self._transport, info)
        finally:
            if not gone:
                # Still open on the server, so it still takes one of the server's slots: the
                # slot stays held until a later close gets through (LiveResponseState.unclosed).
                # Given back now, the next session would be one more than the server allows.
                self.info = info
            elif self.slot_held:
                self.slot_held = False
                self.slots.release()

    async def _close_on_server(self, transport: Transport, info: SessionInfo) -> bool:
        """Whether the session is gone (closed now, or already ended by the server)."""
        what = f"closing Live Response session {info.id} on device {self.device_id}"
        gone = False  # stays so when the cleanup logs a failure or its time bound runs out
        async with shielded_cleanup(what, limit=CLEANUP_TIMEOUT):
            try:
                await send(transport, self.dialect.close_session(info))
            except errors.ObjectNotFoundError:
                logger.debug("%s: the server had already ended it", what)
            gone = True
        return gone  # noqa: RET504 - the cleanup may end the block before the assignment

    def __repr__(self) -> str:
        state = "closed" if self.closed else (self.info.status if self.info else "not open")
        return f"<SessionLease device {self.device_id} ({state}), {self.users} user(s)>"
