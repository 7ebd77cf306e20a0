"""The ``cbasync`` command line: flags map onto EmulatorConfig fields (a contract)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cbasync.cli import main
from cbasync.testing.cli import _config_from_args, build_parser
from cbasync.testing.config import EmulatorConfig

CONTRACT_FLAGS = (
    "--host",
    "--port",
    "--tls",
    "--ready-file",
    "--seed",
    "--processes",
    "--devices",
    "--latency-ms",
    "--lr-slots",
    "--activation-ms",
    "--command-ms",
    "--job-seconds",
    "--fault-5xx",
    "--fault-429",
    "--fault-reset",
)


def _parse(*argv: str) -> EmulatorConfig:
    args = build_parser().parse_args(["emulator", *argv])
    config = _config_from_args(args)
    assert isinstance(config, EmulatorConfig)
    return config


def test_every_contract_flag_exists_with_a_documented_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["emulator", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for flag in CONTRACT_FLAGS:
        assert flag in text, flag
    assert "default: 100000" in text  # processes
    assert "default: 2000.0" in text  # activation in ms


def test_defaults_are_the_config_defaults_with_recent_data() -> None:
    config = _parse()
    assert config.replace(data_epoch=EmulatorConfig().data_epoch) == EmulatorConfig()
    assert abs(config.data_epoch - time.time()) < 120  # history ends now
    assert _parse("--data-epoch", "1700000000").data_epoch == 1_700_000_000.0
    with pytest.raises(ValueError, match="data-epoch"):
        _parse("--data-epoch", "yesterday")


def test_flags_map_onto_config_fields() -> None:
    config = _parse(
        "--seed",
        "7",
        "--processes",
        "1234",
        "--devices",
        "9",
        "--latency-ms",
        "50",
        "--lr-slots",
        "3",
        "--activation-ms",
        "250",
        "--command-ms",
        "125",
        "--job-seconds",
        "1.5",
        "--fault-5xx",
        "0.1",
        "--fault-429",
        "0.2",
        "--fault-reset",
        "0.05",
        "--server-version",
        "7.6.0.0",
        "--rate-limit",
        "100",
        "--retry-after",
        "2",
    )
    assert config.seed == 7
    assert config.processes == 1234
    assert config.devices == 9
    assert config.latency_ms == 50.0
    assert config.lr_slots == 3
    assert config.lr_activation == 0.25  # milliseconds on the command line, seconds inside
    assert config.lr_command_delay == 0.125
    assert config.job_duration == 1.5
    assert (config.fault_5xx, config.fault_429, config.fault_reset) == (0.1, 0.2, 0.05)
    assert config.server_version == "7.6.0.0"
    assert config.rate_limit_requests == 100
    assert config.retry_after == 2.0
    assert _parse("--rate-limit", "0").rate_limit_requests is None
    cloud = _parse("--cloud-alerts", "10000", "--history-days", "10")
    assert (cloud.cloud_alerts, cloud.history_days) == (10_000, 10)
    with pytest.raises(ValueError, match="history_days"):
        _parse("--history-days", "0")


def test_lr_files_are_repeatable_path_size_pairs() -> None:
    config = _parse("--lr-file", "C:\\Temp\\a.bin=65536", "--lr-file", "/tmp/b=1")
    assert config.lr_seed_files == {"C:\\Temp\\a.bin": 65536, "/tmp/b": 1}
    with pytest.raises(ValueError, match="PATH=BYTES"):
        _parse("--lr-file", "C:\\Temp\\a.bin")


def test_config_file_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "emu.json"
    path.write_text(json.dumps({"seed": 3, "devices": 7, "latency_ms": 10.0}))
    config = _parse("--config", str(path), "--devices", "11")
    assert (config.seed, config.devices, config.latency_ms) == (3, 11, 10.0)
    assert config.data_epoch == EmulatorConfig().data_epoch  # the file's (default) epoch


def test_invalid_values_are_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--fault-5xx", "1.5"], ["--processes", "-1"], ["--latency-ms", "fast"]):
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args(["emulator", *argv])
        assert exit_info.value.code == 2
    assert main(["emulator", "--config", "/no/such/file.json"]) == 2
    assert "cbasync emulator:" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "emulator" in capsys.readouterr().out


# --- serving: the startup line, the ready file, one-line errors ----------------------------------

ROOT = Path(__file__).resolve().parent.parent.parent


def _serve(cwd: Path, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "cbasync", "emulator", "--processes", "100", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return out, err


def test_the_startup_line_and_the_ready_file_give_absolute_paths(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--tls", "--ready-file", "state/ready.json", "--token", "tok-1")
    assert proc.stdout is not None
    line = proc.stdout.readline()  # printed once it accepts connections
    ready = json.loads((tmp_path / "state" / "ready.json").read_text())
    out, _ = _stop(proc)
    assert out == ""  # one line, nothing after it
    ca_file = str(tmp_path / "state" / "cbasync-emulator-ca.pem")
    assert ready["ca_file"] == ca_file
    assert Path(ready["ca_file"]).is_absolute()
    assert line == (
        f"cbasync emulator ready: {ready['url']} token tok-1 org_key {ready['org_key']} "
        f"ca_file {ca_file} (Ctrl+C stops it)\n"
    )
    assert ready["url"].startswith("https://localhost:")
    assert not (tmp_path / "state" / "ready.json").exists()  # removed on a clean stop


def test_a_port_in_use_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = _serve(tmp_path, "--port", str(port))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert out == ""
    assert err == f"cbasync emulator: cannot listen on 127.0.0.1:{port}: the port is in use\n"


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_one_line_and_exit_code_2(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", "--port", port]) == 2
    assert capsys.readouterr().err == (
        f"cbasync emulator: --port {port} is out of range (1-65535, or 0 for a free port)\n"
    )


def test_an_address_that_cannot_be_bound_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--host", "256.0.0.1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cbasync emulator: cannot listen on 256.0.0.1:0: ")
    assert err.count("\n") == 1
