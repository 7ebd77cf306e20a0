"""How fast the generated models parse a page of search results (one core, no I/O).

    python benchmarks/bench_parse.py [--seconds 2] [--repeat 5]

A paginated search validates each page straight from the response bytes with a cached
``TypeAdapter(PageModel).validate_json(body)``. This measures that step, in documents per
second, for a 100-row EDR process search page (``edr.ProcessSearchResponse``) and a 500-row
Auth Events search-job page (``cloud.AuthEventSearchJobResults``), next to ``json.loads`` of
the same bytes and to the two-step ``json.loads`` + ``validate_python`` for comparison. The
goal: parsing is not the bottleneck of a search - at least 50,000 process documents/s.

The documents have the fields and value shapes of the seed examples (EDR reference and
Auth Events reference), varied per row so that no caching can help.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from cbasync.models import cloud, edr


def process_page(rows: int) -> bytes:
    """A process search page shaped like seed 003's example, with ``rows`` distinct rows."""
    results = []
    for n in range(rows):
        guid = f"00000001-0000-{n:04x}-01d2-c24179cca1b8"
        segment = 1493619174376 + n
        results.append(
            {
                "process_md5": f"{n:032x}",
                "sensor_id": 1 + n % 7,
                "filtering_known_dlls": False,
                "modload_count": n % 40,
                "parent_unique_id": f"00000001-0000-0ee8-01d2-7292dd56b66f-{n:012x}",
                "cmdline": f'"C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe" --type=utility --lang=en-US --no-sandbox --service-request-channel-token={n:032X} /prefetch:8',
                "last_update": f"2017-05-01T06:{n % 60:02d}:22.081Z",
                "id": guid,
                "parent_name": "chrome.exe",
                "parent_md5": "000000000000000000000000000000",
                "group": "default group",
                "parent_id": "00000001-0000-0ee8-01d2-7292dd56b66f",
                "hostname": f"win-ia9nq1gn8o{n % 10}",
                "filemod_count": n % 13,
                "start": f"2017-05-01T06:{n % 60:02d}:21.928Z",
                "comms_ip": -1407842931 + n,
                "regmod_count": n % 5,
                "interface_ip": -1407842931 - n,
                "process_pid": 4000 + n,
                "username": "WIN-IA9NQ1GN8OI\\bit9rad",
                "terminated": n % 2 == 0,
                "emet_config": "",
                "process_name": "chrome.exe",
                "emet_count": 0,
                "last_server_update": f"2017-05-01T06:{n % 60:02d}:54.386Z",
                "path": "c:\\program files (x86)\\google\\chrome\\application\\chrome.exe",
                "netconn_count": n % 3,
                "parent_pid": 3816,
                "crossproc_count": 0,
                "segment_id": segment,
                "host_type": "workstation",
                "processblock_count": 0,
                "os_type": "windows",
                "childproc_count": n % 4,
                "unique_id": f"{guid}-{segment:012x}",
            }
        )
    page = {
        "all_segments": True,
        "terms": ["chrome.exe"],
        "total_results": 23100,
        "highlights": [],
        "facets": {},
        "results": results,
        "tagged_pids": {},
        "elapsed": 0.043354034423828125,
        "start": 0,
        "comprehensive_search": True,
        "incomplete_results": False,
        "filtered": {},
    }
    return json.dumps(page).encode()


def auth_events_page(rows: int) -> bytes:
    """An Auth Events search-job results page shaped like seed 004's example."""
    results = []
    for n in range(rows):
        results.append(
            {
                "auth_domain_name": "NT AUTHORITY",
                "auth_event_action": ("LOGON_SUCCESS", "LOGOFF_SUCCESS", "PRIVILEGES_GRANTED")[
                    n % 3
                ],
                "auth_remote_device": "-",
                "auth_remote_port": n % 2,
                "auth_username": "SYSTEM",
                "backend_timestamp": f"2023-01-13T17:{n % 60:02d}:01.013Z",
                "childproc_count": 0,
                "crossproc_count": 48 + n,
                "device_group_id": 0,
                "device_id": 17686136 + n % 50,
                "device_name": f"w10cbws2thtplt{n % 50}",
                "device_policy_id": 20622246,
                "device_timestamp": f"2023-01-13T17:{n % 60:02d}:45.322Z",
                "event_id": f"DA9E269E-421D-469D-A212-{n:012X}",
                "filemod_count": 3,
                "ingress_time": 1673630293265 + n,
                "modload_count": 1,
                "netconn_count": 35,
                "org_id": "ABCD1234",
                "parent_guid": f"ABCD1234-010dde78-00000260-00000000-{n:015x}",
                "parent_pid": 608,
                "process_guid": f"ABCD1234-010dde78-00000308-00000000-{n:015x}",
                "process_hash": [
                    "15a556def233f112d127025ab51ac2d3",
                    "362ab9743ff5d0f95831306a780fc3e418990f535013c80212dd85cb88ef7427",
                ],
                "process_name": "c:\\windows\\system32\\lsass.exe",
                "process_pid": [776 + n % 3],
                "process_username": ["NT AUTHORITY\\SYSTEM"],
                "regmod_count": 11,
                "scriptload_count": 0,
                "windows_event_id": (4624, 4634, 4672)[n % 3],
            }
        )
    page = {
        "results": results,
        "num_found": 5000,
        "num_available": 5000,
        "approximate_unaggregated": 5000,
        "num_aggregated": 5000,
        "contacted": 12,
        "completed": 12,
    }
    return json.dumps(page).encode()


def rate(step: Callable[[], Any], documents: int, seconds: float, repeat: int) -> list[float]:
    """Documents per CPU second of ``step`` over ``repeat`` runs of about ``seconds`` each.

    CPU time of this process (not wall time): the figure is what one core does, unaffected by
    other processes competing for the machine.
    """
    step()  # warm up (the validator is built once, as a cached adapter would be)
    rates = []
    for _ in range(repeat):
        gc.collect()
        calls = 0
        started = time.process_time()
        deadline = time.perf_counter() + seconds
        while True:
            step()
            calls += 1
            if time.perf_counter() >= deadline:
                break
        rates.append(calls * documents / (time.process_time() - started))
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one timed run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    args = parser.parse_args()

    cases: list[tuple[str, int, bytes, TypeAdapter[Any]]] = [
        (
            "EDR process search page (edr.ProcessSearchResponse)",
            100,
            process_page(100),
            TypeAdapter(edr.ProcessSearchResponse),
        ),
        (
            "Auth Events search-job page (cloud.AuthEventSearchJobResults)",
            500,
            auth_events_page(500),
            TypeAdapter(cloud.AuthEventSearchJobResults),
        ),
    ]
    print(f"{args.repeat} runs of {args.seconds:g} s each; documents per CPU second, median (best)")
    for title, rows, body, adapter in cases:
        # The page must really validate into the models (and not, say, into extras).
        page = adapter.validate_json(body)
        assert len(page.results) == rows
        assert not page.results[0].model_extra
        print(f"\n{title}: {rows} rows, {len(body) / 1024:.0f} KiB")
        for label, step in (
            ("validate_json(bytes)", lambda b=body, a=adapter: a.validate_json(b)),
            (
                "json.loads + validate_python",
                lambda b=body, a=adapter: a.validate_python(json.loads(b)),
            ),
            ("json.loads only (no models)", lambda b=body: json.loads(b)),
        ):
            rates = rate(step, rows, args.seconds, args.repeat)
            print(f"  {label:32} {statistics.median(rates):>10,.0f}  ({max(rates):,.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
