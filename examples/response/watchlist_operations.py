"""The cbapi manual's 4.5.5 and its ``watchlist_operations.py`` / ``watchlist_exporter.py``, with
``await``: turn a process query into a watchlist, find it again, read its query back, run it,
disable it, export every watchlist as JSON, and delete the new one.

    python examples/response/watchlist_operations.py [--name N] [--query Q] [--keep]

A watchlist stores its search as a URL-encoded ``search_query``; ``watchlist.query`` decodes it
and ``watchlist.search()`` runs it as a query of processes (or binaries, for a ``modules`` list).
"""

from __future__ import annotations

import json

from _target import run

from cbasync import CbResponseAPI
from cbasync.response import Process, Watchlist

NAME = "[WARN] Attempts to mount internal share"
QUERY = r"process_name:net.exe cmdline:\\test\blah"


async def main(
    api: CbResponseAPI, *, name: str = NAME, query: str = QUERY, keep: bool = False
) -> list[dict[str, object]]:
    created = await api.select(Process).where(query).create_watchlist(name)
    print(f"created watchlist {created.id}: {created.name!r}")
    # Find it again by name (list queries compare names exactly, brackets and all).
    found = await api.select(Watchlist).where(f"name:{name}").one()
    print(f"its query: {found.query}")
    print(f"it matches {await found.search().count()} processes today")
    found.enabled = False
    await found.save()
    print(f"disabled: enabled={found.enabled}")
    exported: list[dict[str, object]] = [
        {"name": w.name, "query": w.query, "index_type": w.index_type, "enabled": w.enabled}
        async for w in api.select(Watchlist)
    ]
    print(f"exported {len(exported)} watchlists:")
    print(json.dumps(exported[:3], indent=2))
    if not keep:
        await found.delete()
        print(f"deleted watchlist {found.id}")
    return exported


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--name"], {"default": NAME, "help": "the watchlist's name"}),
            (["--query"], {"default": QUERY, "help": "its process query"}),
            (["--keep"], {"action": "store_true", "help": "do not delete it at the end"}),
        ],
    )
