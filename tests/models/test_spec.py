"""spec/*.yaml are well-formed, match the generated modules and cover the seed examples."""

from __future__ import annotations

import inspect
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, RootModel

from ._examples import EXAMPLES_DIR, MODULES, examples

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
FAMILIES = ("edr", "protection", "cloud")
METHODS = ("get", "post", "put", "patch", "delete")


@cache
def spec(family: str) -> dict[str, Any]:
    with (SPEC_DIR / f"{family}.yaml").open(encoding="utf-8") as fh:
        # The C loader when PyYAML has it: the documents are thousands of lines.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document: dict[str, Any] = yaml.load(fh, Loader=loader)
    return document


def generated_models(family: str) -> dict[str, type[BaseModel]]:
    module = MODULES[family]
    return {
        name: cls
        for name, cls in vars(module).items()
        if inspect.isclass(cls)
        and issubclass(cls, BaseModel)
        and cls.__module__ == module.__name__
        and name.isidentifier()
    }


def refs(node: Any) -> set[str]:
    """Names of the component schemas a schema refers to, at any depth."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "$ref" in node:
            found.add(node["$ref"].rsplit("/", 1)[-1])
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


@pytest.mark.parametrize("family", FAMILIES)
def test_spec_is_openapi_3_1_with_paths_and_schemas(family: str) -> None:
    document = spec(family)
    assert document["openapi"] == "3.1.0"
    assert document["paths"]
    assert document["components"]["schemas"]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_schema_is_a_generated_model_and_nothing_else_is(family: str) -> None:
    assert set(generated_models(family)) == set(spec(family)["components"]["schemas"])


@pytest.mark.parametrize("family", FAMILIES)
def test_every_ref_resolves(family: str) -> None:
    document = spec(family)
    schemas = document["components"]["schemas"]
    parameters = document["components"].get("parameters", {})

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                _, _, kind, name = node["$ref"].split("/")
                assert name in {"schemas": schemas, "parameters": parameters}[kind], node["$ref"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)


@pytest.mark.parametrize("family", FAMILIES)
def test_operations_declare_ids_responses_and_their_path_parameters(family: str) -> None:
    document = spec(family)
    components = document["components"].get("parameters", {})
    seen_ids: set[str] = set()

    def resolve(parameter: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in parameter:
            return dict(components[parameter["$ref"].rsplit("/", 1)[-1]])
        return parameter

    for path, item in document["paths"].items():
        shared = [resolve(p) for p in item.get("parameters", [])]
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            assert operation["operationId"] not in seen_ids
            seen_ids.add(operation["operationId"])
            assert operation["responses"], (path, method)
            parameters = shared + [resolve(p) for p in operation.get("parameters", [])]
            declared = {p["name"] for p in parameters if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)


def _operation(example: dict[str, Any]) -> dict[str, Any]:
    paths = spec(example["module"])["paths"]
    assert example["path"] in paths, example["id"]
    operation: dict[str, Any] = paths[example["path"]][example["method"].lower()]
    return operation


@pytest.mark.parametrize("example", examples(), ids=[e["id"] for e in examples()])
def test_each_seed_example_belongs_to_a_spec_route_and_model(example: dict[str, Any]) -> None:
    operation = _operation(example)
    model = re.sub(r"^list\[(.*)\]$", r"\1", example["model"]).split(".")[0]
    assert model in spec(example["module"])["components"]["schemas"]
    if example["kind"] == "response":
        response = operation["responses"][str(example["status"])]
        content = next(iter(response["content"].values()))
        assert model in refs(content["schema"])
    elif example["kind"] == "request":
        content = next(iter(operation["requestBody"]["content"].values()))
        assert model in refs(content["schema"])


def _pipe_fields() -> dict[str, list[str]]:
    events = spec("edr")["components"]["schemas"]["ProcessEvents"]["allOf"][1]["properties"]
    return {name: prop["items"]["x-pipe-fields"] for name, prop in events.items()}


def test_pipe_string_examples_have_exactly_the_documented_fields() -> None:
    data = json.loads(
        (EXAMPLES_DIR.parent / "pipe_strings" / "003_pipe_strings.json").read_text(encoding="utf-8")
    )
    fields = _pipe_fields()
    assert set(data["examples"]) == set(fields)
    for name, example in data["examples"].items():
        assert len(example["value"].split("|")) == len(fields[name]), name


@pytest.mark.parametrize("example_id", ["003_process_events_v1", "003_process_preview"])
def test_pipe_strings_in_v1_bodies_never_have_more_fields_than_documented(example_id: str) -> None:
    """Servers may leave trailing fields out ("2|time|path|"), never add any."""
    (entry,) = [e for e in examples() if e["id"] == example_id]
    document = json.loads((EXAMPLES_DIR / entry["file"]).read_text(encoding="utf-8"))
    process = document.get("process", document)
    checked = 0
    for name, layout in _pipe_fields().items():
        for value in process.get(name, []):
            assert 2 <= len(value.split("|")) <= len(layout), (name, value)
            checked += 1
    assert checked > 0


def test_every_seed_inconsistency_has_a_recorded_choice() -> None:
    """endpoints.md §5 lists 43 cases; each is decided in an x-note (or a repair note)."""
    texts = [(SPEC_DIR / f"{family}.yaml").read_text(encoding="utf-8") for family in FAMILIES]
    texts += [path.read_text(encoding="utf-8") for path in EXAMPLES_DIR.rglob("*.md")]
    texts.append((EXAMPLES_DIR / "index.json").read_text(encoding="utf-8"))
    cases = {int(n) for text in texts for n in re.findall(r"§5 #(\d+)", text)}
    assert cases == set(range(1, 44))


@pytest.mark.parametrize("family", FAMILIES)
def test_root_models_are_only_arrays_maps_or_untyped_bodies(family: str) -> None:
    """Objects are CbModel subclasses; RootModels only wrap lists, maps and free-form bodies."""
    for name, cls in generated_models(family).items():
        schema = spec(family)["components"]["schemas"][name]
        if issubclass(cls, RootModel):
            assert schema.get("type") in {"array", "object", None}, name
            if schema.get("type") == "object":
                assert "properties" not in schema, name
