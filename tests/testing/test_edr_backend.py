"""The EDR dataset and backend, below HTTP."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from cbasync.testing import EmulatorConfig, ManualClock
from cbasync.testing.dataset._catalog import BLOCK, TEMPLATES
from cbasync.testing.dataset.edr import EdrBackend, SolrParams, parse_solr
from cbasync.testing.dataset.edr_process import parse_guid
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound
from cbasync.testing.query import QueryError, iso_to_epoch
from cbasync.testing.state import EmulatorState


def _edr(**config: object) -> EdrBackend:
    base: dict[str, object] = {"processes": 3_000, "devices": 12, "binaries": 300, "alerts": 40}
    base.update(config)
    state = EmulatorState(EmulatorConfig(**base), clock=ManualClock())  # type: ignore[arg-type]
    return state.backend("edr", EdrBackend)


def test_rows_are_a_pure_function_of_seed_and_index() -> None:
    a, b, c = _edr(seed=1), _edr(seed=1), _edr(seed=2)
    docs = range(0, a.processes.total_docs, 97)
    rows_a = [a.processes.doc_json(*a.processes.row(d)) for d in docs]
    rows_b = [b.processes.doc_json(*b.processes.row(d)) for d in docs]
    rows_c = [c.processes.doc_json(*c.processes.row(d)) for d in docs]
    assert rows_a == rows_b
    assert rows_a != rows_c


def test_fast_json_rendering_equals_the_dict_rendering() -> None:
    edr = _edr()
    procs = edr.processes
    for d in range(0, procs.total_docs, 13):
        info, r = procs.row(d)
        assert json.loads(procs.doc_json(info, r)) == procs.doc_fields(info, r)


def test_documents_are_in_last_update_order_and_segments_are_consistent() -> None:
    edr = _edr()
    procs = edr.processes
    previous = None
    uids = set()
    for d in range(procs.total_docs):
        info, r = procs.row(d)
        row = procs.doc_fields(info, r)
        lu = iso_to_epoch(row["last_update"])
        assert lu is not None
        if previous is not None:
            assert lu < previous
        previous = lu
        assert row["unique_id"] == f"{row['id']}-{row['segment_id']:012x}"
        uids.add(row["unique_id"])
        start = iso_to_epoch(row["start"])
        assert start is not None
        assert start <= lu
    assert len(uids) == procs.total_docs
    # Some processes have several segments: more documents than processes.
    assert procs.total_docs > procs.count


def test_guids_encode_sensor_pid_and_start_and_map_back() -> None:
    edr = _edr()
    procs = edr.processes
    for p in range(0, procs.count, 37):
        info, o = procs.process_block(p)
        guid = info.guids[o]
        sensor_id, pid, filetime = parse_guid(guid)  # type: ignore[misc]
        assert sensor_id == info.ep.sensor_id
        assert pid == info.pids[o]
        assert filetime // 10_000_000 - 11_644_473_600 == int(info.start(o))
        found = procs.find(guid)
        assert found is not None
        assert found[0].b == info.b
        assert found[1] == o
        assert procs.find(guid + "-000000000001") is not None  # a unique id works too
    assert procs.find("00000001-0000-0000-0000-000000000000") is None
    assert procs.find("not-a-guid") is None


def test_trees_are_consistent() -> None:
    edr = _edr()
    procs = edr.processes
    for b in range(0, procs.nblocks, 7):
        info = procs.block(b)
        for o in range(info.limit):
            parent = info.template.entries[o].parent
            if parent is None:
                continue
            child = procs.doc_fields(info, info.seg_docs[o][0])
            assert child["parent_id"] == info.guids[parent]
            assert child["parent_pid"] == info.pids[parent]
            assert info.start(o) > info.start(parent)
            assert child["sensor_id"] == procs.doc_fields(info, 0)["sensor_id"]


def test_templates_are_well_formed() -> None:
    for template in TEMPLATES:
        assert len(template.entries) == BLOCK
        assert template.entries[0].parent is None


def test_event_counts_match_generated_events() -> None:
    edr = _edr()
    procs = edr.processes
    for b in range(0, procs.nblocks, 11):
        info = procs.block(b)
        for r, (o, s) in enumerate(info.layout):
            events = procs.events(info, o, s)
            counts = info.doc_counts[r]
            for kind in ("modload", "filemod", "regmod", "netconn", "childproc", "crossproc"):
                assert sum(1 for e in events if e.type == kind) == counts[kind], (b, o, s, kind)
            begin, end = info.seg_window(o, s)
            assert all(begin - 1e-6 <= e.time <= end + 1e-6 for e in events if e.type != "modload")


def test_binary_download_holds_the_bytes_whose_md5_is_the_binary_md5() -> None:
    edr = _edr()
    bins = edr.binaries
    for i in (0, 5, bins.known_count + 3, bins.count - 1):
        data = zipfile.ZipFile(io.BytesIO(bins.zip_bytes(i))).read("filedata")
        assert hashlib.md5(data, usedforsecurity=False).hexdigest() == bins.md5(i)
        assert len(data) == bins.entry(i).size
        assert bins.by_md5(bins.md5(i).upper()) == i


def test_search_time_window_is_exact() -> None:
    edr = _edr()
    procs = edr.processes
    d = procs.total_docs // 3
    lu = procs.doc_fields(*procs.row(d))["last_update"]
    p = SolrParams(min_last_update=iso_to_epoch(lu))
    keys = edr.process_keys(p)
    assert list(keys) == list(range(d + 1))
    p = SolrParams(max_last_update=iso_to_epoch(lu))
    assert edr.process_keys(p)[0] == d


def test_group_by_id_returns_one_document_per_process() -> None:
    edr = _edr(processes=1_000)
    keys = edr.process_keys(SolrParams(group="id"))
    assert len(keys) == 1_000
    ids = {edr.processes.doc_fields(*edr.processes.row(d))["id"] for d in keys}
    assert len(ids) == 1_000


def test_parse_solr_reads_every_parameter() -> None:
    p = parse_solr(
        [
            ("q", "process_name:cmd.exe"),
            ("start", "20"),
            ("rows", "5"),
            ("sort", "start asc, process_name desc"),
            ("facet", "true"),
            ("facet.field", "hostname"),
            ("facet.field", "group"),
            ("cb.group", "id"),
            ("cb.min_last_update", "2024-04-01T00:00:00Z"),
            ("cb.comprehensive_search", "true"),
            ("cb.fq.status", "Unresolved"),
        ],
        default_sort="last_update desc",
    )
    assert p.start == 20
    assert p.rows == 5
    assert p.sort == (("start", False), ("process_name", True))
    assert p.facet_fields == ("hostname", "group")
    assert p.group == "id"
    assert p.min_last_update == iso_to_epoch("2024-04-01T00:00:00Z")
    assert p.comprehensive
    assert p.filters == (("status", "Unresolved"),)
    with pytest.raises(Invalid):
        parse_solr([("rows", "many")], default_sort="x")
    with pytest.raises(Invalid):
        parse_solr([("sort", "a sideways")], default_sort="x")


def test_bad_queries_raise_query_errors() -> None:
    edr = _edr()
    with pytest.raises(QueryError):
        edr.process_keys(SolrParams(q="process_name:(cmd.exe"))
    with pytest.raises(QueryError):
        edr.process_keys(SolrParams(q="no_such_field:1"))


def test_isolation_converges_after_the_delay_only_when_online() -> None:
    edr = _edr(isolation_delay=5.0)
    clock = edr.clock
    assert isinstance(clock, ManualClock)
    edr.update_sensor(1, {"network_isolation_enabled": True})
    doc = edr.sensor(1)
    assert (doc["network_isolation_enabled"], doc["is_isolating"]) == (True, False)
    clock.advance(5.0)
    assert edr.sensor(1)["is_isolating"] is True
    edr.update_sensor(1, {"network_isolation_enabled": False})
    assert edr.sensor(1)["is_isolating"] is True  # phase 3: disabled but still active
    clock.advance(5.0)
    assert edr.sensor(1)["is_isolating"] is False
    offline = edr.endpoints[4]
    assert not offline.online
    edr.update_sensor(offline.sensor_id, {"network_isolation_enabled": True})
    clock.advance(60.0)
    assert edr.sensor(offline.sensor_id)["is_isolating"] is False


def test_sensor_updates_are_validated() -> None:
    edr = _edr()
    with pytest.raises(Invalid):
        edr.update_sensor(1, {"group_id": 999})
    with pytest.raises(NotFound):
        edr.sensor(10_000)
    edr.update_sensor(1, {"group_id": 2, "notes": "moved", "computer_name": "ignored"})
    doc = edr.sensor(1)
    assert doc["group_id"] == 2
    assert doc["notes"] == "moved"
    assert doc["computer_name"] != "ignored"


def test_groups_enforce_unique_names_and_emptiness_on_delete() -> None:
    edr = _edr()
    gid = edr.create_group({"name": "Finance", "site_id": 1})
    assert edr.group(gid)["name"] == "Finance"
    with pytest.raises(Conflict):
        edr.create_group({"name": "finance"})
    edr.update_sensor(1, {"group_id": gid})
    with pytest.raises(Conflict):
        edr.delete_group(gid)
    edr.update_sensor(1, {"group_id": 1})
    edr.delete_group(gid)
    with pytest.raises(NotFound):
        edr.group(gid)


def test_alert_updates_persist_and_are_searchable() -> None:
    edr = _edr()
    alert = edr.alerts[0]
    edr.update_alert(alert["unique_id"], {"status": "resolved"})
    assert edr.alert(alert["unique_id"])["status"] == "Resolved"
    keys = edr.alert_page(SolrParams(q=f"unique_id:{alert['unique_id']} status:Resolved")).keys
    assert len(keys) == 1
    with pytest.raises(Invalid):
        edr.update_alert(alert["unique_id"], {"status": "Whatever"})
    count = edr.bulk_update_alerts(
        {"query": "cb.urlver=1&cb.fq.status=Unresolved", "requested_status": "In Progress"}
    )
    assert count > 0
    assert not [a for a in edr.alerts if a["status"] == "Unresolved"]
    with pytest.raises(Invalid):
        edr.bulk_update_alerts({"alert_ids": [alert["unique_id"]], "assigned_to": "bob"})


def test_streams_page_seek_and_expire() -> None:
    edr = _edr()
    procs = edr.processes
    info = procs.block(0)
    guid = info.guids[0]
    oldest = info.segment_id(info.seg_docs[0][-1])
    view = edr.create_stream(guid, oldest, persistent=False)
    sid = view["stream_id"]
    first = edr.read_stream(sid, rows=3)
    assert len(first["events"]) == 3
    second = edr.read_stream(sid, rows=3, seek=3)
    assert second["events"][0] != first["events"][0]
    void = edr.read_stream(sid, rows=3, seek=10_000)
    assert void["status_fw"] == "void"
    filtered = edr.read_stream(sid, rows=50, criteria={"event_type": ["modload"]})
    assert {e["type"] for e in filtered["events"]} == {"modload"}
    assert isinstance(edr.clock, ManualClock)
    edr.clock.advance(301)
    with pytest.raises(NotFound):
        edr.read_stream(sid)
