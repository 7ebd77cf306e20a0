"""Model and Query behaviour on a small stand-in resource (the EDR resources have their own
tests): unfetched objects, change tracking, save/delete, joins cache, query building."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import anyio
import httpx
import pytest
import respx

from cbasync import errors
from cbasync._cache import ObjectCache
from cbasync._pagination import Page
from cbasync.model import Model, adapter_for
from cbasync.query import Query, join_clauses

from .helpers import BASE, make_api

pytestmark = pytest.mark.anyio


class Widget(Model):
    item_route: ClassVar[str | None] = "/api/widget/{id}"
    create_route: ClassVar[str | None] = "/api/widget"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name", "kind")

    id: int | None = None
    name: str | None = None
    kind: str | None = None
    size: int | None = None


class WidgetQuery(Query[Widget]):
    calls: ClassVar[list[tuple[str, int, int]]] = []

    async def _fetch_page(self, start: int, rows: int) -> Page[Widget]:
        self.calls.append((self.query_string, start, rows))
        total = 25
        items = [
            Widget._from_server(self._api, Widget(id=i, name=f"w{i}"), full=False)
            for i in range(start, min(start + rows, total))
        ]
        return Page(items, total, start)


def _widget_query(cls: type[Widget], api: Any) -> WidgetQuery:
    return WidgetQuery(api, cls)


# Defined after WidgetQuery, which needs Widget first.
Widget._new_query = classmethod(_widget_query)  # type: ignore[attr-defined]


@pytest.fixture
def mock() -> respx.MockRouter:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


async def test_unfetched_object_knows_only_its_id(mock: respx.MockRouter) -> None:
    route = mock.get("/api/widget/7").respond(
        json={"id": 7, "name": "gear", "kind": "part", "colour": "red"}
    )
    async with make_api() as api:
        widget = api.select(Widget, 7)
        assert widget.id == 7
        assert not widget.is_loaded
        assert not route.called  # no I/O on select or attribute access
        with pytest.raises(
            AttributeError, match=r"Widget\(7\) has not been fetched: await \.refresh\(\)"
        ):
            _ = widget.name
        await widget.refresh()
    assert widget.is_loaded
    assert (widget.name, widget.kind, widget.size) == ("gear", "part", None)
    assert widget.get("colour") == "red"  # unknown server fields are kept
    assert widget.model_extra == {"colour": "red"}


async def test_force_init_fetches_and_raises_for_missing(mock: respx.MockRouter) -> None:
    mock.get("/api/widget/1").respond(json={"id": 1, "name": "a"})
    mock.get("/api/widget/2").respond(404)
    async with make_api() as api:
        widget = await api.select(Widget, 1, force_init=True)
        assert widget.is_loaded
        assert widget.name == "a"
        with pytest.raises(errors.ObjectNotFoundError):
            await api.select(Widget, 2, force_init=True)


async def test_change_tracking_reset_and_printout(mock: respx.MockRouter) -> None:
    mock.get("/api/widget/3").respond(json={"id": 3, "name": "gear", "kind": "part"})
    async with make_api() as api:
        widget = await api.get(Widget, 3)
    assert not widget.is_dirty()
    widget.name = "cog"
    widget.size = 4
    # A field the model does not have is refused at once (issue 11): save() would drop it.
    with pytest.raises(AttributeError, match="Widget has no field 'colour'"):
        widget.colour = "blue"  # type: ignore[attr-defined]
    assert widget.dirty_fields() == {"name": "*", "size": "+"}
    text = str(widget)
    assert text.startswith(f"Widget object, bound to {BASE}.\n Last refreshed at ")
    assert re.search(r"^\(\*\) +name: cog$", text, re.M)
    assert re.search(r"^\(\+\) +size: 4$", text, re.M)
    assert re.search(r"^ {4,}kind: part$", text, re.M)
    widget.reset()
    assert not widget.is_dirty()
    assert (widget.name, widget.size) == ("gear", None)
    assert widget.get("colour") is None
    widget.name = "gear"  # set back to the same value: not dirty
    assert not widget.is_dirty()


async def test_save_sends_the_object_then_refreshes(mock: respx.MockRouter) -> None:
    mock.get("/api/widget/3").mock(
        side_effect=[
            httpx.Response(200, json={"id": 3, "name": "gear", "kind": "part"}),
            httpx.Response(200, json={"id": 3, "name": "cog", "kind": "part"}),
        ]
    )
    put = mock.put("/api/widget/3").respond(json={"result": "success"})
    async with make_api() as api:
        widget = await api.get(Widget, 3)
        await widget.save()  # nothing changed: no request
        assert not put.called
        widget.name = "cog"
        await widget.save()
    assert json.loads(put.calls.last.request.content) == {
        "id": 3,
        "name": "cog",
        "kind": "part",
        "size": None,
    }
    assert widget.name == "cog"
    assert not widget.is_dirty()


async def test_create_checks_required_fields_before_any_request(mock: respx.MockRouter) -> None:
    post = mock.post("/api/widget").respond(json={"id": 11})
    mock.get("/api/widget/11").respond(json={"id": 11, "name": "new", "kind": "tool"})
    async with make_api() as api:
        widget = api.create(Widget)
        assert widget.is_new
        widget.name = "new"
        with pytest.raises(
            errors.InvalidObjectError, match=r"missing required field.*kind"
        ) as info:
            await widget.save()
        assert info.value.missing == ("kind",)
        assert not post.called
        widget.kind = "tool"
        await widget.save()
    assert json.loads(post.calls.last.request.content) == {"name": "new", "kind": "tool"}
    assert (widget.id, widget.is_new, widget.is_loaded) == (11, False, True)


async def test_create_without_an_id_in_the_answer_is_a_server_error(mock: respx.MockRouter) -> None:
    mock.post("/api/widget").respond(json={"result": "success"})
    async with make_api() as api:
        widget = api.create(Widget)
        widget.name, widget.kind = "a", "b"
        with pytest.raises(errors.ServerError, match="returned no 'id'"):
            await widget.save()


async def test_what_a_model_cannot_do(mock: respx.MockRouter) -> None:
    class Fixed(Model):
        item_route: ClassVar[str | None] = "/api/fixed/{id}"
        id: int | None = None
        name: str | None = None

    mock.get("/api/fixed/1").respond(json={"id": 1, "name": "x"})
    async with make_api() as api:
        with pytest.raises(errors.ApiError, match="cannot be created"):
            api.create(Fixed)
        with pytest.raises(errors.ApiError, match="cannot be searched"):
            api.select(Fixed)
        fixed = await api.get(Fixed, 1)
        # Refused when set (issue 11), not later by save(): nothing is silently kept unsaved.
        with pytest.raises(AttributeError, match=r"Fixed\.name cannot be changed"):
            fixed.name = "y"
        with pytest.raises(errors.ApiError, match="cannot be deleted"):
            await fixed.delete()


async def test_delete(mock: respx.MockRouter) -> None:
    route = mock.delete("/api/widget/5").respond(json={"result": "success"})
    async with make_api() as api:
        await api.select(Widget, 5).delete()
    assert route.called


async def test_concurrent_identical_gets_share_one_request(mock: respx.MockRouter) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.05)
        return httpx.Response(200, json={"id": 9, "name": "n"})

    route = mock.get("/api/widget/9").mock(side_effect=slow)
    results: list[Widget] = []
    async with make_api() as api:

        async def get() -> None:
            results.append(await api.get(Widget, 9))

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(get)
        assert route.call_count == 1
        assert all(r is results[0] for r in results)
        await api.get(Widget, 9, cached=True)  # a join: served from the cache
        assert route.call_count == 1
        await api.get(Widget, 9)  # an explicit get fetches again
        assert route.call_count == 2


async def test_cache_shares_errors_and_survives_a_cancelled_fetcher() -> None:
    cache: ObjectCache[int] = ObjectCache()
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.01)
        raise errors.ObjectNotFoundError("gone")

    async def waiter() -> None:
        with pytest.raises(errors.ObjectNotFoundError):
            await cache.get("k", failing)

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(waiter)
    assert calls == 1

    async def hanging() -> int:
        await anyio.sleep(60)
        return 1

    async def value() -> int:
        return 42

    scopes: list[anyio.CancelScope] = []
    got: list[int] = []

    async def first_fetcher() -> None:
        with anyio.CancelScope() as scope:
            scopes.append(scope)
            await cache.get("c", hanging)

    async def waiter_then_fetcher() -> None:
        got.append(await cache.get("c", value))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first_fetcher)
            await anyio.sleep(0.01)
            tg.start_soon(waiter_then_fetcher)  # waits on the first fetch
            await anyio.sleep(0.01)
            scopes[0].cancel()
    # The waiter did not inherit the other task's cancellation: it fetched for itself.
    assert got == [42]


def test_cache_expires() -> None:
    async def main() -> None:
        cache: ObjectCache[int] = ObjectCache(ttl=0.01)
        cache.put("k", 1)
        assert cache.peek("k") == 1
        await anyio.sleep(0.02)
        assert cache.peek("k") is None

    anyio.run(main)


def test_adapter_is_cached() -> None:
    assert adapter_for(Widget) is adapter_for(Widget)


# -- queries -------------------------------------------------------------------------------


async def test_query_builders_are_immutable() -> None:
    async with make_api() as api:
        base = api.select(Widget)
        narrowed = base.where("name:gear").and_("kind:part").sort("name desc")
        assert base.query_string == ""
        assert narrowed.query_string == "name:gear kind:part"
        assert narrowed._sort == "name desc"
        assert narrowed.sort("")._sort is None
        assert base.where("   ") is base


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        (("a:1",), "a:1"),
        (("a:1", "b:2"), "a:1 b:2"),
        (("a:1 or b:2", "c:3"), "(a:1 or b:2) c:3"),
        (("a:1 OR b:2", "c:3"), "(a:1 OR b:2) c:3"),
        (("(a:1 or b:2)", "c:3"), "(a:1 or b:2) c:3"),
        (('name:"x or y"', "c:3"), 'name:"x or y" c:3'),
        (
            ("process_name:cmd.exe (filemod:*.exe or filemod:*.dll)", "hostname:h"),
            "process_name:cmd.exe (filemod:*.exe or filemod:*.dll) hostname:h",
        ),
    ],
)
def test_clauses_combine_with_and(clauses: tuple[str, ...], expected: str) -> None:
    assert join_clauses(clauses) == expected


async def test_iteration_count_first_one_and_slices() -> None:
    async with make_api() as api:
        query = api.select(Widget).where("x").batch_size(10)
        assert [w.id async for w in query] == list(range(25))
        assert await query.count() == 25
        assert (await query.first()).id == 0  # type: ignore[union-attr]
        assert [w.id async for w in query[5:12]] == list(range(5, 12))
        assert [w.id async for w in query[-3:]] == [22, 23, 24]
        assert [w.id async for w in query[10:20][2:4]] == [12, 13]
        assert await query[20:].count() == 5
        assert await query[3:3].all() == []
        assert (await query[7:8].one()).id == 7
        with pytest.raises(errors.MoreThanOneResultError, match="found 25") as info:
            await query.one()
        assert info.value.count == 25
        with pytest.raises(errors.MoreThanOneResultError, match="found 0"):
            await query[30:].one()


async def test_bad_slices_and_arguments() -> None:
    async with make_api() as api:
        query = api.select(Widget)
        with pytest.raises(ValueError, match="not a step"):
            query[::2]
        with pytest.raises(TypeError, match="index a query with a slice"):
            query[3]  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="integers"):
            query["a":]  # type: ignore[misc]
        with pytest.raises(ValueError, match="batch_size"):
            query.batch_size(0)
        with pytest.raises(ValueError, match="concurrency"):
            query.concurrency(0)
        with pytest.raises(TypeError, match="query string"):
            query.where(3)  # type: ignore[arg-type]
