"""An Auth Events hunt (Carbon Black Cloud): failed Windows logons, their facets, every field of
the newest ones (a detail job) and the events grouped by device.

    python examples/cloud/auth_events.py [--query Q] [--window -2w] [--profile NAME]

Each step is a server-side job (search, facet, detail, group); cbasync submits each once, waits
for it with a bounded poll and pages its results as they are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from _target import run

from cbasync import CBCloudAPI
from cbasync.cloud import AuthEvent, AuthEventDetail


@dataclass
class Hunt:
    total: int = 0
    by_user: dict[str, int] = field(default_factory=dict)
    by_device: dict[str, int] = field(default_factory=dict)
    newest: list[AuthEventDetail] = field(default_factory=list)
    groups: dict[str, int] = field(default_factory=dict)


async def main(
    api: CBCloudAPI,
    *,
    query: str = "auth_event_action:LOGON_FAILED",
    window: str = "-2w",
    details: int = 3,
) -> Hunt:
    hunt = Hunt()
    search = api.select(AuthEvent).where(query).time_range(window=window)
    hunt.total = await search.count()
    print(f"{hunt.total} events match {query!r} ({window})")
    facets = await search.facets("auth_username", "device_name", rows=5)
    hunt.by_user = {v.name: v.total or 0 for v in facets.values("auth_username") if v.name}
    hunt.by_device = {v.name: v.total or 0 for v in facets.values("device_name") if v.name}
    for name, total in hunt.by_user.items():
        print(f"  user   {name:<24} {total:>5}")
    for name, total in hunt.by_device.items():
        print(f"  device {name:<24} {total:>5}")
    newest = await search.sort_by("device_timestamp", "DESC")[:details].all()
    if newest:
        # One detail job for all of them, rather than one per event.
        ids = [event.event_id for event in newest if event.event_id]
        hunt.newest = await AuthEvent.details_of(api, event_ids=ids).all()
    for detail in hunt.newest:
        print(
            f"{detail.device_timestamp}  {detail.auth_username}@{detail.device_name}"
            f" from {detail.auth_remote_ipv4 or '?'}: logon type {detail.auth_logon_type},"
            f" {detail.auth_failed_logon_count} failures, by {detail.process_name}"
        )
    async for group in search.group_results("device_name", max_events_per_group=1):
        hunt.groups[str(group.group_value)] = group.total_events or 0
    print(f"{len(hunt.groups)} devices had matching events")
    return hunt


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--query"], {"default": "auth_event_action:LOGON_FAILED"}),
            (["--window"], {"default": "-2w", "help": "how far back (-1d, -2w, ...)"}),
            (["--details"], {"type": int, "default": 3, "help": "newest events read in full"}),
        ],
    )
