"""The state every route module receives: config, clock, randomness, counters, datasets, backends.

One :class:`EmulatorState` is one emulated installation (an EDR server, an App Control server and a
cloud org that share one endpoint population). Backends (the EDR dataset, the Live Response state
machines, the search-job engine...) hang off it and are created on first use through
:meth:`EmulatorState.backend`, so two route modules that need the same backend get the same object
and a module that nobody mounts costs nothing.

Backends know nothing of HTTP: a test can build an ``EmulatorState`` and drive them directly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar, cast

from cbasync.testing._clock import Clock, RealClock
from cbasync.testing.config import EmulatorConfig
from cbasync.testing.counters import Counters
from cbasync.testing.dataset.endpoints import EndpointPopulation
from cbasync.testing.faults import FaultInjector

__all__ = ["EmulatorState"]

T = TypeVar("T")


class EmulatorState:
    """Everything the emulator knows. Not thread-safe: one event loop owns it."""

    def __init__(self, config: EmulatorConfig | None = None, *, clock: Clock | None = None):
        self.config: EmulatorConfig = config if config is not None else EmulatorConfig()
        self.clock: Clock = clock if clock is not None else RealClock()
        # General-purpose randomness for backends (ids, jitter of their own). Data rows never use
        # it: rows are pure functions of (seed, index).
        self.rng = random.Random(f"cbasync-state:{self.config.seed}")
        self.counters = Counters()
        self.faults = FaultInjector(self.config, self.clock)
        self.data_epoch: float = float(self.config.data_epoch)
        """When the generated history ends (see ``EmulatorConfig.data_epoch``)."""
        self.endpoints = EndpointPopulation(
            self.config.seed,
            self.config.devices,
            online_ratio=self.config.online_ratio,
            epoch=self.data_epoch,
        )
        self.started_at = self.clock.time()
        self._backends: dict[str, Any] = {}

    def backend(self, name: str, factory: Callable[[EmulatorState], T]) -> T:
        """The backend registered under ``name``, created with ``factory(self)`` on first use.

        Names are global to the state; use the owning module's name (``"edr"``, ``"lr_edr"``,
        ``"jobs"``...). Asking for an existing name with a factory of another type is a bug and
        raises ``TypeError``.
        """
        existing = self._backends.get(name)
        if existing is None:
            existing = self._backends[name] = factory(self)
        elif isinstance(factory, type) and not isinstance(existing, factory):
            raise TypeError(
                f"backend {name!r} is a {type(existing).__name__}, not a {factory.__name__}"
            )
        return cast(T, existing)

    def has_backend(self, name: str) -> bool:
        return name in self._backends

    def __repr__(self) -> str:
        c = self.config
        return (
            f"EmulatorState(seed={c.seed}, processes={c.processes}, devices={c.devices}, "
            f"clock={self.clock!r})"
        )
