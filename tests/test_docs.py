"""The documentation site's sources stay in step with the code (the build itself is
``nox -s docs``, run by CI with --strict): every page is in the navigation, every example is
listed, every API reference resolves, the benchmark chart reads the benchmarks README."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in _nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    return []


def _mkdocs() -> dict[str, object]:
    # mkdocs.yml has no custom tags; a plain safe load reads it.
    loaded = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_every_page_is_in_the_navigation_and_every_nav_entry_exists() -> None:
    pages = {
        str(path.relative_to(DOCS))
        for path in DOCS.rglob("*.md")
        if not path.is_relative_to(DOCS / "hooks")
    }
    nav = _nav_pages(_mkdocs()["nav"])
    assert sorted(nav) == sorted(pages)
    assert len(nav) == len(set(nav))


def test_every_example_script_is_listed() -> None:
    listed = (DOCS / "examples.md").read_text(encoding="utf-8")
    scripts = [
        path.relative_to(ROOT / "examples")
        for path in (ROOT / "examples").rglob("*.py")
        if not path.name.startswith("_")
    ]
    assert scripts
    for script in scripts:
        name = str(script) if script.parent == Path(".") else script.name
        assert f"`{name}`" in listed or f"`examples/{script}`" in listed, script


@pytest.mark.parametrize("page", sorted(p.name for p in (DOCS / "reference").glob("*.md")))
def test_every_api_reference_resolves(page: str) -> None:
    text = (DOCS / "reference" / page).read_text(encoding="utf-8")
    targets = re.findall(r"^::: ([\w.]+)$", text, re.MULTILINE)
    assert targets
    for target in targets:
        module_name, _, attribute = target, "", ""
        while True:
            try:
                module = importlib.import_module(module_name)
                break
            except ModuleNotFoundError:
                module_name, _, tail = module_name.rpartition(".")
                attribute = f"{tail}.{attribute}".strip(".")
        for part in filter(None, attribute.split(".")):
            module = getattr(module, part)
        assert module is not None, target


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "docs_benchmarks_hook", DOCS / "hooks" / "benchmarks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)

    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_benchmark_page_shows_the_readme_figures_as_a_table_and_a_chart() -> None:
    hook = _hook()
    readme = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    figures = hook.read_figures(readme)
    row = next(line for line in figures.table.splitlines() if line.startswith("| S1 |"))
    assert f"{figures.s1_cbasync_s:.2f} s" in row
    assert f"cbapi {figures.s1_cbapi_s:.2f} s" in row
    assert figures.s1_floor_s < figures.s1_cbasync_s < figures.s1_cbapi_s
    assert figures.s7_cbasync_per_s > 0
    assert figures.s7_cbapi_per_s > 0
    page = hook.on_page_markdown((DOCS / "benchmarks.md").read_text(encoding="utf-8"), page=None)
    assert hook.FIGURES_MARK not in page
    assert hook.CHART_MARK not in page
    assert figures.table in page
    svg = page[page.index("<svg") : page.index("</svg>") + len("</svg>")]
    drawn = ET.fromstring(svg)  # well-formed
    labels = [el.text for el in drawn.iter("{http://www.w3.org/2000/svg}text")]
    assert f"{figures.s1_cbapi_s:,.2f} s" in labels
    assert f"{figures.s7_cbasync_per_s:,.0f} /s" in labels


def test_a_figures_table_of_another_shape_fails_the_build() -> None:
    hook = _hook()
    with pytest.raises(ValueError, match="no '### Figures' heading"):
        hook.read_figures("# Benchmarks\n")
    with pytest.raises(ValueError, match="no S7 row"):
        hook.read_figures("### Figures (x)\n\n| | a | b | c | d |\n|---|---|---|---|---|\n"
                          "| S1 | 1.0 s | cbapi 2.0 s | (= 0.5 s) | met |\n")  # fmt: skip
