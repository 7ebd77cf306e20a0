"""The running-at-scale example: the task, fanned out over worker processes (the standard
library's stand-in for Celery, Dask or Ray), one client per server per task, against two
emulated servers; results checked against each server."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from cbasync.testing import EmulatorConfig, ServerInfo
from cbasync.testing.server import spawn_server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def at_scale(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # Importable by name in the workers too (whatever their start method): on the path.
    monkeypatch.syspath_prepend(str(EXAMPLES))
    paths = [str(EXAMPLES), str(ROOT), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, paths)))
    monkeypatch.delitem(sys.modules, "at_scale", raising=False)
    import at_scale

    return at_scale


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerInfo, ServerInfo]]:
    with (
        spawn_server(EmulatorConfig(seed=1, processes=3_000, devices=10),
                     directory=tmp_path_factory.mktemp("east")) as east,
        spawn_server(EmulatorConfig(seed=2, processes=5_000, devices=15),
                     directory=tmp_path_factory.mktemp("west")) as west,
    ):  # fmt: skip
        yield east, west


def _count(server: ServerInfo, query: str) -> int:
    assert server.ca_file
    with httpx.Client(verify=ssl.create_default_context(cafile=server.ca_file)) as http:
        answer = http.get(
            f"{server.url}/api/v1/process",
            params={"q": query, "rows": 0},
            headers={"X-Auth-Token": server.token},
        )
    return int(answer.json()["total_results"])


def test_each_task_hunts_its_own_server(
    at_scale: ModuleType, servers: tuple[ServerInfo, ServerInfo]
) -> None:
    targets = [
        at_scale.Target(name, url=s.url, token=s.token, ssl_cert_file=s.ca_file)
        for name, s in zip(("east", "west"), servers, strict=True)
    ]
    results = at_scale.hunt_everywhere(targets, workers=2)
    assert [r.target for r in results] == ["east", "west"]
    for result, server in zip(results, servers, strict=True):
        assert result.error is None
        assert result.counts == {q: _count(server, q) for q in at_scale.HUNTS}
        assert result.top_hosts
        # Plain data: it crosses process boundaries and result stores.
        assert pickle.loads(pickle.dumps(result)) == result
        json.dumps(dataclasses.asdict(result))
    assert results[0].counts != results[1].counts  # two different servers


def test_a_failing_target_is_a_typed_token_free_result(
    at_scale: ModuleType, servers: tuple[ServerInfo, ServerInfo], tmp_path: Path
) -> None:
    east = servers[0]
    planted = "PLANTEDTOKEN0000000000000/PLANTED01"
    wrong = at_scale.Target("east", url=east.url, token=planted, ssl_cert_file=east.ca_file)
    result = at_scale.hunt(wrong)
    assert result.error is not None
    assert result.error.startswith("UnauthorizedError: 401")
    assert planted not in result.error
    assert result.counts == {}
