"""Process search jobs (Carbon Black Cloud Enterprise EDR): a hunt, its facets, a process's
tree and its events — each a server-side job that cbasync submits once and pages as it reads.

    python examples/cloud/process_search.py [--query Q] [--profile NAME]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from _target import run

from cbasync import CBCloudAPI
from cbasync.cloud import Process


@dataclass
class Found:
    total: int = 0
    by_device: dict[str, int] = field(default_factory=dict)
    first: Process | None = None
    tree_size: int = 0
    children: int = 0
    event_types: dict[str, int] = field(default_factory=dict)


async def main(
    api: CBCloudAPI, *, query: str = "process_name:powershell.exe", window: str = "-2w"
) -> Found:
    found = Found()
    search = (
        api.select(Process).where(query).time_range(window=window)
        .sort_by("device_timestamp", "DESC")
    )  # fmt: skip
    found.total = await search.count()  # the search job, submitted once for all that follows
    print(f"{found.total} processes match {query!r}")
    facets = await search.facets("device_name", rows=5)  # a facet job
    found.by_device = {v.name: v.total or 0 for v in facets.values("device_name") if v.name}
    for name, total in found.by_device.items():
        print(f"  {name:<24} {total:>5}")
    found.first = proc = await search.first()  # the newest, from the same job
    if proc is None:
        return found
    print(f"newest: {proc.process_name} on {proc.device_name} ({proc.process_guid})")
    tree = await proc.tree()  # a summary job, format=tree
    found.tree_size = len(tree.walk())
    found.children = len(tree.children)
    print(f"  its tree: {found.tree_size} processes, {found.children} children")
    events = await proc.events().facets("event_type")
    found.event_types = {v.name: v.total or 0 for v in events.values("event_type") if v.name}
    print(f"  its events: {found.event_types}")
    return found


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--query"], {"default": "process_name:powershell.exe"}),
            (["--window"], {"default": "-2w", "help": "how far back (-1d, -2w, ...)"}),
        ],
    )
