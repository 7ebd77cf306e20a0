"""A loopback emulator (TLS) for the command-line tests, and profiles that point at it."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cbasync.cli import main
from cbasync.testing import EmulatorConfig, ServerInfo
from cbasync.testing.server import spawn_server

CANARY = "CANARYTOKEN0000000000001/CANARY0001"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    # The demo's installation (tests run the demo read-only against it with --profile).
    config = EmulatorConfig(seed=7, processes=20_000, devices=25, extra_tokens=(CANARY,))
    with spawn_server(config, directory=tmp_path_factory.mktemp("emu"), tls=True) as info:
        yield info


def configure_profile(
    directory: Path, product: str, profile: str, url: str, token: str, *extra: str
) -> None:
    stdin, sys.stdin = sys.stdin, io.StringIO(token + "\n")
    try:
        code = main(
            ["configure", product, "--profile", profile, "--url", url, "--token-stdin",
             "--directory", str(directory), *extra]
        )  # fmt: skip
    finally:
        sys.stdin = stdin
    assert code == 0


def configure_profiles(
    directory: Path, server: ServerInfo, token: str, profile: str = "emu"
) -> None:
    assert server.ca_file
    pin = ("--ssl-cert-file", server.ca_file)
    configure_profile(directory, "edr", profile, server.url, token, *pin)
    configure_profile(directory, "protection", profile, server.url, token, *pin)
    configure_profile(
        directory, "cloud", profile, server.url, token, *pin, "--org-key", server.org_key
    )
