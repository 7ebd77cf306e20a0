"""Pages built without the cyclic garbage collector's interruptions.

A 1,000-row page of typed rows is about 7,000 new container objects (each row's model, its
``__dict__``, its set of fields, its lists and its client state), and every one of them lives
until the page has been read. CPython's collector makes a generation-0 pass every 700 new
containers; while a page is being built, those passes find nothing to free and only promote
the rows towards the oldest generation, whose full passes walk every live object. On the S3
benchmark (100 pages of auth events, 20 concurrent jobs) the collector took about 1 s of the
client's 3.5 s of CPU, and parsing one page took 19.7 ms with a dozen pages alive against
9.4 ms with the collector paused.

:func:`collection_deferred` pauses the collector while a page is built. It defers collection,
it never skips it: allocations still count, so the collector runs at the first allocation after
the block, over objects it then sees once instead of ten times. The block must not await (no
other task may run while the collector is paused) and must be short.
"""

from __future__ import annotations

import gc
from types import TracebackType

__all__ = ["collection_deferred"]


class collection_deferred:  # lower case: used like a function, ``with collection_deferred():``
    """Pause the cyclic collector for a synchronous block, unless it is already off (the
    program switched it off, or an enclosing block paused it): then it is left as it is."""

    __slots__ = ("_paused",)

    def __enter__(self) -> None:
        self._paused = gc.isenabled()
        if self._paused:
            gc.disable()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._paused:
            gc.enable()
