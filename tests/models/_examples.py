"""Access to the seed examples in tests/data/seed_examples and the round-trip comparison."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from cbasync.models import cloud, edr, protection

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "seed_examples"
MODULES = {"edr": edr, "cloud": cloud, "protection": protection}
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


@cache
def index() -> dict[str, Any]:
    with (EXAMPLES_DIR / "index.json").open(encoding="utf-8") as fh:
        result: dict[str, Any] = json.load(fh)
    return result


def examples() -> list[dict[str, Any]]:
    return list(index()["examples"])


def target_type(module: str, model: str) -> Any:
    """The type an index entry names: ``Model``, ``list[Model]`` or, for ``Model.field``, Model."""
    namespace = MODULES[module]
    if model.startswith("list[") and model.endswith("]"):
        return list[getattr(namespace, model[5:-1])]  # type: ignore[misc]
    return getattr(namespace, model.split(".", 1)[0])


@cache
def adapter(module: str, model: str) -> TypeAdapter[Any]:
    return TypeAdapter(target_type(module, model))


def documents(entry: dict[str, Any]) -> list[bytes]:
    """The example's JSON documents as bytes (one, or one per NDJSON line).

    A fragment that is one field of a model (``Model.field``) is wrapped as ``{"field": ...}``
    so that it is validated exactly as it would be inside that model.
    """
    raw = (EXAMPLES_DIR / entry["file"]).read_bytes()
    if entry.get("format") == "ndjson":
        return [line for line in raw.splitlines() if line.strip()]
    if "." in entry["model"]:
        field = entry["model"].split(".", 1)[1]
        return [b'{"' + field.encode() + b'": ' + raw + b"}"]
    return [raw]


def _as_datetime(value: str) -> datetime | None:
    try:
        return _DATETIME.validate_python(value)
    except ValueError:
        return None


def differences(original: Any, dumped: Any, where: str = "$") -> list[str]:
    """Every way ``dumped`` differs from ``original`` except the spelling of a timestamp.

    Keys must match exactly (no field lost, none invented), JSON types must match (an int
    stays an int, a bool stays a bool), and strings must be equal unless both are the same
    instant spelled differently (e.g. "2017-05-01T06:09:22.081Z" and
    "2017-05-01T06:09:22.081000Z").
    """
    if isinstance(original, dict):
        if not isinstance(dumped, dict):
            return [f"{where}: object became {type(dumped).__name__}"]
        problems = [f"{where}.{key}: lost" for key in original.keys() - dumped.keys()]
        problems += [f"{where}.{key}: invented" for key in dumped.keys() - original.keys()]
        for key in original.keys() & dumped.keys():
            problems += differences(original[key], dumped[key], f"{where}.{key}")
        return problems
    if isinstance(original, list):
        if not isinstance(dumped, list) or len(dumped) != len(original):
            return [f"{where}: list changed"]
        problems = []
        for position, (left, right) in enumerate(zip(original, dumped, strict=True)):
            problems += differences(left, right, f"{where}[{position}]")
        return problems
    if type(original) is not type(dumped):
        return [f"{where}: {original!r} became {dumped!r}"]
    if original == dumped:
        return []
    if isinstance(original, str):
        left_time, right_time = _as_datetime(original), _as_datetime(dumped)
        if left_time is not None and left_time == right_time:
            return []
    return [f"{where}: {original!r} became {dumped!r}"]


def extra_fields(value: Any, where: str = "$") -> list[str]:
    """Paths of fields that were kept as unknown extras anywhere in a validated value."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [f"{where}.{key}" for key in (value.model_extra or {})]
        for name in type(value).model_fields:
            found += extra_fields(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found += extra_fields(item, f"{where}[{position}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += extra_fields(item, f"{where}.{key}")
    return found
