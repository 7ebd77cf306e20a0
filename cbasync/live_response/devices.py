"""How Live Response is told which device: an id, or any object with one.

The pool addresses devices by id and never enumerates the fleet. A caller may pass the id
itself, an EDR ``Sensor``, a cloud device model, or anything else whose ``id`` is the device's
integer id (EDR's sensor id, the cloud's device id).
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["DeviceRef", "HasId", "device_id_of"]


class HasId(Protocol):
    """An object that knows its device's id (an EDR ``Sensor``, a cloud ``Device``)."""

    @property
    def id(self) -> Any: ...


DeviceRef = int | HasId


def device_id_of(device: DeviceRef) -> int:
    """The integer id of ``device``; a ``TypeError`` for anything else."""
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    value = getattr(device, "id", None)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"a device is its integer id or an object with an integer `id`, not {device!r}")
