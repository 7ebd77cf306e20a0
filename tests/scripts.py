"""Example scripts loaded in process, as ``python path/to/script.py`` would load them, so that a
test calls their ``main(api, ...)`` directly (each examples directory has its own ``_target``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def load_script(path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``path`` as a module: its directory first on ``sys.path``, another directory's
    ``_target`` forgotten, and the module registered in ``sys.modules`` while the test runs (its
    dataclasses look their module up while it loads). All undone after the test."""
    monkeypatch.syspath_prepend(str(path.parent))
    monkeypatch.delitem(sys.modules, "_target", raising=False)
    name = f"example_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module
