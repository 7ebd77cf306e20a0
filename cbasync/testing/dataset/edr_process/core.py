"""The process set's parameters and caches, shared by its parts."""

from __future__ import annotations

from array import array
from collections import OrderedDict
from typing import Any

from cbasync.testing.dataset._catalog import BLOCK
from cbasync.testing.dataset.edr_binary import BinaryCatalog
from cbasync.testing.dataset.edr_process.blocks import BlockInfo
from cbasync.testing.dataset.edr_process.common import MAX_PROCESSES, ProcKind
from cbasync.testing.dataset.endpoints import EndpointPopulation

__all__ = ["ProcessSetCore"]


class ProcessSetCore:
    """The generated process set's parameters and caches, shared by its parts."""

    _eligible: list[tuple[tuple[int, ...], tuple[int, ...]]]
    _avg_docs: float

    def __init__(
        self,
        seed: int,
        count: int,
        endpoints: EndpointPopulation,
        binaries: BinaryCatalog,
        *,
        epoch: float,
        history_days: int,
        max_events: int = 10_000,
        block_cache: int = 4096,
    ) -> None:
        if count > MAX_PROCESSES:
            raise ValueError(f"at most {MAX_PROCESSES} processes")
        self.seed = seed
        self.count = count
        self.endpoints = endpoints
        self.binaries = binaries
        self.epoch = epoch
        self.history = history_days * 86_400.0
        self.max_events = max_events
        self.nblocks = (count + BLOCK - 1) // BLOCK
        self._block_cache: OrderedDict[int, BlockInfo] = OrderedDict()
        self._block_cache_size = block_cache
        self._layouts: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self._counts: dict[tuple[int, int, str], list[dict[str, int]]] = {}
        self._kind_json: dict[int, str] = {}
        self._ep_json: dict[int, str] = {}
        self._candidates: dict[tuple[int, int], list[list[int]]] = {}
        self._cmd_json: dict[tuple[int, int, int], str] = {}
        self._users_json: dict[tuple[int, str], str] = {}
        self._modules: dict[tuple[str, int], list[int]] = {}
        self._doc_starts: array[int] | None = None
        self._block_t = array("B")
        self._block_e = array("I")
        self._doc_codes: array[int] | None = None
        self._doc_blocks: array[int] | None = None
        self._doc_offsets: array[int] | None = None
        self._doc_extras: array[int] | None = None
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._last_block: BlockInfo | None = None
        # Process documents keep the sensor group their host had when they were ingested.
        self.group_of = [ep.group_name.lower() for ep in endpoints]
        self._kinds: list[ProcKind] = []
        self._kind_index: dict[tuple[int, int, int, int], int] = {}
        self._prepare()

    def _prepare(self) -> None:
        """Build what the set needs before first use (the full set does; its parts have nothing
        to build on their own)."""

    def _remember(self, key: tuple[Any, ...], value: Any) -> None:
        if len(self._memo) > 200_000:
            self._memo.clear()
        self._memo[key] = value
