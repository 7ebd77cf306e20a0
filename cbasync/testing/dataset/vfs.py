"""Per-endpoint virtual file system, registry and process list (what Live Response sees).

Each endpoint gets an :class:`EndpointImage`: a small but plausible disk (system directories, the
sensor's own files, a user profile with documents), a registry (Windows only) and a process tree.
The baseline is a pure function of ``(seed, key)`` — the same seed always gives the same bytes —
and is built on first use, so a large fleet costs nothing until a session touches a machine.
Mutations (files put, keys created, processes started or killed) are kept per image for the life
of the emulator.

Failures raise :class:`VfsError` carrying the Win32 HRESULT a real sensor reports (file not found
0x80070002, access denied 0x80070005, invalid argument 0x80070057, ...). Nothing here knows about
HTTP or about which product is asking.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import random
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cbasync.testing.dataset.endpoints import Endpoint
from cbasync.testing.state import EmulatorState

__all__ = [
    "E_ACCESS_DENIED",
    "E_ALREADY_EXISTS",
    "E_DIRECTORY_INVALID",
    "E_DIR_NOT_EMPTY",
    "E_FILE_NOT_FOUND",
    "E_INVALIDARG",
    "E_PATH_NOT_FOUND",
    "IMAGES_BACKEND",
    "IMAGE_OS",
    "DirEntry",
    "EndpointImage",
    "ImageStore",
    "OsFamily",
    "ProcessEntry",
    "ProcessRun",
    "RegValue",
    "VfsError",
    "hresult_message",
    "image_store",
    "os_family",
]

OsFamily = Literal["WINDOWS", "LINUX", "MAC"]

# Win32 errors as HRESULTs (0x8007xxxx = FACILITY_WIN32 | code), what the sensor reports.
E_FILE_NOT_FOUND = 0x80070002  # ERROR_FILE_NOT_FOUND (2)
E_PATH_NOT_FOUND = 0x80070003  # ERROR_PATH_NOT_FOUND (3)
E_ACCESS_DENIED = 0x80070005  # ERROR_ACCESS_DENIED (5)
E_SHARING_VIOLATION = 0x80070020  # ERROR_SHARING_VIOLATION (32)
E_INVALIDARG = 0x80070057  # ERROR_INVALID_PARAMETER (87)
E_DIR_NOT_EMPTY = 0x80070091  # ERROR_DIR_NOT_EMPTY (145)
E_ALREADY_EXISTS = 0x800700B7  # ERROR_ALREADY_EXISTS (183)
E_DIRECTORY_INVALID = 0x8007010B  # ERROR_DIRECTORY (267)

_MESSAGES = {
    E_FILE_NOT_FOUND: "The system cannot find the file specified.",
    E_PATH_NOT_FOUND: "The system cannot find the path specified.",
    E_ACCESS_DENIED: "Access is denied.",
    E_SHARING_VIOLATION: (
        "The process cannot access the file because it is being used by another process."
    ),
    E_INVALIDARG: "The parameter is incorrect.",
    E_DIR_NOT_EMPTY: "The directory is not empty.",
    E_ALREADY_EXISTS: "Cannot create a file when that file already exists.",
    E_DIRECTORY_INVALID: "The directory name is invalid.",
}


def hresult_message(code: int) -> str:
    """The Windows message text of an HRESULT this module raises."""
    return _MESSAGES.get(code & 0xFFFFFFFF, f"Win32 error 0x{code & 0xFFFFFFFF:08X}")


class VfsError(Exception):
    """An operation failed on the endpoint; ``hresult`` is what the sensor reports."""

    def __init__(self, hresult: int, detail: str = "") -> None:
        self.hresult = hresult & 0xFFFFFFFF
        self.detail = detail
        message = hresult_message(self.hresult)
        super().__init__(f"{message} ({detail})" if detail else message)

    @property
    def description(self) -> str:
        return hresult_message(self.hresult)


def os_family(os_name: str) -> OsFamily:
    """Map an OS name or type as the datasets spell it ("Windows 10 x64", "LINUX", ...)."""
    upper = os_name.upper()
    if "WIN" in upper:
        return "WINDOWS"
    if "MAC" in upper or "OSX" in upper or "DARWIN" in upper:
        return "MAC"
    return "LINUX"


# --------------------------------------------------------------------------------------------
# File system
# --------------------------------------------------------------------------------------------

_BLOCK = 4096


def _synth_bytes(seed: int, size: int, offset: int, count: int, header: bytes) -> bytes:
    """Deterministic pseudo-random content, addressable by range without generating the rest."""
    end = min(size, offset + count)
    if offset >= end:
        return b""
    out = bytearray()
    first, last = offset // _BLOCK, (end - 1) // _BLOCK
    for block in range(first, last + 1):
        data = random.Random(seed * 1_000_003 + block).randbytes(_BLOCK)
        if block == 0 and header:
            data = header[:_BLOCK] + data[len(header) :]
        out += data
    start = offset - first * _BLOCK
    return bytes(out[start : start + (end - offset)])


@dataclass(slots=True)
class _Node:
    name: str
    is_dir: bool
    create_time: int
    access_time: int
    write_time: int
    attributes: tuple[str, ...] = ()
    children: dict[str, _Node] | None = None
    data: bytes | None = None
    synth: tuple[int, int, bytes] | None = None  # (seed, size, header)
    locked: bool = False  # in use by the system: reads and deletes are denied
    lazy: Callable[[], bytes] | None = None  # generated text, made on first use

    def _materialise(self) -> None:
        if self.lazy is not None:
            self.data, self.lazy = self.lazy(), None

    @property
    def size(self) -> int:
        if self.is_dir:
            return 0
        self._materialise()
        if self.data is not None:
            return len(self.data)
        if self.synth is not None:
            return self.synth[1]
        return 0

    def read(self, offset: int = 0, count: int | None = None) -> bytes:
        size = self.size
        if count is None or count < 0:
            count = size - offset
        self._materialise()
        if self.data is not None:
            return self.data[offset : offset + count]
        if self.synth is not None:
            seed, total, header = self.synth
            return _synth_bytes(seed, total, offset, count, header)
        return b""


@dataclass(frozen=True, slots=True)
class DirEntry:
    """One ``directory list`` row (names as the EDR/cloud sensors report them)."""

    filename: str
    alt_name: str
    attributes: tuple[str, ...]
    size: int
    create_time: int
    last_access_time: int
    last_write_time: int

    def as_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "alt_name": self.alt_name,
            "attributes": list(self.attributes),
            "size": self.size,
            "create_time": self.create_time,
            "last_access_time": self.last_access_time,
            "last_write_time": self.last_write_time,
        }


def _short_name(name: str) -> str:
    """The 8.3 alias Windows shows for long names (``PROGRA~1``); empty when not needed."""
    stem, _, ext = name.rpartition(".") if "." in name[1:] else (name, "", "")
    clean = re.sub(r"[^A-Za-z0-9]", "", stem).upper()
    clean_ext = re.sub(r"[^A-Za-z0-9]", "", ext).upper()[:3]
    if len(stem) <= 8 and stem == stem.upper() and " " not in name and len(ext) <= 3:
        return ""
    return f"{clean[:6]}~1" + (f".{clean_ext}" if clean_ext else "")


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

RegData = str | int | list[str]

_REG_TYPES = (
    "REG_SZ",
    "REG_EXPAND_SZ",
    "REG_DWORD",
    "REG_QWORD",
    "REG_MULTI_SZ",
    "REG_BINARY",
    "REG_NONE",
)

_HIVE_ALIASES = {
    "HKEY_LOCAL_MACHINE": "HKLM",
    "HKLM": "HKLM",
    "HKEY_USERS": "HKU",
    "HKU": "HKU",
    "HKEY_CURRENT_USER": "HKCU",
    "HKCU": "HKCU",
    "HKEY_CLASSES_ROOT": "HKCR",
    "HKCR": "HKCR",
    "HKEY_CURRENT_CONFIG": "HKCC",
    "HKCC": "HKCC",
}


@dataclass(frozen=True, slots=True)
class RegValue:
    name: str
    type: str
    data: RegData

    def as_dict(self) -> dict[str, object]:
        data: object = list(self.data) if isinstance(self.data, list) else self.data
        return {"value_name": self.name, "value_type": self.type, "value_data": data}


@dataclass(slots=True)
class _Key:
    name: str
    subkeys: dict[str, _Key] = field(default_factory=dict)
    values: dict[str, RegValue] = field(default_factory=dict)
    locked: bool = False

    def child(self, name: str) -> _Key:
        key = self.subkeys.get(name.lower())
        if key is None:
            key = self.subkeys[name.lower()] = _Key(name)
        return key

    def set(self, name: str, type_: str, data: RegData) -> None:
        self.values[name.lower()] = RegValue(name, type_, data)


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ProcessEntry:
    """One running process; product-specific GUIDs are derived from (pid, create_time)."""

    pid: int
    parent: int
    path: str
    command_line: str
    username: str
    sid: str
    create_time: int
    parent_create_time: int

    def as_dict(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "parent": self.parent,
            "path": self.path,
            "command_line": self.command_line,
            "username": self.username,
            "sid": self.sid,
            "create_time": self.create_time,
        }


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """What ``create process`` did: the new pid, its exit code if it ran to the end, its output."""

    pid: int
    return_code: int | None
    output: bytes
    running: bool


_SYSTEM = ("NT AUTHORITY\\SYSTEM", "s-1-5-18")
_LOCAL_SERVICE = ("NT AUTHORITY\\LOCAL SERVICE", "s-1-5-19")
_NETWORK_SERVICE = ("NT AUTHORITY\\NETWORK SERVICE", "s-1-5-20")

_FIRST_NAMES = (
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "oscar",
    "peggy",
    "trent",
    "victor",
    "walter",
)

_WINDOWS_BUILDS = (
    ("Windows 10 Enterprise", "19045", "22H2", "10.0.19045.3803"),
    ("Windows 11 Enterprise", "22631", "23H2", "10.0.22631.2861"),
    ("Windows Server 2019 Datacenter", "17763", "1809", "10.0.17763.5206"),
    ("Windows Server 2022 Datacenter", "20348", "21H2", "10.0.20348.2113"),
)


def _stable_seed(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class EndpointImage:
    """The disk, registry and processes of one endpoint; every method may raise VfsError."""

    def __init__(
        self,
        *,
        seed: int,
        key: int,
        os: OsFamily,
        hostname: str,
        base_time: float,
        username: str | None = None,
        ip_address: str = "10.0.0.2",
    ) -> None:
        self.seed = seed
        self.key = key
        self.os: OsFamily = os
        self.hostname = hostname
        self.ip_address = ip_address
        self._rng = random.Random(_stable_seed("vfs", seed, key))
        self.username = username or self._rng.choice(_FIRST_NAMES)
        self.base_time = int(base_time)
        self.boot_time = self.base_time - self._rng.randint(3_600, 20 * 86_400)
        self.install_time = self.boot_time - self._rng.randint(30 * 86_400, 400 * 86_400)
        self.case_sensitive = os == "LINUX"
        self.sep = "\\" if os == "WINDOWS" else "/"
        self._roots: dict[str, _Node] = {}
        self._registry = _Key("")
        self.processes: dict[int, ProcessEntry] = {}
        self._next_pid = 0
        self.build_info = self._rng.choice(_WINDOWS_BUILDS)
        if os == "WINDOWS":
            self._build_windows()
        else:
            self._build_unix()
        self._next_pid = max(self.processes) + 4 if self.processes else 1000

    # ---------------------------------------------------------------- public properties
    @property
    def drives(self) -> list[str]:
        """Drive roots as LR reports them (``["C:\\\\", "D:\\\\"]`` or ``["/"]``)."""
        if self.os == "WINDOWS":
            return [f"{d}:\\" for d in sorted(self._roots)]
        return ["/"]

    @property
    def default_cwd(self) -> str:
        if self.os == "WINDOWS":
            return "C:\\Windows\\CarbonBlack"
        if self.os == "MAC":
            return "/Library/Application Support/com.vmware.carbonblack.cloud"
        return "/opt/carbonblack/psc"

    @property
    def temp_dir(self) -> str:
        return "C:\\Windows\\Temp" if self.os == "WINDOWS" else "/tmp"

    # ---------------------------------------------------------------- path handling
    def _norm(self, name: str) -> str:
        return name if self.case_sensitive else name.lower()

    def _expand(self, path: str) -> str:
        if self.os != "WINDOWS" or "%" not in path:
            return path
        env = {
            "systemroot": "C:\\Windows",
            "windir": "C:\\Windows",
            "systemdrive": "C:",
            "temp": "C:\\Windows\\Temp",
            "tmp": "C:\\Windows\\Temp",
            "programfiles": "C:\\Program Files",
            "programdata": "C:\\ProgramData",
            "userprofile": f"C:\\Users\\{self.username}",
        }
        return re.sub(r"%([^%]+)%", lambda m: env.get(m.group(1).lower(), m.group(0)), path)

    def split(self, path: str, cwd: str | None = None) -> tuple[str, list[str]]:
        """``(root, components)`` of an absolute or cwd-relative path; ``..`` resolved."""
        if not isinstance(path, str) or not path.strip():
            raise VfsError(E_INVALIDARG, "empty path")
        path = self._expand(path.strip())
        cwd = cwd or self.default_cwd
        if self.os == "WINDOWS":
            path = path.replace("/", "\\")
            if path.startswith("\\\\?\\"):
                path = path[4:]
            if re.match(r"^[A-Za-z]:", path):
                root, rest = path[0].upper(), path[2:]
                if not rest.startswith("\\"):
                    rest = "\\" + rest  # "C:foo" treated as "C:\foo" (no per-drive cwd here)
            elif path.startswith("\\"):
                root, rest = cwd[0].upper(), path
            else:
                root, rest = cwd[0].upper(), cwd[2:] + "\\" + path
            parts = rest.split("\\")
        else:
            if not path.startswith("/"):
                path = cwd.rstrip("/") + "/" + path
            root, parts = "/", path.split("/")
        out: list[str] = []
        for part in parts:
            if part in ("", "."):
                continue
            if part == "..":
                if out:
                    out.pop()
                continue
            out.append(part)
        return root, out

    def join(self, root: str, parts: Sequence[str]) -> str:
        if self.os == "WINDOWS":
            return f"{root}:\\" + "\\".join(parts)
        return "/" + "/".join(parts)

    def _root(self, root: str) -> _Node:
        node = self._roots.get(root)
        if node is None:
            raise VfsError(E_PATH_NOT_FOUND, f"no drive {root}:")
        return node

    def _walk(self, root: str, parts: Sequence[str], *, final_missing: int) -> _Node:
        node = self._root(root)
        for i, part in enumerate(parts):
            if not node.is_dir or node.children is None:
                raise VfsError(E_PATH_NOT_FOUND, self.join(root, parts[: i + 1]))
            child = node.children.get(self._norm(part))
            if child is None:
                code = final_missing if i == len(parts) - 1 else E_PATH_NOT_FOUND
                raise VfsError(code, self.join(root, parts[: i + 1]))
            node = child
        return node

    def _lookup(self, path: str, cwd: str | None = None) -> _Node:
        root, parts = self.split(path, cwd)
        return self._walk(root, parts, final_missing=E_FILE_NOT_FOUND)

    def exists(self, path: str, cwd: str | None = None) -> bool:
        try:
            self._lookup(path, cwd)
        except VfsError:
            return False
        return True

    def is_dir(self, path: str, cwd: str | None = None) -> bool:
        try:
            return self._lookup(path, cwd).is_dir
        except VfsError:
            return False

    # ---------------------------------------------------------------- file operations
    def file_size(self, path: str, cwd: str | None = None) -> int:
        node = self._lookup(path, cwd)
        if node.is_dir:
            raise VfsError(E_ACCESS_DENIED, "is a directory")
        return node.size

    def read_file(
        self, path: str, offset: int = 0, count: int | None = None, cwd: str | None = None
    ) -> bytes:
        """``get file``: the bytes of ``path`` from ``offset``, at most ``count`` of them."""
        if offset < 0 or (count is not None and count < 0):
            raise VfsError(E_INVALIDARG, "negative offset or count")
        node = self._lookup(path, cwd)
        if node.is_dir or node.locked:
            raise VfsError(E_ACCESS_DENIED if node.is_dir else E_SHARING_VIOLATION, path)
        if offset > node.size:
            raise VfsError(E_INVALIDARG, "offset beyond end of file")
        return node.read(offset, count)

    def write_file(self, path: str, data: bytes, now: float, cwd: str | None = None) -> None:
        """``put file``: create or replace ``path`` (its directory must exist)."""
        root, parts = self.split(path, cwd)
        if not parts:
            raise VfsError(E_ACCESS_DENIED, "cannot write a drive root")
        parent = self._walk(root, parts[:-1], final_missing=E_PATH_NOT_FOUND)
        if not parent.is_dir or parent.children is None:
            raise VfsError(E_PATH_NOT_FOUND, path)
        existing = parent.children.get(self._norm(parts[-1]))
        t = int(now)
        if existing is not None:
            if existing.is_dir:
                raise VfsError(E_ACCESS_DENIED, f"{path} is a directory")
            if existing.locked or "READONLY" in existing.attributes:
                raise VfsError(E_ACCESS_DENIED, path)
            existing.data, existing.synth, existing.lazy = bytes(data), None, None
            existing.write_time = existing.access_time = t
            return
        parent.children[self._norm(parts[-1])] = _Node(
            parts[-1], False, t, t, t, ("ARCHIVE",), data=bytes(data)
        )
        parent.write_time = t

    def _write_synthetic(self, path: str, size: int, header: bytes, now: float) -> None:
        self.write_file(path, b"", now)
        node = self._lookup(path)
        node.data, node.synth = (
            None,
            (_stable_seed("memdump", self.seed, self.key, path), size, header),
        )

    def delete_file(self, path: str, cwd: str | None = None) -> None:
        """``delete file``: remove a file, or an empty directory."""
        root, parts = self.split(path, cwd)
        if not parts:
            raise VfsError(E_ACCESS_DENIED, "cannot delete a drive root")
        node = self._walk(root, parts, final_missing=E_FILE_NOT_FOUND)
        parent = self._walk(root, parts[:-1], final_missing=E_PATH_NOT_FOUND)
        if node.locked or "SYSTEM" in node.attributes or "READONLY" in node.attributes:
            raise VfsError(E_ACCESS_DENIED, path)
        if node.is_dir and node.children:
            raise VfsError(E_DIR_NOT_EMPTY, path)
        assert parent.children is not None
        del parent.children[self._norm(parts[-1])]

    def create_directory(self, path: str, now: float, cwd: str | None = None) -> None:
        """``create directory``: like ``CreateDirectory``, the parent must exist."""
        root, parts = self.split(path, cwd)
        if not parts:
            raise VfsError(E_ALREADY_EXISTS, path)
        parent = self._walk(root, parts[:-1], final_missing=E_PATH_NOT_FOUND)
        if not parent.is_dir or parent.children is None:
            raise VfsError(E_PATH_NOT_FOUND, path)
        if self._norm(parts[-1]) in parent.children:
            raise VfsError(E_ALREADY_EXISTS, path)
        t = int(now)
        parent.children[self._norm(parts[-1])] = _Node(
            parts[-1], True, t, t, t, ("DIRECTORY",), children={}
        )
        parent.write_time = t

    def list_directory(self, path: str, cwd: str | None = None) -> list[DirEntry]:
        """``directory list``.

        ``C:\\dir\\`` (trailing separator) lists the directory with ``.`` and ``..``; a pattern
        such as ``C:\\dir\\*.exe`` lists the matching entries (``*`` also yields ``.`` and ``..``,
        as ``FindFirstFile`` does); a path with neither names one entry, the file or directory
        itself.
        """
        if not isinstance(path, str) or not path.strip():
            raise VfsError(E_INVALIDARG, "empty path")
        raw = self._expand(path.strip())
        if self.os == "WINDOWS":
            raw = raw.replace("/", "\\")
        sep = self.sep
        pattern: str | None = None
        head, _, tail = raw.rpartition(sep)
        if any(c in tail for c in "*?"):
            pattern = tail
            raw = head + sep if head or raw.startswith(sep) else ""
            if not raw:
                raw = cwd or self.default_cwd
        if raw.endswith(sep) or pattern is not None or (self.os == "WINDOWS" and raw[-1:] == ":"):
            node = self._lookup(raw, cwd)
            if not node.is_dir or node.children is None:
                raise VfsError(E_DIRECTORY_INVALID, path)
            if node.locked:
                raise VfsError(E_ACCESS_DENIED, path)
            root, parts = self.split(raw, cwd)
            parent = self._walk(root, parts[:-1], final_missing=E_PATH_NOT_FOUND) if parts else node
            entries: list[DirEntry] = []
            match_all = pattern is None or pattern in ("*", "*.*")
            if match_all:
                entries.append(self._entry(".", node))
                entries.append(self._entry("..", parent))
            for child in sorted(node.children.values(), key=lambda n: n.name.lower()):
                if match_all or fnmatch.fnmatch(self._norm(child.name), self._norm(pattern or "*")):
                    entries.append(self._entry(child.name, child))
            if pattern is not None and not entries:
                raise VfsError(E_FILE_NOT_FOUND, path)
            return entries
        node = self._lookup(raw, cwd)
        return [self._entry(node.name, node)]

    def _entry(self, name: str, node: _Node) -> DirEntry:
        alt = _short_name(name) if self.os == "WINDOWS" and name not in (".", "..") else ""
        return DirEntry(
            filename=name,
            alt_name=alt,
            attributes=node.attributes or (("DIRECTORY",) if node.is_dir else ("ARCHIVE",)),
            size=node.size,
            create_time=node.create_time,
            last_access_time=node.access_time,
            last_write_time=node.write_time,
        )

    def walk_files(self) -> Iterator[tuple[str, int]]:
        """Every file as ``(path, size)`` (LiveQuery's ``file`` table)."""
        stack: list[tuple[str, list[str], _Node]] = [(r, [], n) for r, n in self._roots.items()]
        while stack:
            root, parts, node = stack.pop()
            for child in (node.children or {}).values():
                if child.is_dir:
                    stack.append((root, [*parts, child.name], child))
                else:
                    yield self.join(root, [*parts, child.name]), child.size

    # ---------------------------------------------------------------- registry
    def _reg_split(self, path: str) -> list[str]:
        if self.os != "WINDOWS":
            raise VfsError(E_INVALIDARG, "no registry on this platform")
        if not isinstance(path, str) or not path.strip():
            raise VfsError(E_INVALIDARG, "empty registry path")
        parts = [p for p in path.strip().replace("/", "\\").split("\\") if p]
        if not parts:
            raise VfsError(E_INVALIDARG, "empty registry path")
        hive = _HIVE_ALIASES.get(parts[0].upper())
        if hive is None:
            raise VfsError(E_INVALIDARG, f"unknown hive {parts[0]}")
        if hive == "HKCU":  # Live Response runs as SYSTEM: its HKCU is the SYSTEM user's hive
            return ["HKU", "S-1-5-18", *parts[1:]]
        return [hive, *parts[1:]]

    def _reg_key(self, parts: Sequence[str]) -> _Key:
        key = self._registry
        for i, part in enumerate(parts):
            if key.locked:
                raise VfsError(E_ACCESS_DENIED, "\\".join(parts[:i]))
            nxt = key.subkeys.get(part.lower())
            if nxt is None:
                raise VfsError(E_FILE_NOT_FOUND, "\\".join(parts[: i + 1]))
            key = nxt
        if key.locked:
            raise VfsError(E_ACCESS_DENIED, "\\".join(parts))
        return key

    def reg_enum_key(self, path: str) -> tuple[list[str], list[RegValue]]:
        """``reg enum key``: ``(sub_keys, values)`` of a key."""
        key = self._reg_key(self._reg_split(path))
        return [k.name for k in key.subkeys.values()], list(key.values.values())

    def _value_parts(self, path: str) -> tuple[list[str], str]:
        parts = self._reg_split(path)
        if len(parts) < 2:
            raise VfsError(E_INVALIDARG, "a value path needs a key and a value name")
        name = parts[-1]
        return parts[:-1], "" if name == "(Default)" else name

    def reg_query_value(self, path: str) -> RegValue:
        """``reg query value``: ``path`` is the key path followed by the value name."""
        key_parts, name = self._value_parts(path)
        key = self._reg_key(key_parts)
        value = key.values.get(name.lower())
        if value is None:
            raise VfsError(E_FILE_NOT_FOUND, path)
        return value

    def reg_create_key(self, path: str) -> None:
        """``reg create key``: creates missing intermediate keys too (``RegCreateKeyEx``)."""
        parts = self._reg_split(path)
        if len(parts) < 2:
            raise VfsError(E_ACCESS_DENIED, "cannot create a hive")
        key = self._registry
        for part in parts:
            if key.locked:
                raise VfsError(E_ACCESS_DENIED, path)
            key = key.child(part)

    def reg_delete_key(self, path: str) -> None:
        """``reg delete key``: a key with subkeys cannot be deleted (``RegDeleteKey``)."""
        parts = self._reg_split(path)
        if len(parts) < 2:
            raise VfsError(E_ACCESS_DENIED, "cannot delete a hive")
        parent = self._reg_key(parts[:-1])
        key = parent.subkeys.get(parts[-1].lower())
        if key is None:
            raise VfsError(E_FILE_NOT_FOUND, path)
        if key.subkeys or key.locked:
            raise VfsError(E_ACCESS_DENIED, path)
        del parent.subkeys[parts[-1].lower()]

    def reg_delete_value(self, path: str) -> None:
        key_parts, name = self._value_parts(path)
        key = self._reg_key(key_parts)
        if name.lower() not in key.values:
            raise VfsError(E_FILE_NOT_FOUND, path)
        del key.values[name.lower()]

    def reg_set_value(
        self, path: str, value_type: str, value_data: object, overwrite: bool
    ) -> None:
        """``reg set value``: the key must exist; ``overwrite=False`` refuses an existing value."""
        if not isinstance(value_type, str) or value_type.upper() not in _REG_TYPES:
            raise VfsError(E_INVALIDARG, f"unknown value type {value_type!r}")
        value_type = value_type.upper()
        data = _coerce_reg_data(value_type, value_data)
        key_parts, name = self._value_parts(path)
        key = self._reg_key(key_parts)
        if not overwrite and name.lower() in key.values:
            raise VfsError(E_ALREADY_EXISTS, path)
        key.set(name, value_type, data)

    # ---------------------------------------------------------------- processes
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
            username=_SYSTEM[0] if self.os == "WINDOWS" else "root",
            sid=_SYSTEM[1] if self.os == "WINDOWS" else "0",
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
        argv = _split_command_line(command_line, windows=self.os == "WINDOWS")
        if not argv:
            raise VfsError(E_INVALIDARG, "empty command line")
        exe_path = self._resolve_executable(argv[0], cwd)
        sensor = next((p.pid for p in self.processes.values() if _is_sensor(p.path)), 0)
        proc = self._spawn(exe_path, command_line.strip(), sensor, now)
        output, code, exits = _Shell(self, cwd).run(exe_path, argv)
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

    # ---------------------------------------------------------------- baseline construction
    def _t(self, lo_days: float = 1, hi_days: float = 300) -> int:
        return self.base_time - int(self._rng.uniform(lo_days, hi_days) * 86_400)

    def _dir(self, parent: _Node, name: str, attrs: tuple[str, ...] = ("DIRECTORY",)) -> _Node:
        assert parent.children is not None
        existing = parent.children.get(self._norm(name))
        if existing is not None:
            return existing
        t = self.install_time + self._rng.randint(0, 86_400)
        node = _Node(name, True, t, self._t(0, 5), self._t(1, 60), attrs, children={})
        parent.children[self._norm(name)] = node
        return node

    def _mkdirs(self, path: str) -> _Node:
        root, parts = self._fast_split(path)
        node = self._roots[root]
        for part in parts:
            node = self._dir(node, part)
        return node

    def _fast_split(self, path: str) -> tuple[str, list[str]]:
        """``split`` for the canonical absolute paths the baseline is built from."""
        if self.os == "WINDOWS":
            return path[0], [p for p in path[3:].split("\\") if p]
        return "/", [p for p in path[1:].split("/") if p]

    def _file(
        self,
        path: str,
        *,
        data: bytes | str | Callable[[], str] | None = None,
        size: int | None = None,
        header: bytes = b"",
        attrs: tuple[str, ...] = ("ARCHIVE",),
        locked: bool = False,
    ) -> None:
        root, parts = self._fast_split(path)
        parent = self._roots[root]
        for part in parts[:-1]:
            parent = self._dir(parent, part)
        created = self.install_time + self._rng.randint(0, 30 * 86_400)
        written = max(created, self._t(0.1, 200))
        node = _Node(parts[-1], False, created, max(written, self._t(0, 3)), written, attrs)
        node.locked = locked
        if callable(data):
            make = data
            node.lazy = lambda: make().encode()
        elif data is not None:
            node.data = data.encode() if isinstance(data, str) else data
        else:
            node.synth = (_stable_seed("file", self.seed, self.key, path), size or 0, header)
        assert parent.children is not None
        parent.children[self._norm(parts[-1])] = node

    def _exe(self, path: str, lo: int = 20_000, hi: int = 900_000) -> None:
        self._file(path, size=self._rng.randint(lo, hi), header=_PE_HEADER)

    def _build_windows(self) -> None:
        rng = self._rng
        t0 = self.install_time
        for drive in ("C", "D") if rng.random() < 0.4 else ("C",):
            self._roots[drive] = _Node(
                f"{drive}:", True, t0, t0, t0, ("DIRECTORY", "HIDDEN", "SYSTEM"), children={}
            )
        user = self.username
        system32 = "C:\\Windows\\System32"
        for name in (
            "cmd.exe",
            "notepad.exe",
            "svchost.exe",
            "lsass.exe",
            "services.exe",
            "smss.exe",
            "csrss.exe",
            "wininit.exe",
            "winlogon.exe",
            "taskhostw.exe",
            "conhost.exe",
            "whoami.exe",
            "hostname.exe",
            "ipconfig.exe",
            "ping.exe",
            "netstat.exe",
            "tasklist.exe",
            "reg.exe",
            "rundll32.exe",
            "SecurityHealthSystray.exe",
        ):
            self._exe(f"{system32}\\{name}")
        for name in ("kernel32.dll", "ntdll.dll", "user32.dll", "advapi32.dll", "ws2_32.dll"):
            self._exe(f"{system32}\\{name}", 100_000, 2_000_000)
        self._exe(f"{system32}\\WindowsPowerShell\\v1.0\\powershell.exe", 400_000, 500_000)
        self._file(f"{system32}\\drivers\\etc\\hosts", data=_WINDOWS_HOSTS)
        self._file(f"{system32}\\drivers\\etc\\services", data=_SERVICES_FILE)
        self._exe(f"{system32}\\drivers\\ACPI.sys", 500_000, 800_000)
        self._file(
            f"{system32}\\config\\SAM", size=65_536, locked=True, attrs=("ARCHIVE", "SYSTEM")
        )
        self._file(
            f"{system32}\\config\\SYSTEM", size=12_582_912, locked=True, attrs=("ARCHIVE", "SYSTEM")
        )
        self._file(
            f"{system32}\\config\\SOFTWARE",
            size=8_388_608,
            locked=True,
            attrs=("ARCHIVE", "SYSTEM"),
        )
        self._exe("C:\\Windows\\explorer.exe", 4_000_000, 5_000_000)
        self._exe("C:\\Windows\\regedit.exe", 300_000, 400_000)
        self._file("C:\\Windows\\win.ini", data=_WIN_INI)
        self._file("C:\\Windows\\system.ini", data=_SYSTEM_INI)
        self._mkdirs("C:\\Windows\\Temp")
        for i in range(rng.randint(1, 4)):
            name = f"{rng.choice(('setup', 'msi', 'dd_vcredist', 'tmp'))}{i:04X}.log"
            lines = rng.randint(5, 40)  # drawn now: the text itself is generated on first read
            self._file(f"C:\\Windows\\Temp\\{name}", data=self._log_later(lines, "installer", i))
        # The EDR sensor and the cloud sensor (both may be installed; the emulator serves both).
        self._exe("C:\\Windows\\CarbonBlack\\cb.exe", 2_000_000, 3_000_000)
        self._file(
            "C:\\Windows\\CarbonBlack\\sensor.log", data=lambda: self._log_text(60, "sensor")
        )
        self._file(
            "C:\\Windows\\CarbonBlack\\config.ini",
            data=f"[CB]\r\nSensorBackendServer=https://cb.example.com\r\nHostname={self.hostname}\r\n",
        )
        self._exe("C:\\Program Files\\Confer\\RepMgr.exe", 5_000_000, 6_000_000)
        self._exe("C:\\Program Files\\Confer\\scanner\\scanhost.exe", 1_000_000, 2_000_000)
        self._file(
            "C:\\ProgramData\\CarbonBlack\\Logs\\cbc.log", data=lambda: self._log_text(40, "cloud")
        )
        self._exe(
            "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", 2_500_000, 3_000_000
        )
        self._exe("C:\\Program Files\\Mozilla Firefox\\firefox.exe", 600_000, 700_000)
        self._exe(
            "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
            3_000_000,
            4_000_000,
        )
        self._exe("C:\\Program Files\\7-Zip\\7z.exe", 500_000, 600_000)
        home = f"C:\\Users\\{user}"
        for sub in (
            "Desktop",
            "Documents",
            "Downloads",
            "AppData\\Local\\Temp",
            "AppData\\Roaming",
        ):
            self._mkdirs(f"{home}\\{sub}")
        self._mkdirs("C:\\Users\\Public\\Documents")
        self._file(f"{home}\\NTUSER.DAT", size=786_432, locked=True, attrs=("ARCHIVE", "HIDDEN"))
        self._file(f"{home}\\Desktop\\notes.txt", data=self._notes_text())
        self._file(
            f"{home}\\Desktop\\desktop.ini",
            data="[.ShellClassInfo]\r\n",
            attrs=("HIDDEN", "SYSTEM", "ARCHIVE"),
        )
        for i in range(rng.randint(2, 6)):
            kind = rng.choice(("report", "budget", "invoice", "minutes", "roadmap"))
            ext, header = rng.choice(
                ((".docx", b"PK\x03\x04"), (".xlsx", b"PK\x03\x04"), (".pdf", b"%PDF-1.7\n"))
            )
            self._file(
                f"{home}\\Documents\\{kind}_{2023 + i % 2}_{i + 1:02d}{ext}",
                size=rng.randint(8_000, 400_000),
                header=header,
            )
        for name in rng.sample(
            ("setup.exe", "zoom_installer.exe", "putty.exe", "invoice.pdf.exe", "tools.zip"), 2
        ):
            header = b"PK\x03\x04" if name.endswith(".zip") else _PE_HEADER
            self._file(
                f"{home}\\Downloads\\{name}", size=rng.randint(50_000, 3_000_000), header=header
            )
        self._file(
            "C:\\pagefile.sys", size=1 << 30, locked=True, attrs=("ARCHIVE", "HIDDEN", "SYSTEM")
        )
        self._file(
            "C:\\swapfile.sys", size=16 << 20, locked=True, attrs=("ARCHIVE", "HIDDEN", "SYSTEM")
        )
        if "D" in self._roots:
            self._file(
                "D:\\backup\\archive.7z",
                size=rng.randint(1_000_000, 4_000_000),
                header=b"7z\xbc\xaf\x27\x1c",
            )
            self._file("D:\\data\\export.csv", data=self._csv_text())
        self._build_registry()
        self._build_windows_processes()

    def _build_unix(self) -> None:
        rng = self._rng
        t0 = self.install_time
        self._roots["/"] = _Node("/", True, t0, t0, t0, ("DIRECTORY",), children={})
        user = self.username
        mac = self.os == "MAC"
        home = f"/Users/{user}" if mac else f"/home/{user}"
        for name in (
            "bash",
            "sh",
            "ls",
            "cat",
            "echo",
            "ps",
            "whoami",
            "hostname",
            "uname",
            "id",
            "sleep",
            "curl",
            "python3",
        ):
            self._file(
                f"/bin/{name}"
                if name in ("bash", "sh", "ls", "cat", "echo", "ps")
                else f"/usr/bin/{name}",
                size=rng.randint(30_000, 1_500_000),
                header=b"\xcf\xfa\xed\xfe" if mac else b"\x7fELF",
            )
        self._file(
            "/etc/hosts",
            data=f"127.0.0.1\tlocalhost\n{self.ip_address}\t{self.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
        )
        self._file("/etc/passwd", data=self._passwd_text())
        self._file(
            "/etc/shadow",
            data=f"root:*:19000:0:99999:7:::\n{user}:$6$rounds=5000$emulated$:19100:0:99999:7:::\n",
            attrs=("ARCHIVE", "READONLY"),
        )
        self._file("/etc/resolv.conf", data="nameserver 10.0.0.1\nsearch corp.example.com\n")
        if mac:
            self._file("/System/Library/CoreServices/SystemVersion.plist", data=_MAC_VERSION_PLIST)
            self._file("/private/var/log/system.log", data=lambda: self._log_text(50, "system"))
            self._file(
                "/Applications/Safari.app/Contents/MacOS/Safari",
                size=rng.randint(20_000, 60_000),
                header=b"\xcf\xfa\xed\xfe",
            )
            self._file(
                "/Applications/VMware Carbon Black Cloud/com.vmware.carbonblack.cloud.daemon",
                size=3_000_000,
                header=b"\xcf\xfa\xed\xfe",
            )
            self._mkdirs("/Library/Application Support/com.vmware.carbonblack.cloud")
            self._file(
                "/Library/Application Support/com.vmware.carbonblack.cloud/cfg.ini",
                data="[customer]\nProxy=\n",
            )
            self._mkdirs("/private/tmp")
            self._mkdirs("/tmp")
        else:
            self._file("/etc/os-release", data=_OS_RELEASE)
            self._file("/var/log/syslog", data=lambda: self._log_text(60, "syslog"))
            self._file("/var/log/auth.log", data=lambda: self._log_text(30, "auth"))
            self._file("/opt/carbonblack/psc/bin/cbagentd", size=4_000_000, header=b"\x7fELF")
            self._file(
                "/opt/carbonblack/psc/cfg.ini",
                data="[customer]\nProxy=\nBackendServer=https://defense.example.com\n",
            )
            self._file(
                "/var/opt/carbonblack/psc/log/cbagentd.log",
                data=lambda: self._log_text(40, "cloud"),
            )
            self._file("/usr/sbin/sshd", size=900_000, header=b"\x7fELF")
            self._file("/usr/sbin/cron", size=60_000, header=b"\x7fELF")
            self._file("/usr/sbin/rsyslogd", size=700_000, header=b"\x7fELF")
            self._file("/usr/lib/systemd/systemd", size=1_600_000, header=b"\x7fELF")
            self._file("/proc/kcore", size=1 << 30, locked=True, attrs=("READONLY",))
            self._mkdirs("/tmp")
        self._file(
            f"{home}/.bash_history",
            data="ls -la\ncd /tmp\ncurl -O https://example.com/tool.sh\nchmod +x tool.sh\n./tool.sh\nsudo systemctl status cbagentd\n",
        )
        self._file(
            f"{home}/.bashrc" if not mac else f"{home}/.zshrc",
            data="export PATH=$HOME/bin:$PATH\nalias ll='ls -la'\n",
        )
        self._file(f"{home}/notes.txt", data=self._notes_text())
        self._mkdirs(f"{home}/Downloads")
        self._file(
            f"{home}/Downloads/{rng.choice(('tool.sh', 'install.sh', 'backup.tar.gz'))}",
            size=rng.randint(2_000, 900_000),
            header=b"#!/bin/sh\n",
        )
        self._build_unix_processes()

    def _build_registry(self) -> None:
        rng = self._rng
        product, build, display, full = self.build_info
        hklm = self._registry.child("HKLM")
        cv = hklm.child("SOFTWARE").child("Microsoft").child("Windows NT").child("CurrentVersion")
        cv.set("ProductName", "REG_SZ", product)
        cv.set("CurrentBuild", "REG_SZ", build)
        cv.set("CurrentBuildNumber", "REG_SZ", build)
        cv.set("DisplayVersion", "REG_SZ", display)
        cv.set(
            "EditionID", "REG_SZ", "Enterprise" if "Server" not in product else "ServerDatacenter"
        )
        cv.set("InstallDate", "REG_DWORD", self.install_time)
        cv.set("RegisteredOwner", "REG_SZ", self.username)
        cv.set("SystemRoot", "REG_SZ", "C:\\Windows")
        cv.set("BuildLabEx", "REG_SZ", f"{full}.amd64fre")
        win = hklm.child("SOFTWARE").child("Microsoft").child("Windows").child("CurrentVersion")
        run = win.child("Run")
        run.set("SecurityHealth", "REG_EXPAND_SZ", "%windir%\\system32\\SecurityHealthSystray.exe")
        if rng.random() < 0.5:
            run.set(
                "VMware User Process",
                "REG_SZ",
                '"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe" -n vmusr',
            )
        win.child("RunOnce")
        uninstall = win.child("Uninstall")
        for app, ver in (
            ("7-Zip", "23.01"),
            ("Google Chrome", "120.0.6099.130"),
            ("Mozilla Firefox", "121.0"),
        ):
            k = uninstall.child(app)
            k.set("DisplayName", "REG_SZ", app)
            k.set("DisplayVersion", "REG_SZ", ver)
        cb = hklm.child("SOFTWARE").child("CarbonBlack").child("config")
        cb.set("SensorBackendServer", "REG_SZ", "https://cb.example.com")
        cb.set("SensorId", "REG_DWORD", self.key)
        system = hklm.child("SYSTEM").child("CurrentControlSet")
        services = system.child("services")
        acpi = services.child("ACPI")
        acpi.set("Start", "REG_DWORD", 0)
        acpi.set("Type", "REG_DWORD", 1)
        acpi.set("ErrorControl", "REG_DWORD", 3)
        acpi.set("ImagePath", "REG_EXPAND_SZ", "system32\\drivers\\ACPI.sys")
        acpi.set("DisplayName", "REG_SZ", "Microsoft ACPI Driver")
        acpi.set("Group", "REG_SZ", "Boot Bus Extender")
        acpi.set("DriverPackageId", "REG_SZ", "acpi.inf_x86_neutral_ddd3c514822f1b21")
        acpi.set("Tag", "REG_DWORD", 1)
        acpi.child("Parameters").set("WHEAOSCImplemented", "REG_DWORD", 0)
        acpi.child("Enum").set("Count", "REG_DWORD", 1)
        for name, image, start in (
            ("CarbonBlack", "C:\\Windows\\CarbonBlack\\cb.exe", 2),
            ("CbDefense", '"C:\\Program Files\\Confer\\RepMgr.exe"', 2),
            (
                "EventLog",
                "%SystemRoot%\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p",
                2,
            ),
            ("Spooler", "%SystemRoot%\\System32\\spoolsv.exe", 2),
        ):
            k = services.child(name)
            k.set("ImagePath", "REG_EXPAND_SZ", image)
            k.set("Start", "REG_DWORD", start)
            k.set("Type", "REG_DWORD", 16)
        tcpip = services.child("Tcpip").child("Parameters")
        tcpip.set("Hostname", "REG_SZ", self.hostname)
        tcpip.set("NV Hostname", "REG_SZ", self.hostname)
        tcpip.set("Domain", "REG_SZ", "corp.example.com")
        tcpip.set("SearchList", "REG_SZ", "corp.example.com")
        control = system.child("Control")
        control.child("ComputerName").child("ComputerName").set(
            "ComputerName", "REG_SZ", self.hostname.upper()
        )
        env = control.child("Session Manager").child("Environment")
        env.set(
            "Path",
            "REG_EXPAND_SZ",
            "%SystemRoot%\\system32;%SystemRoot%;%SystemRoot%\\System32\\Wbem",
        )
        env.set("TEMP", "REG_EXPAND_SZ", "%SystemRoot%\\TEMP")
        env.set("OS", "REG_SZ", "Windows_NT")
        env.set("NUMBER_OF_PROCESSORS", "REG_SZ", str(rng.choice((2, 4, 8, 16))))
        env.set("PATHEXT", "REG_SZ", ".COM;.EXE;.BAT;.CMD;.VBS;.JS;.WSH;.MSC")
        control.child("Session Manager").set("BootExecute", "REG_MULTI_SZ", ["autocheck autochk *"])
        cpu = (
            hklm.child("HARDWARE")
            .child("DESCRIPTION")
            .child("System")
            .child("CentralProcessor")
            .child("0")
        )
        cpu.set(
            "ProcessorNameString",
            "REG_SZ",
            rng.choice(
                (
                    "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
                    "Intel(R) Core(TM) i7-10610U CPU @ 1.80GHz",
                    "AMD EPYC 7763 64-Core Processor",
                )
            ),
        )
        cpu.set("~MHz", "REG_DWORD", rng.choice((1800, 2400, 3000)))
        hklm.child("SAM").locked = True
        hklm.child("SECURITY").locked = True
        hku = self._registry.child("HKU")
        for sid in (".DEFAULT", "S-1-5-18", "S-1-5-19", "S-1-5-20", self.user_sid):
            k = (
                hku.child(sid)
                .child("Software")
                .child("Microsoft")
                .child("Windows")
                .child("CurrentVersion")
            )
            k.child("Run")
        hku.child(self.user_sid).child("Software").child("Microsoft").child("Windows").child(
            "CurrentVersion"
        ).child("Run").set(
            "OneDrive",
            "REG_SZ",
            f'"C:\\Users\\{self.username}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background',
        )
        hku.child(self.user_sid).child("Environment").set(
            "TEMP", "REG_EXPAND_SZ", "%USERPROFILE%\\AppData\\Local\\Temp"
        )
        hkcr = self._registry.child("HKCR")
        hkcr.child(".txt").set("", "REG_SZ", "txtfile")
        hkcr.child(".exe").set("", "REG_SZ", "exefile")
        self._registry.child("HKCC").child("System")

    @property
    def user_sid(self) -> str:
        a, b, c = (_stable_seed("sid", self.seed, self.key, i) % 4_000_000_000 for i in range(3))
        return f"S-1-5-21-{a}-{b}-{c}-1001"

    def _add_proc(
        self, pid: int, parent: int, path: str, cmd: str, user: tuple[str, str], offset: int = 0
    ) -> None:
        parent_entry = self.processes.get(parent)
        self.processes[pid] = ProcessEntry(
            pid=pid,
            parent=parent,
            path=path,
            command_line=cmd,
            username=user[0],
            sid=user[1],
            create_time=self.boot_time + offset,
            parent_create_time=parent_entry.create_time if parent_entry else self.boot_time,
        )

    def _build_windows_processes(self) -> None:
        rng = self._rng
        pids = iter(sorted(rng.sample(range(100, 12_000, 4), 40)))
        s32 = "c:\\windows\\system32"
        self._add_proc(4, 0, "", "", _SYSTEM)
        smss = next(pids)
        self._add_proc(smss, 4, f"{s32}\\smss.exe", "\\SystemRoot\\System32\\smss.exe", _SYSTEM, 2)
        csrss = next(pids)
        self._add_proc(
            csrss,
            smss,
            f"{s32}\\csrss.exe",
            "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16",
            _SYSTEM,
            3,
        )
        wininit = next(pids)
        self._add_proc(wininit, smss, f"{s32}\\wininit.exe", "wininit.exe", _SYSTEM, 3)
        services = next(pids)
        self._add_proc(
            services,
            wininit,
            f"{s32}\\services.exe",
            "C:\\Windows\\system32\\services.exe",
            _SYSTEM,
            4,
        )
        self._add_proc(
            next(pids), wininit, f"{s32}\\lsass.exe", "C:\\Windows\\system32\\lsass.exe", _SYSTEM, 4
        )
        winlogon = next(pids)
        self._add_proc(winlogon, smss, f"{s32}\\winlogon.exe", "winlogon.exe", _SYSTEM, 4)
        for group, user in (
            ("DcomLaunch -p", _SYSTEM),
            ("RPCSS -p", _NETWORK_SERVICE),
            ("LocalServiceNetworkRestricted -p", _LOCAL_SERVICE),
            ("netsvcs -p", _SYSTEM),
            ("NetworkService -p", _NETWORK_SERVICE),
            ("LocalSystemNetworkRestricted -p", _SYSTEM),
        ):
            self._add_proc(
                next(pids),
                services,
                f"{s32}\\svchost.exe",
                f"C:\\Windows\\system32\\svchost.exe -k {group}",
                user,
                6,
            )
        self._add_proc(
            next(pids),
            services,
            "c:\\windows\\carbonblack\\cb.exe",
            "C:\\Windows\\CarbonBlack\\cb.exe",
            _SYSTEM,
            9,
        )
        self._add_proc(
            next(pids),
            services,
            "c:\\program files\\confer\\repmgr.exe",
            '"C:\\Program Files\\Confer\\RepMgr.exe"',
            _SYSTEM,
            9,
        )
        interactive = (f"{self.hostname.split('.')[0].upper()}\\{self.username}", self.user_sid)
        explorer = next(pids)
        self._add_proc(
            explorer,
            winlogon,
            "c:\\windows\\explorer.exe",
            "C:\\Windows\\Explorer.EXE",
            interactive,
            60,
        )
        self._add_proc(
            next(pids),
            explorer,
            f"{s32}\\securityhealthsystray.exe",
            '"C:\\Windows\\System32\\SecurityHealthSystray.exe"',
            interactive,
            65,
        )
        chrome = next(pids)
        self._add_proc(
            chrome,
            explorer,
            "c:\\program files\\google\\chrome\\application\\chrome.exe",
            '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"',
            interactive,
            300,
        )
        for _ in range(rng.randint(2, 5)):
            self._add_proc(
                next(pids),
                chrome,
                "c:\\program files\\google\\chrome\\application\\chrome.exe",
                '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer',
                interactive,
                301,
            )
        if rng.random() < 0.6:
            self._add_proc(
                next(pids),
                explorer,
                f"{s32}\\notepad.exe",
                f'"C:\\Windows\\system32\\notepad.exe" C:\\Users\\{self.username}\\Desktop\\notes.txt',
                interactive,
                4_000,
            )
        if rng.random() < 0.5:
            cmd = next(pids)
            self._add_proc(
                cmd,
                explorer,
                f"{s32}\\cmd.exe",
                '"C:\\Windows\\system32\\cmd.exe"',
                interactive,
                5_000,
            )
            self._add_proc(
                next(pids),
                cmd,
                f"{s32}\\conhost.exe",
                "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
                interactive,
                5_000,
            )
        if rng.random() < 0.4:
            self._add_proc(
                next(pids),
                explorer,
                f"{s32}\\windowspowershell\\v1.0\\powershell.exe",
                '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -nop -w hidden',
                interactive,
                6_000,
            )

    def _build_unix_processes(self) -> None:
        rng = self._rng
        root = ("root", "0")
        user = (self.username, str(1000 + self.key % 100))
        if self.os == "MAC":
            self._add_proc(0, 0, "", "kernel_task", root)
            self._add_proc(1, 0, "/sbin/launchd", "/sbin/launchd", root)
            pids = iter(sorted(rng.sample(range(80, 30_000), 20)))
            self._add_proc(next(pids), 1, "/usr/libexec/logd", "/usr/libexec/logd", root, 2)
            self._add_proc(
                next(pids),
                1,
                "/Applications/VMware Carbon Black Cloud/com.vmware.carbonblack.cloud.daemon",
                "/Applications/VMware Carbon Black Cloud/com.vmware.carbonblack.cloud.daemon",
                root,
                5,
            )
            self._add_proc(
                next(pids),
                1,
                "/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer",
                "/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon",
                ("_windowserver", "88"),
                8,
            )
            self._add_proc(
                next(pids),
                1,
                "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder",
                "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder",
                user,
                60,
            )
            self._add_proc(
                next(pids),
                1,
                "/Applications/Safari.app/Contents/MacOS/Safari",
                "/Applications/Safari.app/Contents/MacOS/Safari",
                user,
                400,
            )
            shell = next(pids)
            self._add_proc(shell, 1, "/bin/zsh", "-zsh", user, 900)
            return
        self._add_proc(1, 0, "/usr/lib/systemd/systemd", "/sbin/init splash", root)
        self._add_proc(2, 0, "", "[kthreadd]", root)
        pids = iter(sorted(rng.sample(range(300, 40_000), 20)))
        self._add_proc(
            next(pids),
            1,
            "/usr/lib/systemd/systemd-journald",
            "/lib/systemd/systemd-journald",
            root,
            2,
        )
        self._add_proc(
            next(pids),
            1,
            "/usr/sbin/rsyslogd",
            "/usr/sbin/rsyslogd -n -iNONE",
            ("syslog", "104"),
            4,
        )
        self._add_proc(next(pids), 1, "/usr/sbin/cron", "/usr/sbin/cron -f -P", root, 4)
        sshd = next(pids)
        self._add_proc(
            sshd,
            1,
            "/usr/sbin/sshd",
            "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
            root,
            5,
        )
        self._add_proc(
            next(pids),
            1,
            "/opt/carbonblack/psc/bin/cbagentd",
            "/opt/carbonblack/psc/bin/cbagentd",
            root,
            6,
        )
        session = next(pids)
        self._add_proc(session, sshd, "/usr/sbin/sshd", f"sshd: {self.username}@pts/0", user, 3_000)
        bash = next(pids)
        self._add_proc(bash, session, "/bin/bash", "-bash", user, 3_001)
        if rng.random() < 0.5:
            self._add_proc(
                next(pids), bash, "/usr/bin/python3", "python3 -m http.server 8000", user, 3_500
            )

    # ---------------------------------------------------------------- generated text
    def _log_later(self, lines: int, kind: str, salt: int) -> Callable[[], str]:
        return lambda: self._log_text(lines, kind, salt)

    def _log_text(self, lines: int, kind: str, salt: int = 0) -> str:
        rng = random.Random(_stable_seed("log", self.seed, self.key, kind, salt))
        t = self.base_time - lines * 600
        messages = {
            "sensor": (
                "Sensor checkin succeeded",
                "Uploaded event log batch",
                "Module info sent",
                "Checkin interval 30s",
            ),
            "cloud": (
                "Policy update received",
                "Reputation cache refreshed",
                "Connected to backend",
                "Sent 42 events",
            ),
            "installer": (
                "Installing package",
                "Extracting files",
                "Registering components",
                "Installation success",
            ),
            "syslog": (
                "systemd[1]: Started Session of user",
                "kernel: [UFW BLOCK] IN=eth0",
                "CRON[123]: (root) CMD (run-parts /etc/cron.hourly)",
                "cbagentd: connected",
            ),
            "auth": (
                "sshd: Accepted publickey for",
                "sudo: session opened for user root",
                "sshd: Failed password for invalid user admin",
                "systemd-logind: New session",
            ),
            "system": (
                "launchd: Service started",
                "kernel: IOKit event",
                "syslogd: ASL Sender Statistics",
                "configd: network changed",
            ),
        }[kind]
        newline = "\r\n" if self.os == "WINDOWS" else "\n"
        out = []
        for _ in range(lines):
            t += rng.randint(10, 600)
            out.append(f"{_iso(t)} {self.hostname} {rng.choice(messages)}")
        return newline.join(out) + newline

    def _notes_text(self) -> str:
        newline = "\r\n" if self.os == "WINDOWS" else "\n"
        return (
            newline.join(
                (
                    f"Notes of {self.username} on {self.hostname}",
                    "- renew the VPN certificate",
                    "- ticket INC-" + str(10_000 + self.key * 7 % 90_000),
                    "- ask IT about the new laptop",
                )
            )
            + newline
        )

    def _csv_text(self) -> str:
        rng = random.Random(_stable_seed("csv", self.seed, self.key))
        rows = ["id,name,amount"]
        rows += [f"{i},{rng.choice(_FIRST_NAMES)},{rng.randint(10, 9999)}" for i in range(1, 40)]
        return "\r\n".join(rows) + "\r\n"

    def _passwd_text(self) -> str:
        uid = 1000 + self.key % 100
        return (
            "root:x:0:0:root:/root:/bin/bash\n"
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
            "syslog:x:104:110::/home/syslog:/usr/sbin/nologin\n"
            "sshd:x:110:65534::/run/sshd:/usr/sbin/nologin\n"
            f"{self.username}:x:{uid}:{uid}:{self.username.title()}:/home/{self.username}:/bin/bash\n"
        )


def _is_sensor(path: str) -> bool:
    low = path.lower()
    return any(s in low for s in ("repmgr.exe", "cbagentd", "carbonblack.cloud.daemon"))


def _iso(epoch: int) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def _split_command_line(command: str, *, windows: bool) -> list[str]:
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


class _Shell:
    """Just enough of cmd.exe and sh to make ``create process`` output believable."""

    def __init__(self, image: EndpointImage, cwd: str) -> None:
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
                            f"{_iso(e.last_write_time)[:16].replace('T', '  ')}    {kind} {e.filename}"
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

_PE_HEADER = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8"
    + b"\x00" * 47
    + b"\x0e\x1f\xba\x0e\x00\xb4\t\xcd!\xb8\x01L\xcd!This program cannot be run in DOS mode.\r\r\n$"
)

_WINDOWS_HOSTS = (
    "# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n"
    "# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.\r\n#\r\n"
    "# localhost name resolution is handled within DNS itself.\r\n"
    "#\t127.0.0.1       localhost\r\n#\t::1             localhost\r\n"
)
_SERVICES_FILE = "echo                7/tcp\r\nftp                21/tcp\r\nssh                22/tcp\r\nhttp               80/tcp\r\nhttps             443/tcp\r\n"
_WIN_INI = "; for 16-bit app support\r\n[fonts]\r\n[extensions]\r\n[mci extensions]\r\n[files]\r\n[Mail]\r\nMAPI=1\r\n"
_SYSTEM_INI = "; for 16-bit app support\r\n[386Enh]\r\nwoafont=dosapp.fon\r\nEGA80WOA.FON=EGA80WOA.FON\r\n[drivers]\r\nwave=mmdrv.dll\r\ntimer=timer.drv\r\n"
_OS_RELEASE = 'NAME="Ubuntu"\nVERSION="22.04.3 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n'
_MAC_VERSION_PLIST = '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>ProductName</key>\n\t<string>macOS</string>\n\t<key>ProductVersion</key>\n\t<string>14.2.1</string>\n</dict>\n</plist>\n'


def _coerce_reg_data(value_type: str, data: object) -> RegData:
    if value_type in ("REG_DWORD", "REG_QWORD"):
        limit = 1 << (32 if value_type == "REG_DWORD" else 64)
        if isinstance(data, bool):
            raise VfsError(E_INVALIDARG, "a DWORD/QWORD value must be an integer")
        if isinstance(data, str):
            text = data.strip()
            try:
                data = int(text, 16) if text.lower().startswith("0x") else int(text)
            except ValueError as exc:
                raise VfsError(E_INVALIDARG, f"not an integer: {data!r}") from exc
        if not isinstance(data, int) or not -(limit >> 1) <= data < limit:
            raise VfsError(E_INVALIDARG, f"{value_type} out of range: {data!r}")
        return data
    if value_type == "REG_MULTI_SZ":
        if isinstance(data, str):
            return [data]
        if isinstance(data, list) and all(isinstance(x, (str, int)) for x in data):
            return [str(x) for x in data]
        raise VfsError(E_INVALIDARG, "REG_MULTI_SZ data must be a list of strings")
    if isinstance(data, (str, int)) and not isinstance(data, bool):
        return str(data)
    raise VfsError(E_INVALIDARG, f"bad {value_type} data {data!r}")


IMAGES_BACKEND = "vfs_images"
# The population's OS family (lower case) as an image's.
IMAGE_OS: dict[str, OsFamily] = {"windows": "WINDOWS", "macos": "MAC", "linux": "LINUX"}


def image_store(state: EmulatorState) -> ImageStore:
    """The endpoint images of this state (one per machine, shared by every product: a machine's
    disk is one disk whether Live Response or LiveQuery looks at it)."""
    return state.backend(IMAGES_BACKEND, lambda s: ImageStore(s.config.seed, s.config.data_epoch))


class ImageStore:
    """Endpoint images by key, built on first use and kept (with their mutations) afterwards."""

    def __init__(self, seed: int, base_time: float) -> None:
        self.seed = seed
        self.base_time = base_time
        self._images: dict[int, EndpointImage] = {}

    def get(
        self,
        key: int,
        *,
        os: OsFamily,
        hostname: str,
        ip_address: str = "10.0.0.2",
        username: str | None = None,
    ) -> EndpointImage:
        image = self._images.get(key)
        if image is None:
            image = self._images[key] = EndpointImage(
                seed=self.seed,
                key=key,
                os=os,
                hostname=hostname,
                base_time=self.base_time,
                username=username,
                ip_address=ip_address,
            )
        return image

    def of(self, ep: Endpoint) -> EndpointImage:
        """The image of an endpoint of the population (keyed by its index)."""
        return self.get(
            ep.index,
            os=IMAGE_OS[ep.os_family],
            hostname=ep.hostname,
            ip_address=ep.internal_ip,
            username=ep.username.rsplit("\\", 1)[-1],
        )

    def __len__(self) -> int:
        return len(self._images)
