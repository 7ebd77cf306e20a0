"""The ``cbasync`` dispatcher: --version, --help everywhere, exit codes, missing extras."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from cbasync import __version__
from cbasync.cli import COMMANDS, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("--version", "-V"):
        assert main([flag]) == 0
        assert capsys.readouterr().out == f"cbasync {__version__}\n"


def test_help_lists_every_command_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"  {name}" in out
    assert "130 interrupted" in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage" in out.lower()
    assert f"cbasync {name}" in out


def test_unknown_and_missing_commands_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err
    assert main([]) == 2
    assert "usage: cbasync" in capsys.readouterr().out


def test_a_missing_extra_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.import_module

    def without_click(name: str, package: str | None = None) -> object:
        if name == "cbasync._cli.check":
            raise ModuleNotFoundError("No module named 'click'", name="click")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_click)
    assert main(["check"]) == 2
    assert (
        capsys.readouterr().err == "cbasync check needs the cli extra: pip install 'cbasync[cli]'\n"
    )


def test_python_dash_m_cbasync_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cbasync", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"cbasync {__version__}\n")
