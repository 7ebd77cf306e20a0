"""The round-trip comparison used by the seed-example tests catches what it must catch."""

from __future__ import annotations

from cbasync.models import cloud, edr

from ._examples import differences, extra_fields


def test_identical_documents_have_no_differences() -> None:
    doc = {"a": [1, 2.5, "x", None, True], "b": {"c": "d"}}
    assert differences(doc, {"a": [1, 2.5, "x", None, True], "b": {"c": "d"}}) == []


def test_a_lost_or_invented_field_is_reported() -> None:
    assert differences({"a": 1, "b": 2}, {"a": 1}) == ["$.b: lost"]
    assert differences({"a": 1}, {"a": 1, "z": None}) == ["$.z: invented"]


def test_a_changed_value_or_json_type_is_reported() -> None:
    assert differences({"n": 3}, {"n": 3.0}) == ["$.n: 3 became 3.0"]
    assert differences({"flag": True}, {"flag": 1}) == ["$.flag: True became 1"]
    assert differences({"s": "5"}, {"s": 5}) == ["$.s: '5' became 5"]
    assert differences({"l": [1, 2]}, {"l": [1]}) == ["$.l: list changed"]
    assert differences({"s": "abc"}, {"s": "abd"}) == ["$.s: 'abc' became 'abd'"]


def test_only_the_spelling_of_the_same_instant_is_tolerated() -> None:
    assert (
        differences({"t": "2017-05-01T06:09:22.081Z"}, {"t": "2017-05-01T06:09:22.081000Z"}) == []
    )
    assert (
        differences(
            {"t": "2015-10-21 00:10:10.369349-07:00"}, {"t": "2015-10-21T00:10:10.369349-07:00"}
        )
        == []
    )
    assert differences({"t": "2017-05-01T06:09:22.081Z"}, {"t": "2017-05-01T06:09:22.082Z"}) != []


def test_extra_fields_are_found_at_any_depth() -> None:
    page = edr.ProcessSearchResponse.model_validate(
        {"results": [{"id": "p1", "brand_new_field": 1}], "total_results": 1, "surprise": True}
    )
    assert extra_fields(page) == ["$.surprise", "$.results[0].brand_new_field"]
    assert extra_fields(cloud.JobCreatedResponse(job_id="j")) == []
