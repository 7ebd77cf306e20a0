"""The events of a process segment, generated on demand, and their renderings per API version."""

from __future__ import annotations

import random
from typing import Any

from cbasync.testing.dataset._fmt import (
    FILETIME_EPOCH_OFFSET,
    cb_time,
    iso_ms,
    mix,
    signed32,
)
from cbasync.testing.dataset.edr_process.blocks import BlockInfo
from cbasync.testing.dataset.edr_process.common import (
    FILETYPES,
    TEN7,
    Event,
    ip_int,
    ip_str,
    make_guid,
)
from cbasync.testing.dataset.edr_process.layout import DocumentLayout

__all__ = ["ProcessEvents"]


class ProcessEvents(DocumentLayout):
    """The events of a process segment, generated on demand, and their renderings per API version."""

    def events(self, info: BlockInfo, o: int, segment: int | None) -> list[Event]:
        """The events of one segment (index) or, with ``segment=None``, of all segments, in time
        order."""
        segs = range(len(info.seg_docs[o])) if segment is None else (segment,)
        out: list[Event] = []
        for s in segs:
            out.extend(self._segment_events(info, o, s))
        out.sort(key=lambda e: e.time)
        return out

    def _segment_events(self, info: BlockInfo, o: int, s: int) -> list[Event]:
        spec = info.template.entries[o]
        kind = info.kinds[o]
        bins = self.binaries
        p = info.process_index[o]
        rng = random.Random(mix(self.seed, p, s, 0xEE))
        begin, end = info.seg_window(o, s)
        span = max(end - begin, 0.001)
        oldest = s == len(info.seg_docs[o]) - 1
        out: list[Event] = []

        def when() -> float:
            return begin + rng.random() * span

        if oldest:
            t0 = info.start(o)
            out.append(Event("modload", t0, s, (bins.md5(kind.binary), kind.path)))
            for k, m in enumerate(self.modules_of(info.ep.os_type, spec)):
                out.append(
                    Event("modload", t0 + 0.001 * (k + 1), s, (bins.md5(m), bins.entry(m).path))
                )
        for rep in range(spec.repeat):
            for k, raw in enumerate(spec.filemods):
                path = info.resolve(o, raw)
                op = (1, 2, 8, 8, 2, 4)[(rep + k) % 6] if spec.repeat > 1 else (1, 2, 8)[k % 3]
                ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("\\", 1)[-1] else ""
                ftype = FILETYPES.get(ext, 0)
                md5 = f"{mix(self.seed, p, k, rep) & ((1 << 128) - 1):032x}" if op == 8 else ""
                out.append(Event("filemod", when(), s, (op, path, md5, ftype, False)))
            for k, raw in enumerate(spec.regmods):
                op = 1 if rep == 0 and k == 0 and s == len(info.seg_docs[o]) - 1 else 2
                out.append(Event("regmod", when(), s, (op, info.resolve(o, raw), False)))
            for domain, ip, port in spec.netconns:
                proto = 17 if port == 53 else 6
                local_port = 49152 + rng.randrange(16000)
                out.append(
                    Event(
                        "netconn",
                        when(),
                        s,
                        (
                            domain,
                            ip_int(ip),
                            port,
                            proto,
                            True,
                            ip_int(info.ep.internal_ip),
                            local_port,
                            0,
                        ),
                    )
                )
        if oldest:
            for c in spec.crossproc:
                if c < info.limit and c != o:
                    out.append(
                        Event(
                            "crossproc",
                            when(),
                            s,
                            (
                                "ProcessOpen",
                                info.latest_unique_id(c),
                                bins.md5(info.kinds[c].binary),
                                info.kinds[c].path,
                                1,
                                0x1FFFFF,
                                False,
                            ),
                        )
                    )
        for c in info.children[o]:
            child_kind = info.kinds[c]
            child_uid = info.latest_unique_id(c)
            md5 = bins.md5(child_kind.binary)
            if oldest:
                out.append(
                    Event(
                        "childproc",
                        info.start(c),
                        s,
                        (child_uid, md5, child_kind.path, info.pids[c], True, False, "", ""),
                    )
                )
            if info.terminated[c] and s == 0:
                # Terminations are reported in the parent's newest segment.
                t_end = max(info.lu(info.seg_docs[c][0]), begin)
                out.append(
                    Event(
                        "childproc",
                        t_end,
                        s,
                        (child_uid, md5, child_kind.path, info.pids[c], False, False, "", ""),
                    )
                )
        if oldest:
            for k in range(spec.suppressed_children):
                pid = info.pids[o] + 4 * (k + 1)
                t = when()
                ft = int((t + FILETIME_EPOCH_OFFSET) * TEN7)
                uid = make_guid(info.ep.sensor_id, pid, ft) + "-000000000001"
                conhost = "c:\\windows\\system32\\conhost.exe"
                out.append(
                    Event(
                        "childproc",
                        t,
                        s,
                        (
                            uid,
                            bins.md5(bins.image_index["conhost"]),
                            conhost,
                            pid,
                            True,
                            True,
                            info.username(o),
                            f"\\??\\{conhost} 0xffffffff -ForceV1",
                        ),
                    )
                )
        return out

    @staticmethod
    def render_event(event: Event, version: int) -> Any:
        """One ``*_complete`` entry as API version ``version`` (1-4) returns it."""
        t = event.time
        d = event.data
        if event.type == "modload":
            return f"{cb_time(t)}|{d[0]}|{d[1]}"
        if event.type == "filemod":
            op, path, md5, ftype, tamper = d
            return f"{op}|{cb_time(t)}|{path}|{md5}|{ftype or ''}|{'true' if tamper else 'false'}"
        if event.type == "regmod":
            op, path, tamper = d
            return f"{op}|{cb_time(t)}|{path}|{'true' if tamper else 'false'}"
        if event.type == "netconn":
            domain, rip, rport, proto, outbound, lip, lport, _ = d
            if version == 1:
                return f"{cb_time(t)}|{signed32(rip)}|{rport}|{proto}|{domain}|{'true' if outbound else 'false'}"
            remote: Any = signed32(rip) if version < 4 else ip_str(rip)
            local: Any = signed32(lip) if version < 4 else ip_str(lip)
            return {
                "domain": domain,
                "proto": proto,
                "local_port": lport,
                "timestamp": iso_ms(t),
                "local_ip": local,
                "direction": "true" if outbound else "false",
                "remote_port": rport,
                "remote_ip": remote,
            }
        if event.type == "childproc":
            uid, md5, path, pid, started, suppressed, user, cmdline = d
            if version < 3:
                return (
                    f"{cb_time(t)}|{uid}|{md5}|{path}|{pid}|{'true' if started else 'false'}|false"
                )
            key = "start" if started else "end"
            return {
                "userName": user,
                "processId": uid,
                key: iso_ms(t)[:-1] + "000Z",
                "commandLine": cmdline,
                "pid": pid,
                "is_suppressed": suppressed,
                "is_tampered": False,
                "path": path,
                "type": key,
                "md5": md5,
            }
        if event.type == "crossproc":
            kind, uid, md5, path, sub, access, tamper = d
            return f"{kind}|{cb_time(t)}|{uid}|{md5}|{path}|{sub}|{access}|{'true' if tamper else 'false'}"
        raise ValueError(f"unknown event type {event.type}")
