"""Serve the emulator on loopback with uvicorn, optionally over TLS with a throw-away CA.

Three ways in:

- ``cbasync emulator [flags]`` / ``python -m cbasync.testing [flags]`` (see
  :mod:`cbasync.testing.cli`): a process that serves until SIGINT or SIGTERM, then stops
  cleanly (exit status 0);
- :func:`spawn_server`: a context manager that runs that command as a subprocess and yields its
  :class:`ServerInfo` once it accepts connections (what the pytest plugin and benchmarks use);
- :func:`running_server`: an async context manager serving in the current (asyncio) event loop.

With ``tls=True`` a trustme CA is created, a certificate for ``localhost``/``127.0.0.1``/``::1`` is
issued from it, and the CA's PEM is written next to the ready file (``ca_file``) so clients can pin
it. The ready file is written atomically, as JSON ``{"url", "token", "org_key", "ca_file", "pid"}``,
only after the socket accepts connections.

uvicorn runs on asyncio; this module is the one place in cbasync that depends on that (it serves
from an anyio task on the asyncio backend, and reaches the connection's transport to emulate a
reset).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel

from cbasync.testing._clock import Clock
from cbasync.testing.app import CONNECTION_RESET_EXTENSION, EmulatorApp, create_app
from cbasync.testing.config import EmulatorConfig, config_from_json, config_to_json

__all__ = [
    "EmulatorServer",
    "ServerInfo",
    "config_from_json",
    "config_to_json",
    "running_server",
    "spawn_server",
]

_READY_TIMEOUT = 10.0  # seconds a spawned server may take to become ready (target: < 3)
_STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServerInfo:
    """What a client needs to reach a running emulator (the ready file's contents)."""

    url: str
    token: str
    org_key: str
    ca_file: str | None
    pid: int

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "token": self.token,
            "org_key": self.org_key,
            "ca_file": self.ca_file,
            "pid": self.pid,
        }

    @contextlib.asynccontextmanager
    async def client(self, api_cls: Callable[..., Any], **kwargs: Any) -> AsyncIterator[Any]:
        """A cbasync API object talking to this server over the network (CA pinned)::

        async with info.client(CbResponseAPI) as api: ...
        """
        params: dict[str, Any] = {"url": self.url, "token": self.token, "org_key": self.org_key}
        if self.ca_file:
            params.update(ssl_verify=True, ssl_cert_file=self.ca_file)
        params.update(kwargs)
        async with api_cls(**params) as api:
            yield api

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ServerInfo:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            url=data["url"],
            token=data["token"],
            org_key=data["org_key"],
            ca_file=data.get("ca_file"),
            pid=int(data.get("pid", 0)),
        )


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class _TlsFiles:
    """A trustme CA and a loopback server certificate, written to ``directory``."""

    def __init__(self, directory: Path, host: str) -> None:
        import trustme

        ca = trustme.CA(organization_name="cbasync emulator test CA")
        names = ["localhost", "127.0.0.1", "::1"]
        if host not in names and host not in ("0.0.0.0", "::"):  # noqa: S104 - names only
            names.append(host)
        cert = ca.issue_cert(*names)
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = directory / "cbasync-emulator-ca.pem"
        self.cert_file = directory / "cbasync-emulator-cert.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert.private_key_and_cert_chain_pem.write_to_path(str(self.cert_file))


def _connection_reset_hook(send: Any) -> Callable[[], Awaitable[None]]:
    """An abort for the connection behind uvicorn's ``send`` (RST thanks to SO_LINGER 0)."""

    async def reset() -> None:
        cycle = getattr(send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None:
            raise RuntimeError("cannot reach the connection to reset it")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        # Let the protocol see the connection as lost before the app returns, so uvicorn does
        # not try to answer on it.
        for _ in range(3):
            await anyio.lowlevel.checkpoint()

    return reset


class _ResetCapableApp:
    """Gives each request the ``cbasync.connection_reset`` ASGI extension."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            extensions = dict(scope.get("extensions") or {})
            extensions[CONNECTION_RESET_EXTENSION] = _connection_reset_hook(send)
            scope["extensions"] = extensions
        await self.app(scope, receive, send)


def _uvicorn_server_class() -> type[Any]:
    import uvicorn

    class _QuietSignalsServer(uvicorn.Server):
        """uvicorn.Server whose signal handling is ours (so SIGTERM means exit status 0)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        def install_signal_handlers(self) -> None:  # uvicorn < 0.29
            return None

    return _QuietSignalsServer


class EmulatorServer:
    """One emulator served by uvicorn on a loopback socket."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        tls_dir: str | os.PathLike[str] | None = None,
        ready_file: str | os.PathLike[str] | None = None,
        clock: Clock | None = None,
        app: EmulatorApp | None = None,
        http: str = "auto",
    ) -> None:
        self.app = app if app is not None else create_app(config, clock=clock)
        self.config = self.app.config
        self.host = host
        self.port = port
        self.tls = tls
        self.ready_file = Path(ready_file) if ready_file is not None else None
        if tls_dir is not None:
            self.tls_dir: Path | None = Path(tls_dir)
        elif self.ready_file is not None:
            self.tls_dir = self.ready_file.parent
        else:
            self.tls_dir = None
        self.http = http
        self.info: ServerInfo | None = None
        self._uvicorn: Any = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._bound: socket.socket | None = None

    def bind(self) -> None:
        """Bind and listen now, so a port in use or a bad address fails here with ``OSError``
        (the command line turns it into one line) instead of inside the serving task."""
        if self._bound is None:
            self._bound = self._socket()

    def _socket(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it Nagle + delayed ACK add ~40 ms to every response that
        # uvicorn writes in two pieces (headers, body).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((self.host, self.port))
            sock.listen(1024)
            sock.setblocking(False)
        except BaseException:
            sock.close()  # a port in use or a bad address: no socket left behind
            raise
        return sock

    def stop(self) -> None:
        """Ask the server to finish (safe to call from a signal handler task)."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True

    async def serve(
        self, *, task_status: anyio.abc.TaskStatus[ServerInfo] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Serve until :meth:`stop`; reports the :class:`ServerInfo` once connections are accepted."""
        import uvicorn

        self.bind()
        sock, self._bound = self._bound, None
        assert sock is not None
        bound_host, bound_port = sock.getsockname()[:2]
        kwargs: dict[str, Any] = {}
        ca_file: str | None = None
        if self.tls:
            directory = self.tls_dir
            if directory is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="cbasync-emulator-")
                directory = Path(self._tmp.name)
            files = _TlsFiles(directory, self.host)
            ca_file = str(files.ca_file)
            kwargs["ssl_certfile"] = str(files.cert_file)
        config = uvicorn.Config(
            _ResetCapableApp(self.app),
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
            http=self.http,
            timeout_graceful_shutdown=2,
            **kwargs,
        )
        server = _uvicorn_server_class()(config)
        self._uvicorn = server
        scheme = "https" if self.tls else "http"
        url_host = "localhost" if self.tls and bound_host in ("127.0.0.1", "::1") else bound_host
        if ":" in url_host:
            url_host = f"[{url_host}]"
        info = ServerInfo(
            url=f"{scheme}://{url_host}:{bound_port}",
            token=self.config.token,
            org_key=self.config.org_key,
            ca_file=ca_file,
            pid=os.getpid(),
        )
        try:
            async with anyio.create_task_group() as tg:

                async def run() -> None:
                    await server.serve(sockets=[sock])
                    tg.cancel_scope.cancel()

                tg.start_soon(run)
                with anyio.fail_after(_READY_TIMEOUT):
                    while not server.started:
                        if server.should_exit:
                            break
                        await anyio.sleep(0.005)
                if server.started:
                    self.info = info
                    if self.ready_file is not None:
                        _write_atomic(self.ready_file, json.dumps(info.as_json()))
                    task_status.started(info)
        finally:
            sock.close()
            if self.ready_file is not None:
                with contextlib.suppress(OSError):
                    self.ready_file.unlink()
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None


@contextlib.asynccontextmanager
async def running_server(
    config: EmulatorConfig | None = None,
    *,
    tls: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
    app: EmulatorApp | None = None,
) -> AsyncIterator[tuple[ServerInfo, EmulatorApp]]:
    """Serve an emulator in the current asyncio event loop for the duration of the block.

    Yields ``(info, app)``: ``info.url`` to connect to, ``app.state`` to inspect.
    """
    server = EmulatorServer(config, host=host, port=port, tls=tls, clock=clock, app=app)
    async with anyio.create_task_group() as tg:
        info = await tg.start(_serve_task, server)
        try:
            yield info, server.app
        finally:
            server.stop()


async def _serve_task(
    server: EmulatorServer, *, task_status: anyio.abc.TaskStatus[ServerInfo]
) -> None:
    await server.serve(task_status=task_status)


async def serve_until_signalled(
    server: EmulatorServer, on_ready: Callable[[ServerInfo], None] | None = None
) -> None:
    """Serve until SIGINT or SIGTERM (what the CLI runs); ``on_ready`` is called once the
    server accepts connections."""
    async with anyio.create_task_group() as tg:

        async def watch_signals() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    server.stop()
                    return

        async def serve(*, task_status: anyio.abc.TaskStatus[ServerInfo]) -> None:
            await server.serve(task_status=task_status)
            tg.cancel_scope.cancel()

        tg.start_soon(watch_signals)
        try:
            info = await tg.start(serve)
        except RuntimeError:
            if server.info is not None:
                raise
            return  # stopped (a signal) before it accepted connections
        if on_ready is not None:
            on_ready(info)


def run(server: EmulatorServer, on_ready: Callable[[ServerInfo], None] | None = None) -> None:
    """Blocking entry point of the CLI."""
    anyio.run(serve_until_signalled, server, on_ready, backend="asyncio")


@contextlib.contextmanager
def spawn_server(
    config: EmulatorConfig | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
    tls: bool = True,
    extra_args: Sequence[str] = (),
    ready_timeout: float = _READY_TIMEOUT,
) -> Iterator[ServerInfo]:
    """Run ``python -m cbasync.testing`` in a subprocess; yield its :class:`ServerInfo` once
    ready, stop it with SIGTERM afterwards (SIGKILL if it does not exit in time)."""
    config = config if config is not None else EmulatorConfig()
    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="cbasync-emu-"))
        workdir = Path(directory)
        ready = workdir / "ready.json"
        config_file = workdir / "config.json"
        config_file.write_text(config_to_json(config), encoding="utf-8")
        args = [
            sys.executable,
            "-m",
            "cbasync.testing",
            "--config",
            str(config_file),
            "--ready-file",
            str(ready),
            *(["--tls"] if tls else []),
            *extra_args,
        ]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            deadline = time.monotonic() + ready_timeout
            while not ready.exists():
                if proc.poll() is not None:
                    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                    raise RuntimeError(
                        f"the emulator exited with status {proc.returncode}:\n{output}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the emulator was not ready after {ready_timeout} s")
                time.sleep(0.02)
            yield ServerInfo.from_file(ready)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=_STOP_TIMEOUT)
            if proc.stdout is not None:
                proc.stdout.close()
