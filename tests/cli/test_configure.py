"""``cbasync configure``: profiles written as the SDK reads them, private, and never echoing the
token; bad input is a one-line error and exit code 2."""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner

from cbasync import CBCloudAPI, CbResponseAPI
from cbasync._cli import configure
from cbasync.cli import main

TOKEN = "c4n4ryt0k3n-0123456789abcdef0123456789abcdef"


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["configure", *argv])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_profile_is_written_private_and_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "cb"
    code = _run(
        ["edr", "--profile", "prod", "--url", "https://cb.example.com:8443/", "--token-stdin",
         "--directory", str(directory)],
        monkeypatch,
        stdin=TOKEN + "\n",
    )  # fmt: skip
    assert code == 0
    out, err = capsys.readouterr()
    path = directory / "credentials.response"
    assert f"Saved profile [prod] for EDR (CB Response) to {path} (mode 600)." in out
    assert "cbasync check response --profile prod" in out
    assert TOKEN not in out + err
    assert _mode(directory) == 0o700
    assert _mode(path) == 0o600
    api = CbResponseAPI("prod", credential_file=path, environ={})
    assert api.url == "https://cb.example.com:8443"
    assert api.credentials.token.get_secret_value() == TOKEN
    assert api.credentials.ssl_verify is True
    assert path.read_text() == (
        f"[prod]\nurl = https://cb.example.com:8443/\ntoken = {TOKEN}\nssl_verify = true\n\n"
    )


def test_cloud_needs_an_org_key_and_writes_credentials_cbc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [
        "cloud",
        "--url",
        "https://defense.example.net",
        "--token-stdin",
        "--directory",
        str(tmp_path),
    ]
    assert _run(base, monkeypatch, stdin=TOKEN) == 2
    assert capsys.readouterr().err == (
        "cbasync configure: --org-key is required (no terminal to ask on)\n"
    )
    assert _run([*base, "--org-key", "ABC-123"], monkeypatch, stdin=TOKEN) == 2
    assert "--org-key must be letters and digits" in capsys.readouterr().err
    assert _run([*base, "--org-key", "ABCD1234"], monkeypatch, stdin=TOKEN) == 0
    api = CBCloudAPI(credential_file=tmp_path / "credentials.cbc", environ={})
    assert api.org_key == "ABCD1234"


def test_tls_and_proxy_options_are_written_only_when_they_differ_from_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    argv = [
        "protection", "--url", "https://appcontrol.example", "--token-stdin",
        "--directory", str(tmp_path), "--ssl-cert-file", str(ca), "--no-ssl-verify-hostname",
        "--ssl-force-tls-1-2", "--proxy", "http://proxy.example:3128", "--ignore-system-proxy",
    ]  # fmt: skip
    assert _run(argv, monkeypatch, stdin=TOKEN) == 0
    text = (tmp_path / "credentials.protection").read_text()
    for line in (
        "ssl_verify = true",
        "ssl_verify_hostname = false",
        f"ssl_cert_file = {ca}",
        "ssl_force_tls_1_2 = true",
        "proxy = http://proxy.example:3128",
        "ignore_system_proxy = true",
    ):
        assert line in text
    assert _run(["edr", "--url", "https://x.example", "--token-stdin", "--directory",
                 str(tmp_path), "--no-ssl-verify"], monkeypatch, stdin=TOKEN) == 0  # fmt: skip
    edr = (tmp_path / "credentials.response").read_text()
    assert "ssl_verify = false" in edr
    assert "ssl_verify_hostname" not in edr
    assert "proxy" not in edr


def test_other_profiles_are_kept_and_an_existing_one_needs_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "credentials.response"
    path.write_text("[other]\nurl = https://other.example\ntoken = keep-me\n")
    path.chmod(0o644)
    argv = ["edr", "--url", "https://one.example", "--token-stdin", "--directory", str(tmp_path)]
    assert _run(argv, monkeypatch, stdin=TOKEN) == 0
    assert _mode(path) == 0o600  # tightened by the rewrite
    assert _run([*argv[:2], "https://two.example", *argv[3:]], monkeypatch, stdin=TOKEN) == 2
    assert "profile [default] already exists" in capsys.readouterr().err
    assert (
        _run([*argv[:2], "https://two.example", *argv[3:], "--force"], monkeypatch, stdin=TOKEN)
        == 0
    )
    text = path.read_text()
    assert "[other]\nurl = https://other.example\ntoken = keep-me\n" in text
    assert "https://two.example" in text
    assert "https://one.example" not in text


def test_a_group_readable_directory_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "shared"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    argv = ["edr", "--url", "https://x.example", "--token-stdin", "--directory", str(directory)]
    assert _run(argv, monkeypatch, stdin=TOKEN) == 0
    assert _mode(directory) == 0o700
    assert f"(made {directory} private: mode 700)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--url", "http://cb.example"], TOKEN, "uses http:// to cb.example"),
        (["--url", "not a url"], TOKEN, "--url must look like https://host[:port]"),
        (["--url", "https://cb.example"], "", "--token-stdin: stdin had no token on its first line"),
        (["--url", "https://cb.example"], "two words", "the token contains whitespace or control characters"),
        (["--url", "https://x.example", "--ssl-cert-file", "/no/such.pem"], TOKEN,
         "--ssl-cert-file is not a file: /no/such.pem"),
        (["--url", "https://x.example", "--proxy", "ftp://p"], TOKEN,
         "--proxy must be an http(s):// or socks5:// URL"),
        (["--url", "https://x.example", "--profile", "a]b"], TOKEN, "is not a usable profile name"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_code_2(
    argv: list[str],
    stdin: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _run(["edr", "--token-stdin", "--directory", str(tmp_path), *argv], monkeypatch, stdin)
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("cbasync configure: ")
    assert message in err
    assert not (tmp_path / "credentials.response").exists()


def test_the_token_is_never_an_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _run(["edr", "--url", "https://x.example", "--directory", str(tmp_path)], monkeypatch) == 2
    )
    assert "never taken as an argument" in capsys.readouterr().err
    assert _run(["edr", "--token", TOKEN], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "No such option '--token'" in err
    assert TOKEN not in err


def test_the_interactive_prompts_hide_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(configure, "is_interactive", lambda: True)
    answers = f"https://cb.example\n{TOKEN}\nn\n"  # URL, token (hidden), verify TLS? no
    result = CliRunner().invoke(
        configure.command, ["edr", "--directory", str(tmp_path)], input=answers
    )
    assert result.exit_code == 0, result.output
    assert "URL of the EDR (CB Response) server: https://cb.example" in result.output
    assert "API token (not shown): \n" in result.output
    assert TOKEN not in result.output
    assert "ssl_verify = false" in (tmp_path / "credentials.response").read_text()
    # Replacing the profile asks first; no keeps the file as it was.
    before = (tmp_path / "credentials.response").read_text()
    again = CliRunner().invoke(
        configure.command, ["edr", "--directory", str(tmp_path)], input=answers + "n\n"
    )
    assert again.exit_code == 1
    assert "replace it?" in again.output
    assert (tmp_path / "credentials.response").read_text() == before


def test_the_file_is_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = os.umask(0)
    try:
        argv = [
            "edr",
            "--url",
            "https://x.example",
            "--token-stdin",
            "--directory",
            str(tmp_path / "d"),
        ]
        assert _run(argv, monkeypatch, stdin=TOKEN) == 0
    finally:
        os.umask(old)
    assert _mode(tmp_path / "d" / "credentials.response") == 0o600
    assert _mode(tmp_path / "d") == 0o700
