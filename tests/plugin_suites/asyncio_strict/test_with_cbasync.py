"""A pytest-asyncio (strict mode) project testing its code with cbasync's fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import scenarios

from cbasync import CbResponseAPI


@pytest_asyncio.fixture
async def opened(cb_response_api: CbResponseAPI) -> AsyncIterator[CbResponseAPI]:
    async with cb_response_api as api:
        yield api
    assert api.is_closed


@pytest.mark.asyncio
async def test_hunt(cb_response_api, cb_emulator) -> None:
    await scenarios.hunt(cb_response_api, cb_emulator)


@pytest.mark.asyncio
async def test_isolation_on_the_running_clock(cb_response_api, cb_emulator_clock) -> None:
    await scenarios.isolate_an_online_sensor(cb_response_api, cb_emulator_clock)


@pytest.mark.asyncio
async def test_a_search_job_completes(cb_cloud_api) -> None:
    await scenarios.search_job_completes(cb_cloud_api)


@pytest.mark.asyncio
async def test_scripted_answers_and_recorded_requests(
    cb_response_api, cb_emulator_recorder
) -> None:
    await scenarios.scripted_answer_and_recorded_requests(cb_response_api, cb_emulator_recorder)


@pytest.mark.asyncio
async def test_app_control(cb_protection_api) -> None:
    await scenarios.app_control(cb_protection_api)


@pytest.mark.asyncio
async def test_raw_http(cb_emulator_http) -> None:
    await scenarios.raw_http(cb_emulator_http)


@pytest.mark.asyncio
async def test_a_users_async_fixture_opens_the_client(opened) -> None:
    await scenarios.opened_and_closed_by_the_test(opened)


@pytest.mark.asyncio
async def test_the_loopback_server(cb_emulator_server) -> None:
    async with cb_emulator_server.client(CbResponseAPI) as api:
        assert await api.server_version() >= (7, 7)
