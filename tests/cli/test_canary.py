"""The canary: a token planted in every command's input never appears in any command's output.

Every way a token goes in (``--token-stdin``, the hidden prompt) and every command that reads a
profile (``configure``, ``check`` in both output forms, passing and failing) runs with the canary;
stdout and stderr of each are searched for it, and for its halves (a token split across a
wrapped line still leaks).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cbasync._cli import configure
from cbasync.cli import main
from cbasync.testing import ServerInfo

from .conftest import CANARY, configure_profiles


def _leaks(text: str) -> list[str]:
    half = len(CANARY) // 2
    return [part for part in (CANARY, CANARY[:half], CANARY[half:]) if part in text]


def test_no_command_prints_the_token(
    server: ServerInfo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs: list[str] = []

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        out, err = capsys.readouterr()
        outputs.append(out + err)
        return code

    configure_profiles(tmp_path, server, CANARY)  # the canary is a token the server accepts
    outputs.append("".join(capsys.readouterr()))
    assert run("check", "--profile", "emu", "--directory", str(tmp_path)) == 0
    assert run("check", "--profile", "emu", "--directory", str(tmp_path), "--json") == 0
    # Refused: the canary's sibling, which the server does not accept.
    refused = CANARY[:-1] + "X"
    base = (
        "--url",
        server.url,
        "--ssl-cert-file",
        server.ca_file or "",
        "--directory",
        str(tmp_path),
    )
    assert (
        run("configure", "edr", "--profile", "refused", "--token-stdin", *base, stdin=refused) == 0
    )
    assert run("check", "edr", "--profile", "refused", "--directory", str(tmp_path)) == 1
    # Bad input next to a token.
    assert run("configure", "edr", "--token-stdin", "--url", "ftp://x", stdin=CANARY) == 2
    assert (
        run("configure", "edr", "--token-stdin", "--url", "https://x", stdin=CANARY + " tail") == 2
    )
    assert (
        run("configure", "edr", "--profile", "refused", "--token-stdin", *base, stdin=CANARY) == 2
    )
    assert run("configure", "edr", "--token", CANARY) == 2  # a token where none is taken
    monkeypatch.setattr(configure, "is_interactive", lambda: True)
    prompted = CliRunner().invoke(
        configure.command,
        ["cloud", "--profile", "p", "--directory", str(tmp_path)],
        input=f"https://cloud.example\nORG12345\n{CANARY}\ny\n",
    )
    assert prompted.exit_code == 0, prompted.output
    outputs.append(prompted.output)

    assert len(outputs) == 10
    assert all(outputs[:3])
    for text in outputs:
        assert _leaks(text) == [], text
    # The canary did go where it belongs.
    assert CANARY in (tmp_path / "credentials.response").read_text()
    assert CANARY in (tmp_path / "credentials.cbc").read_text()
    assert refused in (tmp_path / "credentials.response").read_text()
