"""A pytest-asyncio (auto mode) project: no marks, plain ``@pytest.fixture`` async fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import scenarios

from cbasync import CbResponseAPI
from cbasync.testing import ManualClock


@pytest.fixture
async def opened(cb_response_api: CbResponseAPI) -> AsyncIterator[CbResponseAPI]:
    async with cb_response_api as api:
        yield api
    assert api.is_closed


async def test_hunt(cb_response_api, cb_emulator) -> None:
    await scenarios.hunt(cb_response_api, cb_emulator)


async def test_isolation_on_the_running_clock(cb_response_api, cb_emulator_clock) -> None:
    await scenarios.isolate_an_online_sensor(cb_response_api, cb_emulator_clock)


async def test_a_search_job_completes(cb_cloud_api) -> None:
    await scenarios.search_job_completes(cb_cloud_api)


async def test_scripted_answers_and_recorded_requests(
    cb_response_api, cb_emulator_recorder
) -> None:
    await scenarios.scripted_answer_and_recorded_requests(cb_response_api, cb_emulator_recorder)


async def test_app_control(cb_protection_api) -> None:
    await scenarios.app_control(cb_protection_api)


async def test_raw_http(cb_emulator_http) -> None:
    await scenarios.raw_http(cb_emulator_http)


async def test_a_users_async_fixture_opens_the_client(opened) -> None:
    await scenarios.opened_and_closed_by_the_test(opened)


class TestOnAStoppedClock:
    """The clock overridden as the fixture docs say: time moves when the test advances it."""

    @pytest.fixture
    def cb_emulator_clock(self) -> ManualClock:
        return ManualClock()

    async def test_isolation_waits_for_the_test_to_advance_time(
        self, cb_response_api, cb_emulator_clock
    ) -> None:
        await scenarios.isolate_on_a_stopped_clock(cb_response_api, cb_emulator_clock)
