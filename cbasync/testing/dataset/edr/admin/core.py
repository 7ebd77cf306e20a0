"""The shared part of the administrative collections of one EDR server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from cbasync.testing.dataset.edr_binary import BinaryCatalog
from cbasync.testing.query import (
    iso_to_epoch,
)
from cbasync.testing.state import EmulatorState

__all__ = ["AdminCore", "iso_to_epoch_safe", "quote_param"]


class AdminCore:
    """What every administrative family reads: the state and the server's shared tables."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        groups: dict[int, dict[str, Any]],
        binaries: BinaryCatalog,
    ) -> None:
        self.state = state
        self.config = state.config
        self.clock = state.clock
        self.epoch = state.data_epoch
        self.endpoints = state.endpoints
        self.groups = groups
        self.binaries = binaries


def iso_to_epoch_safe(value: str) -> float:
    epoch = iso_to_epoch(value)
    return 0.0 if epoch is None else epoch


def quote_param(text: str) -> str:
    """``text`` percent-encoded as one query-string value."""
    return quote(text, safe="")
