"""Bulk alert triage (the cbapi manual's 4.5.6), with ``await``: see where the unresolved alerts
come from (facets), give the first batch to an analyst, and close the noisiest source as false
positives — each a bulk change sent in batches of 500, without fetching alerts one by one.

    python examples/response/alert_triage.py [--analyst NAME] [--batch N] [--profile NAME]
"""

from __future__ import annotations

from _target import run

from cbasync import CbResponseAPI
from cbasync.response import Alert


async def main(api: CbResponseAPI, *, analyst: str = "analyst", batch: int = 10) -> dict[str, int]:
    open_alerts = api.select(Alert).where("status:Unresolved")
    total = await open_alerts.count()
    facets = await open_alerts.facets("watchlist_name", "hostname")
    print(f"{total} unresolved alerts")
    for entry in facets["watchlist_name"][:5]:
        print(f"  {entry.name:<40} {entry.value:>5}")
    assigned = await open_alerts.sort("created_time asc")[:batch].assign_to(analyst)
    print(f"assigned the {assigned} oldest to {analyst} (In Progress)")
    noisiest = facets["watchlist_name"][0].name if facets["watchlist_name"] else None
    closed = 0
    if noisiest:
        closed = await open_alerts.where(f'watchlist_name:"{noisiest}"').change_status(
            "False Positive"
        )
        print(f"closed {closed} alerts of {noisiest!r} as False Positive")
    left = await api.select(Alert).where("status:Unresolved").count()
    print(f"{left} unresolved alerts left")
    return {"total": total, "assigned": assigned, "closed": closed, "left": left}


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--analyst"], {"default": "analyst", "help": "who gets the oldest alerts"}),
            (["--batch"], {"type": int, "default": 10, "help": "how many to assign"}),
        ],
    )
