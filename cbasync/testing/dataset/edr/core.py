"""What every family of the EDR server works on.

:class:`EdrCore` holds the state, the generated processes and binaries, the sensor groups and the
administrative collections, and finds a process or a segment by the ids clients send. The
families of :mod:`cbasync.testing.dataset.edr` (processes, streams, binaries, sensors, groups,
alerts) derive from it and :class:`~cbasync.testing.dataset.edr.EdrBackend` combines them, as
moto's ``EC2Backend`` combines its resource backends.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from cbasync.testing.dataset.edr.admin import EdrAdmin
from cbasync.testing.dataset.edr_binary import shared_binaries
from cbasync.testing.dataset.edr_process import (
    BlockInfo,
    ProcessSet,
)
from cbasync.testing.dataset.endpoints import SENSOR_GROUPS
from cbasync.testing.dataset.errors import NotFound
from cbasync.testing.state import EmulatorState

__all__ = ["EdrCore", "new_group"]


def new_group(gid: int, name: str, site_id: int = 1) -> dict[str, Any]:
    """A sensor group record with EDR's defaults."""
    return {
        "id": gid,
        "name": name,
        "site_id": site_id,
        "alert_criticality": 1,
        "banning_enabled": True,
        "collect_cross_procs": True,
        "collect_emet_events": True,
        "collect_filemods": True,
        "collect_filewritemd5s": True,
        "collect_moduleinfo": True,
        "collect_moduleloads": True,
        "collect_netconns": True,
        "collect_nonbinary_filewrites": True,
        "collect_processes": True,
        "collect_regmods": True,
        "collect_storefiles": True,
        "collect_usercontext": True,
        "datastore_server": None,
        "max_licenses": -1,
        "quota_eventlog_bytes": "1073741824",
        "quota_eventlog_percent": 1,
        "quota_storefile_bytes": "1073741824",
        "quota_storefile_percent": 1,
        "sensor_exe_name": "",
        "sensor_version": "Manual",
        "sensorbackend_server": "https://cbserver:443",
        "tamper_level": 0,
        "team_access": [],
        "vdi_enabled": False,
        "process_filter_level": 0,
        "filter_known_dlls": False,
    }


class EdrCore:
    """The shared part of one EDR server."""

    def __init__(self, state: EmulatorState) -> None:
        config = state.config
        self.state = state
        self.config = config
        self.clock = state.clock
        self.endpoints = state.endpoints
        self.epoch = state.data_epoch
        self.binaries = shared_binaries(state)
        self.processes = ProcessSet(
            config.seed,
            config.processes,
            self.endpoints,
            self.binaries,
            epoch=self.epoch,
            history_days=config.history_days,
            max_events=config.max_events_per_process,
        )
        # Sensor groups: id -> record (the five base groups plus created ones). Sensors,
        # binaries and teams name them.
        self.groups: dict[int, dict[str, Any]] = {
            gid: new_group(gid, name, site_id=1) for gid, name in SENSOR_GROUPS
        }
        # Binary documents rendered so far; they name sensor groups, so a group change clears them.
        self.binary_docs: dict[int, dict[str, Any]] = {}

    @cached_property
    def admin(self) -> EdrAdmin:
        """Watchlists, feeds, bans, users and the other administrative collections."""
        return EdrAdmin(self.state, groups=self.groups, binaries=self.binaries)

    def find_process(self, guid: str) -> tuple[BlockInfo, int]:
        found = self.processes.find(guid)
        if found is None:
            raise NotFound(f"process {guid} not found")
        return found

    def segment_index(self, info: BlockInfo, o: int, segment_id: int) -> int | None:
        """Segment index for a segment id; None for ``0`` (all segments). EDR 5.x-style segment
        ``1`` is accepted for the oldest segment."""
        if segment_id == 0:
            return None
        found = self.processes.find_segment(info, o, segment_id)
        if found is not None:
            return found
        if segment_id == 1:
            return len(info.seg_docs[o]) - 1
        raise NotFound(f"segment {segment_id} of process {info.guids[o]} not found")
