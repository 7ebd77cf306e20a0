"""The Lucene-style query language: parsing, evaluation, errors."""

from __future__ import annotations

from typing import Any

import pytest

from cbasync.testing.query import (
    And,
    Categorical,
    Keyed,
    MatchAll,
    Not,
    Or,
    QueryError,
    Range,
    Term,
    compile_query,
    matches,
    parse,
    terms_of,
    tokenize,
)

SCHEMA: dict[str, Any] = {
    "process_name": "keyword",
    "hostname": "keyword",
    "cmdline": "text",
    "path": "text",
    "username": "text",
    "filemod_count": "number",
    "start": "date",
    "terminated": "bool",
    "ipaddr": "ip",
}

ROW = {
    "process_name": "net.exe",
    "hostname": "WIN-IA9NQ1GN8OI",
    "cmdline": "net use y: \\\\test\\blah",
    "path": "c:\\windows\\system32\\net.exe",
    "username": "WIN-IA9NQ1GN8OI\\bit9rad",
    "filemod_count": 12,
    "start": "2024-04-30T10:15:00.000Z",
    "terminated": True,
    "ipaddr": ["10.1.2.3", "192.168.0.7"],
}
NOW = 1_714_521_600.0  # 2024-05-01T00:00:00Z


def m(query: str, row: dict[str, Any] = ROW) -> bool:
    return matches(query, row, schema=SCHEMA, default_fields=("process_name", "path"), now=NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", MatchAll()),
        ("*", MatchAll()),
        ("*:*", MatchAll()),
        ("process_name:cmd.exe", Term("process_name", "cmd.exe")),
        ('cmdline:"a b"', Term("cmdline", "a b", phrase=True)),
        ("a b", And((Term(None, "a"), Term(None, "b")))),
        ("a OR b", Or((Term(None, "a"), Term(None, "b")))),
        ("a or b", Or((Term(None, "a"), Term(None, "b")))),
        ("NOT a", Not(Term(None, "a"))),
        ("-f:x", Not(Term("f", "x"))),
        ("+f:x", Term("f", "x")),
        ("f:[1 TO 5]", Range("f", "1", "5")),
        ("f:{1 TO *]", Range("f", "1", None, include_low=False)),
        ("f:(a OR b)", Or((Term("f", "a"), Term("f", "b")))),
        ("f:x*", Term("f", "x*", wildcard=True)),
        ("start:-24h", Term("start", "-24h")),
        ("path:c:\\windows\\*", Term("path", "c:\\windows\\*", wildcard=True)),
    ],
)
def test_parse(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_precedence_and_binds_tighter_than_or() -> None:
    node = parse("a b OR c")
    assert node == Or((And((Term(None, "a"), Term(None, "b"))), Term(None, "c")))
    assert parse("(a OR b) c") == And((Or((Term(None, "a"), Term(None, "b"))), Term(None, "c")))


@pytest.mark.parametrize(
    "bad",
    ["(a", "a)", 'f:"unterminated', "f:[1 TO", "f:[1 5]", "f: x", "()", "a AND", "f:[a TO b] ]"],
)
def test_malformed_queries_raise_with_an_offset(bad: str) -> None:
    with pytest.raises(QueryError) as info:
        parse(bad)
    assert info.value.offset is not None
    assert info.value.query == bad


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("process_name:net.exe", True),
        ("process_name:NET.EXE", True),  # keywords are case-insensitive
        ("process_name:net", False),  # ... and whole-value
        ("process_name:ne*.exe", True),
        ("process_name:n?t.exe", True),
        ("hostname:win-*", True),
        ("cmdline:\\\\test\\blah", True),  # the cbapi manual's example
        ("cmdline:blah", True),
        ("cmdline:use", True),
        ('cmdline:"use y"', True),
        ('cmdline:"y use"', False),
        ("username:bit9rad", True),  # the manual's username:bit9rad against DOMAIN\\user
        ("path:system32", True),
        ("path:c:\\windows\\*", True),
        ("path:c:\\\\windows\\\\system32\\\\net.exe", True),
        ("filemod_count:12", True),
        ("filemod_count:[10 TO 20]", True),
        ("filemod_count:{12 TO 20]", False),
        ("filemod_count:[* TO 11]", False),
        ("start:[2024-04-30 TO *]", True),
        ("start:[* TO 2024-04-29]", False),
        ("start:2024-04-30", True),  # a bare date is the whole day
        ("start:-24h", True),
        ("start:-1h", False),
        ("terminated:true", True),
        ("terminated:false", False),
        ("ipaddr:192.168.0.0/16", True),
        ("ipaddr:172.16.0.0/12", False),
        ("ipaddr:10.1.2.3", True),
        ("net.exe", True),  # default fields
        ("system32", True),
        ("notepad.exe", False),
        ("process_name:net.exe -hostname:win-*", False),
        ("process_name:net.exe AND NOT hostname:dc*", True),
        ("process_name:cmd.exe OR username:bit9rad", True),
        ("(process_name:cmd.exe OR process_name:net.exe) terminated:true", True),
        ("-process_name:cmd.exe", True),
        ("hostname:*", True),
        ("missing_field:*", False),
        ("missing_field:x", False),
    ],
)
def test_evaluation(query: str, expected: bool) -> None:
    assert m(query) is expected


def test_literal_errors_are_query_errors() -> None:
    for bad in ("filemod_count:abc", "start:[yesterday TO *]", "terminated:maybe", "ipaddr:1.2.3"):
        with pytest.raises(QueryError):
            m(bad)


def test_strict_mode_rejects_unknown_fields() -> None:
    with pytest.raises(QueryError, match="unknown field 'nope'"):
        compile_query(parse("nope:1"), schema=SCHEMA, strict=True)


def test_fields_without_a_schema_compare_by_value_type() -> None:
    row = {"count": 5, "name": "Alpha", "ok": True, "tags": ["x", "y"], "device": {"os": "MAC"}}
    assert matches("count:5", row)
    assert matches("count:[1 TO 9]", row)
    assert matches("name:alpha", row)
    assert matches("ok:true", row)
    assert matches("tags:y", row)
    assert matches("device.os:mac", row)
    assert not matches("count:6", row)


def test_categorical_columns_evaluate_each_value_once() -> None:
    calls: list[str] = []
    values = ["cmd.exe", "net.exe", "chrome.exe"]
    codes = [0, 1, 1, 2, 0, 1]

    def value_of(i: int) -> str:
        calls.append(values[i])
        return values[i]

    col = Categorical(codes.__getitem__, [value_of(i) for i in range(3)])
    calls.clear()
    pred = compile_query(parse("process_name:net.exe"), schema=SCHEMA, accessor=lambda f: col)
    assert [d for d in range(6) if pred(d)] == [1, 2, 5]


def test_keyed_columns_remember_results_per_key() -> None:
    seen: list[int] = []

    def value(key: int) -> str:
        seen.append(key)
        return f"c:\\dir{key}\\tool.exe"

    col = Keyed(lambda row: row % 2, value)
    pred = compile_query(parse("path:dir1"), schema=SCHEMA, accessor=lambda f: col)
    assert [r for r in range(10) if pred(r)] == [1, 3, 5, 7, 9]
    assert sorted(seen) == [0, 1]


def test_terms_and_tokenizer() -> None:
    assert terms_of(parse("process_name:cmd.exe (a OR -b:c)")) == [
        "process_name:cmd.exe",
        "a",
        "b:c",
    ]
    assert tokenize('"C:\\Program Files\\x.exe" --type=renderer') == [
        "c",
        "program",
        "files",
        "x.exe",
        "type",
        "renderer",
    ]


def test_non_string_query_is_rejected() -> None:
    with pytest.raises(QueryError):
        parse(123)  # type: ignore[arg-type]
