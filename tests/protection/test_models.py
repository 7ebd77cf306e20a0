"""Every App Control model against the emulator: search, count, fetch by id, and create, change
and delete where the API allows — each checked against a plain request to the same server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cbasync import errors
from cbasync import protection as p
from cbasync.protection._model import ProtectionModel
from cbasync.testing import EmulatorConfig, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import EMULATOR_BASE, emulator_client

pytestmark = pytest.mark.anyio

MODELS: list[type[ProtectionModel]] = [
    getattr(p, name)
    for name in p.__all__
    if isinstance(getattr(p, name), type) and issubclass(getattr(p, name), ProtectionModel)
]
SEARCHABLE = [m for m in MODELS if m.search_route]
FETCHABLE = [m for m in MODELS if m.item_route]

#: What a new object needs, per model that can be created.
NEW: dict[type[ProtectionModel], dict[str, Any]] = {
    p.Policy: {"name": "New policy", "enforcementLevel": 40},
    p.FileRule: {"hash": "AB" * 16, "fileState": 3, "name": "new rule"},
    p.Connector: {
        "name": "Sandbox",
        "analysisName": "Sandbox",
        "connectorVersion": "1.0",
        "canAnalyze": True,
        "enabled": True,
        "analysisEnabled": True,
    },
    p.DriftReport: {"name": "new report"},
    p.FileAnalysis: {"computerId": 1, "fileCatalogId": 1, "connectorId": 1},
    p.FileUpload: {"computerId": 1, "fileCatalogId": 1},
    p.Notification: {"analysisResult": 1, "fileAnalysisId": 1},
    p.Notifier: {"name": "new notifier"},
    p.ScriptRule: {"name": "new script rule", "extensions": "vbs", "interpreters": "wscript.exe"},
    p.TrustedDirectory: {"path": "\\\\share\\new", "name": "new share"},
    p.TrustedUser: {
        "name": "ACME\\svc_new",
        "userSid": "S-1-5-21-9",
        "description": "new",
        "platformId": 1,
    },
    p.User: {"name": "new-user", "firstName": "New", "eMailAddress": "new@acme.example"},
    p.UserGroup: {"name": "New group", "permissions": "0000000000000001"},
}
#: A change each updatable model accepts, and the field that shows it.
CHANGE: dict[type[ProtectionModel], tuple[str, Any]] = {
    p.Computer: ("computerTag", "lab"),
    p.FileInstance: ("localState", 2),
    p.Policy: ("description", "changed"),
    p.FileRule: ("description", "changed"),
    p.ApprovalRequest: ("resolutionComments", "changed"),
    p.Certificate: ("certificateGlobalState", 3),
    p.Publisher: ("publisherState", 3),
    p.Connector: ("enabled", False),
    p.DriftReport: ("name", "changed"),
    p.FileAnalysis: ("analysisStatus", 2),
    p.FileUpload: ("uploadStatus", 5),
    p.Notifier: ("enabled", False),
    p.ScriptRule: ("enabled", False),
    p.ServerConfig: ("value", "changed"),
    p.TrustedDirectory: ("description", "changed"),
    p.TrustedUser: ("description", "changed"),
    p.Updater: ("enabled", False),
    p.User: ("comments", "changed"),
    p.UserGroup: ("description", "changed"),
}


@pytest.fixture
def app() -> EmulatorApp:
    return create_app(EmulatorConfig(seed=3, devices=12, binaries=300), modules=["protection"])


@pytest.fixture
async def api(app: EmulatorApp) -> AsyncIterator[p.CbProtectionAPI]:
    async with emulator_client(app, p.CbProtectionAPI) as client:
        yield client


@pytest.fixture
async def raw(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=EMULATOR_BASE,
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


async def get_json(raw: httpx.AsyncClient, route: str, **params: Any) -> Any:
    response = await raw.get(route, params=params)
    response.raise_for_status()
    return response.json()


def test_every_object_of_wire_9_has_a_model() -> None:
    names = {m.object_name for m in MODELS if m.object_name}
    assert names == {
        "computer", "fileInstance", "fileInstanceDeleted", "fileInstanceGroup", "fileCatalog",
        "fileRule", "policy", "approvalRequest", "certificate", "connector", "driftReport",
        "driftReportContents", "event", "fileAnalysis", "fileUpload",
        "grantedUserPolicyPermission", "internalEvent", "meteredExecution", "notification",
        "notifier", "pendingAnalysis", "publisher", "publisherCertificate", "scriptRule",
        "serverConfig", "serverPerformance", "trustedDirectory", "trustedUser", "updater",
        "user", "userGroup",
    }  # fmt: skip
    assert p.AppTemplate.search_route == "/api/bit9platform/restricted/appTemplate"


@pytest.mark.parametrize("model", SEARCHABLE, ids=lambda m: m.__name__)
async def test_search_and_count(
    model: type[ProtectionModel], api: p.CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    assert model.search_route is not None
    expected = await get_json(raw, model.search_route, limit=5, sort="id DESC")
    found = await api.select(model).sort("id desc")[:5].all()
    assert [o.model_dump(mode="json", exclude_unset=True) for o in found] == expected
    assert all(isinstance(o, model) and o.is_loaded for o in found)
    total = (await get_json(raw, model.search_route, limit=-1))["count"]
    assert await api.select(model).count() == total


@pytest.mark.parametrize("model", FETCHABLE, ids=lambda m: m.__name__)
async def test_fetch_by_id(
    model: type[ProtectionModel], api: p.CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    assert model.search_route is not None
    first = await get_json(raw, model.search_route, limit=1)
    assert first, f"the emulator has no {model.__name__}"
    oid = first[0]["id"]
    fetched = await api.get(model, oid)
    assert fetched.model_dump(mode="json", exclude_unset=True) == await get_json(
        raw, f"{model.search_route}/{oid}"
    )
    lazy = api.select(model, oid)
    assert not lazy.is_loaded
    await lazy.refresh()
    assert lazy.key == oid
    with pytest.raises(errors.ObjectNotFoundError):
        await api.get(model, 987_654)


@pytest.mark.parametrize("model", list(NEW), ids=lambda m: m.__name__)
async def test_create_then_delete(
    model: type[ProtectionModel], api: p.CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    assert model.can_create
    obj = api.create(model)
    for name, value in NEW[model].items():
        setattr(obj, name, value)
    await obj.save()
    assert obj.key is not None
    assert not obj.is_new
    stored = await get_json(raw, f"{model.search_route}/{obj.key}")
    assert obj.model_dump(mode="json", exclude_unset=True) == stored
    assert {k: stored[k] for k in NEW[model]} == {
        k: (v.upper() if k == "hash" else v) for k, v in NEW[model].items()
    }
    if model.can_delete:
        await obj.delete()
        gone = await raw.get(f"{model.search_route}/{obj.key}")
        assert gone.status_code == 404
    else:
        with pytest.raises(errors.ApiError, match="cannot be deleted"):
            await obj.delete()


@pytest.mark.parametrize("model", [m for m in MODELS if m.can_create], ids=lambda m: m.__name__)
async def test_create_names_missing_required_fields(
    model: type[ProtectionModel], api: p.CbProtectionAPI, app: EmulatorApp
) -> None:
    before = app.counters.total_requests
    if model.required_fields:
        with pytest.raises(errors.InvalidObjectError) as caught:
            await api.create(model).save()
        assert set(caught.value.missing) <= set(model.required_fields)
        assert caught.value.missing
    assert app.counters.total_requests == before


@pytest.mark.parametrize("model", list(CHANGE), ids=lambda m: m.__name__)
async def test_change(
    model: type[ProtectionModel], api: p.CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    assert model.search_route is not None
    field, value = CHANGE[model]
    if model in NEW:
        obj = api.create(model)
        for name, initial in NEW[model].items():
            setattr(obj, name, initial)
        await obj.save()
    else:
        found = await api.select(model).where("readOnly!true" if model is p.User else "").first()
        assert found is not None
        obj = found
    setattr(obj, field, value)
    await obj.save()
    assert obj.get(field) == value
    assert (await get_json(raw, f"{model.search_route}/{obj.key}"))[field] == value
    assert not obj.is_dirty()


@pytest.mark.parametrize(
    "model", [m for m in MODELS if m.settable_fields is not None], ids=lambda m: m.__name__
)
def test_settable_fields_are_fields(model: type[ProtectionModel]) -> None:
    assert model.settable_fields is not None
    assert model.settable_fields <= set(model.model_fields), model.__name__
    assert not model.settable_fields & {"id", "dateCreated", "createdBy", "dateModified"}


@pytest.mark.parametrize(
    "model", [m for m in MODELS if not m.can_update and m.search_route], ids=lambda m: m.__name__
)
async def test_read_only_models_refuse_changes(
    model: type[ProtectionModel], api: p.CbProtectionAPI
) -> None:
    found = await api.select(model).first()
    assert found is not None, f"the emulator has no {model.__name__}"
    name = sorted((set(type(found).model_fields) | set(found.model_extra or {})) - {"id"})[0]
    with pytest.raises(AttributeError, match="does not update"):
        setattr(found, name, None)
