"""The credential matrix: files, profiles, environment, keyword arguments and every bad input."""

from __future__ import annotations

import stat
import warnings
from pathlib import Path

import httpx
import pytest

from cbasync import CbResponseAPI
from cbasync.config import (
    Credentials,
    CredentialWarning,
    InsecureCredentialFileWarning,
    Secret,
    load_credentials,
)
from cbasync.errors import CredentialError

TOKEN = "d91b00774b2b903b49d8d9caa57ce9fcde16973a"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> list[Path]:
    """Stand-ins for /etc/carbonblack, ~/.carbonblack and ./.carbonblack, in that order."""
    return [tmp_path / "etc", tmp_path / "home", tmp_path / "cwd"]


def load(
    dirs: list[Path], product: str = "response", profile: str | None = None, **kwargs: object
) -> Credentials:
    kwargs.setdefault("environ", {})
    return load_credentials(product, profile, search_directories=dirs, **kwargs)  # type: ignore[arg-type]


# -- files and profiles ----------------------------------------------------------------------


def test_later_files_override_earlier_ones_key_by_key(dirs: list[Path]) -> None:
    write(
        dirs[0] / "credentials.response",
        f"[default]\nurl=https://etc.example\ntoken={TOKEN}\nssl_verify=false\n",
    )
    write(dirs[1] / "credentials.response", "[default]\nurl=https://home.example\n")
    write(dirs[2] / "credentials.response", "[default]\nintegration_name=triage\n")

    creds = load(dirs)

    assert creds.url == "https://home.example"
    assert creds.token.get_secret_value() == TOKEN
    assert creds.ssl_verify is False
    assert creds.integration_name == "triage"
    assert creds.sources == tuple(str(d / "credentials.response") for d in dirs)


def test_named_profile_is_used(dirs: list[Path]) -> None:
    write(
        dirs[1] / "credentials.response",
        f"[default]\nurl=https://default.example\ntoken={TOKEN}\n"
        f"[production]\nurl=https://prod.example\ntoken=prodtoken\n",
    )
    creds = load(dirs, profile="production")
    assert creds.url == "https://prod.example"
    assert creds.token.get_secret_value() == "prodtoken"
    assert creds.profile == "production"


def test_each_product_reads_its_own_files(dirs: list[Path]) -> None:
    write(dirs[1] / "credentials.response", f"[default]\nurl=https://edr.example\ntoken={TOKEN}\n")
    write(
        dirs[1] / "credentials.protection", f"[default]\nurl=https://appc.example\ntoken={TOKEN}\n"
    )
    write(
        dirs[1] / "credentials.defense",
        "[default]\nurl=https://defense.example\ntoken=A/B\norg_key=ORG1\n",
    )
    write(dirs[1] / "credentials.psc", "[default]\nurl=https://psc.example\n")
    write(dirs[1] / "credentials.cbc", "[default]\norg_key=ORG2\n")

    assert load(dirs, "response").url == "https://edr.example"
    assert load(dirs, "protection").url == "https://appc.example"
    cloud = load(dirs, "cloud")
    # credentials.defense < credentials.psc < credentials.cbc within one directory.
    assert (cloud.url, cloud.org_key, cloud.token.get_secret_value()) == (
        "https://psc.example",
        "ORG2",
        "A/B",
    )


def test_unknown_profile_names_profile_files_and_known_profiles(dirs: list[Path]) -> None:
    path = write(
        dirs[1] / "credentials.response", f"[default]\nurl=https://x.example\ntoken={TOKEN}\n"
    )
    with pytest.raises(CredentialError) as info:
        load(dirs, profile="staging")
    message = str(info.value)
    assert "[staging]" in message
    assert str(path) in message
    assert "default" in message


def test_no_files_and_no_environment_says_what_is_missing(dirs: list[Path]) -> None:
    with pytest.raises(
        CredentialError, match=r"url is not set for profile \[default\].*no credential file found"
    ):
        load(dirs)


def test_explicit_credential_file_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ini"
    with pytest.raises(CredentialError, match="does not exist") as info:
        load_credentials("response", credential_file=missing, environ={})
    assert str(missing) in str(info.value)


def test_explicit_credential_file_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "my.ini", f"[lab]\nurl=https://lab.example:8443\ntoken={TOKEN}\n")
    creds = load_credentials("response", "lab", credential_file=path, environ={})
    assert creds.url == "https://lab.example:8443"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "dir.ini").mkdir()
    with pytest.raises(CredentialError, match="is a directory"):
        load_credentials("response", credential_file=tmp_path / "dir.ini", environ={})


def test_unreadable_file(dirs: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, which reads a chmod-000 file anyway: simulate the refusal.
    path = write(
        dirs[1] / "credentials.response", f"[default]\nurl=https://x.example\ntoken={TOKEN}\n"
    )
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(CredentialError, match="cannot be read") as info:
        load(dirs)
    assert str(path) in str(info.value)


def test_file_that_is_not_utf8(dirs: list[Path]) -> None:
    path = dirs[1] / "credentials.response"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"[default]\nurl=\xff\xfe\n")
    path.chmod(0o600)
    with pytest.raises(CredentialError, match="not UTF-8"):
        load(dirs)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (f"url=https://x.example\ntoken={TOKEN}\n", "before any [profile] header"),
        (f"[default]\nurl=https://x.example\ntoken {TOKEN}\n", "line(s) 3 are not 'key = value'"),
        (
            f"[default]\ntoken={TOKEN}\ntoken={TOKEN}\n",
            "key 'token' appears twice in [default] (line 3)",
        ),
        (
            f"[default]\ntoken={TOKEN}\n[default]\nurl=https://x\n",
            "profile [default] appears twice (line 3)",
        ),
    ],
)
def test_malformed_ini_names_file_and_line_but_not_the_token(
    dirs: list[Path], text: str, detail: str
) -> None:
    path = write(dirs[1] / "credentials.response", text)
    with pytest.raises(CredentialError) as info:
        load(dirs)
    message = str(info.value)
    assert str(path) in message
    assert detail in message
    assert TOKEN not in message
    assert TOKEN not in repr(info.value)


def test_percent_signs_are_not_interpolated(dirs: list[Path]) -> None:
    write(dirs[1] / "credentials.response", "[default]\nurl=https://x.example\ntoken=ab%(cd)s%%\n")
    assert load(dirs).token.get_secret_value() == "ab%(cd)s%%"


# -- environment and keyword arguments ------------------------------------------------------


def test_environment_overrides_files(dirs: list[Path]) -> None:
    write(
        dirs[1] / "credentials.response",
        f"[default]\nurl=https://file.example\ntoken={TOKEN}\nssl_verify=true\n",
    )
    creds = load(dirs, environ={"CBAPI_URL": "https://env.example", "CBAPI_SSL_VERIFY": "0"})
    assert creds.url == "https://env.example"
    assert creds.ssl_verify is False
    assert creds.token.get_secret_value() == TOKEN


def test_environment_alone_is_enough(dirs: list[Path]) -> None:
    creds = load(
        dirs,
        "cloud",
        environ={
            "CBC_URL": "https://defense.conferdeploy.net",
            "CBC_TOKEN": "SECRET/ID",
            "CBC_ORG_KEY": "ABCD1234",
        },
    )
    assert (creds.url, creds.org_key) == ("https://defense.conferdeploy.net", "ABCD1234")


def test_cbapi_and_cbc_variables_that_disagree_are_an_error(dirs: list[Path]) -> None:
    with pytest.raises(
        CredentialError, match="CBAPI_TOKEN and CBC_TOKEN are both set and differ"
    ) as info:
        load(
            dirs,
            environ={"CBAPI_URL": "https://x.example", "CBAPI_TOKEN": "one", "CBC_TOKEN": "two"},
        )
    assert "one" not in str(info.value).replace("done", "")
    assert "two" not in str(info.value)


def test_keyword_arguments_override_everything(dirs: list[Path]) -> None:
    write(dirs[1] / "credentials.response", f"[default]\nurl=https://file.example\ntoken={TOKEN}\n")
    creds = load(
        dirs,
        environ={"CBAPI_URL": "https://env.example"},
        url="https://kw.example",
        ssl_verify=False,
    )
    assert creds.url == "https://kw.example"
    assert creds.ssl_verify is False


def test_keyword_boolean_must_be_a_bool(dirs: list[Path]) -> None:
    with pytest.raises(CredentialError, match="ssl_verify= must be a bool"):
        load(dirs, url="https://x.example", token=TOKEN, ssl_verify="no")


def test_unknown_keyword_is_rejected(dirs: list[Path]) -> None:
    with pytest.raises(CredentialError, match="ssl_verfy"):
        load(dirs, url="https://x.example", token=TOKEN, ssl_verfy=True)


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [(t, True) for t in ("1", "yes", "true", "on", "True", "YES", " On ")]
    + [(f, False) for f in ("0", "no", "false", "off", "False", "NO")],
)
def test_boolean_spellings(dirs: list[Path], raw: str, value: bool) -> None:
    write(
        dirs[1] / "credentials.response",
        f"[default]\nurl=https://x.example\ntoken={TOKEN}\nssl_verify={raw}\nignore_system_proxy={raw}\n",
    )
    creds = load(dirs)
    assert creds.ssl_verify is value
    assert creds.ignore_system_proxy is value


def test_bad_boolean_names_key_profile_and_file(dirs: list[Path]) -> None:
    path = write(
        dirs[1] / "credentials.response",
        f"[lab]\nurl=https://x.example\ntoken={TOKEN}\nssl_verify_hostname=maybe\n",
    )
    with pytest.raises(CredentialError) as info:
        load(dirs, profile="lab")
    message = str(info.value)
    assert "ssl_verify_hostname" in message
    assert "[lab]" in message
    assert str(path) in message
    assert "'maybe'" in message


def test_bad_boolean_in_environment_names_the_variable(dirs: list[Path]) -> None:
    with pytest.raises(CredentialError, match="environment variable CBAPI_SSL_VERIFY"):
        load(
            dirs,
            environ={
                "CBAPI_URL": "https://x.example",
                "CBAPI_TOKEN": TOKEN,
                "CBAPI_SSL_VERIFY": "sure",
            },
        )


def test_all_keys_are_read(dirs: list[Path], tmp_path: Path) -> None:
    pem = write(tmp_path / "server.pem", "-----BEGIN CERTIFICATE-----\n")
    write(
        dirs[1] / "credentials.cbc",
        "[default]\n"
        "url=https://defense.conferdeploy.net/\n"
        "token=ABCDEFGHIJKLMNO123456789/ABCD123456\n"
        "org_key=ABCD1234\n"
        "ssl_verify=yes\nssl_verify_hostname=no\n"
        f"ssl_cert_file={pem}\n"
        "ssl_force_tls_1_2=on\n"
        "proxy=http://user:pa55@proxy.example:8001/\n"
        "ignore_system_proxy=1\n"
        "integration_name=MyTriage/1.0\n"
        "default_timeout=12.5\n"
        "pool_connections=4\n",
    )
    creds = load(dirs, "cloud")
    assert creds == Credentials(
        url="https://defense.conferdeploy.net",
        token=Secret("ABCDEFGHIJKLMNO123456789/ABCD123456"),
        org_key="ABCD1234",
        ssl_verify=True,
        ssl_verify_hostname=False,
        ssl_cert_file=str(pem),
        ssl_force_tls_1_2=True,
        proxy="http://user:pa55@proxy.example:8001/",
        ignore_system_proxy=True,
        integration_name="MyTriage/1.0",
        default_timeout=12.5,
        profile="default",
        sources=(str(dirs[1] / "credentials.cbc"),),
    )


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "inf", "nan"])
def test_bad_default_timeout(dirs: list[Path], raw: str) -> None:
    write(
        dirs[1] / "credentials.response",
        f"[default]\nurl=https://x.example\ntoken={TOKEN}\ndefault_timeout={raw}\n",
    )
    with pytest.raises(CredentialError, match=r"default_timeout .* must be a positive number"):
        load(dirs)


@pytest.mark.parametrize("key", ["url", "token"])
def test_missing_url_or_token(dirs: list[Path], key: str) -> None:
    values = {"url": "https://x.example", "token": TOKEN}
    del values[key]
    path = write(
        dirs[1] / "credentials.response",
        "[default]\n" + "".join(f"{k}={v}\n" for k, v in values.items()),
    )
    with pytest.raises(CredentialError, match=rf"{key} is not set for profile \[default\]") as info:
        load(dirs)
    assert str(path) in str(info.value)


def test_cloud_needs_an_org_key(dirs: list[Path]) -> None:
    write(
        dirs[1] / "credentials.cbc", "[default]\nurl=https://defense.conferdeploy.net\ntoken=A/B\n"
    )
    with pytest.raises(CredentialError, match="org_key is not set"):
        load(dirs, "cloud")
    # EDR does not.
    write(dirs[1] / "credentials.response", "[default]\nurl=https://x.example\ntoken=A\n")
    assert load(dirs).org_key is None


@pytest.mark.parametrize("org_key", ["ABCD-1234", "ab cd", "ORG/1"])
def test_bad_org_key(dirs: list[Path], org_key: str) -> None:
    with pytest.raises(CredentialError, match=r"org_key .* must be letters and digits"):
        load(dirs, "cloud", url="https://x.example", token="A/B", org_key=org_key)


@pytest.mark.parametrize(
    "url",
    [
        "http://cbserver.example",
        "http://10.0.0.5",
        "ftp://cbserver",
        "cbserver.example",
        "https://",
        "https://x.example/?a=1",
        "https://user:pw@x.example",
        "https://x.example:99999",
    ],
)
def test_bad_urls(dirs: list[Path], url: str) -> None:
    with pytest.raises(CredentialError, match="url in keyword argument url="):
        load(dirs, url=url, token=TOKEN)


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8080", "http://127.0.0.1:5000", "http://[::1]:443", "http://emu.localhost"],
)
def test_plain_http_is_allowed_to_loopback(dirs: list[Path], url: str) -> None:
    assert load(dirs, url=url, token=TOKEN).url == url


def test_plain_http_to_another_host_needs_the_explicit_opt_in(dirs: list[Path]) -> None:
    with pytest.raises(CredentialError, match="allow_plain_http = true"):
        load(dirs, url="http://10.0.0.5:8080", token=TOKEN)
    creds = load(dirs, url="http://10.0.0.5:8080", token=TOKEN, allow_plain_http=True)
    assert (creds.url, creds.allow_plain_http) == ("http://10.0.0.5:8080", True)
    with pytest.raises(CredentialError, match="must be a bool"):
        load(dirs, url="http://10.0.0.5", token=TOKEN, allow_plain_http="yes")
    # In a profile, spelled like the other booleans; off means refused.
    for raw, allowed in (("true", True), ("on", True), ("0", False)):
        write(
            dirs[1] / "credentials.response",
            f"[default]\nurl = http://cb.lab:80\ntoken = {TOKEN}\nallow_plain_http = {raw}\n",
        )
        if allowed:
            assert load(dirs).url == "http://cb.lab:80"
        else:
            with pytest.raises(CredentialError, match=r"uses http:// to cb\.lab"):
                load(dirs)


@pytest.mark.anyio
async def test_the_opt_in_reaches_the_api_and_the_token_goes_over_plain_http() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"version": "7.7.0"})

    with pytest.raises(CredentialError, match="uses http://"):
        CbResponseAPI(url="http://cb.lab", token=TOKEN, environ={})
    api = CbResponseAPI(
        url="http://cb.lab",
        token=TOKEN,
        environ={},
        allow_plain_http=True,
        transport=httpx.MockTransport(handler),
    )
    async with api:
        await api.transport.request("GET", "/api/info")
    assert [(str(r.url), r.headers["X-Auth-Token"]) for r in seen] == [
        ("http://cb.lab/api/info", TOKEN)
    ]


def test_url_keeps_a_path_prefix_without_trailing_slash(dirs: list[Path]) -> None:
    assert (
        load(dirs, url="https://proxy.example/cb/", token=TOKEN).url == "https://proxy.example/cb"
    )


@pytest.mark.parametrize("token", ["abc def", "abc\ndef", "abc\x00", "ab\tc"])
def test_token_with_whitespace_or_control_characters(dirs: list[Path], token: str) -> None:
    with pytest.raises(CredentialError, match="contains whitespace or control characters") as info:
        load(dirs, url="https://x.example", token=token)
    assert token not in str(info.value)


def test_surrounding_whitespace_is_trimmed(dirs: list[Path]) -> None:
    # `export CBAPI_TOKEN=$(cat token.txt)` keeps a trailing newline; that is not part of the token.
    creds = load(dirs, environ={"CBAPI_URL": " https://x.example ", "CBAPI_TOKEN": f"\t{TOKEN}\n"})
    assert creds.token.get_secret_value() == TOKEN
    assert creds.url == "https://x.example"


def test_missing_ssl_cert_file(dirs: list[Path], tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match=r"ssl_cert_file .* is not a file"):
        load(
            dirs, url="https://x.example", token=TOKEN, ssl_cert_file=str(tmp_path / "missing.pem")
        )


def test_bad_proxy_is_reported_without_its_password(dirs: list[Path]) -> None:
    with pytest.raises(CredentialError, match="proxy") as info:
        load(dirs, url="https://x.example", token=TOKEN, proxy="ftp://user:hunter2@proxy:21")
    assert "hunter2" not in str(info.value)


# -- warnings and secrecy --------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_file_readable_by_others_warns(dirs: list[Path], mode: int) -> None:
    path = write(
        dirs[1] / "credentials.response", f"[default]\nurl=https://x.example\ntoken={TOKEN}\n", mode
    )
    with pytest.warns(InsecureCredentialFileWarning, match="chmod 600") as record:
        load(dirs)
    assert str(path) in str(record[0].message)
    assert TOKEN not in str(record[0].message)


def test_private_file_does_not_warn(dirs: list[Path]) -> None:
    path = write(
        dirs[1] / "credentials.response",
        f"[default]\nurl=https://x.example\ntoken={TOKEN}\n",
        0o600,
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(dirs)


def test_unknown_key_warns_and_cbapi_keys_do_not(dirs: list[Path]) -> None:
    write(
        dirs[1] / "credentials.response",
        f"[default]\nurl=https://x.example\ntoken={TOKEN}\nssl_verfy=no\npool_maxsize=5\n",
    )
    with pytest.warns(CredentialWarning, match="unknown key 'ssl_verfy'") as record:
        creds = load(dirs)
    assert len(record) == 1
    assert creds.ssl_verify is True


def test_token_is_masked_everywhere(dirs: list[Path]) -> None:
    creds = load(
        dirs, url="https://x.example", token=TOKEN, proxy="http://u:proxypass@proxy.example:3128"
    )
    for text in (
        repr(creds),
        str(creds),
        repr(creds.token),
        str(creds.token),
        f"{creds.token}",
        f"{creds.token:>20}",
    ):
        assert TOKEN not in text
        assert "proxypass" not in text
    assert "u:***@proxy.example:3128" in repr(creds)
    assert creds.token.get_secret_value() == TOKEN


def test_secret_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(TOKEN))


# -- hostile files (issue 9) -----------------------------------------------------------------


def test_a_profile_saved_with_a_utf8_bom_is_read(dirs: list[Path]) -> None:
    # Notepad saves "UTF-8" with a byte order mark before the first [profile] header.
    path = dirs[1] / "credentials.response"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        b"\xef\xbb\xbf" + f"[default]\r\nurl=https://bom.example\r\ntoken={TOKEN}\r\n".encode()
    )
    path.chmod(0o600)
    creds = load(dirs)
    assert creds.url == "https://bom.example"
    assert creds.token.get_secret_value() == TOKEN


def test_a_file_without_the_default_profile_is_named_with_its_profiles(dirs: list[Path]) -> None:
    path = write(
        dirs[1] / "credentials.response", f"[prod]\nurl=https://prod.example\ntoken={TOKEN}\n"
    )
    with pytest.raises(CredentialError) as info:
        load(dirs)
    message = str(info.value)
    assert "no credential file found" not in message
    assert str(path) in message
    assert "[prod]" in message
    assert "profile=" in message
    assert TOKEN not in message
