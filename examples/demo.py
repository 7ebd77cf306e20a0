"""A triage with cbasync, from the first query to a short report — no Carbon Black server needed.

    python3 -m nox -s demo                  # the README's first line: the embedded emulator
    cbasync demo                            # the same, from an installed cbasync[cli]
    cbasync demo --profile production       # read-only, against your own servers

Without ``--profile`` it starts the emulator that ships with cbasync on loopback over TLS and pins
its CA, as you would pin a server's self-signed certificate. Then it works through an incident
the way a concurrent triage tool does, through the public API only:

1. **hunt** — ``net.exe`` mounting an internal share (the cbapi manual's behavioural IOC): count,
   facet by host and user, pages fetched concurrently;
2. **investigate** — every hit at once, within a bound: its parent chain, its sensor and sensor
   group, its binary and signature (joins are explicit awaitables, cached per client);
3. **App Control** — what App Control knows of the binary and of the hosts (same hashes, same
   host names): file state and prevalence, each host's policy;
4. **contain** — isolate the most affected host and wait (bounded) until its sensor confirms,
   then lift it (only on the emulator: against a real server the demo changes nothing);
5. **collect** — a Live Response collection (running processes, the hosts file) fanned out to
   50 endpoints within 10 session slots, with a live progress bar (rich on a terminal, a line
   per milestone otherwise); an offline endpoint fails alone at its deadline;
6. **cloud sign-ins** — a Carbon Black Cloud Auth Events hunt (failed logons): count, facets by
   user and device, every field of one event (a detail job);
7. **LiveQuery** — one SQL question to the cloud devices seen last, waited for (bounded), its
   answers read;
8. **sweep** — a dozen hunts at once in one connection pool;
9. **errors** — what a malformed query and a missing object raise;

and ends with a short report. ``main()`` is what ``cbasync demo`` runs.

Against your own servers (``--profile NAME``) it reads the ``[NAME]`` section of
``credentials.response`` (required), of ``credentials.protection`` (App Control, skipped when
absent) and of ``credentials.cbc`` / ``credentials.psc`` (the cloud stages, skipped when absent;
the section needs ``org_key``). It changes nothing there: no isolation, and the Live Response
collection only with ``--lr-devices N`` (N online sensors; it opens sessions and reads files).

On the emulator the server's clock runs 50 times faster than real time (:data:`CLOCK_SPEED`): a
session's activation (2 s), a command (0.5 s) and a search job (3 s) take tens of milliseconds,
and EDR's 300 s Live Response idle timeout still takes 6 real seconds of silence, far longer
than any gap between the demo's commands on one session.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
import anyio.abc

from cbasync import (
    CBCloudAPI,
    CbProtectionAPI,
    CbResponseAPI,
    CredentialError,
    ObjectNotFoundError,
    QuerySyntaxError,
    TimeoutError,
)
from cbasync.cloud import AuthEvent, Device, Run
from cbasync.live_response import JobResult, LiveResponseSession, Progress
from cbasync.protection import Computer, EnforcementLevel, FileCatalog
from cbasync.response import Process, Sensor

if TYPE_CHECKING:
    from cbasync.testing import EmulatorConfig

T = TypeVar("T")
A = TypeVar("A", CbProtectionAPI, CBCloudAPI)

#: The cbapi manual's IOC: the built-in net.exe mounting an internal network share.
HUNT = ("process_name:net.exe", r"cmdline:\\test\blah")
#: How many hits are investigated, and how many of them at once.
INVESTIGATE = 20
AT_ONCE = 8
#: The Live Response collection: this many endpoints, this many sessions at once (EDR's default
#: server limit), each endpoint's job within this many seconds (an offline one fails then).
LR_DEVICES = 50
LR_SLOTS = 10
LR_JOB_TIMEOUT = 20.0
#: The cloud stages: failed sign-ins over the last two weeks, and a LiveQuery question to the
#: devices seen last, waited for this long.
AUTH_HUNT = "auth_event_action:LOGON_FAILED"
LIVEQUERY_SQL = "SELECT name, version FROM os_version"
LIVEQUERY_DEVICES = 10
LIVEQUERY_WAIT = 30.0
#: Emulated seconds per real second on the demo's emulator (the pytest plugin's speed).
CLOCK_SPEED = 50.0
SWEEP = [
    "process_name:powershell.exe",
    "process_name:cmd.exe",
    "process_name:rundll32.exe",
    "process_name:svchost.exe",
    "process_name:explorer.exe",
    "process_name:chrome.exe",
    "process_name:winword.exe",
    "process_name:conhost.exe",
    "process_name:whoami.exe",
    "process_name:net.exe",
    "process_name:ipconfig.exe",
    "process_name:schtasks.exe",
]


@dataclass
class Finding:
    """One hit, investigated."""

    process: Process
    parents: list[str]
    sensor: Sensor
    group: str
    signed_by: str | None


@dataclass
class Collected:
    """What the Live Response job brought back from one endpoint."""

    hostname: str
    processes: int
    hosts_file: bytes


@dataclass
class Collection:
    """The Live Response stage: every endpoint's result, and the slots it used."""

    results: list[JobResult[Collected]] = field(default_factory=list)
    slots: int = 0
    most_open: int = 0
    seconds: float = 0.0
    skipped: str = ""

    @property
    def collected(self) -> list[Collected]:
        return [r.value for r in self.results if r.ok and r.value is not None]

    @property
    def failed(self) -> list[JobResult[Collected]]:
        return [r for r in self.results if not r.ok]


@dataclass
class CloudFindings:
    """The cloud stages: the Auth Events hunt and the LiveQuery run."""

    skipped: str = ""
    failed_logons: int = 0
    users: Counter[str] = field(default_factory=Counter)
    devices: Counter[str] = field(default_factory=Counter)
    detail: str = ""
    run_status: str = ""
    run_devices: int = 0
    answers: Counter[str] = field(default_factory=Counter)


@dataclass
class Report:
    """What the triage found; printed at the end."""

    server: str = ""
    hits: int = 0
    hosts: Counter[str] = field(default_factory=Counter)
    users: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    app_control: list[str] = field(default_factory=list)
    contained: str = ""
    collection: Collection = field(default_factory=Collection)
    cloud: CloudFindings = field(default_factory=CloudFindings)
    sweep: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


def heading(text: str) -> None:
    print(f"\n== {text}")


async def hunt(edr: CbResponseAPI, report: Report) -> list[Process]:
    heading("1. hunt: net.exe mounting \\\\test\\blah")
    query = edr.select(Process).where(HUNT[0]).and_(HUNT[1]).group_by("id")
    report.hits = await query.count()
    facets = await query.facets("hostname", "username")
    report.hosts.update({f.name: f.value for f in facets["hostname"] if f.name})
    report.users.update({f.name: f.value for f in facets["username"] if f.name})
    print(f"{report.hits} processes on {len(report.hosts)} hosts, by {len(report.users)} users")
    for value in facets["hostname"][:3]:
        print(f"  {value.name:<24} {value.value:>4} ({value.ratio}%)")
    return await query.sort("start desc")[:INVESTIGATE].all()


async def investigate(edr: CbResponseAPI, hits: list[Process], report: Report) -> None:
    heading(f"2. investigate {len(hits)} hits, {AT_ONCE} at a time")
    limiter = anyio.CapacityLimiter(AT_ONCE)

    async def one(proc: Process) -> None:
        async with limiter:
            parents = [parent.process_name or "?" async for parent in proc.walk_parents()]
            sensor = await proc.sensor()  # cached per client: hits on one host share it
            group = await sensor.group()
            binary = await proc.binary()
        signer = binary.signing_data.publisher if binary.is_signed else None
        report.findings.append(Finding(proc, parents, sensor, group.name or "?", signer))

    async with anyio.create_task_group() as tg:
        for proc in hits:
            tg.start_soon(one, proc)
    report.findings.sort(key=lambda f: f.process.start or 0, reverse=True)
    for finding in report.findings[:5]:
        proc = finding.process
        chain = " <- ".join(finding.parents[:4]) or "(no parent)"
        print(f"{proc.start}  {proc.hostname}  {proc.username}: {proc.cmdline}")
        print(f"    parents: {chain}")
        print(
            f"    sensor {finding.sensor.id} in {finding.group!r}, "
            f"{'online' if finding.sensor.is_online else 'offline'}; "
            f"binary {'signed by ' + finding.signed_by if finding.signed_by else 'UNSIGNED'}"
        )


async def app_control(protection: CbProtectionAPI | None, report: Report) -> None:
    heading("3. App Control's view")
    if protection is None:
        print("no App Control profile: skipped")
        report.app_control.append("App Control: not configured")
        return
    md5s = {f.process.process_md5 for f in report.findings if f.process.process_md5}
    for md5 in sorted(md5s)[:3]:
        entry = await protection.select(FileCatalog).where(f"md5:{md5}").first()
        if entry is None:
            line = f"{md5}: never seen by App Control"
        else:
            line = (
                f"{entry.fileName} ({md5[:12]}...): {entry.effectiveState}, on "
                f"{entry.prevalence} computers, publisher {entry.publisherName}"
            )
        print(line)
        report.app_control.append(line)
    for host, _ in report.hosts.most_common(3):
        computer = await protection.select(Computer).where(f"name:*{host}").first()
        if computer is not None:
            line = (
                f"{computer.name}: policy {computer.policyName!r}, "
                f"{enforcement(computer.enforcementLevel)} enforcement"
            )
            print(line)
            report.app_control.append(line)


def enforcement(level: int | None) -> str:
    if level is None:
        return "unknown"
    try:
        return EnforcementLevel(level).name.lower()
    except ValueError:
        return f"level {level}"


async def contain(edr: CbResponseAPI, report: Report, *, allowed: bool) -> None:
    heading("4. contain the most affected host")
    if not report.hosts:
        report.contained = "nothing to contain"
        return
    host = report.hosts.most_common(1)[0][0]
    sensor = await edr.select(Sensor).where(f"hostname:{host}").first()
    if sensor is None:
        report.contained = f"{host}: no sensor found"
    elif not allowed:
        report.contained = f"{host}: not isolated (the demo changes nothing on a real server)"
    elif not sensor.is_online:
        report.contained = f"{host}: sensor offline, isolation would wait for its next check-in"
    else:
        started = time.perf_counter()
        await sensor.isolate(max_wait=30, poll_interval=0.25)
        took = time.perf_counter() - started
        await sensor.unisolate(max_wait=30, poll_interval=0.25)
        report.contained = (
            f"{host}: isolated, confirmed by sensor {sensor.id} in {took:.1f}s, then lifted"
        )
    print(report.contained)


async def collect(lr: LiveResponseSession) -> Collected:
    """The job run once per endpoint: its running processes and its hosts file, asked together
    (the sensor runs a session's commands one after another, so they come back to back)."""
    hosts = "C:\\Windows\\System32\\drivers\\etc\\hosts" if lr.os_windows else "/etc/hosts"
    async with anyio.create_task_group() as tg:
        listing = _Later(tg, lr.list_processes())
        hosts_file = _Later(tg, lr.get_file(hosts))
    return Collected(lr.info.hostname or str(lr.device_id), len(listing.value), hosts_file.value)


class _Later(Generic[T]):
    """An awaitable started in a task group; its value once the group has ended."""

    def __init__(self, tg: anyio.abc.TaskGroup, awaitable: Awaitable[T]) -> None:
        self._value: list[T] = []
        tg.start_soon(self._run, awaitable)

    async def _run(self, awaitable: Awaitable[T]) -> None:
        self._value.append(await awaitable)

    @property
    def value(self) -> T:
        return self._value[0]


class ProgressLine:
    """The collection's progress: a live rich bar on a terminal, else a line per milestone
    (every tenth of the endpoints, and the last one) that reads well in a log or a test."""

    def __init__(self, total: int, slots: int, *, live: bool) -> None:
        self.total = total
        self.slots = slots
        self._bar: Any = None
        self._task: Any = None
        self._next = self._step = max(1, total // 10)
        if live:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("  collecting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[state]}"),
                TimeElapsedColumn(),
                transient=False,
            )
            self._task = self._bar.add_task("collect", total=total, state="")

    def __enter__(self) -> ProgressLine:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, step: Progress[Collected], in_use: int) -> None:
        state = f"{step.failed} failed, {in_use}/{self.slots} sessions open"
        if self._bar is not None:
            self._bar.update(self._task, completed=step.done, state=state)
        elif step.done >= self._next or step.done == self.total:
            self._next = step.done + self._step
            print(f"  {step.done:>3}/{self.total} endpoints done, {state}")


def live_progress() -> bool:
    """A live bar only for a person watching a terminal, and only when rich is installed
    (it comes with ``cbasync[cli]``)."""
    if not sys.stdout.isatty():
        return False
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


async def live_response(edr: CbResponseAPI, report: Report, *, devices: int | None) -> None:
    heading(f"5. collect: Live Response on {devices or 0} endpoints, {LR_SLOTS} at a time")
    stage = report.collection
    if not devices:
        stage.skipped = "not run (pass --lr-devices N to collect from N online sensors)"
        print(stage.skipped)
        return
    # Online sensors first: an offline one can only fail at its deadline.
    sensors = await edr.select(Sensor).all()
    chosen = sorted(sensors, key=lambda s: not s.is_online)[:devices]
    offline = sum(1 for s in chosen if not s.is_online)
    print(f"{len(chosen)} sensors ({offline} offline, they fail at {LR_JOB_TIMEOUT:g}s)")
    stage.slots = min(LR_SLOTS, edr.live_response.max_sessions)
    started = time.perf_counter()
    with ProgressLine(len(chosen), stage.slots, live=live_progress()) as progress:
        async with edr.live_response.run(
            collect,
            chosen,
            slots=stage.slots,
            job_timeout=LR_JOB_TIMEOUT,
            on_progress=lambda step: progress(step, edr.live_response.slots.in_use),
        ) as results:
            async for result in results:
                stage.results.append(result)
    stage.seconds = time.perf_counter() - started
    stage.most_open = edr.live_response.most_sessions_open
    sizes = Counter(len(c.hosts_file) for c in stage.collected)
    print(
        f"{len(stage.collected)} collected, {len(stage.failed)} failed in {stage.seconds:.1f}s;"
        f" at most {stage.most_open} sessions open; hosts files of {len(sizes)} distinct sizes"
    )
    for result in stage.failed[:3]:
        print(f"  sensor {result.device_id}: {type(result.error).__name__}: {result.error}")


async def auth_events(cloud: CBCloudAPI | None, report: Report) -> None:
    heading("6. cloud sign-ins: failed logons (Auth Events)")
    findings = report.cloud
    if cloud is None:
        findings.skipped = "no Carbon Black Cloud profile: skipped"
        print(findings.skipped)
        return
    query = cloud.select(AuthEvent).where(AUTH_HUNT).time_range(window="-2w")
    findings.failed_logons = await query.count()
    facets = await query.facets("auth_username", "device_name", rows=5)
    findings.users.update({v.name: v.total or 0 for v in facets.values("auth_username") if v.name})
    findings.devices.update({v.name: v.total or 0 for v in facets.values("device_name") if v.name})
    print(f"{findings.failed_logons} failed logons in the last two weeks")
    for name, total in findings.users.most_common(3):
        print(f"  {name:<24} {total:>4}")
    newest = await query.sort_by("device_timestamp", "DESC").first()
    if newest is not None:
        detail = await newest.details()  # a detail job: every field of the event
        findings.detail = (
            f"{detail.auth_username} on {detail.device_name} from"
            f" {detail.auth_remote_ipv4 or detail.auth_remote_device or '?'}"
            f" (logon type {detail.auth_logon_type}, by {detail.process_name})"
        )
        print(f"newest: {findings.detail}")


async def livequery(cloud: CBCloudAPI | None, report: Report) -> None:
    heading("7. LiveQuery: which OS versions answer?")
    findings = report.cloud
    if cloud is None:
        print("no Carbon Black Cloud profile: skipped")
        return
    # The devices seen last: the likeliest to be online and answer within the wait.
    recent = cloud.select(Device).set_status(["REGISTERED"]).sort_by("last_contact_time", "DESC")
    device_ids = [d.id async for d in recent[:LIVEQUERY_DEVICES] if d.id is not None]
    if not device_ids:
        findings.run_status = "no registered device"
        print(findings.run_status)
        return
    run = await Run.submit(cloud, LIVEQUERY_SQL, device_ids=device_ids, name="cbasync demo")
    try:
        await run.wait(max_wait=LIVEQUERY_WAIT)  # gives up (and stops the run) at the limit
    except TimeoutError:
        await run.refresh()
    findings.run_status = run.status or "?"
    async for result in run.results():
        findings.run_devices += 1
        findings.answers[str((result.fields or {}).get("name", "?"))] += 1
    print(
        f"run {run.id}: {findings.run_status}, {findings.run_devices} of {len(device_ids)} answered"
    )
    for name, n in findings.answers.most_common(4):
        print(f"  {n:>3}  {name}")


async def sweep(edr: CbResponseAPI, report: Report) -> None:
    heading(f"8. sweep: {len(SWEEP)} hunts at once")
    started = time.perf_counter()

    async def one(query: str) -> None:
        report.sweep[query] = await edr.select(Process).where(query).count()

    async with anyio.create_task_group() as tg:
        for query in SWEEP:
            tg.start_soon(one, query)
    for query in SWEEP:
        print(f"  {query:<32} {report.sweep[query]:>7}")
    print(f"{len(SWEEP)} searches in {time.perf_counter() - started:.2f}s")


async def errors(edr: CbResponseAPI, report: Report) -> None:
    heading("9. errors are typed")
    try:
        await edr.select(Process).where("process_name:(cmd.exe").count()
    except QuerySyntaxError as exc:
        report.errors.append(f"QuerySyntaxError: {exc}")
    try:
        await edr.get(Sensor, 999_999)
    except ObjectNotFoundError as exc:
        report.errors.append(f"ObjectNotFoundError: {exc}")
    for line in report.errors:
        print(line)


def print_report(report: Report) -> None:
    heading("report")
    users = ", ".join(name for name, _ in report.users.most_common(3))
    hosts = ", ".join(f"{name} ({n})" for name, n in report.hosts.most_common(3))
    unsigned = sum(1 for f in report.findings if f.signed_by is None)
    chains = Counter(" <- ".join(f.parents[:2]) for f in report.findings if f.parents)
    print(f"server       {report.server}")
    print(f"hunt         {report.hits} net.exe share mounts; top hosts {hosts}; users {users}")
    if chains:
        chain, n = chains.most_common(1)[0]
        print(f"launched by  {chain} ({n} of {len(report.findings)} investigated)")
    print(f"binaries     {len(report.findings) - unsigned} signed, {unsigned} unsigned")
    for line in report.app_control[:2]:
        print(f"app control  {line}")
    print(f"containment  {report.contained}")
    stage = report.collection
    if stage.skipped:
        print(f"collection   {stage.skipped}")
    else:
        print(
            f"collection   {len(stage.collected)} of {len(stage.results)} endpoints in"
            f" {stage.seconds:.1f}s within {stage.slots} slots (most open {stage.most_open});"
            f" {len(stage.failed)} failed"
        )
    cloud = report.cloud
    if cloud.skipped:
        print(f"cloud        {cloud.skipped}")
    else:
        top = ", ".join(f"{name} ({n})" for name, n in cloud.users.most_common(2))
        print(f"sign-ins     {cloud.failed_logons} failed logons; most for {top}")
        print(f"livequery    {cloud.run_status}, {cloud.run_devices} devices answered")
    print(f"took         {time.perf_counter() - report.started:.1f}s")


async def triage(
    edr: CbResponseAPI,
    protection: CbProtectionAPI | None,
    cloud: CBCloudAPI | None = None,
    *,
    changes_allowed: bool,
    lr_devices: int | None = LR_DEVICES,
) -> Report:
    """The whole triage against open clients; returns the report it printed. ``lr_devices``
    endpoints get the Live Response collection (none when it is ``None`` or 0)."""
    report = Report()
    report.server = f"{edr.url} (EDR {'.'.join(map(str, await edr.server_version()))})"
    print(f"connected to {report.server}")
    hits = await hunt(edr, report)
    await investigate(edr, hits, report)
    await app_control(protection, report)
    await contain(edr, report, allowed=changes_allowed)
    await live_response(edr, report, devices=lr_devices)
    await auth_events(cloud, report)
    await livequery(cloud, report)
    await sweep(edr, report)
    await errors(edr, report)
    print_report(report)
    return report


Clients = tuple[CbResponseAPI, CbProtectionAPI | None, CBCloudAPI | None]


async def _optional(stack: AsyncExitStack, api_class: type[A], profile: str) -> A | None:
    """A client of ``profile`` when that product's credential file has it, else ``None``."""
    try:
        api = api_class(profile=profile)
    except CredentialError:
        return None  # no profile of that name for this product
    return await stack.enter_async_context(api)


@asynccontextmanager
async def clients(profile: str | None) -> AsyncIterator[Clients]:
    """Your servers (``--profile``), or the embedded emulator on loopback TLS."""
    async with AsyncExitStack() as stack:
        if profile is not None:
            edr = await stack.enter_async_context(CbResponseAPI(profile=profile))
            protection = await _optional(stack, CbProtectionAPI, profile)
            cloud = await _optional(stack, CBCloudAPI, profile)
            yield edr, protection, cloud
            return
        # Imported here: a real server needs only cbasync, the emulator needs cbasync[emulator].
        from cbasync.testing import ManualClock
        from cbasync.testing.server import running_server

        info, _app = await stack.enter_async_context(
            running_server(
                emulator_config(), tls=True, clock=ManualClock(speed=CLOCK_SPEED, autojump=False)
            )
        )
        print(f"embedded emulator on {info.url} (TLS, CA pinned from {info.ca_file})")
        url, token, ca = info.url, info.token, info.ca_file
        edr = await stack.enter_async_context(CbResponseAPI(url=url, token=token, ssl_cert_file=ca))
        protection = await stack.enter_async_context(
            CbProtectionAPI(url=url, token=token, ssl_cert_file=ca)
        )
        cloud = await stack.enter_async_context(
            CBCloudAPI(url=url, token=token, ssl_cert_file=ca, org_key=info.org_key)
        )
        yield edr, protection, cloud


def emulator_config() -> EmulatorConfig:
    """The demo's installation: 60 endpoints (about 50 online), EDR's 10 session slots."""
    from cbasync.testing import EmulatorConfig

    return EmulatorConfig(
        seed=7, processes=20_000, devices=60, online_ratio=0.9, isolation_delay=1.0
    )


async def run(profile: str | None, lr_devices: int | None) -> Report:
    async with clients(profile) as (edr, protection, cloud):
        if lr_devices is None and profile is None:
            lr_devices = LR_DEVICES
        return await triage(
            edr, protection, cloud, changes_allowed=profile is None, lr_devices=lr_devices
        )


def main(argv: Sequence[str] | None = None) -> int:
    """``cbasync demo [--profile NAME] [--lr-devices N]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="cbasync demo", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--profile",
        help="run read-only against the servers of this credential profile (credentials."
        "response; credentials.protection and credentials.cbc when they have the profile)",
    )
    parser.add_argument(
        "--lr-devices",
        type=int,
        default=None,
        metavar="N",
        help=f"Live Response collection on N sensors ({LR_DEVICES} on the emulator; "
        "with --profile none unless given)",
    )
    args = parser.parse_args(argv)
    if args.lr_devices is not None and args.lr_devices < 0:
        parser.error("--lr-devices must be >= 0")
    try:
        anyio.run(run, args.profile, args.lr_devices)  # the embedded emulator serves on asyncio
    except CredentialError as exc:
        print(f"cbasync demo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print("\ndone: every session closed, every task finished.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
