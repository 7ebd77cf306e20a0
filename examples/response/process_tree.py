"""The cbapi manual's 4.5.4 and 4.5.7 and its ``walk_children.py``, with ``await``: find
``net.exe`` mounting an internal share, walk each hit's parents up to the kernel, join its
sensor, sensor group and binary, and draw the tree below the shell that ran it.

    python examples/response/process_tree.py [--query Q] [--profile NAME]

cbapi walked trees with callbacks (``proc.walk_parents(print_details)``) and joined objects
behind attribute access (``proc.sensor.group.name``); here walks are async iterators and joins
are awaited, and both are cached per client: hits that share parents cost one request each.
"""

from __future__ import annotations

from _target import run

from cbasync import CbResponseAPI
from cbasync.response import Process

NET_USE = r"process_name:net.exe cmdline:\\test\blah"


def details(proc: Process, depth: int) -> str:
    return f"{'  ' * depth}{proc.start}: {proc.username} ran {proc.cmdline}"


async def main(api: CbResponseAPI, *, query: str = NET_USE, limit: int = 3) -> list[list[str]]:
    hits = api.select(Process).where(query).group_by("id").sort("start desc")
    print(f"{await hits.count()} processes match {query!r}")
    chains: list[list[str]] = []
    async for proc in hits[:limit]:
        sensor = await proc.sensor()
        group = await sensor.group()
        binary = await proc.binary()
        print(f"\nOn host {proc.hostname} (part of sensor group {group.name}):")
        print(details(proc, 0))
        if binary.is_signed and binary.signing_data.sign_time and proc.start:
            days = (proc.start - binary.signing_data.sign_time).days
            print(f"  (binary signed by {binary.signing_data.publisher} {days} days before)")
        chain: list[str] = []
        async for parent in proc.walk_parents():
            print(details(parent, parent.depth))
            chain.append(parent.process_name or "?")
        chains.append(chain)
        shell = await proc.parent()
        if shell is not None:
            print(f"  everything {shell.process_name} (pid {shell.process_pid}) started:")
            async for child in shell.walk_children(max_depth=2):
                lifetime = (
                    f"{(child.end - child.start).total_seconds():.1f}s"
                    if (child.end and child.start)
                    else "still running"
                )
                print(f"  {'  ' * child.depth}{child.process_name} ({lifetime})")
    return chains


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--query"], {"default": NET_USE, "help": "the process search"}),
            (["--limit"], {"type": int, "default": 3, "help": "hits to walk"}),
        ],
    )
