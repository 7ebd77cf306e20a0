"""How models, queries and result lists show themselves: concise reprs, Jupyter HTML, rich,
``model_dump()`` for pandas — without I/O, without secrets, bounded."""

from __future__ import annotations

import datetime
import json
from typing import Any, ClassVar

import pytest
import respx
from rich.pretty import pretty_repr

from cbasync._display import MAX_ROWS, MAX_VALUE_CHARS, ResultList
from cbasync._pagination import Page
from cbasync.model import Model
from cbasync.query import Query

from .helpers import BASE, make_api

pytestmark = pytest.mark.anyio

SECRET = "f00dfacef00dfacef00dfacef00dface"


class Account(Model):
    item_route: ClassVar[str | None] = "/api/account/{id}"
    create_route: ClassVar[str | None] = "/api/account"
    can_update: ClassVar[bool] = True

    id: int | None = None
    username: str | None = None
    hostname: str | None = None
    status: str | None = None
    auth_token: str | None = None
    notes: str | None = None
    created: datetime.datetime | None = None


class Pinned(Account):
    display_fields: ClassVar[tuple[str, ...]] = ("notes", "auth_token")


class AccountQuery(Query[Account]):
    total: ClassVar[int] = 120

    async def _fetch_page(self, start: int, rows: int) -> Page[Account]:
        items = [
            Account._from_server(self._api, _account(i), full=False)
            for i in range(start, min(start + rows, self.total))
        ]
        return Page(items, self.total, start)


def _account(i: int, **extra: Any) -> Account:
    return Account.model_validate(
        {
            "id": i,
            "username": f"user{i}",
            "hostname": f"host-{i}",
            "status": "active",
            "auth_token": SECRET,
            "created": "2024-05-01T12:00:00Z",
            **extra,
        }
    )


@pytest.fixture
def mock() -> Any:
    # No route is mocked: a display that sent a request would fail with respx's error.
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def _displays(obj: Any) -> list[str]:
    return [repr(obj), str(obj), obj._repr_html_(), pretty_repr(obj)]


async def test_a_repr_is_one_line_with_the_key_identifying_fields_and_the_state(
    mock: respx.MockRouter,
) -> None:
    async with make_api() as api:
        partial = Account._from_server(api, _account(7), full=False)
        assert repr(partial) == (
            "<Account id=7 hostname='host-7' username='user7' status='active' (partial)>"
        )
        assert repr(api.select(Account, 9)) == "<Account id=9 (unfetched)>"
        new = api.create(Account)
        new.username = "ann"
        assert repr(new) == "<Account id=None username='ann' (new)>"
        pinned = Pinned._from_server(
            api, Pinned.model_validate(_account(3).model_dump()), full=True
        )
        assert repr(pinned) == "<Pinned id=3 auth_token='**********' (loaded)>"
        long = Account._from_server(api, _account(4, hostname="h" * 500), full=False)
        assert len(repr(long)) < 200
    assert not mock.calls


async def test_no_display_reveals_a_credential(mock: respx.MockRouter) -> None:
    async with make_api() as api:
        shown = [
            *_displays(Account._from_server(api, _account(1, password="hunter2"), full=True)),
            *_displays(Pinned._from_server(api, Pinned(id=2, auth_token=SECRET), full=True)),
            ResultList(
                [Pinned._from_server(api, Pinned(id=5, auth_token=SECRET), full=True)]
            )._repr_html_(),
        ]
    for text in shown:
        assert SECRET not in text
        assert "hunter2" not in text
    # Each display that shows the credential field shows the mask (a repr shows only the key
    # and identifying fields, unless the class names the field).
    assert ["**********" in text for text in shown] == [False, *[True] * 8]
    assert not mock.calls


async def test_the_jupyter_display_is_an_escaped_bounded_table_of_the_fields_held(
    mock: respx.MockRouter,
) -> None:
    async with make_api() as api:
        account = Account._from_server(
            api, _account(8, notes="<script>alert(1)</script>" + "n" * 1000), full=True
        )
        account.status = "locked"
        page = account._repr_html_()
    assert page.startswith("<table")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "n" * (MAX_VALUE_CHARS - 30) in page
    assert "n" * (MAX_VALUE_CHARS + 1) not in page
    assert "Account id=8" in page
    assert f"(loaded, bound to {BASE})" in page
    assert "<td>*</td><th" in page  # the changed field is marked
    assert not mock.calls


async def test_rich_shows_every_field_held_masked(mock: respx.MockRouter) -> None:
    async with make_api() as api:
        account = Account._from_server(api, _account(6), full=True)
        text = pretty_repr(account)
    assert text.startswith("Account(")
    for part in ("id=6", "username='user6'", "hostname='host-6'", "auth_token='**********'"):
        assert part in text


async def test_a_query_shows_what_it_will_ask_without_running(mock: respx.MockRouter) -> None:
    async with make_api() as api:
        query = AccountQuery(api, Account).where("status:active").sort("id desc")[5:25]
        shown = [repr(query), query._repr_html_(), pretty_repr(query)]
    assert "q='status:active'" in shown[0]
    assert "not run" in shown[1]
    assert "status:active" in shown[1]
    assert "id desc" in shown[1]
    assert "[5:25]" in shown[1]
    assert "sort='id desc'" in shown[2]
    assert not mock.calls


async def test_all_returns_a_list_that_jupyter_shows_as_a_bounded_table(
    mock: respx.MockRouter,
) -> None:
    async with make_api() as api:
        results = await AccountQuery(api, Account).all()
    assert isinstance(results, list)
    assert isinstance(results, ResultList)
    assert len(results) == AccountQuery.total
    table = results._repr_html_()
    assert table.count("<tr><td") == MAX_ROWS + 1  # the rows shown and the "more" row
    assert f"... {AccountQuery.total - MAX_ROWS} more" in table
    assert f"Account: {AccountQuery.total} results" in table
    for column in ("id", "hostname", "username", "status"):
        assert f">{column}</th>" in table
    assert SECRET not in table
    assert ResultList([])._repr_html_().count("<tr><td") == 0
    assert "no results" in ResultList([])._repr_html_()
    assert ResultList([1, "two"])._repr_html_().count("<tr><td") == 2


async def test_model_dump_gives_plain_records_for_pandas(mock: respx.MockRouter) -> None:
    async with make_api() as api:
        rows = [item.model_dump() for item in await AccountQuery(api, Account)[:3].all()]
        stub = api.select(Account, 11).model_dump()
    assert [row["id"] for row in rows] == [0, 1, 2]
    assert set(rows[0]) == set(Account.model_fields)
    assert isinstance(rows[0]["created"], datetime.datetime)
    # Plain data all the way down: JSON can carry every record (datetimes as strings).
    json.dumps(rows, default=str)
    # The data is intact (saving sends it); only displays mask it.
    assert rows[0]["auth_token"] == SECRET
    assert stub == {"id": 11}
