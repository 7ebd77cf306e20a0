"""What the server lets in: ingress filters (``ingress_approvedlist``, ``ingress_whitelist``
before 7.7) and the approved IP list.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset._fmt import DAY, iso_ms
from cbasync.testing.dataset.edr.admin.core import AdminCore
from cbasync.testing.dataset.edr.admin.tables import INGRESS_DEFAULTS, INGRESS_READ_ONLY
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound

__all__ = ["Ingress"]


class Ingress(AdminCore):
    """Ingress filters and approved IP addresses."""

    def _set_up_ingress(self) -> None:
        """Seed this family's collections (called once, in order, by EdrAdmin)."""
        self.ingress: dict[str, dict[str, Any]] = {}
        self._next_ingress = 1
        self._seed_ingress()
        self.approved_ips: dict[int, str] = {}
        self._next_ip = 1
        self.approved_enabled = False

    def _seed_ingress(self) -> None:
        now = self.epoch - 40 * DAY
        for body in (
            {
                "id": "1",
                "name": "Backup agent",
                "path_filters": ["c:\\\\program files\\\\backup\\\\*"],
                "group_ids": [1, 2],
                "global": False,
            },
            {
                "id": "2",
                "name": "Noisy editor",
                "cmdline_filters": ["notepad.exe"],
                "group_ids": [1, 2],
                "global": False,
            },
        ):
            record = dict(INGRESS_DEFAULTS)
            record.update(body)
            record.update(
                {
                    "create_timestamp": iso_ms(now),
                    "modify_timestamp": iso_ms(now),
                    "create_user_id": 1,
                    "modify_user_id": 1,
                }
            )
            self.ingress[record["id"]] = record
        self._next_ingress = 3

    def ingress_filter(self, fid: str) -> dict[str, Any]:
        record = self.ingress.get(str(fid))
        if record is None:
            raise NotFound(f"ingress filter {fid} not found")
        return record

    def _ingress_body(self, body: Any) -> dict[str, Any]:
        if isinstance(body, list):
            if len(body) != 1 or not isinstance(body[0], Mapping):
                raise Invalid("the body must be a filter object or a list of one")
            body = body[0]
        if not isinstance(body, Mapping):
            raise Invalid("the body must be a filter object")
        clean: dict[str, Any] = {}
        for raw_key, value in body.items():
            key = {"command_line_filters": "cmdline_filters"}.get(str(raw_key), str(raw_key))
            if key in INGRESS_READ_ONLY:
                continue
            clean[key] = value
        mask = clean.get("os_mask", 7)
        if not isinstance(mask, int) or not 0 < mask <= 7:
            raise Invalid("os_mask must be a bit mask between 1 and 7")
        return clean

    def create_ingress(self, bodies: Any) -> list[str]:
        if not isinstance(bodies, list) or not bodies:
            raise Invalid("the body must be a list of filter objects")
        ids = []
        for body in bodies:
            clean = self._ingress_body(body)
            fid = str(clean.pop("id", "") or "")
            if fid:
                if fid in self.ingress:
                    raise Conflict(f"ingress filter {fid} already exists")
            else:
                while str(self._next_ingress) in self.ingress:
                    self._next_ingress += 1
                fid = str(self._next_ingress)
                self._next_ingress += 1
            now = iso_ms(self.clock.time())
            record = dict(INGRESS_DEFAULTS)
            record.update(clean)
            record.update(
                {
                    "id": fid,
                    "create_timestamp": now,
                    "modify_timestamp": now,
                    "create_user_id": 2,
                    "modify_user_id": 2,
                }
            )
            self.ingress[fid] = record
            ids.append(fid)
        return ids

    def update_ingress(self, fid: str, body: Any) -> dict[str, Any]:
        record = self.ingress_filter(fid)
        clean = self._ingress_body(body)
        clean.pop("id", None)
        record.update(clean)
        record["modify_timestamp"] = iso_ms(self.clock.time())
        record["modify_user_id"] = 2
        record["version"] = int(record.get("version", 1)) + 1
        return record

    def delete_ingress(self, fid: str) -> None:
        self.ingress_filter(fid)
        del self.ingress[str(fid)]

    def ingress_legacy(self) -> list[dict[str, Any]]:
        """The pre-6.x camelCase rendering some consoles still read."""
        out = []
        for record in self.ingress.values():
            out.append(
                {
                    "id": record["id"],
                    "name": record["name"],
                    "enabled": record["enabled"],
                    "trackMetrics": record["track_metrics"],
                    "pathFilters": record["path_filters"],
                    "commandLineFilters": record["cmdline_filters"],
                    "md5Filters": record["md5_filters"],
                    "osMask": record["os_mask"],
                    "groupIds": record["group_ids"],
                }
            )
        return out

    def list_approved_ips(self) -> list[dict[str, Any]]:
        return [{"ipaddr": ip, "id": i} for i, ip in self.approved_ips.items()]

    def add_approved_ips(self, value: Any) -> list[int]:
        values = value if isinstance(value, list) else [value]
        if not values:
            raise Invalid("ipaddr is required")
        clean = []
        for ip in values:
            try:
                ipaddress.ip_network(str(ip), strict=False)
            except ValueError:
                raise Invalid(f"{ip!r} is not an IP address or CIDR block") from None
            clean.append(str(ip))
        ids = []
        for ip in clean:
            existing = next((i for i, v in self.approved_ips.items() if v == ip), None)
            if existing is not None:
                ids.append(existing)
                continue
            self.approved_ips[self._next_ip] = ip
            ids.append(self._next_ip)
            self._next_ip += 1
        return ids

    def delete_approved_ip(self, iid: int) -> None:
        if iid not in self.approved_ips:
            raise NotFound(f"approved IP entry {iid} not found")
        del self.approved_ips[iid]
