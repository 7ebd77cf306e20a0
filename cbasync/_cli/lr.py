"""``cbasync lr``: one Live Response action on many devices, within the session slots.

::

    cbasync lr --profile prod --device 12 --device 14 --run "ipconfig /all"
    cbasync lr --profile prod --query "groupid:3" --get 'C:\\Windows\\win.ini' --dest ./evidence
    cbasync lr cloud --profile prod --all-online --run "whoami" --json

The devices are named by id (``--device``, repeated or comma-separated), by a search
(``--query``: EDR's sensor filters ``hostname:``, ``ip:``, ``groupid:``; the cloud's device
search) or ``--all-online`` (EDR: sensors whose status is Online; the cloud: registered devices
whose sensor does not report Live Response as not running). The action runs on each of them
through the client's Live Response pool (:meth:`cbasync.live_response.LiveResponse.run`): at
most ``--slots`` sessions at once (10, EDR's default server limit), every session closed when
the command ends, an offline device failing alone at ``--timeout``.

- ``--run CMD`` starts ``CMD`` and waits for its output (written to a temporary file on the
  device, fetched and deleted);
- ``--get PATH`` fetches a file into ``--dest`` (default ``./lr-files``), as
  ``DEST/<host>-<device id>/<file name>``: both parts come from the device, so they are reduced
  to letters, digits, ``.``, ``_`` and ``-`` and the result is checked to lie inside ``DEST``.

While it runs, a progress bar (on stderr, when it is a terminal); at the end a table of every
device (or, with ``--json``, one JSON object per device on stdout as each finishes).

Exit codes: 0 the action succeeded on every device; 3 it failed on some (or all) of them, each
row says why; 1 nothing could be run (the server refused the token, no device matched); 2 the
command line is wrong. The token is never printed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table

from cbasync import errors
from cbasync._cli import Exit, credential_files, fail, run, search_directories
from cbasync._version import __version__
from cbasync.cloud import CBCloudAPI
from cbasync.cloud import Device as CloudDevice
from cbasync.live_response import Job, JobResult, LiveResponse, LiveResponseSession, Progress
from cbasync.response import CbResponseAPI, Sensor

__all__ = ["Outcome", "command", "main", "safe_name"]

#: What ``--json`` prints before the output of a command is cut (per device).
OUTPUT_LIMIT = 64 * 1024
#: The longest name a collected file or its directory gets (most file systems allow 255).
NAME_LIMIT = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Outcome:
    """What the action did on one device."""

    hostname: str
    output: str | None = None
    return_code: int | None = None
    file: str | None = None
    size: int | None = None


def safe_name(raw: str, fallback: str) -> str:
    """``raw`` (a name a device chose) as one harmless path component: letters, digits, ``.``,
    ``_`` and ``-`` only, no leading dot (no ``..``, no hidden file), at most
    :data:`NAME_LIMIT` characters; ``fallback`` when nothing is left."""
    name = _UNSAFE.sub("_", raw).strip("._")[:NAME_LIMIT]
    return name or fallback


def remote_basename(path: str) -> str:
    """The last component of a device's path, Windows or POSIX."""
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1]


def destination(root: Path, hostname: str, device_id: int, remote_path: str) -> Path:
    """Where a file collected from a device is written: always inside ``root``."""
    folder = safe_name(f"{hostname}-{device_id}", f"device-{device_id}")
    target = (root / folder / safe_name(remote_basename(remote_path), "file")).resolve()
    if not target.is_relative_to(root.resolve()):  # cannot happen after safe_name; checked anyway
        raise errors.ClientStateError(f"refusing to write outside {root}: {target}")
    return target


# -- the jobs -----------------------------------------------------------------------------------


def _run_job(command_line: str, max_wait: float) -> Job[Outcome]:
    async def job(lr: LiveResponseSession) -> Outcome:
        done = await lr.create_process(command_line, max_wait=max_wait)
        text = (done.output or b"").decode("utf-8", errors="replace")
        return Outcome(_hostname(lr), output=text, return_code=done.return_code)

    return job


def _get_job(remote_path: str, root: Path, max_wait: float) -> Job[Outcome]:
    async def job(lr: LiveResponseSession) -> Outcome:
        data = await lr.get_file(remote_path, max_wait=max_wait)
        target = destination(root, _hostname(lr), lr.device_id, remote_path)
        await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
        await anyio.Path(target).write_bytes(data)
        return Outcome(_hostname(lr), file=str(target), size=len(data))

    return job


def _hostname(lr: LiveResponseSession) -> str:
    return lr.info.hostname or str(lr.device_id)


# -- the devices --------------------------------------------------------------------------------


async def _devices(api: Any, ids: list[int], query: str | None, all_online: bool) -> list[int]:
    if ids:
        return list(dict.fromkeys(ids))
    if isinstance(api, CbResponseAPI):
        sensors = api.select(Sensor)
        if query:
            sensors = sensors.where(query)
        return [s.id async for s in sensors if not all_online or s.is_online]
    devices = api.select(CloudDevice)
    if query:
        devices = devices.where(query)
    if all_online:
        devices = devices.set_status(["REGISTERED"])
    found: list[int] = []
    async for device in devices:
        states = set(device.sensor_states or ())
        if all_online and states & {"LIVE_RESPONSE_NOT_RUNNING", "LIVE_RESPONSE_DISABLED"}:
            continue
        if device.id is not None:
            found.append(device.id)
    return found


def _device_ids(values: tuple[str, ...]) -> list[int]:
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part.isdigit():
                raise click.BadParameter(f"{part!r} is not a device id", param_hint="--device")
            ids.append(int(part))
    return ids


# -- output ---------------------------------------------------------------------------------------


def _as_json(result: JobResult[Outcome]) -> str:
    row: dict[str, Any] = {"device_id": result.device_id, "ok": result.ok}
    if result.ok and result.value is not None:
        value = result.value
        row["hostname"] = value.hostname
        if value.file is not None:
            row.update(file=value.file, bytes=value.size)
        else:
            output = value.output or ""
            row.update(return_code=value.return_code, output=output[:OUTPUT_LIMIT])
            if len(output) > OUTPUT_LIMIT:
                row["output_truncated"] = True
    else:
        row["error"] = f"{type(result.error).__name__}: {result.error}"
    row["seconds"] = round(result.elapsed, 3)
    return json.dumps(row)


def _table(results: list[JobResult[Outcome]]) -> Table:
    table = Table(title="Live Response", title_justify="left")
    for column in ("device", "host", "result", "detail"):
        table.add_column(column)
    for result in sorted(results, key=lambda r: r.device_id):
        value = result.value
        if result.ok and value is not None:
            if value.file is not None:
                detail = f"{value.size} bytes -> {value.file}"
            else:
                lines = (value.output or "").strip().splitlines()
                detail = f"exit {value.return_code}: " + (lines[0] if lines else "(no output)")
            table.add_row(
                str(result.device_id), escape(value.hostname), "[green]ok", escape(detail)
            )
        else:
            error = f"{type(result.error).__name__}: {result.error}"
            table.add_row(str(result.device_id), "", "[red]failed", escape(error))
    return table


# -- the command ----------------------------------------------------------------------------------


@click.command(
    help="Run a command (--run) or collect a file (--get) on many devices with Live Response, "
    "within the server's session slots; PRODUCT is response/edr (default) or cloud/cbc."
)
@click.argument(
    "product",
    required=False,
    default="response",
    type=click.Choice(["response", "edr", "cloud", "cbc", "psc"], case_sensitive=False),
)
@click.option("--profile", default=None, help="profile name (default: [default])")
@click.option("--directory", default=None, help="read credential files from this directory only")
@click.option("--device", "devices", multiple=True, help="a device id (repeat, or 1,2,3)")
@click.option("--query", default=None, help="the devices a search finds (EDR: hostname:, ip:, ...)")
@click.option("--all-online", is_flag=True, help="every online device")
@click.option("--run", "command_line", default=None, help="a command line to run on each device")
@click.option("--get", "remote_path", default=None, help="a file to fetch from each device")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("lr-files"),
    show_default=True,
    help="where --get writes the files (one directory per device)",
)
@click.option(
    "--slots",
    type=click.IntRange(min=1, max=100),
    default=10,
    show_default=True,
    help="sessions open at once",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1, max=3600),
    default=300.0,
    show_default=True,
    help="seconds each device gets, its session's opening included (an offline one fails then)",
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per device on stdout")
@click.version_option(__version__, prog_name="cbasync lr", message="%(prog)s %(version)s")
def command(
    product: str,
    profile: str | None,
    directory: str | None,
    devices: tuple[str, ...],
    query: str | None,
    all_online: bool,
    command_line: str | None,
    remote_path: str | None,
    dest: Path,
    slots: int,
    timeout: float,
    as_json: bool,
) -> int:
    ids = _device_ids(devices)
    if sum((bool(ids), query is not None, all_online)) != 1:
        raise click.UsageError("name the devices with one of --device, --query or --all-online")
    if (command_line is None) == (remote_path is None):
        raise click.UsageError("give one action: --run CMD or --get PATH")
    cloud = product.lower() in ("cloud", "cbc", "psc")
    api_class: type[CbResponseAPI | CBCloudAPI] = CBCloudAPI if cloud else CbResponseAPI
    files = credential_files("cloud" if cloud else "response", search_directories(directory))
    try:
        api = api_class(profile, credential_file=files)
    except errors.CredentialError as exc:
        fail(str(exc), Exit.USAGE)
    if command_line is not None:
        job = _run_job(command_line, timeout)
    else:
        assert remote_path is not None
        job = _get_job(remote_path, dest, timeout)

    async def everything() -> list[JobResult[Outcome]]:
        async with api:
            try:
                chosen = await _devices(api, ids, query, all_online)
            except errors.ApiError as exc:
                fail(f"finding the devices failed: {exc}")
            if not chosen:
                fail("no device matched")
            live_response: LiveResponse = api.live_response
            if slots > live_response.max_sessions:
                live_response.max_sessions = slots
            return await _fan_out(live_response, job, chosen, slots, timeout, as_json)

    results = anyio.run(everything)
    if not as_json:
        Console(highlight=False).print(_table(results))
    failed = sum(1 for r in results if not r.ok)
    if failed:
        click.echo(f"cbasync lr: failed on {failed} of {len(results)} devices", err=True)
        return int(Exit.SOME_FAILED)
    return int(Exit.OK)


async def _fan_out(
    live_response: LiveResponse,
    job: Job[Outcome],
    devices: list[int],
    slots: int,
    job_timeout: float,
    as_json: bool,
) -> list[JobResult[Outcome]]:
    results: list[JobResult[Outcome]] = []
    bar = Bar(
        TextColumn("live response"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not sys.stderr.isatty(),
    )
    task = bar.add_task("lr", total=len(devices), failed=0)

    def progress(step: Progress[Outcome]) -> None:
        bar.update(task, completed=step.done, failed=step.failed)

    with bar:
        async with live_response.run(
            job, devices, slots=slots, job_timeout=job_timeout, on_progress=progress
        ) as running:
            async for result in running:
                results.append(result)
                if as_json:
                    click.echo(_as_json(result))
    return results


def main(argv: Sequence[str]) -> int:
    return run(command, argv)
