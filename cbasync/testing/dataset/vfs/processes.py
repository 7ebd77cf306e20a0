"""The processes of an image: listing, killing, and ``create process`` with its output."""

from __future__ import annotations

import shlex

from cbasync.testing.dataset.vfs.errors import (
    E_ACCESS_DENIED,
    E_DIRECTORY_INVALID,
    E_FILE_NOT_FOUND,
    E_INVALIDARG,
    VfsError,
)
from cbasync.testing.dataset.vfs.files import FileSystem
from cbasync.testing.dataset.vfs.records import ProcessEntry, ProcessRun
from cbasync.testing.dataset.vfs.shell import Shell

__all__ = [
    "LOCAL_SERVICE_ACCOUNT",
    "NETWORK_SERVICE_ACCOUNT",
    "SYSTEM_ACCOUNT",
    "Processes",
    "is_sensor",
    "split_command_line",
]


SYSTEM_ACCOUNT = ("NT AUTHORITY\\SYSTEM", "s-1-5-18")


LOCAL_SERVICE_ACCOUNT = ("NT AUTHORITY\\LOCAL SERVICE", "s-1-5-19")


NETWORK_SERVICE_ACCOUNT = ("NT AUTHORITY\\NETWORK SERVICE", "s-1-5-20")


class Processes(FileSystem):
    """The process list, and starting and stopping processes."""

    processes: dict[int, ProcessEntry]
    _next_pid: int

    def process_list(self) -> list[ProcessEntry]:
        return sorted(self.processes.values(), key=lambda p: p.pid)

    def kill(self, pid: object) -> None:
        """``kill``: pid 0/4 (Idle/System) and the sensor itself are protected."""
        if isinstance(pid, str) and pid.strip().isdigit():
            pid = int(pid.strip())
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise VfsError(E_INVALIDARG, f"bad pid {pid!r}")
        proc = self.processes.get(pid)
        if proc is None:
            raise VfsError(E_INVALIDARG, f"no process {pid}")
        protected = ("repmgr", "cb.exe", "cbagentd", "cbdaemon", "lsass", "csrss", "smss")
        if pid in (0, 1, 4) or any(p in proc.path.lower() for p in protected):
            raise VfsError(E_ACCESS_DENIED, f"process {pid} is protected")
        del self.processes[pid]

    def _spawn(self, path: str, command_line: str, parent: int, now: float) -> ProcessEntry:
        pid = self._next_pid
        self._next_pid += 4 if self.os == "WINDOWS" else 1
        parent_entry = self.processes.get(parent)
        proc = ProcessEntry(
            pid=pid,
            parent=parent,
            path=path,
            command_line=command_line,
            username=SYSTEM_ACCOUNT[0] if self.os == "WINDOWS" else "root",
            sid=SYSTEM_ACCOUNT[1] if self.os == "WINDOWS" else "0",
            create_time=int(now),
            parent_create_time=parent_entry.create_time if parent_entry else self.boot_time,
        )
        self.processes[pid] = proc
        return proc

    def create_process(
        self,
        command_line: str,
        *,
        now: float,
        wait: bool,
        working_directory: str | None = None,
        output_file: str | None = None,
    ) -> ProcessRun:
        """``create process``: run a command line; builtins of the shell produce real output."""
        if not isinstance(command_line, str) or not command_line.strip():
            raise VfsError(E_INVALIDARG, "empty command line")
        cwd = self.default_cwd
        if working_directory:
            if not self.is_dir(working_directory):
                raise VfsError(E_DIRECTORY_INVALID, working_directory)
            root, parts = self.split(working_directory)
            cwd = self.join(root, parts)
        argv = split_command_line(command_line, windows=self.os == "WINDOWS")
        if not argv:
            raise VfsError(E_INVALIDARG, "empty command line")
        exe_path = self._resolve_executable(argv[0], cwd)
        sensor = next((p.pid for p in self.processes.values() if is_sensor(p.path)), 0)
        proc = self._spawn(exe_path, command_line.strip(), sensor, now)
        output, code, exits = Shell(self, cwd).run(exe_path, argv)
        if output_file:
            self.write_file(output_file, output, now, cwd=cwd)
        if exits:
            del self.processes[proc.pid]
        return ProcessRun(
            pid=proc.pid,
            return_code=code if (wait or exits) else None,
            output=output,
            running=not exits,
        )

    def _resolve_executable(self, name: str, cwd: str) -> str:
        candidates: list[str] = []
        has_dir = self.sep in name or (self.os == "WINDOWS" and ("/" in name or ":" in name))
        if has_dir:
            candidates.append(name)
        else:
            search = (
                [
                    cwd,
                    "C:\\Windows\\System32",
                    "C:\\Windows",
                    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
                ]
                if self.os == "WINDOWS"
                else ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
            )
            candidates.extend(f"{d.rstrip(self.sep)}{self.sep}{name}" for d in search)
        for candidate in candidates:
            options = [candidate]
            if self.os == "WINDOWS" and not candidate.lower().endswith((".exe", ".com", ".bat")):
                options.append(candidate + ".exe")
            for option in options:
                try:
                    node = self._lookup(option, cwd)
                except VfsError:
                    continue
                if not node.is_dir:
                    root, parts = self.split(option, cwd)
                    return self.join(root, parts)
        raise VfsError(E_FILE_NOT_FOUND, name)

    def memdump(self, path: str, *, compress: bool, size: int, now: float) -> str:
        """``memdump``: write a dump of ``size`` bytes; returns the path of the file written."""
        target = path + ".zip" if compress else path
        header = (
            b"PK\x03\x04" if compress else (b"PAGEDU64" if self.os == "WINDOWS" else b"\x7fELF")
        )
        self._write_synthetic(target, size, header, now)
        return target


def is_sensor(path: str) -> bool:
    low = path.lower()
    return any(s in low for s in ("repmgr.exe", "cbagentd", "carbonblack.cloud.daemon"))


def split_command_line(command: str, *, windows: bool) -> list[str]:
    command = command.strip()
    if not windows:
        try:
            return shlex.split(command)
        except ValueError as exc:
            raise VfsError(E_INVALIDARG, f"bad command line: {exc}") from exc
    # CommandLineToArgvW, simplified: double quotes group, backslashes are literal.
    args: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    for ch in command:
        if ch == '"':
            quoted = not quoted
            started = True
        elif ch in " \t" and not quoted:
            if started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(ch)
            started = True
    if started:
        args.append("".join(current))
    return args
