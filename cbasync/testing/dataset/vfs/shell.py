"""Just enough of cmd.exe and sh to make ``create process`` output believable."""

from __future__ import annotations

import re
import shlex
from typing import Protocol

from cbasync.testing.dataset.vfs.core import iso_seconds
from cbasync.testing.dataset.vfs.errors import OsFamily, VfsError
from cbasync.testing.dataset.vfs.records import DirEntry, ProcessEntry

__all__ = ["Shell", "ShellHost"]


class ShellHost(Protocol):
    """What the shell reads of the image it runs on."""

    os: OsFamily
    hostname: str
    ip_address: str
    build_info: tuple[str, str, str, str]

    def read_file(
        self, path: str, offset: int = 0, count: int | None = None, cwd: str | None = None
    ) -> bytes: ...

    def list_directory(self, path: str, cwd: str | None = None) -> list[DirEntry]: ...

    def process_list(self) -> list[ProcessEntry]: ...


class Shell:
    """Just enough of cmd.exe and sh to make ``create process`` output believable."""

    def __init__(self, image: ShellHost, cwd: str) -> None:
        self.image = image
        self.cwd = cwd
        self.nl = "\r\n" if image.os == "WINDOWS" else "\n"

    def run(self, exe_path: str, argv: list[str]) -> tuple[bytes, int, bool]:
        """``(output, return_code, exits)``; a program that is not a utility keeps running."""
        exe = exe_path.replace("\\", "/").rsplit("/", 1)[-1].lower()
        if exe.endswith(".exe"):
            exe = exe[:-4]
        args = argv[1:]
        if exe == "cmd":
            if args and args[0].lower() in ("/c", "/k", "/q"):
                return (*self._encode(*self._cmd(" ".join(args[1:]))), True)
            return b"", 0, False
        if exe == "powershell" or exe == "pwsh":
            lowered = [a.lower() for a in args]
            for flag in ("-command", "-c"):
                if flag in lowered:
                    script = " ".join(args[lowered.index(flag) + 1 :])
                    return (*self._encode(*self._cmd(script)), True)
            return b"", 0, False
        if exe in ("sh", "bash", "zsh"):
            if len(args) >= 2 and args[0] == "-c":
                return (*self._encode(*self._sh(args[1])), True)
            return b"", 0, False
        if exe in _UTILITIES:
            if self.image.os == "WINDOWS":
                return (*self._encode(*self._cmd(" ".join([exe, *args]))), True)
            return (*self._encode(*self._sh(shlex.join([exe, *args]))), True)
        return b"", 0, False

    def _encode(self, text: str, code: int) -> tuple[bytes, int]:
        return text.encode("utf-8"), code

    def _cmd(self, line: str) -> tuple[str, int]:
        img, nl = self.image, self.nl
        line = line.strip().strip('"')
        out: list[str] = []
        code = 0
        for part in re.split(r"\s*&&\s*|\s*&\s*", line) if line else []:
            words = part.split()
            if not words:
                continue
            cmd, rest = words[0].lower(), part[len(words[0]) :].strip()
            if cmd.endswith(".exe"):
                cmd = cmd[:-4]
            if cmd == "echo":
                out.append(rest)
            elif cmd == "whoami":
                out.append("nt authority\\system")
            elif cmd == "hostname":
                out.append(img.hostname.split(".")[0].upper())
            elif cmd == "ver":
                out.append(f"{nl}Microsoft Windows [Version {img.build_info[3]}]")
            elif cmd == "cd":
                out.append(self.cwd)
            elif cmd == "type":
                try:
                    out.append(
                        img.read_file(rest.strip('"'), cwd=self.cwd)
                        .decode("utf-8", "replace")
                        .rstrip("\r\n")
                    )
                except VfsError:
                    out.append("The system cannot find the file specified.")
                    code = 1
            elif cmd == "dir":
                target = rest.strip('"') or self.cwd
                try:
                    entries = img.list_directory(
                        target if target.endswith(("\\", "*")) else target + "\\", cwd=self.cwd
                    )
                except VfsError:
                    out.append("File Not Found")
                    code = 1
                else:
                    out.append(f" Directory of {target}{nl}")
                    for e in entries:
                        kind = "<DIR>         " if "DIRECTORY" in e.attributes else f"{e.size:>14,}"
                        out.append(
                            f"{iso_seconds(e.last_write_time)[:16].replace('T', '  ')}    {kind} {e.filename}"
                        )
            elif cmd == "ipconfig":
                out.append(
                    f"{nl}Windows IP Configuration{nl}{nl}Ethernet adapter Ethernet0:{nl}{nl}   IPv4 Address. . . . . . . . . . . : {img.ip_address}{nl}   Subnet Mask . . . . . . . . . . . : 255.255.255.0"
                )
            elif cmd == "tasklist":
                out.append(
                    f"{'Image Name':<25} {'PID':>8} Session Name{nl}{'=' * 25} {'=' * 8} ============"
                )
                for p in img.process_list():
                    name = p.path.rsplit("\\", 1)[-1] if p.path else "System"
                    out.append(f"{name:<25} {p.pid:>8} Services")
            elif cmd == "ping":
                host = rest.split()[-1] if rest else "localhost"
                out.append(f"{nl}Pinging {host} with 32 bytes of data:")
                out.extend(f"Reply from {host}: bytes=32 time<1ms TTL=128" for _ in range(4))
            elif cmd == "netstat":
                out.append(
                    f"{nl}Active Connections{nl}{nl}  Proto  Local Address          Foreign Address        State{nl}  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING{nl}  TCP    {img.ip_address}:49712     52.116.18.136:443      ESTABLISHED"
                )
            elif cmd == "exit":
                code = int(rest) if rest.strip().lstrip("-").isdigit() else 0
                break
            else:
                out.append(
                    f"'{words[0]}' is not recognized as an internal or external command,{nl}operable program or batch file."
                )
                code = 1
        return (nl.join(out) + nl) if out else "", code

    def _sh(self, line: str) -> tuple[str, int]:
        img, nl = self.image, self.nl
        out: list[str] = []
        code = 0
        for part in re.split(r"\s*(?:&&|;)\s*", line.strip()):
            try:
                words = shlex.split(part)
            except ValueError:
                return f"sh: 1: Syntax error: Unterminated quoted string{nl}", 2
            if not words:
                continue
            cmd, args = words[0].rsplit("/", 1)[-1], words[1:]
            if cmd == "echo":
                out.append(" ".join(args))
            elif cmd == "whoami":
                out.append("root")
            elif cmd == "id":
                out.append("uid=0(root) gid=0(root) groups=0(root)")
            elif cmd == "hostname":
                out.append(img.hostname)
            elif cmd == "pwd":
                out.append(self.cwd)
            elif cmd == "uname":
                kernel = "Darwin" if img.os == "MAC" else "Linux"
                out.append(
                    f"{kernel} {img.hostname} 5.15.0-91-generic x86_64" if "-a" in args else kernel
                )
            elif cmd == "cat":
                for path in args:
                    try:
                        out.append(
                            img.read_file(path, cwd=self.cwd)
                            .decode("utf-8", "replace")
                            .rstrip("\n")
                        )
                    except VfsError:
                        out.append(f"cat: {path}: No such file or directory")
                        code = 1
            elif cmd == "ls":
                paths = [a for a in args if not a.startswith("-")] or [self.cwd]
                for path in paths:
                    try:
                        entries = img.list_directory(path.rstrip("/") + "/", cwd=self.cwd)
                    except VfsError:
                        out.append(f"ls: cannot access '{path}': No such file or directory")
                        code = 2
                    else:
                        out.extend(e.filename for e in entries if e.filename not in (".", ".."))
            elif cmd == "ps":
                out.append("  PID  PPID CMD")
                out.extend(f"{p.pid:>5} {p.parent:>5} {p.command_line}" for p in img.process_list())
            elif cmd in ("true", "sleep"):
                pass
            elif cmd == "false":
                code = 1
            elif cmd == "exit":
                code = int(args[0]) if args and args[0].isdigit() else 0
                break
            else:
                out.append(f"sh: 1: {cmd}: not found")
                code = 127
        return (nl.join(out) + nl) if out else "", code


_UTILITIES = frozenset(
    (
        "whoami",
        "hostname",
        "ipconfig",
        "ping",
        "netstat",
        "tasklist",
        "echo",
        "id",
        "uname",
        "ls",
        "cat",
        "ps",
        "pwd",
        "true",
        "false",
        "sleep",
    )
)
