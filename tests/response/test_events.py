"""Event parsing for every API version, from the formats and examples of seed 003."""

from __future__ import annotations

import datetime

import pytest

from cbasync.response.events import (
    ChildProcEvent,
    CrossProcEvent,
    FileModEvent,
    ModLoadEvent,
    NetConnEvent,
    ProcessEvents,
    RegModEvent,
    UnparsedEvent,
    parse_events,
)

UTC = datetime.timezone.utc


def test_filemod_v1() -> None:
    (event,) = parse_events(
        "filemod",
        [
            "1|2013-09-16 07:11:58.000000|c:\\documents and settings\\administrator\\local settings\\temp\\hsperfdata_administrator\\3704|||false"
        ],
    )
    assert event == FileModEvent(
        timestamp=datetime.datetime(2013, 9, 16, 7, 11, 58, tzinfo=UTC),
        operation="Created",
        path="c:\\documents and settings\\administrator\\local settings\\temp\\hsperfdata_administrator\\3704",
        md5=None,
        file_type=None,
        tampered=False,
    )
    (last_write,) = parse_events(
        "filemod", ["8|2013-09-16 07:11:58.5|c:\\x.exe|0123456789abcdef0123456789abcdef|1|true"], 7
    )
    assert (
        last_write.operation,
        last_write.md5,
        last_write.file_type,
        last_write.tampered,
        last_write.segment_id,
    ) == (  # type: ignore[union-attr]
        "LastWrote",
        "0123456789abcdef0123456789abcdef",
        "PE",
        True,
        7,
    )


def test_filemod_with_trailing_empty_field_from_the_seed_example() -> None:
    (event,) = parse_events(
        "filemod",
        [
            "2|2013-09-19 22:07:07.000000|c:\\programdata\\microsoft\\rac\\statedata\\racmetadata.dat|"
        ],
    )
    assert isinstance(event, FileModEvent)
    assert event.operation == "FirstWrote"
    assert event.md5 is None


def test_modload_and_regmod_v1() -> None:
    (modload,) = parse_events(
        "modload",
        [
            "2013-09-19 22:07:07.000000|f404e59db6a0f122ab26bf4f3e2fd0fa|c:\\windows\\system32\\dxgi.dll"
        ],
    )
    assert modload == ModLoadEvent(
        timestamp=datetime.datetime(2013, 9, 19, 22, 7, 7, tzinfo=UTC),
        md5="f404e59db6a0f122ab26bf4f3e2fd0fa",
        path="c:\\windows\\system32\\dxgi.dll",
    )
    (regmod,) = parse_events(
        "regmod",
        [
            "2|2013-09-19 22:07:07.000000|\\registry\\user\\s-1-5-19\\software\\microsoft\\sqmclient\\reliability\\adaptivesqm\\manifestinfo\\version"
        ],
    )
    assert isinstance(regmod, RegModEvent)
    assert regmod.operation == "FirstWrote"
    assert regmod.path.endswith("manifestinfo\\version")


def test_netconn_v1_v2_and_v4() -> None:
    (v1,) = parse_events(
        "netconn", ["2013-09-16 07:11:59.000000|-1979811809|80|6|dl.javafx.com|true"]
    )
    assert v1 == NetConnEvent(
        timestamp=datetime.datetime(2013, 9, 16, 7, 11, 59, tzinfo=UTC),
        remote_ip="137.254.120.31",  # an Oracle address, as dl.javafx.com was
        remote_port=80,
        protocol="TCP",
        domain="dl.javafx.com",
        direction="outbound",
    )
    (v2,) = parse_events(
        "netconn",
        [
            {
                "domain": "login.live.com",
                "proto": 6,
                "local_port": 49240,
                "timestamp": "2017-01-11T16:20:04.892Z",
                "local_ip": 167772448,
                "direction": "true",
                "remote_port": 80,
                "remote_ip": -2080555708,
            }
        ],
    )
    assert isinstance(v2, NetConnEvent)
    assert (v2.remote_ip, v2.local_ip, v2.direction, v2.protocol) == (
        "131.253.61.68",
        "10.0.1.32",
        "outbound",
        "TCP",
    )
    assert v2.timestamp == datetime.datetime(2017, 1, 11, 16, 20, 4, 892000, tzinfo=UTC)
    (v4,) = parse_events(
        "netconn",
        [
            {
                "domain": "",
                "proto": 17,
                "local_port": 53,
                "timestamp": "2017-01-11T16:20:04Z",
                "local_ip": "fe80::1",
                "direction": "false",
                "remote_port": 5353,
                "remote_ip": "10.1.2.3",
                "block_type": 1,
            }
        ],
    )
    assert isinstance(v4, NetConnEvent)
    assert (v4.remote_ip, v4.local_ip, v4.direction, v4.protocol, v4.domain, v4.blocked) == (
        "10.1.2.3",
        "fe80::1",
        "inbound",
        "UDP",
        None,
        True,
    )


def test_childproc_v1_and_v3() -> None:
    (v1,) = parse_events(
        "childproc",
        [
            "2014-01-23 09:19:08.331|8832db0c-6b84-fc4b-0000-000000000001|51138beea3e2c21ec44d0932c71762a8|c:\\windows\\system32\\rundll32.exe|6980|true|false"
        ],
    )
    assert isinstance(v1, ChildProcEvent)
    assert (v1.process_id, v1.pid, v1.started, v1.tampered) == (
        "8832db0c-6b84-fc4b-0000-000000000001",
        6980,
        True,
        False,
    )
    (v3,) = parse_events(
        "childproc",
        [
            {
                "userName": "",
                "processId": "00000003-0000-0178-01d2-6c44464bec2f-00000001",
                "end": "2017-01-11T19:57:44.066000Z",
                "commandLine": "",
                "pid": 376,
                "is_suppressed": False,
                "is_tampered": False,
                "path": "c:\\windows\\system32\\taskeng.exe",
                "type": "end",
                "md5": "16c467fe69bfcffb7568271f23217821",
            }
        ],
    )
    assert isinstance(v3, ChildProcEvent)
    assert (v3.started, v3.pid, v3.child_guid) == (
        False,
        376,
        "00000003-0000-0178-01d2-6c44464bec2f",
    )
    assert v3.timestamp == datetime.datetime(2017, 1, 11, 19, 57, 44, 66000, tzinfo=UTC)


def test_crossproc_v1() -> None:
    (event,) = parse_events(
        "crossproc",
        [
            "ProcessOpen|2014-01-23 09:19:08.331|00000177-0000-0258-01cf-c209d9f1c431|204f3f58212b3e422c90bd9691a2df28|c:\\windows\\system32\\lsass.exe|1|2097151|false"
        ],
    )
    assert event == CrossProcEvent(
        timestamp=datetime.datetime(2014, 1, 23, 9, 19, 8, 331000, tzinfo=UTC),
        type="ProcessOpen",
        target_unique_id="00000177-0000-0258-01cf-c209d9f1c431",
        target_md5="204f3f58212b3e422c90bd9691a2df28",
        target_path="c:\\windows\\system32\\lsass.exe",
        target_type="process",
        access_mask=2097151,
        tampered=False,
    )


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("filemod", "x|2013-09-16 07:11:58|path"),
        ("filemod", "1|not a time|path"),
        ("modload", "2013-09-19 22:07:07"),
        ("netconn", "2013-09-16 07:11:59|abc|80|6|d|true"),
        ("childproc", {"type": "start"}),
        ("crossproc", "ProcessOpen|2014-01-23 09:19:08|a|b|c|x|1|false"),
        ("regmod", 42),
    ],
)
def test_garbage_is_kept_as_unparsed_not_dropped(kind: str, raw: object) -> None:
    (event,) = parse_events(kind, [raw])
    assert isinstance(event, UnparsedEvent)
    assert (event.kind, event.raw) == (kind, raw)
    assert event.reason


def test_process_events_sorts_and_counts() -> None:
    events = ProcessEvents.from_lists(
        {
            "modload_complete": [
                "2013-09-19 22:07:09.000000|aa|c:\\b.dll",
                "2013-09-19 22:07:07.000000|bb|c:\\a.dll",
            ],
            "regmod_complete": ["2|2013-09-19 22:07:08.000000|\\registry\\x"],
            "filemod_complete": ["bad"],
            "netconn_complete": None,
        }
    )
    assert len(events) == 4
    assert [type(e).__name__ for e in events.all] == ["ModLoadEvent", "RegModEvent", "ModLoadEvent"]
    assert len(events.unparsed) == 1
    merged = events.merged(events)
    assert len(merged) == 8
