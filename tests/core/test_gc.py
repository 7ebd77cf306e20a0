"""Pages are built with the cyclic collector paused, and the collector is always given back in
the state the program had it (``cbasync._gc``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pydantic
import pytest

from cbasync import errors
from cbasync._gc import collection_deferred
from cbasync._response import Response
from cbasync.model import Model, adapter_for


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_paused_in_the_block_and_on_after_it() -> None:
    with collection_deferred():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_in_the_block_gives_the_collector_back() -> None:
    with pytest.raises(KeyError), collection_deferred():
        raise KeyError("x")
    assert gc.isenabled()


def test_nested_blocks_leave_it_paused_until_the_outer_one_ends() -> None:
    with collection_deferred():
        with collection_deferred():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block did not switch it back on
    assert gc.isenabled()


def test_a_collector_the_program_switched_off_stays_off() -> None:
    gc.disable()
    with collection_deferred():
        assert not gc.isenabled()
    assert not gc.isenabled()


class _Box:
    pass


def test_allocations_in_the_block_still_count_towards_the_next_collection() -> None:
    threshold = gc.get_threshold()
    gc.set_threshold(1_000_000)  # no collection may reset the count during the test
    try:
        before = gc.get_count()[0]
        with collection_deferred():
            keep = [_Box() for _ in range(100)]  # not lists: their free list skips the count
        assert gc.get_count()[0] >= before + 100  # deferred, not forgotten
    finally:
        gc.set_threshold(*threshold)
    assert len(keep) == 100


class _Row(pydantic.BaseModel):
    value: int

    @pydantic.field_validator("value")
    @classmethod
    def _record(cls, value: int) -> int:
        SEEN.append(gc.isenabled())
        return value


SEEN: list[bool] = []


def _response(body: bytes) -> Response:
    return Response(
        status=200,
        headers={},
        content=body,
        method="GET",
        route="/rows",
        path="/rows",
        request_id=None,
        elapsed=0.0,
    )


def test_a_parse_runs_with_the_collector_paused() -> None:
    SEEN.clear()
    rows = _response(b'[{"value": 1}, {"value": 2}]').parse(adapter_for(list[_Row]))
    assert [row.value for row in rows] == [1, 2]
    assert SEEN == [False, False]
    assert gc.isenabled()


def test_a_parse_that_fails_gives_the_collector_back() -> None:
    with pytest.raises(errors.ServerError):
        _response(b'[{"value": "x"}]').parse(adapter_for(list[_Row]))
    assert gc.isenabled()
    with pytest.raises(errors.ServerError):
        _response(b"not json").parse(adapter_for(list[_Row]))
    assert gc.isenabled()


class _Thing(Model):
    id: int


def test_rows_become_models_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    states: list[bool] = []
    original = _Thing._from_server.__func__  # type: ignore[attr-defined]

    def spy(cls: type[_Thing], api: object, data: _Thing, *, full: bool) -> _Thing:
        states.append(gc.isenabled())
        return original(cls, api, data, full=full)  # type: ignore[no-any-return]

    monkeypatch.setattr(_Thing, "_from_server", classmethod(spy))
    api = object()
    rows = _Thing._from_rows(api, [_Thing(id=1), _Thing(id=2)], full=True)  # type: ignore[arg-type]
    assert [row.id for row in rows] == [1, 2]
    assert states == [False, False]
    assert gc.isenabled()
    assert all(row._state.api is api and row._state.full for row in rows)
