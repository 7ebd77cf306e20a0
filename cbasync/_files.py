"""Writing a download to disk safely: beside the target, renamed into place when complete."""

from __future__ import annotations

import os
from collections.abc import AsyncIterable
from pathlib import Path

import anyio

from cbasync._tasks import shielded_cleanup

__all__ = ["save_stream"]


async def save_stream(chunks: AsyncIterable[bytes], path: str | os.PathLike[str]) -> Path:
    """Write ``chunks`` to ``path``. A failed or cancelled download leaves no file behind, and
    never a truncated one under the final name."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.part")
    try:
        async with await anyio.open_file(partial, "wb") as handle:
            async for chunk in chunks:
                await handle.write(chunk)
        await anyio.Path(partial).rename(target)
    except BaseException:
        async with shielded_cleanup(f"removing the partial download {partial}"):
            await anyio.Path(partial).unlink(missing_ok=True)
        raise
    return target
