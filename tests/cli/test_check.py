"""``cbasync check`` against a real loopback emulator: each step, each failure, the exit codes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from cbasync.cli import main
from cbasync.testing import ServerInfo

from .conftest import configure_profile, configure_profiles


def _check(*argv: str) -> int:
    return main(["check", *argv])


def test_every_configured_product_passes(
    server: ServerInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_profiles(tmp_path, server, server.token)
    capsys.readouterr()
    assert _check("--profile", "emu", "--directory", str(tmp_path), "--json") == 0
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["product"] for r in reports] == ["response", "protection", "cloud"]
    assert all(r["ok"] for r in reports)
    steps = {r["product"]: {s["name"]: s["detail"] for s in r["steps"]} for r in reports}
    assert steps["response"]["server"] == "EDR 7.7.0.0"
    assert steps["protection"]["server"].startswith("App Control ")
    assert steps["cloud"]["server"] == f"Carbon Black Cloud org {server.org_key}"
    assert steps["cloud"]["org key"] == f"{server.org_key}: the key reads its devices"
    assert "org key" not in steps["response"]
    for product in steps.values():
        assert "TLSv1." in product["connection"]
        assert "certificate verified against the pinned ssl_cert_file" in product["connection"]
        assert product["token"] == "accepted"


def test_the_table_output_names_each_step(
    server: ServerInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_profiles(tmp_path, server, server.token, profile="default")
    capsys.readouterr()
    assert _check("edr", "--directory", str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert f"EDR (CB Response)  [default]  {server.url}" in out
    for step in ("credentials", "connection", "token", "server"):
        assert step in out
    assert out.rstrip().endswith("1 of 1 passed")


def test_a_refused_token_fails_with_exit_code_1(
    server: ServerInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert server.ca_file
    configure_profile(
        tmp_path, "edr", "bad", server.url, "not-the-token", "--ssl-cert-file", server.ca_file
    )
    assert _check("edr", "--profile", "bad", "--directory", str(tmp_path), "--json") == 1
    (report,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()[-1:]]
    assert report["steps"][-1] == {
        "name": "token",
        "ok": False,
        "detail": "refused by the server (401): check the token",
    }


def test_a_cloud_profile_with_another_org_key_fails_at_the_org_key(
    server: ServerInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert server.ca_file
    configure_profile(tmp_path, "cloud", "other", server.url, server.token,
                      "--ssl-cert-file", server.ca_file, "--org-key", "OTHER123")  # fmt: skip
    assert _check("cloud", "--profile", "other", "--directory", str(tmp_path), "--json") == 1
    (report,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()[-1:]]
    steps = {s["name"]: s for s in report["steps"]}
    assert "TLSv1." in steps["connection"]["detail"]
    assert steps["token"]["ok"] is True
    assert steps["org key"]["ok"] is False
    assert steps["org key"]["detail"].startswith("org OTHER123 refused to this key (403)")
    # A key the cloud does not know is the token's failure, not the org key's.
    configure_profile(tmp_path, "cloud", "unknown", server.url, "NOTAKEY0000000000000000/NOPE",
                      "--ssl-cert-file", server.ca_file, "--org-key", server.org_key)  # fmt: skip
    assert _check("cloud", "--profile", "unknown", "--directory", str(tmp_path), "--json") == 1
    (report,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()[-1:]]
    assert report["steps"][-1]["name"] == "token"
    assert report["steps"][-1]["ok"] is False


def test_an_untrusted_certificate_fails_before_any_request(
    server: ServerInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_profile(tmp_path, "edr", "untrusted", server.url, server.token)  # no pin: system CAs
    assert _check("edr", "--profile", "untrusted", "--directory", str(tmp_path), "--json") == 1
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert [s["name"] for s in report["steps"]] == ["credentials", "connection"]
    assert "certificate not trusted" in report["steps"][-1]["detail"]


def test_an_unreachable_server_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port that nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure_profile(tmp_path, "edr", "down", f"https://127.0.0.1:{port}", "t0ken")
    assert _check("edr", "--profile", "down", "--directory", str(tmp_path), "--json") == 1
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["steps"][-1]["detail"].startswith(f"cannot connect to 127.0.0.1:{port}")


def test_missing_profiles_are_input_errors(
    server: ServerInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _check("--profile", "nowhere", "--directory", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("cbasync check: no credential file in ")
    assert "[nowhere]" in err
    configure_profiles(tmp_path, server, server.token)
    capsys.readouterr()
    assert _check("edr", "--profile", "other", "--directory", str(tmp_path), "--json") == 2
    report = json.loads(capsys.readouterr().out)
    assert report["steps"][0]["name"] == "credentials"
    assert "profile [other] not found" in report["steps"][0]["detail"]
    assert _check("--timeout", "0", "--directory", str(tmp_path)) == 2
    assert "--timeout" in capsys.readouterr().err
