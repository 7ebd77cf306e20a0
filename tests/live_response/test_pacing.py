"""Polls paced by what the client has seen: a command's first poll when it can first be done,
a session's first poll when its sensor can first have checked in."""

from __future__ import annotations

import anyio
import pytest

from cbasync.live_response.dialect import CommandInfo
from cbasync.live_response.pacing import ActivationBounds, CommandPace, SessionQueue
from tests.live_response.conftest import WINDOWS, Server

pytestmark = pytest.mark.anyio


def done(command_id: int, created: float, completed: float) -> CommandInfo:
    return CommandInfo(
        command_id, "process list", "complete", created_at=created, completed_at=completed
    )


def test_the_shortest_run_of_each_command_is_kept() -> None:
    pace = CommandPace()
    assert pace.shortest("kill") == 0.0
    for seconds in (0.3, 0.1, 0.2, None):
        pace.learn("kill", seconds)
    assert pace.shortest("kill") == 0.1


def test_commands_queued_together_end_one_after_another() -> None:
    queue = SessionQueue()
    # Three POSTs sent at 10.0, answered 40 ms later: each reached the server at 10.02.
    for command_id, seconds in ((1, 0.1), (2, 0.2), (3, 0.1)):
        queue.queued(command_id, seconds, sent=10.0, answered=10.04)
    assert queue.earliest_end(1) == pytest.approx(10.12)
    assert queue.earliest_end(2) == pytest.approx(10.32)
    assert queue.earliest_end(3) == pytest.approx(10.42)
    # A poll takes 20 ms to get there too: sent that much earlier, plus a margin.
    assert queue.first_poll(3) == pytest.approx(10.42 - 0.02 + SessionQueue.MARGIN)


def test_a_command_s_own_run_excludes_its_wait_behind_the_one_before() -> None:
    queue = SessionQueue()
    queue.queued(1, 0.0, sent=0.0, answered=0.0)
    queue.queued(2, 0.0, sent=0.0, answered=0.0)
    # Both queued at server time 100; the first ran until 100.1, the second until 100.3.
    assert queue.finish(done(1, 100.0, 100.1)) == pytest.approx(0.1)
    assert queue.finish(done(2, 100.0, 100.3)) == pytest.approx(0.2)
    # The command before it not seen done yet: its own run is unknown.
    queue.queued(3, 0.0, sent=0.0, answered=0.0)
    queue.queued(4, 0.0, sent=0.0, answered=0.0)
    assert queue.finish(done(4, 200.0, 200.5)) is None
    assert len(queue) == 1
    assert queue.finish(CommandInfo(3, "kill", "complete")) is None  # no server times


async def test_a_command_waits_for_the_one_before_it_only_while_someone_polls_that_one() -> None:
    queue = SessionQueue()
    for command_id in (1, 2, 3):
        queue.queued(command_id, 0.0, sent=0.0, answered=0.0)
    queue.watch(1)
    order: list[str] = []

    async def second() -> None:
        await queue.settled_before(2)
        order.append("2 may be polled")

    with anyio.fail_after(1):
        async with anyio.create_task_group() as tg:
            tg.start_soon(second)
            await anyio.sleep(0.05)
            order.append("1 done")
            queue.finish(done(1, 0.0, 0.1))
    assert order == ["1 done", "2 may be polled"]
    # Nobody polls 2 (a dump started and left): 3 does not wait for it.
    with anyio.fail_after(1):
        await queue.settled_before(3)


async def test_a_command_given_up_releases_the_one_behind_it() -> None:
    queue = SessionQueue()
    queue.queued(1, 0.0, sent=0.0, answered=0.0)
    queue.queued(2, 0.0, sent=0.0, answered=0.0)
    queue.watch(1)
    queue.release(1)  # its wait failed or was cancelled
    with anyio.fail_after(1):
        await queue.settled_before(2)


def test_activation_bounds_narrow_to_the_check_in() -> None:
    bounds = ActivationBounds()
    assert bounds.first_poll() is None
    bounds.learn(active_at=0.40, pending_at=0.20)
    assert bounds.first_poll() == pytest.approx(0.30)  # halfway: the answer narrows them
    bounds.learn(active_at=0.30, pending_at=0.25)
    assert (bounds.after, bounds.by) == (0.25, 0.30)
    bounds.learn(active_at=0.33, pending_at=0.295)
    assert bounds.first_poll() == pytest.approx(0.30)  # 5 ms apart: poll at the bound


def test_crossed_activation_bounds_poll_just_past_the_latest_pending_one() -> None:
    # A busy server answered one poll late: it looked active at 268 ms, while another session
    # was still pending at 277 ms. Polling at 268 ms would find half the sessions pending.
    bounds = ActivationBounds()
    bounds.learn(active_at=0.268, pending_at=None)
    bounds.learn(active_at=0.290, pending_at=0.277)
    assert (bounds.after, bounds.by) == (0.277, 0.268)
    assert bounds.first_poll() == pytest.approx(0.277 + ActivationBounds.RESOLUTION / 2)


@pytest.mark.parametrize("config", [{"lr_command_delay": 0.3}])
async def test_once_a_command_has_been_seen_the_next_one_is_polled_when_it_can_be_done(
    server: Server,
) -> None:
    def polls() -> int:
        return sum(
            n
            for (route, _status), n in server.app.counters.by_route.items()
            if route.startswith("GET") and route.rstrip("}").endswith(("command_id", "cid"))
        )

    async with server.lr.session(server.device(WINDOWS)) as lr:
        before = polls()
        await lr.list_processes()
        first = polls() - before
        await lr.list_processes()
        second = polls() - before - first
    assert first >= 3  # the backoff's polls while nothing was known
    assert second <= 2  # one poll when it can be done (one more if it was a hair early)
