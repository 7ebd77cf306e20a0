"""The file system of an image: drives, paths (with Windows' case-insensitivity and ``%VAR%``
expansion), files whose bytes are synthesised on read, directories and their listings.
"""

from __future__ import annotations

import fnmatch
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from cbasync.testing.dataset.vfs.core import ImageCore, stable_seed
from cbasync.testing.dataset.vfs.errors import (
    E_ACCESS_DENIED,
    E_ALREADY_EXISTS,
    E_DIR_NOT_EMPTY,
    E_DIRECTORY_INVALID,
    E_FILE_NOT_FOUND,
    E_INVALIDARG,
    E_PATH_NOT_FOUND,
    E_SHARING_VIOLATION,
    VfsError,
)
from cbasync.testing.dataset.vfs.records import DirEntry

__all__ = ["FileSystem", "Node", "short_name", "synth_bytes"]


_BLOCK = 4096


def synth_bytes(seed: int, size: int, offset: int, count: int, header: bytes) -> bytes:
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
class Node:
    name: str
    is_dir: bool
    create_time: int
    access_time: int
    write_time: int
    attributes: tuple[str, ...] = ()
    children: dict[str, Node] | None = None
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
            return synth_bytes(seed, total, offset, count, header)
        return b""


def short_name(name: str) -> str:
    """The 8.3 alias Windows shows for long names (``PROGRA~1``); empty when not needed."""
    stem, _, ext = name.rpartition(".") if "." in name[1:] else (name, "", "")
    clean = re.sub(r"[^A-Za-z0-9]", "", stem).upper()
    clean_ext = re.sub(r"[^A-Za-z0-9]", "", ext).upper()[:3]
    if len(stem) <= 8 and stem == stem.upper() and " " not in name and len(ext) <= 3:
        return ""
    return f"{clean[:6]}~1" + (f".{clean_ext}" if clean_ext else "")


class FileSystem(ImageCore):
    """The disk: drives, paths, files and directories."""

    _roots: dict[str, Node]

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

    def _root(self, root: str) -> Node:
        node = self._roots.get(root)
        if node is None:
            raise VfsError(E_PATH_NOT_FOUND, f"no drive {root}:")
        return node

    def _walk(self, root: str, parts: Sequence[str], *, final_missing: int) -> Node:
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

    def _lookup(self, path: str, cwd: str | None = None) -> Node:
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
        parent.children[self._norm(parts[-1])] = Node(
            parts[-1], False, t, t, t, ("ARCHIVE",), data=bytes(data)
        )
        parent.write_time = t

    def write_synthetic(self, path: str, size: int, now: float) -> None:
        """A file of ``size`` stable pseudo-random bytes (its content is made when read)."""
        self._write_synthetic(path, size, b"", now)

    def _write_synthetic(self, path: str, size: int, header: bytes, now: float) -> None:
        self.write_file(path, b"", now)
        node = self._lookup(path)
        node.data, node.synth = (
            None,
            (stable_seed("memdump", self.seed, self.key, path), size, header),
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
        parent.children[self._norm(parts[-1])] = Node(
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

    def _entry(self, name: str, node: Node) -> DirEntry:
        alt = short_name(name) if self.os == "WINDOWS" and name not in (".", "..") else ""
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
        stack: list[tuple[str, list[str], Node]] = [(r, [], n) for r, n in self._roots.items()]
        while stack:
            root, parts, node = stack.pop()
            for child in (node.children or {}).values():
                if child.is_dir:
                    stack.append((root, [*parts, child.name], child))
                else:
                    yield self.join(root, [*parts, child.name]), child.size
