"""The registry of a Windows image: hives, keys and typed values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cbasync.testing.dataset.vfs.core import ImageCore
from cbasync.testing.dataset.vfs.errors import (
    E_ACCESS_DENIED,
    E_ALREADY_EXISTS,
    E_FILE_NOT_FOUND,
    E_INVALIDARG,
    VfsError,
)
from cbasync.testing.dataset.vfs.records import RegData, RegValue

__all__ = ["RegKey", "Registry", "coerce_reg_data"]


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


@dataclass(slots=True)
class RegKey:
    name: str
    subkeys: dict[str, RegKey] = field(default_factory=dict)
    values: dict[str, RegValue] = field(default_factory=dict)
    locked: bool = False

    def child(self, name: str) -> RegKey:
        key = self.subkeys.get(name.lower())
        if key is None:
            key = self.subkeys[name.lower()] = RegKey(name)
        return key

    def set(self, name: str, type_: str, data: RegData) -> None:
        self.values[name.lower()] = RegValue(name, type_, data)


class Registry(ImageCore):
    """The registry (Windows): keys and typed values."""

    _registry: RegKey

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

    def _reg_key(self, parts: Sequence[str]) -> RegKey:
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
        data = coerce_reg_data(value_type, value_data)
        key_parts, name = self._value_parts(path)
        key = self._reg_key(key_parts)
        if not overwrite and name.lower() in key.values:
            raise VfsError(E_ALREADY_EXISTS, path)
        key.set(name, value_type, data)


def coerce_reg_data(value_type: str, data: object) -> RegData:
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
