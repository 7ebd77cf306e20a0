"""Where every document is: block starts, segment layouts, and the scan columns."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from functools import cached_property

from cbasync.testing.dataset._catalog import BLOCK, TEMPLATES, Template
from cbasync.testing.dataset.edr_process.blocks import BlockInfo
from cbasync.testing.dataset.edr_process.kinds import ProcessKinds

__all__ = ["DocumentLayout"]


class DocumentLayout(ProcessKinds):
    """Where everything is: blocks, their documents (one per process segment), and the lookups
    from a document number, a process number or a GUID."""

    def _nseg(self, t: int, limit: int) -> list[int]:
        nseg = [0] * limit
        for o, s in self.layout(t, limit):
            nseg[o] = max(nseg[o], s + 1)
        return nseg

    def layout(self, t: int, limit: int = BLOCK) -> list[tuple[int, int]]:
        key = (t, limit)
        lay = self._layouts.get(key)
        if lay is None:
            entries = TEMPLATES[t].entries[:limit]
            lay = [(o, 0) for o in range(limit)]
            depth = max(e.segments for e in entries)
            for s in range(1, depth):
                lay.extend((o, s) for o, e in enumerate(entries) if e.segments > s)
            self._layouts[key] = lay
        return lay

    def layout_counts(self, t: int, limit: int, os: str) -> list[dict[str, int]]:
        """Event counts of each document of a (template, limit) layout on an OS.

        Start events of children, module loads and cross-process opens are in a process's oldest
        segment; termination events of children in its newest.
        """
        key = (t, limit, os)
        cached = self._counts.get(key)
        if cached is not None:
            return cached
        template = TEMPLATES[t]
        lay = self.layout(t, limit)
        nseg = [0] * limit
        for o, s in lay:
            nseg[o] = max(nseg[o], s + 1)
        children: list[list[int]] = [[] for _ in range(limit)]
        for o in range(limit):
            parent = template.entries[o].parent
            if parent is not None:
                children[parent].append(o)
        out = []
        for o, s in lay:
            spec = template.entries[o]
            oldest = s == nseg[o] - 1
            child = (spec.suppressed_children + len(children[o])) if oldest else 0
            if s == 0:
                child += sum(1 for c in children[o] if self.terminated(template, c))
            out.append(
                {
                    "modload": (1 + len(self.modules_of(os, spec))) if oldest else 0,
                    "filemod": len(spec.filemods) * spec.repeat,
                    "regmod": len(spec.regmods) * spec.repeat,
                    "netconn": len(spec.netconns) * spec.repeat,
                    "childproc": child,
                    "crossproc": sum(1 for c in spec.crossproc if c < limit and c != o)
                    if oldest
                    else 0,
                    "processblock": 0,
                }
            )
        self._counts[key] = out
        return out

    @staticmethod
    def terminated(template: Template, o: int) -> bool:
        """Whether entry ``o`` of a template has exited (roots and every fifth entry run on)."""
        return template.entries[o].parent is not None and o % 5 != 4

    def _starts(self) -> array[int]:
        if self._doc_starts is None:
            starts = array("q", [0])
            bt = array("B")
            be = array("I")
            total = 0
            for b in range(self.nblocks):
                t, e = self._choose(b)
                bt.append(t)
                be.append(e)
                limit = min(BLOCK, self.count - b * BLOCK)
                total += len(self.layout(t, limit))
                starts.append(total)
            self._block_t, self._block_e = bt, be
            self._doc_starts = starts
        return self._doc_starts

    def block_template_endpoint(self, b: int) -> tuple[int, int]:
        """(template index, endpoint index) of block ``b``."""
        self._starts()
        return self._block_t[b], self._block_e[b]

    def doc_start(self, b: int) -> int:
        return self._starts()[b]

    @property
    def total_docs(self) -> int:
        return self._starts()[-1] if self.nblocks else 0

    @cached_property
    def step(self) -> float:
        docs = self.total_docs
        return self.history / max(docs, 1)

    def _columns(self) -> tuple[array[int], array[int]]:
        """Per document: kind code and block number (built on the first scan)."""
        if self._doc_codes is None:
            self._starts()
            codes = array("H")
            blocks = array("I")
            offsets = array("B")
            extras = array("B")  # bit 7: oldest segment of its process; bits 0-6: n
            for b in range(self.nblocks):
                t, e = self._block_t[b], self._block_e[b]
                limit = min(BLOCK, self.count - b * BLOCK)
                variants = self.variants(b, limit)
                candidates = self.kind_candidates(t, e)
                per_offset = [
                    cands[(v >> 8) % len(cands)]
                    for cands, v in zip(candidates, variants, strict=False)
                ]
                lay = self.layout(t, limit)
                codes.extend([per_offset[o] for o, _ in lay])
                blocks.extend([b] * len(lay))
                offsets.extend([o for o, _ in lay])
                nseg = self._nseg(t, limit)
                extras.extend(
                    [(128 if s == nseg[o] - 1 else 0) | variants[o] % 100 for o, s in lay]
                )
            self._doc_codes, self._doc_blocks, self._doc_offsets = codes, blocks, offsets
            self._doc_extras = extras
        assert self._doc_blocks is not None
        return self._doc_codes, self._doc_blocks

    def process_of_doc(self) -> Callable[[int], int]:
        """A function from document number to process number."""
        _, blocks = self._columns()
        offsets = self._doc_offsets
        assert offsets is not None
        return lambda d: blocks[d] * BLOCK + offsets[d]

    def find_segment(self, info: BlockInfo, o: int, segment_id: int) -> int | None:
        """Segment index (0 = newest) of ``segment_id``; None when the process has no such one."""
        for s, r in enumerate(info.seg_docs[o]):
            if info.segment_id(r) == segment_id:
                return s
        return None
