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

from cbasync.live_response.dialect import CommandInfo

__all__ = ["CommandPace", "SessionQueue"]


class CommandPace:
    """What one client has seen the server take: the shortest run of each command (by name),
    and the shortest wait for a sensor to check in."""

    __slots__ = ("activation", "fastest")

    def __init__(self) -> None:
        self.fastest: dict[str, float] = {}
        #: The shortest time from sending a session request to sending a poll that found the
        #: session active: the sensor had checked in by then (equal latencies both ways).
        self.activation: float | None = None

    def learn(self, name: str, seconds: float | None) -> None:
        if seconds is None or not name:
            return
        known = self.fastest.get(name)
        if known is None or seconds < known:
            self.fastest[name] = seconds

    def learn_activation(self, seconds: float) -> None:
        if self.activation is None or seconds < self.activation:
            self.activation = seconds

    def shortest(self, name: str) -> float:
        """Seconds the command takes at the least (0 when none has been seen)."""
        return self.fastest.get(name, 0.0)


class SessionQueue:
    """One session's commands being waited for, in the order the sensor runs them (the order
    the server numbered them), each with when it can first be done."""

    __slots__ = ("_completed", "_entries")

    #: Completions remembered for the commands after them (a few are enough).
    _REMEMBERED = 16

    def __init__(self) -> None:
        # command id -> (when the server had queued it at the latest, its least run)
        self._entries: dict[int, tuple[float, float]] = {}
        self._completed: dict[int, float] = {}

    def queued(self, command_id: int, seconds: float, now: float) -> None:
        """The server has queued command ``command_id`` (by ``now``); it takes at least
        ``seconds`` to run."""
        self._entries[command_id] = (now, seconds)

    def earliest_end(self, command_id: int) -> float:
        """When the command can first be done: after the commands before it, its own least
        run."""
        end = 0.0
        for other, (start, seconds) in sorted(self._entries.items()):
            if other > command_id:
                break
            end = max(end, start) + seconds
        return end

    def release(self, command_id: int) -> None:
        """The command failed, or the wait for it was abandoned."""
        self._entries.pop(command_id, None)

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
