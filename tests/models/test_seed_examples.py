"""Every example body of the seeds parses into its generated model and dumps back unchanged.

The examples were extracted from the seeds into tests/data/seed_examples (index.json says which
seed, which lines, which route and which model); where a seed's example is not valid JSON, a
sidecar <id>.repair.md records the minimal repair.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ._examples import (
    EXAMPLES_DIR,
    adapter,
    differences,
    documents,
    examples,
    extra_fields,
    index,
)

EXAMPLES = examples()


@pytest.mark.parametrize("entry", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_example_round_trips_through_its_model(entry: dict[str, Any]) -> None:
    ta = adapter(entry["module"], entry["model"])
    for body in documents(entry):
        value = ta.validate_json(body)
        dumped = ta.dump_python(value, mode="json", by_alias=True, exclude_unset=True)
        assert differences(json.loads(body), dumped) == []


@pytest.mark.parametrize("entry", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_example_fields_are_all_in_the_spec(entry: dict[str, Any]) -> None:
    """No field of a seed example is left to extra="allow": the spec names them all."""
    ta = adapter(entry["module"], entry["model"])
    for body in documents(entry):
        assert extra_fields(ta.validate_json(body)) == []


def test_index_lists_every_data_file_and_every_repair_has_a_note() -> None:
    listed = {e["file"] for e in EXAMPLES} | {e["repair"] for e in EXAMPLES if "repair" in e}
    on_disk = {
        str(path.relative_to(EXAMPLES_DIR))
        for path in EXAMPLES_DIR.rglob("*")
        if path.is_file() and path.name != "index.json"
    }
    assert listed == on_disk
    for entry in EXAMPLES:
        if "repair" in entry:
            note = (EXAMPLES_DIR / entry["repair"]).read_text(encoding="utf-8")
            assert "Why:" in note
            assert "```diff" in note


def test_index_entries_are_complete_and_unique() -> None:
    ids = [e["id"] for e in EXAMPLES]
    assert len(ids) == len(set(ids))
    for entry in EXAMPLES:
        assert entry["kind"] in {"response", "request", "fragment"}
        assert entry["seed"] in index()["seeds"]
        assert entry["method"] in {"GET", "POST", "PUT", "PATCH", "DELETE"}
        assert entry["path"].startswith("/")
        first, last = entry["lines"]
        assert 0 < first <= last
    for skipped in index()["not_used"]:
        assert skipped["reason"]
        assert skipped["seed"] in index()["seeds"]


def test_every_seed_with_examples_is_covered() -> None:
    """Seeds 003 and 004 carry dozens of examples; 000's are cbapi log lines; 001/002 have none."""
    by_seed: dict[str, int] = {}
    for entry in EXAMPLES:
        by_seed[entry["seed"]] = by_seed.get(entry["seed"], 0) + 1
    assert by_seed["003"] >= 50
    assert by_seed["004"] >= 40
    assert by_seed["000"] >= 10
    assert "001" not in by_seed
    assert "002" not in by_seed
