"""Sensor groups, their installers and the sensor builds the server offers."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset._fmt import mix
from cbasync.testing.dataset.edr.core import EdrCore, new_group
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound
from cbasync.testing.state import EmulatorState

__all__ = ["SensorGroups"]


class SensorGroups(EdrCore):
    """The rules of the sensor group table."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self._next_group_id = max(self.groups) + 1

    def group(self, gid: int) -> dict[str, Any]:
        group = self.groups.get(gid)
        if group is None:
            raise NotFound(f"sensor group {gid} not found")
        return group

    def create_group(self, body: Mapping[str, Any]) -> int:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid("a sensor group needs a name")
        if any(g["name"].lower() == name.lower() for g in self.groups.values()):
            raise Conflict(f"a sensor group named {name!r} already exists")
        requested = body.get("id")
        if requested is not None:
            try:
                gid = int(requested)
            except (TypeError, ValueError):
                raise Invalid("id must be an integer") from None
            if gid in self.groups:
                raise Conflict(f"sensor group {gid} already exists")
        else:
            gid = self._next_group_id
        self._next_group_id = max(self._next_group_id, gid + 1)
        group = new_group(gid, name, int(body.get("site_id") or 1))
        for key, value in body.items():
            if key in group and key not in ("id",):
                group[key] = value
        self.groups[gid] = group
        return gid

    def update_group(self, gid: int, body: Mapping[str, Any]) -> None:
        group = self.group(gid)
        name = body.get("name", group["name"])
        if any(
            g["name"].lower() == str(name).lower() and g["id"] != gid for g in self.groups.values()
        ):
            raise Conflict(f"a sensor group named {name!r} already exists")
        for key, value in body.items():
            if key != "id":
                group[key] = value
        self.binary_docs.clear()

    def delete_group(self, gid: int) -> None:
        self.group(gid)
        if gid == 1:
            raise Conflict("the default sensor group cannot be deleted")
        if any(ep.group_id == gid and not ep.deregistered for ep in self.endpoints):
            raise Conflict(f"sensor group {gid} still has sensors; move them first")
        del self.groups[gid]

    def installer(self, gid: int, kind: str) -> tuple[bytes, str, str]:
        """(bytes, media type, file name) of a sensor installer package."""
        group = self.group(gid)
        settings = (
            f"[CB]\nSensorGroupId={gid}\nSensorGroupName={group['name']}\n"
            f"SensorBackendServer={group['sensorbackend_server']}\n"
        )
        body = bytes(
            (mix(self.config.seed, gid, k) & 0xFF) for k in range(4096)
        )  # a placeholder payload
        if kind == "linux":
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                for name, data in (
                    ("cb-linux-sensor-installer.sh", b"#!/bin/sh\n" + body),
                    ("sensorsettings.ini", settings.encode()),
                ):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    info.mtime = int(self.epoch)
                    tar.addfile(info, io.BytesIO(data))
            return buf.getvalue(), "application/x-gzip", f"cb-linux-sensor-group-{gid}.tar.gz"
        names = {
            "windows/exe": ("CarbonBlackClientSetup.exe", b"MZ" + body),
            "windows/msi": ("CarbonBlackClientSetup.msi", b"\xd0\xcf\x11\xe0" + body),
            "osx": ("CarbonBlackClientSetup.pkg", b"xar!" + body),
        }
        if kind not in names:
            raise NotFound(f"no installer for {kind!r}")
        filename, data = names[kind]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo(filename, date_time=(2024, 1, 1, 0, 0, 0)), data)
            zf.writestr(
                zipfile.ZipInfo("sensorsettings.ini", date_time=(2024, 1, 1, 0, 0, 0)), settings
            )
        return buf.getvalue(), "application/zip", f"sensor-group-{gid}-{kind.replace('/', '-')}.zip"

    def builds(self) -> dict[str, list[dict[str, Any]]]:
        def build(version: str, build_id: int) -> dict[str, Any]:
            return {
                "version_string": version,
                "id": build_id,
                "installed": True,
                "db_name": f"CbSensor_{version.replace('.', '_')}",
            }

        return {
            "Windows": [build("7.3.0.18311", 7), build("7.2.1.17922", 5)],
            "OSX": [build("7.4.1.17610", 8)],
            "Linux": [build("7.2.0.40209", 6)],
        }
