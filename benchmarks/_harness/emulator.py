"""The emulator as a separate process: ``cbasync emulator --tls --port 0 --ready-file F [flags]``.

Started the way a user starts it (the console script of the environment the harness runs in),
waited for through its ready file (bounded), asked for its counters over HTTPS
(``/__emulator__/counters``, the contract for out-of-process use), measured through
``/proc/<pid>/stat`` (its CPU time is the server time of a run: one event loop, so it cannot
answer faster than that), and stopped with SIGTERM (SIGKILL only if it does not exit in time).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shlex
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from benchmarks._harness import sysstat

__all__ = ["EmulatorError", "EmulatorProcess", "emulator_command"]

READY_TIMEOUT = 30.0  # the emulator's own target is 3 s; a big dataset or a busy machine may lag
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0


class EmulatorError(RuntimeError):
    """The emulator did not start, answered badly, or did not stop."""


def emulator_command(override: str | None = None) -> list[str]:
    """The ``cbasync`` console script of the running interpreter's environment (or ``override``,
    a shell-quoted command line that ends where ``emulator --tls ...`` is appended)."""
    if override:
        return shlex.split(override)
    candidate = Path(sys.executable).with_name("cbasync")
    if candidate.exists():
        return [str(candidate)]
    found = shutil.which("cbasync")
    if found is None:
        raise EmulatorError(
            "the `cbasync` command is not installed here: pip install '.[emulator]' (nox -s bench does)"
        )
    return [found]


class EmulatorProcess:
    """One running emulator; use as a context manager."""

    def __init__(
        self,
        flags: Sequence[str],
        workdir: Path,
        *,
        ready_timeout: float = READY_TIMEOUT,
        command: str | None = None,
    ):
        self.flags = list(flags)
        self.workdir = workdir
        self.ready_timeout = ready_timeout
        self.ready_file = workdir / "ready.json"
        self.log_file = workdir / "emulator.log"
        self.command = [
            *emulator_command(command),
            "emulator",
            "--tls",
            "--port",
            "0",
            "--ready-file",
            str(self.ready_file),
            *self.flags,
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.ready_after_s = 0.0
        self.exit_status: int | None = None
        #: True once we sent SIGTERM to a running emulator (its exit status then says whether
        #: it stopped cleanly).
        self.signalled = False
        self._ssl: ssl.SSLContext | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.ready_file.unlink()
        log = self.log_file.open("wb")
        started = time.monotonic()
        try:
            # A session of its own: a Ctrl-C at the terminal reaches the harness, which stops
            # the emulator itself (SIGTERM) after the run it interrupted.
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()
        deadline = started + self.ready_timeout
        while True:
            if self.ready_file.exists():
                try:
                    self.info = json.loads(self.ready_file.read_text(encoding="utf-8"))
                    break
                except (ValueError, OSError):
                    pass  # written atomically, but be lenient
            if self.process.poll() is not None:
                raise EmulatorError(
                    f"the emulator exited with status {self.process.returncode} before it was "
                    f"ready:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise EmulatorError(
                    f"the emulator was not ready after {self.ready_timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.02)
        self.ready_after_s = time.monotonic() - started
        for key in ("url", "token", "ca_file"):
            if not self.info.get(key):
                raise EmulatorError(f"the ready file has no {key!r}: {self.info}")
        self._ssl = ssl.create_default_context(cafile=self.info["ca_file"])

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            if process is not None:
                self.exit_status = process.returncode
            return
        process.send_signal(signal.SIGTERM)
        self.signalled = True
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
        self.exit_status = process.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- what clients need ---------------------------------------------------------------------

    @property
    def pid(self) -> int:
        assert self.process is not None
        return int(self.info.get("pid") or self.process.pid)

    @property
    def server(self) -> dict[str, Any]:
        """What a side's context gets: ``url``, ``token``, ``ca_file``, ``org_key``."""
        return {k: self.info.get(k) for k in ("url", "token", "ca_file", "org_key")}

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process has used so far."""
        return sysstat.process_cpu_seconds(self.pid)

    def rss_kb(self) -> int:
        return sysstat.process_rss_kb(self.pid)

    # -- HTTP ---------------------------------------------------------------------------------

    def request_json(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        url = self.info["url"] + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        request = urllib.request.Request(
            url, method=method, headers={"X-Auth-Token": self.info["token"]}
        )
        try:
            with urllib.request.urlopen(
                request, context=self._ssl, timeout=REQUEST_TIMEOUT
            ) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            body = exc.read()[:500].decode(errors="replace")
            raise EmulatorError(f"{method} {path} answered {exc.code}: {body}") from None

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request_json("GET", path, params)

    def round_trip_s(self, requests: int = 20) -> float:
        """Median time of a latency-exempt request (``/__emulator__/config``) on one kept-alive
        connection: what the loopback and the server's HTTP stack cost per request before any
        route does work. A few milliseconds is healthy; ~40 ms means a response waits for a
        delayed ACK (Nagle's algorithm on an accepted socket without TCP_NODELAY)."""
        parts = urllib.parse.urlsplit(self.info["url"])
        connection = http.client.HTTPSConnection(
            parts.hostname or "localhost", parts.port, context=self._ssl, timeout=REQUEST_TIMEOUT
        )
        times = []
        try:
            for _ in range(requests + 1):
                started = time.perf_counter()
                connection.request("GET", "/__emulator__/config")
                connection.getresponse().read()
                times.append(time.perf_counter() - started)
        finally:
            connection.close()
        return statistics.median(times[1:])  # the first one pays the TLS handshake

    def reset_counters(self) -> None:
        self.request_json("DELETE", "/__emulator__/counters")

    def counters(self) -> dict[str, Any]:
        data = self.request_json("GET", "/__emulator__/counters")
        assert isinstance(data, dict)
        return data


def requests_by_route(counters: Mapping[str, Any]) -> dict[str, int]:
    """``{"GET /api/v1/process": 201, ...}`` from a counters snapshot (all statuses)."""
    by_route = counters.get("requests", {}).get("by_route", {})
    return {route: sum(statuses.values()) for route, statuses in by_route.items()}


def error_responses(counters: Mapping[str, Any]) -> dict[str, int]:
    """Responses with status >= 400 (or 0: dropped), by ``"route status"``."""
    out: dict[str, int] = {}
    for route, statuses in counters.get("requests", {}).get("by_route", {}).items():
        for status, n in statuses.items():
            if int(status) >= 400 or int(status) == 0:
                out[f"{route} {status}"] = n
    return out


def live_response_metrics(counters: Mapping[str, Any]) -> dict[str, int]:
    """What a run did to the emulator's Live Response servers, all servers together (only when
    it opened sessions): ``lr_sessions`` created, ``lr_max_open`` (the most open at once),
    ``lr_open_after`` (still open when the run ended: leaked), ``lr_slot_violations`` (session
    requests refused for want of a slot) and ``lr_commands``."""
    servers = counters.get("live_response", {}).values()
    created = sum(int(c.get("created", 0)) for c in servers)
    if not created:
        return {}
    return {
        "lr_sessions": created,
        "lr_max_open": max(int(c.get("max_concurrent", 0)) for c in servers),
        "lr_open_after": sum(int(c.get("open", 0)) for c in servers),
        "lr_slot_violations": sum(int(c.get("slot_limit_violations", 0)) for c in servers),
        "lr_commands": sum(int(c.get("commands", 0)) for c in servers),
    }
