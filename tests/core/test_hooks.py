"""The product hooks on BaseAPI: path defaults and error rules, and the route template in logs.

A made-up product is enough: the core must serve any product through these two hooks alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import respx

from cbasync import errors
from cbasync._api import BaseAPI
from cbasync._error_map import Answer, ErrorRule
from cbasync._retry import RetryPolicy
from cbasync.config import Product
from cbasync.model import Model
from tests.clients import BASE, TOKEN

pytestmark = pytest.mark.anyio


def teapot(answer: Answer) -> errors.ApiError | None:
    """This product answers 418 to a bad query, and says "denied" in a 200."""
    if answer.status == 418:
        return errors.QuerySyntaxError(f"bad query: {answer.message}", **answer.meta())
    if answer.status == 200 and b'"denied"' in answer.body:
        return errors.UnauthorizedError("denied in a 200", **answer.meta())
    if answer.status == 503 and b"maintenance" in answer.body:
        return errors.ServerError("down for maintenance", **answer.meta())
    return None


class OrgAPI(BaseAPI):
    product: ClassVar[Product] = "cloud"
    error_rules: ClassVar[tuple[ErrorRule, ...]] = (teapot,)

    @property
    def path_defaults(self) -> dict[str, object]:
        return {"org_key": self.credentials.org_key or ""}


class Gadget(Model):
    item_route: ClassVar[str | None] = "/api/v1/orgs/{org_key}/gadgets/{id}"
    create_route: ClassVar[str | None] = "/api/v1/orgs/{org_key}/gadgets"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True

    id: int | None = None
    name: str | None = None


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def make(**kwargs: Any) -> OrgAPI:
    return OrgAPI(
        url=BASE,
        token=TOKEN,
        org_key="ORG42",
        environ={},
        retry_policy=RetryPolicy(backoff_base=0.0, max_retries=2),
        **kwargs,
    )


async def test_path_defaults_fill_a_models_routes_through_the_shared_fetch_save_delete(
    mock: respx.MockRouter,
) -> None:
    get = mock.get("/api/v1/orgs/ORG42/gadgets/7").respond(json={"id": 7, "name": "gear"})
    put = mock.put("/api/v1/orgs/ORG42/gadgets/7").respond(json={})
    post = mock.post("/api/v1/orgs/ORG42/gadgets").respond(json={"id": 8})
    mock.get("/api/v1/orgs/ORG42/gadgets/8").respond(json={"id": 8, "name": "new"})
    delete = mock.delete("/api/v1/orgs/ORG42/gadgets/7").respond(204)
    async with make() as api:
        gadget = await api.get(Gadget, 7)
        gadget.name = "cog"
        await gadget.save()
        created = api.create(Gadget)
        created.name = "new"
        await created.save()
        await gadget.delete()
        # A request's own parameters win over the defaults.
        other = mock.get("/api/v1/orgs/OTHER/gadgets/1").respond(json={"id": 1})
        await api.request("GET", Gadget.item_route or "", path_params={"org_key": "OTHER", "id": 1})
    assert get.called
    assert put.called
    assert json.loads(post.calls.last.request.content) == {"name": "new"}
    assert delete.called
    assert other.called
    assert created.id == 8


async def test_a_rule_maps_a_products_answers_onto_the_tree(mock: respx.MockRouter) -> None:
    mock.get("/q").respond(418, json={"message": "unbalanced ("})
    mock.get("/ok-but-denied").respond(200, json={"status": "denied"})
    mock.get("/plain-404").respond(404, json={"message": "no gadget"})
    async with make() as api:
        with pytest.raises(errors.QuerySyntaxError, match=r"bad query: 418 I'm a Teapot") as info:
            await api.request("GET", "/q")
        assert info.value.route == "/q"
        assert info.value.status == 418
        with pytest.raises(errors.UnauthorizedError, match="denied in a 200"):
            await api.request("GET", "/ok-but-denied")
        with pytest.raises(errors.ObjectNotFoundError):  # no rule: HTTP decides
            await api.request("GET", "/plain-404")


async def test_a_rule_does_not_change_what_is_retried(mock: respx.MockRouter) -> None:
    route = mock.get("/maint").mock(
        side_effect=[
            httpx.Response(503, json={"message": "maintenance"}),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    async with make() as api:
        assert (await api.get_object("/maint")) == {"ok": True}
    assert route.call_count == 2


async def test_rules_of_one_product_do_not_apply_to_another(mock: respx.MockRouter) -> None:
    from cbasync import CbResponseAPI

    mock.get("/q").respond(418, json={"message": "unbalanced ("})
    async with CbResponseAPI(url=BASE, token=TOKEN, environ={}) as edr:
        with pytest.raises(errors.ClientError) as info:
            await edr.request("GET", "/q")
    assert type(info.value) is errors.ClientError


async def test_logs_name_the_route_template_never_the_path_or_query(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cbasync")
    mock.get("/api/v1/orgs/ORG42/gadgets/7").mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(200, json={"id": 7}),
            httpx.Response(200, json={"id": 7}),
        ]
    )
    async with make() as api:
        await api.get(Gadget, 7)
        await api.request(
            "GET",
            "/api/v1/orgs/{org_key}/gadgets/{id}",
            path_params={"id": 7},
            params={"q": "secret-query"},
        )
    text = caplog.text
    assert "HTTP GET /api/v1/orgs/{org_key}/gadgets/{id} took" in text
    assert "Retrying GET /api/v1/orgs/{org_key}/gadgets/{id}" in text
    assert "ORG42" not in text
    assert "/gadgets/7" not in text
    assert "secret-query" not in text


def test_api_options_lists_every_keyword_of_base_api() -> None:
    import inspect
    import typing

    from cbasync._api import ApiOptions

    keywords = {
        name
        for name, parameter in inspect.signature(BaseAPI.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert set(typing.get_type_hints(ApiOptions)) == keywords
