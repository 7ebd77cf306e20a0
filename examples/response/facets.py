"""The cbapi manual's 4.5.8, with ``await``: the most common process names of one user on one
host, as a histogram, from a single search for no rows (the server counts, nothing is paged).

    python examples/response/facets.py [--hostname HOST] [--username USER] [--profile NAME]
"""

from __future__ import annotations

from _target import run

from cbasync import CbResponseAPI
from cbasync.response import FacetValue, Process


def histogram(entries: list[FacetValue]) -> list[str]:
    # The manual's print_facet_histogram: entries read like dicts, as cbapi's did.
    return [
        f"{entry['name'][:15]:>15}: {entry['ratio']:>5}% {'#' * (int(entry['percent']) // 2)}"
        for entry in entries
    ]


async def main(
    api: CbResponseAPI, *, hostname: str | None = None, username: str | None = None
) -> list[str]:
    if hostname is None or username is None:  # default: whoever ran the newest net.exe
        proc = await api.select(Process).where("process_name:net.exe").sort("start desc").first()
        if proc is None:
            print("no process to start from")
            return []
        hostname = hostname or proc.hostname
        username = username or (proc.username or "").split("\\")[-1]
    query = api.select(Process).where(f"hostname:{hostname}").and_(f"username:{username}")
    facets = await query.facets("process_name", "username")
    print(f"process names of {username} on {hostname}:")
    lines = histogram(facets["process_name"])
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--hostname"], {"help": "the host (default: the newest net.exe's)"}),
            (["--username"], {"help": "the user, without domain (default: likewise)"}),
        ],
    )
