"""Event storage partitions (``/api/v1/storage/events``): one writer, cold partitions that can be
mounted, unmounted and deleted.
"""

from __future__ import annotations

import time
from typing import Any

from cbasync.testing.dataset._fmt import DAY, iso_ms
from cbasync.testing.dataset.edr.admin.core import AdminCore, iso_to_epoch_safe
from cbasync.testing.dataset.errors import Conflict, NotFound

__all__ = ["Storage"]


class Storage(AdminCore):
    """The event storage partitions of the server."""

    def _set_up_storage(self) -> None:
        """Seed this family's collections (called once, in order, by EdrAdmin)."""
        self.partitions: dict[str, dict[str, Any]] = {}
        self._seed_partitions()

    def _partition(
        self, name: str, status: str, start: float, end: float | None, docs: int
    ) -> dict[str, Any]:
        stamp = time.strftime("%Y_%m_%d_%H%M", time.gmtime(start))
        info: dict[str, Any] = {
            "sizeInBytes": docs * 4100,
            "startDate": iso_ms(start)[:-1] + "000Z",
            "partitionId": int(start * 1000) << 12,
            "endDate": None if end is None else iso_ms(end)[:-1] + "000Z",
            "userMounted": False,
            "isLegacy": False,
            "segmentCount": 1 + docs % 10,
            "dir": f"/var/cb/data/solr5/cbevents/cbevents_{stamp}",
            "schema": "cbevents_v1",
        }
        if status != "cold":
            info.update({"deletedDocs": 0, "maxDoc": docs, "numDocs": docs})
        return {"status": status, "info": info, "name": name}

    def _seed_partitions(self) -> None:
        epoch = self.epoch
        per = max(self.config.processes // 4, 1)
        starts = [epoch - 30 * DAY, epoch - 21 * DAY, epoch - 14 * DAY, epoch - 7 * DAY]
        for k, start in enumerate(starts[:-1]):
            name = "cbevents_" + time.strftime("%Y_%m_%d_%H%M", time.gmtime(start))
            status = "cold" if k == 0 else "warm"
            self.partitions[name] = self._partition(name, status, start, starts[k + 1], per)
        self.partitions["writer"] = self._partition("writer", "hot", starts[-1], None, per)

    def get_partition(self, name: str) -> dict[str, Any]:
        partition = self.partitions.get(name)
        if partition is None:
            raise NotFound(f"partition {name} not found")
        return partition

    def new_partition(self) -> str:
        now = self.clock.time()
        writer = self.partitions.pop("writer")
        start = iso_to_epoch_safe(writer["info"]["startDate"])
        name = "cbevents_" + time.strftime("%Y_%m_%d_%H%M", time.gmtime(start))
        while name in self.partitions:
            name += "_1"
        docs = writer["info"].get("numDocs", 0)
        self.partitions[name] = self._partition(name, "warm", start, now, docs)
        self.partitions["writer"] = self._partition("writer", "hot", now, None, 0)
        return f"Created new partition; previous writer renamed to {name}"

    def mount_partition(self, name: str) -> str:
        partition = self.get_partition(name)
        if partition["status"] != "cold":
            raise Conflict(
                f"partition {name} is {partition['status']}, only a cold one can be mounted"
            )
        start = iso_to_epoch_safe(partition["info"]["startDate"])
        end = partition["info"]["endDate"]
        new = self._partition(
            name,
            "warm",
            start,
            None if end is None else iso_to_epoch_safe(end),
            int(partition["info"]["sizeInBytes"] // 4100),
        )
        new["info"]["userMounted"] = True
        self.partitions[name] = new
        return f"Partition {name} mounted"

    def unmount_partition(self, name: str) -> str:
        partition = self.get_partition(name)
        if partition["status"] != "warm":
            raise Conflict(
                f"partition {name} is {partition['status']}, only a warm one can be unmounted"
            )
        partition["status"] = "cold"
        for key in ("numDocs", "maxDoc", "deletedDocs"):
            partition["info"].pop(key, None)
        return f"Partition {name} unmounted"

    def delete_partition(self, name: str) -> str:
        partition = self.get_partition(name)
        if partition["status"] == "hot":
            raise Conflict("the hot (writer) partition cannot be deleted")
        del self.partitions[name]
        return f"Partition {name} deleted"
