"""When to poll a command first: not before the server can have finished it.

Polling a command every 50 ms from the start costs round trips that cannot succeed: a sensor
takes what it takes. The client learns, per command name, the shortest time the server has
taken to run one (from the command's ``create_time`` — or the end of the command before it in
the session, when it had to wait for that one — to its ``completion``, both on the server's
clock), and a session knows which of its commands are queued ahead of a new one (the sensor
runs them one at a time, in order). The first poll of a command goes out when, at the earliest, it can be done; from there
the waiter's backoff takes over. The shortest time seen is a lower bound, so the first poll is
never later than needed for a command as fast as any before it; a slower one only gets polled
a few more times.
"""

from __future__ import annotations

import anyio

from cbasync.live_response.dialect import CommandInfo

__all__ = ["CommandPace", "SessionQueue"]


class CommandPace:
    """What one client has seen the server take: the shortest run of each command (by name),
    and how long sensors take to check in."""

    __slots__ = ("activation", "fastest")

    def __init__(self) -> None:
        self.fastest: dict[str, float] = {}
        self.activation = ActivationBounds()

    def learn(self, name: str, seconds: float | None) -> None:
        if seconds is None or not name:
            return
        known = self.fastest.get(name)
        if known is None or seconds < known:
            self.fastest[name] = seconds

    def shortest(self, name: str) -> float:
        """Seconds the command takes at the least (0 when none has been seen)."""
        return self.fastest.get(name, 0.0)


class ActivationBounds:
    """How long after its request a session's sensor checks in, as far as polls have shown.

    Times are from the session request's answer to sending a poll. The sensor's wait starts
    when the server has made the session, and the answer follows at once; what delayed the
    request before the server handled it (a TLS handshake, a busy server) is not the sensor's.
    Timed from the request, the first sessions of a pool (whose requests waited 30 ms more for
    new connections, on S2) taught bounds 20 ms too late for every session after them.

    A poll that found a session active bounds its check-in from above; the last poll that found
    it still pending, from below. Across sessions the client keeps the tightest of each: the
    quickest check-in seen (``by``) and the longest wait of a session that then checked in
    (``after``). The first poll of a new session goes out halfway between the two while they
    are apart (each answer narrows them), and otherwise at ``by``, or just past ``after`` when
    the two have crossed; a session still pending then is polled at ``by``, then with the
    backoff.
    """

    __slots__ = ("after", "by")

    #: Bounds closer than this are close enough (a poll's round trip is longer).
    RESOLUTION = 0.01

    def __init__(self) -> None:
        self.by: float | None = None
        self.after: float | None = None

    def learn(self, active_at: float, pending_at: float | None) -> None:
        """A session checked in: a poll sent ``active_at`` seconds after its request found it
        active, the one sent ``pending_at`` seconds after it still pending."""
        if self.by is None or active_at < self.by:
            self.by = active_at
        if pending_at is not None and (self.after is None or pending_at > self.after):
            self.after = pending_at

    def first_poll(self) -> float | None:
        """Seconds after the request's answer for a new session's first poll (``None``:
        unknown)."""
        if self.by is None:
            return None
        if self.after is None:
            return self.by
        if self.by - self.after > self.RESOLUTION:
            return (self.after + self.by) / 2
        # Close, or crossed: a session was still pending later than another was already active
        # (a busy server answers some polls late, which makes them look like later ones). A
        # poll at the quickest check-in then finds half the sessions pending and waits a backoff
        # interval (about 90 ms, for 60% of S2's sessions in some runs); just past the latest
        # pending poll, it finds them active.
        return max(self.by, self.after + self.RESOLUTION / 2)


class SessionQueue:
    """One session's commands being waited for, in the order the sensor runs them (the order
    the server numbered them), each with when it can first be done.

    Times are the client's clock; a command reached the server about half its POST's round
    trip after it was sent, and a poll takes as long to get there, so a poll sent at
    :meth:`first_poll` arrives as the command can first be done (plus :data:`MARGIN`).
    """

    __slots__ = ("_completed", "_entries", "_watched")

    #: Completions remembered for the commands after them (a few are enough).
    _REMEMBERED = 16
    #: How much later than the earliest possible end a first poll arrives.
    MARGIN = 0.005

    def __init__(self) -> None:
        # command id -> (when it reached the server, its least run, the one-way latency)
        self._entries: dict[int, tuple[float, float, float]] = {}
        self._completed: dict[int, float] = {}
        #: Commands someone is polling: their waits end (done, failed or given up) on their own.
        self._watched: dict[int, anyio.Event] = {}

    def queued(self, command_id: int, seconds: float, sent: float, answered: float) -> None:
        """The server has queued command ``command_id``, whose POST was sent at ``sent`` and
        answered at ``answered``; it takes at least ``seconds`` to run."""
        one_way = max(0.0, answered - sent) / 2
        self._entries[command_id] = (sent + one_way, seconds, one_way)

    def earliest_end(self, command_id: int) -> float:
        """When the command can first be done: after the commands before it, its own least
        run."""
        end = 0.0
        for other, (start, seconds, _) in sorted(self._entries.items()):
            if other > command_id:
                break
            end = max(end, start) + seconds
        return end

    def first_poll(self, command_id: int) -> float:
        """When to send the first poll, so that it arrives as the command can first be done."""
        entry = self._entries.get(command_id)
        one_way = entry[2] if entry is not None else 0.0
        return self.earliest_end(command_id) - one_way + self.MARGIN

    def watch(self, command_id: int) -> None:
        """Someone polls the command now (a command queued and left, such as a memory dump
        started and not waited for, is never settled: nothing waits behind it)."""
        self._watched.setdefault(command_id, anyio.Event())

    async def settled_before(self, command_id: int) -> None:
        """Until the command queued just before this one in the session is done, failed or
        given up, when someone polls it: the sensor runs a session's commands one at a time,
        so this one cannot be done sooner. At once otherwise."""
        earlier = [other for other in self._entries if other < command_id]
        if earlier and (event := self._watched.get(max(earlier))) is not None:
            await event.wait()

    def release(self, command_id: int) -> None:
        """The command failed, or the wait for it was abandoned."""
        self._entries.pop(command_id, None)
        event = self._watched.pop(command_id, None)
        if event is not None:
            event.set()

    def finish(self, command: CommandInfo) -> float | None:
        """The command is done: the server's time to run it — from when it was queued, or
        from the end of the command before it when it had to wait for that one (``None`` when
        the server did not say when)."""
        self.release(command.id)
        if command.created_at is None or command.completed_at is None:
            return None
        self._completed[command.id] = command.completed_at
        if len(self._completed) > self._REMEMBERED:
            del self._completed[min(self._completed)]
        start = command.created_at
        before = self._completed.get(command.id - 1)
        if before is not None:
            start = max(start, before)
        elif command.id - 1 in self._entries:
            return None  # it waited for a command whose end is not known yet
        return max(0.0, command.completed_at - start)

    def __len__(self) -> int:
        return len(self._entries)
