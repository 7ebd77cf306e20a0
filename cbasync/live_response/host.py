"""The endpoint's processes, registry and memory: list, kill and start processes (with their
output), read and write the registry, dump memory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cbasync import errors
from cbasync._tasks import shielded_cleanup
from cbasync.live_response.commands import (
    COMMAND_WAIT,
    CREATE_PROCESS_WAIT,
    KILL_WAIT,
    MEMDUMP_WAIT,
    Queued,
)
from cbasync.live_response.dialect import CommandInfo, CommandRequest
from cbasync.live_response.files import FileCommands
from cbasync.live_response.results import (
    CreatedProcess,
    ProcessEntry,
    RegistryKey,
    RegistryValue,
)

__all__ = ["HostCommands", "Memdump", "registry_type_of"]


class HostCommands(FileCommands):
    """The process, registry and memory commands of a session."""

    async def list_processes(self, *, max_wait: float = COMMAND_WAIT) -> list[ProcessEntry]:
        done, _ = await self._run(CommandRequest("process list"), max_wait=max_wait)
        return done.processes or []

    async def kill_process(self, pid: int, *, max_wait: float = KILL_WAIT) -> None:
        """End process ``pid``; ``LiveResponseError`` if the sensor could not."""
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise TypeError(f"pid must be an integer, not {pid!r}")
        await self._run(CommandRequest("kill", pid), max_wait=max_wait)

    async def create_process(
        self,
        command_line: str,
        *,
        wait_for_completion: bool = True,
        wait_for_output: bool = True,
        output_file: str | None = None,
        working_directory: str | None = None,
        max_wait: float = CREATE_PROCESS_WAIT,
    ) -> CreatedProcess:
        """Start a process. With ``wait_for_output`` (the default; it implies
        ``wait_for_completion``) its stdout and stderr are written to a temporary file on the
        endpoint, fetched and the file deleted; ``output_file`` names that file instead (and it
        is kept)."""
        wait_for_completion = wait_for_completion or wait_for_output
        options: dict[str, Any] = {"wait": wait_for_completion}
        remote_output = output_file
        if wait_for_output and remote_output is None:
            remote_output = self._temporary_path("out")
        if remote_output is not None:
            options["output_file"] = remote_output
        if working_directory is not None:
            options["working_directory"] = working_directory
        done, _ = await self._run(
            CommandRequest("create process", command_line, options), max_wait=max_wait
        )
        if not wait_for_output or remote_output is None:
            return CreatedProcess(done.pid, done.return_code)
        try:
            output = await self.get_file(remote_output)
        finally:
            if output_file is None:  # ours: leave nothing behind on the endpoint
                async with shielded_cleanup(f"deleting {remote_output} on device {self.device_id}"):
                    await self.delete_file(remote_output)
        return CreatedProcess(done.pid, done.return_code, output)

    # -- registry ---------------------------------------------------------------------------

    async def list_registry_keys_and_values(
        self, key: str, *, max_wait: float = COMMAND_WAIT
    ) -> RegistryKey:
        """A key's subkeys and values (``HKLM\\SYSTEM\\CurrentControlSet\\services\\ACPI``)."""
        done, _ = await self._run(CommandRequest("reg enum key", key), max_wait=max_wait)
        return RegistryKey(sub_keys=done.sub_keys or [], values=done.values or [])

    async def get_registry_value(
        self, path: str, *, max_wait: float = COMMAND_WAIT
    ) -> RegistryValue:
        """A value, by key path and value name (``HKLM\\...\\ACPI\\Start``)."""
        done, _ = await self._run(CommandRequest("reg query value", path), max_wait=max_wait)
        if done.value is None:
            raise errors.ServerError(
                f"reg query value {path!r} on device {self.device_id} completed without a value"
            )
        return done.value

    async def set_registry_value(
        self,
        path: str,
        value: str | int | list[str],
        *,
        overwrite: bool = True,
        value_type: str | None = None,
        max_wait: float = COMMAND_WAIT,
    ) -> None:
        """Set a value; its type is inferred unless given: ``REG_SZ`` for a string,
        ``REG_DWORD`` for an integer (``REG_QWORD`` beyond 32 bits), ``REG_MULTI_SZ`` for a
        list of strings."""
        options = {
            "value_type": value_type or registry_type_of(value),
            "value_data": value,
            "overwrite": overwrite,
        }
        await self._run(CommandRequest("reg set value", path, options), max_wait=max_wait)

    async def create_registry_key(self, key: str, *, max_wait: float = COMMAND_WAIT) -> None:
        await self._run(CommandRequest("reg create key", key), max_wait=max_wait)

    async def delete_registry_key(self, key: str, *, max_wait: float = COMMAND_WAIT) -> None:
        await self._run(CommandRequest("reg delete key", key), max_wait=max_wait)

    async def delete_registry_value(self, path: str, *, max_wait: float = COMMAND_WAIT) -> None:
        await self._run(CommandRequest("reg delete value", path), max_wait=max_wait)

    # -- memory -----------------------------------------------------------------------------

    async def start_memdump(
        self, remote_path: str | None = None, *, compress: bool = True
    ) -> Memdump:
        """Start a memory dump to ``remote_path`` on the endpoint (a temporary file by default;
        compressed dumps get ``.zip`` appended). Wait for it, fetch it and delete it through
        the returned :class:`Memdump`."""
        remote = remote_path or self._temporary_path("dmp")
        queued = await self._post(CommandRequest("memdump", remote, {"compress": compress}))
        return Memdump(self, queued, remote + ".zip" if compress else remote)

    async def memdump(
        self,
        local_path: str | os.PathLike[str],
        remote_path: str | None = None,
        *,
        compress: bool = False,
        max_wait: float = MEMDUMP_WAIT,
    ) -> Path:
        """Dump the endpoint's memory, save it to ``local_path`` and delete it from the
        endpoint (also when the download fails)."""
        dump = await self.start_memdump(remote_path, compress=compress)
        try:
            await dump.wait(max_wait=max_wait)
            return await dump.download(local_path, max_wait=max_wait)
        finally:
            async with shielded_cleanup(f"deleting the memory dump on device {self.device_id}"):
                await dump.delete()


class Memdump:
    """A memory dump started on the endpoint (:meth:`LiveResponseSession.start_memdump`)."""

    def __init__(self, session: HostCommands, queued: Queued, remote_path: str) -> None:
        self.session = session
        self.remote_path = remote_path
        self._queued = queued
        self.done: CommandInfo | None = None

    async def wait(self, *, max_wait: float = MEMDUMP_WAIT) -> None:
        """Wait until the dump is written."""
        if self.done is None:
            self.done = await self.session._wait(self._queued, max_wait=max_wait)

    async def download(
        self, local_path: str | os.PathLike[str], *, max_wait: float = MEMDUMP_WAIT
    ) -> Path:
        """Fetch the dump into ``local_path`` (after :meth:`wait`)."""
        await self.wait(max_wait=max_wait)
        return await self.session.download_file(self.remote_path, local_path, max_wait=max_wait)

    async def delete(self) -> None:
        """Delete the dump from the endpoint."""
        await self.session.delete_file(self.remote_path)


def registry_type_of(value: object) -> str:
    """The registry type a Python value is written as."""
    if isinstance(value, bool):
        raise TypeError("a registry value cannot be a bool; pass 0 or 1 (REG_DWORD)")
    if isinstance(value, int):
        if 0 <= value < 1 << 32:
            return "REG_DWORD"
        if 0 <= value < 1 << 64:
            return "REG_QWORD"
        raise ValueError(f"{value} does not fit a REG_DWORD or a REG_QWORD")
    if isinstance(value, str):
        return "REG_SZ"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "REG_MULTI_SZ"
    raise TypeError(f"cannot infer a registry type for {type(value).__name__}; pass value_type")
