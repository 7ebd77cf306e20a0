"""cbapi 2.0.0, unmodified, runs EDR Live Response against ``cbasync emulator --tls``.

Usage: ``python compat/cbapi_lr.py READY_FILE``. Exercises what the issue names for cbapi Live
Response — ``get_file``, ``list_processes``, ``put_file`` — plus the rest of a session's life
(directory listing, process output, registry, close), printing one ``PASS``/``FAIL`` line per
check; exits non-zero if any failed. Run by ``nox -s compat``.
"""

from __future__ import annotations

import io
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from cbapi.response import CbEnterpriseResponseAPI, Sensor

CHECKS: list[tuple[str, Callable[[], Any]]] = []
STATE: dict[str, Any] = {}


def check(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        CHECKS.append((name, fn))
        return fn

    return register


def windows_sensor() -> Any:
    cb = STATE["api"]
    for sensor in cb.select(Sensor):
        if sensor.os_type == 1 and sensor.status == "Online":
            return sensor
    raise AssertionError("no online Windows sensor")


@check("lr_session() opens an active session on an online sensor")
def _session() -> None:
    sensor = windows_sensor()
    STATE["sensor"] = sensor
    STATE["session"] = sensor.lr_session()
    assert STATE["session"].session_id


@check("list_processes()")
def _processes() -> None:
    processes = STATE["session"].list_processes()
    assert any(p["pid"] == 4 and p["username"] == "NT AUTHORITY\\SYSTEM" for p in processes)
    assert all({"pid", "parent", "path", "command_line", "proc_guid"} <= set(p) for p in processes)


@check("get_file()")
def _get_file() -> None:
    data = STATE["session"].get_file("C:\\Windows\\System32\\drivers\\etc\\hosts")
    assert data.startswith(b"# Copyright (c) 1993-2009 Microsoft Corp."), data[:40]


@check("put_file() then get_file() round trip")
def _put_file() -> None:
    session = STATE["session"]
    payload = b"cbapi put_file through the emulator\r\n" * 100
    session.put_file(io.BytesIO(payload), "C:\\Windows\\Temp\\cbapi-compat.txt")
    assert session.get_file("C:\\Windows\\Temp\\cbapi-compat.txt") == payload


@check("list_directory() and walk()")
def _directory() -> None:
    session = STATE["session"]
    listing = session.list_directory("C:\\Windows\\Temp\\")
    names = {e["filename"] for e in listing}
    assert {".", "..", "cbapi-compat.txt"} <= names, names
    assert list(session.walk("C:\\Users\\"))


@check("create_process() with output, registry read/write, delete_file()")
def _process_and_registry() -> None:
    session = STATE["session"]
    output = session.create_process("cmd.exe /c whoami")
    assert output.strip() == b"nt authority\\system", output
    session.create_registry_key("HKLM\\SOFTWARE\\CbapiCompat")
    session.set_registry_value("HKLM\\SOFTWARE\\CbapiCompat\\Mode", "audit")
    assert session.get_registry_value("HKLM\\SOFTWARE\\CbapiCompat\\Mode")["value_data"] == "audit"
    session.delete_file("C:\\Windows\\Temp\\cbapi-compat.txt")


@check("close() frees the session")
def _close() -> None:
    session = STATE["session"]
    session_id = session.session_id
    session.close()
    cb = STATE["api"]
    active = cb.get_object("/api/v1/cblr/session?active_only=true")
    assert session_id not in [s["id"] for s in active], active


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        ready = json.load(f)
    STATE["api"] = CbEnterpriseResponseAPI(
        url=ready["url"], token=ready["token"], ssl_verify=True, ssl_cert_file=ready.get("ca_file")
    )
    failed = 0
    for name, fn in CHECKS:
        started = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # a failing check must not stop the others
            failed += 1
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            print(f"FAIL  {name}  ({time.perf_counter() - started:.2f}s)\n      {detail}")
            if "-v" in sys.argv:
                traceback.print_exc()
        else:
            print(f"PASS  {name}  ({time.perf_counter() - started:.2f}s)")
    print(f"\ncbapi Live Response: {len(CHECKS) - failed}/{len(CHECKS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv if a != "-v"]))
