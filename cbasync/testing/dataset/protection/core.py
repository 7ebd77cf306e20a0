"""The shared part of one App Control server."""

from __future__ import annotations

import time
from typing import Any

from cbasync.testing.dataset.edr_binary import BinaryCatalog, shared_binaries
from cbasync.testing.dataset.errors import NotFound
from cbasync.testing.dataset.protection.store import Collection
from cbasync.testing.state import EmulatorState

__all__ = ["ProtectionCore", "iso_seconds"]


def iso_seconds(ts: float) -> str:
    """``2024-05-01T12:00:00Z``: App Control's timestamp spelling."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class ProtectionCore:
    """What the parts of the App Control server share: the state, the generated data and the
    collections."""

    FILES_PER_COMPUTER = 60
    EVENTS_PER_COMPUTER = 25

    def __init__(self, state: EmulatorState) -> None:
        config = state.config
        self.state = state
        self.config = config
        self.clock = state.clock
        self.epoch = state.data_epoch
        self.seed = config.seed
        self.endpoints = state.endpoints
        self.binaries: BinaryCatalog = shared_binaries(state)
        self.collections: dict[str, Collection] = {}
        # Set by the trust family as it builds the publishers: catalog files per OS, publishers
        # by name, and the global file rules by hash.
        self._os_files: dict[str, list[int]] = {}
        self._publisher_by_name: dict[str, dict[str, Any]] = {}
        self._global_rule: dict[str, int] = {}
        # Set by the computer rows on first use: the template's index and its clones' indexes.
        self._template_layout: tuple[int | None, frozenset[int]] | None = None

    def collection(self, name: str) -> Collection:
        coll = self.collections.get(name)
        if coll is None:
            raise NotFound(f"no such object type {name!r}")
        return coll
