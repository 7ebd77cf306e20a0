"""The 15 Live Response commands, run against a device's image."""

from __future__ import annotations

from typing import Any

from cbasync.testing.dataset.vfs import (
    E_FILE_NOT_FOUND,
    E_INVALIDARG,
    EndpointImage,
    VfsError,
)
from cbasync.testing.live_response.model import Command, opt_bool, opt_int

__all__ = ["path_target", "run_command"]


def path_target(target: object) -> str:
    if not isinstance(target, str) or not target.strip():
        raise VfsError(E_INVALIDARG, "the command needs a target path")
    return target


def run_command(
    command: Command, image: EndpointImage, wall: float, memdump_bytes: int
) -> dict[str, Any]:
    """Run one command against the device's image at wall time ``wall``; its result fields (a
    failure raises :class:`~cbasync.testing.dataset.vfs.VfsError` with the sensor's HRESULT)."""
    name, target, opts = command.name, command.target, command.options
    cwd = command.session.cwd
    if name == "process list":
        return {"processes": image.process_list()}
    if name == "kill":
        image.kill(target)
        return {}
    path = path_target(target)
    if name == "get file":
        offset = opt_int(opts.get("offset"), 0)
        count = opt_int(opts.get("get_count"), None)
        data = image.read_file(path, offset or 0, count or None, cwd=cwd)
        assert command.file is not None
        command.file.data = data
        return {}
    if name == "put file":
        stored = command.session.find_file(opts.get("file_id"))
        if stored is None or stored.data is None:
            raise VfsError(E_FILE_NOT_FOUND, f"no uploaded file {opts.get('file_id')!r}")
        image.write_file(path, stored.data, wall, cwd=cwd)
        return {}
    if name == "delete file":
        image.delete_file(path, cwd=cwd)
        return {}
    if name == "directory list":
        return {"files": image.list_directory(path, cwd=cwd)}
    if name == "create directory":
        image.create_directory(path, wall, cwd=cwd)
        return {}
    if name == "reg enum key":
        sub_keys, values = image.reg_enum_key(path)
        return {"sub_keys": sub_keys, "values": values}
    if name == "reg query value":
        return {"value": image.reg_query_value(path)}
    if name == "reg create key":
        image.reg_create_key(path)
        return {}
    if name == "reg delete key":
        image.reg_delete_key(path)
        return {}
    if name == "reg delete value":
        image.reg_delete_value(path)
        return {}
    if name == "reg set value":
        image.reg_set_value(
            path,
            opts.get("value_type", "REG_SZ"),
            opts.get("value_data"),
            opt_bool(opts.get("overwrite"), default=False),
        )
        return {}
    if name == "create process":
        run = image.create_process(
            path,
            now=wall,
            wait=opt_bool(opts.get("wait"), default=False),
            working_directory=opts.get("working_directory") or None,
            output_file=opts.get("output_file") or None,
        )
        result: dict[str, Any] = {"pid": run.pid}
        if run.return_code is not None and opt_bool(opts.get("wait"), default=False):
            result["return_code"] = run.return_code
        return result
    if name == "memdump":
        compress = opt_bool(opts.get("compress", opts.get("commpress")), default=False)
        written = image.memdump(path, compress=compress, size=memdump_bytes, now=wall)
        return {"return_code": 0, "path": written, "compress": compress}
    raise VfsError(E_INVALIDARG, f"unknown command {name}")  # pragma: no cover - guarded
