"""What each process runs: the templates an endpoint may instantiate and the process kinds."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from cbasync.testing.dataset._catalog import DLL_POOLS, IMAGES, TEMPLATES, ProcSpec
from cbasync.testing.dataset._fmt import (
    mix,
)
from cbasync.testing.dataset.edr_process.common import ROOT_PARENTS, ProcKind
from cbasync.testing.dataset.edr_process.core import ProcessSetCore
from cbasync.testing.dataset.endpoints import Endpoint

__all__ = ["ProcessKinds"]


class ProcessKinds(ProcessSetCore):
    """What each process runs: the templates an endpoint may instantiate, the process kinds
    (image, command line, binary), their modules and command lines."""

    def _eligible_templates(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Per endpoint: (template indices, cumulative weights)."""
        out = []
        for ep in self.endpoints:
            choices = [
                (i, t.weight)
                for i, t in enumerate(TEMPLATES)
                if t.os == ep.os_type and ep.host_type in t.roles
            ]
            if not choices:  # every endpoint gets something to run
                choices = [(i, t.weight) for i, t in enumerate(TEMPLATES) if t.os == ep.os_type]
            idx = tuple(i for i, _ in choices)
            cum: list[int] = []
            total = 0
            for _, w in choices:
                total += w
                cum.append(total)
            out.append((idx, tuple(cum)))
        return out

    def _choose(self, b: int) -> tuple[int, int]:
        e = mix(self.seed, b, 0xE1) % len(self.endpoints)
        idx, cum = self._eligible[e]
        roll = mix(self.seed, b, 0x7E) % cum[-1]
        return idx[bisect.bisect_right(cum, roll)], e

    def variants(self, b: int, limit: int) -> list[int]:
        h = mix(self.seed, b, 0x5A)
        return [
            (((h ^ (o * 0x9E3779B97F4A7C15)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF) >> 20
            for o in range(limit)
        ]

    def offset_codes(self, b: int, t: int, e: int, limit: int) -> list[int]:
        """Kind code of each process (offset) of block ``b``."""
        candidates = self.kind_candidates(t, e)
        return [
            cands[(v >> 8) % len(cands)]
            for cands, v in zip(candidates, self.variants(b, limit), strict=False)
        ]

    def resolve(self, kind: ProcKind, ep: Endpoint, n: int, text: str) -> str:
        """A pool or command-line template with its placeholders filled in."""
        if "{" not in text:
            return text
        app = self.binaries.entry(kind.binary).product.lower() or "app"
        return (
            text.replace("{path}", kind.path)
            .replace("{user}", ep.username.rsplit("\\", 1)[-1])
            .replace("{n}", str(n))
            .replace("{app}", app)
            .replace("{sid}", ep.computer_sid.lower() + "-1001")
        )

    def cmdline(self, kind: ProcKind, ep: Endpoint, n: int) -> str:
        key = ("cmd", kind.code, ep.index, n)
        value = self._memo.get(key)
        if value is None:
            spec = kind.spec
            if spec.image.startswith("@"):
                value = f'"{self.binaries.entry(kind.binary).path}"'
            else:
                value = self.resolve(kind, ep, n, spec.cmdlines[kind.cmdline_index])
            self._remember(key, value)
        return str(value)

    def _build_kinds(self) -> None:
        bins = self.binaries
        for t, template in enumerate(TEMPLATES):
            for o, spec in enumerate(template.entries):
                if spec.image == "@app":
                    pool = [
                        i
                        for i in range(bins.known_count, bins.count)
                        if bins.entry(i).kind == "app" and bins.entry(i).os == template.os
                    ] or [bins.image_index["explorer"]]
                    combos = [(0, i) for i in pool]
                elif spec.image == "@malware":
                    pool = [
                        i
                        for i in range(bins.known_count, bins.count)
                        if bins.entry(i).kind == "malware"
                    ] or [bins.image_index["rundll32"]]
                    combos = [(0, i) for i in pool]
                else:
                    combos = [(c, bins.image_index[spec.image]) for c in range(len(spec.cmdlines))]
                for cmd, binary in combos:
                    self._add_kind(t, o, cmd, binary)

    def _add_kind(self, t: int, o: int, cmd: int, binary: int) -> ProcKind:
        template = TEMPLATES[t]
        spec = template.entries[o]
        info = self.binaries.entry(binary)
        if spec.parent is None:
            parent_name = ROOT_PARENTS.get(spec.image, "")
        else:
            parent_spec = template.entries[spec.parent]
            parent_name = (
                IMAGES[parent_spec.image].name if parent_spec.image in IMAGES else "explorer.exe"
            )
        kind = ProcKind(
            code=len(self._kinds),
            template=t,
            offset=o,
            spec=spec,
            binary=binary,
            cmdline_index=cmd,
            name=info.name.lower() if info.os == "windows" else info.name,
            path=info.path,
            parent_name=parent_name,
        )
        self._kinds.append(kind)
        self._kind_index[(t, o, cmd, binary)] = kind.code
        return kind

    def kind_candidates(self, t: int, e: int) -> list[list[int]]:
        """For template ``t`` on endpoint ``e``: the kind codes each entry can take (a block
        picks one per entry from its variant)."""
        key = (t, e)
        cached = self._candidates.get(key)
        if cached is not None:
            return cached
        bins = self.binaries
        out: list[list[int]] = []
        for o, spec in enumerate(TEMPLATES[t].entries):
            if spec.image == "@app":
                apps = bins.apps_of(e) or (bins.image_index["explorer"],)
                out.append([self.kind(t, o, 0, a).code for a in apps])
            elif spec.image == "@malware":
                mal = bins.malware_of(e)
                binary = mal if mal is not None else bins.image_index["rundll32"]
                out.append([self.kind(t, o, 0, binary).code])
            else:
                binary = bins.image_index[spec.image]
                out.append([self.kind(t, o, c, binary).code for c in range(len(spec.cmdlines))])
        self._candidates[key] = out
        return out

    def kind(self, t: int, o: int, cmd: int, binary: int) -> ProcKind:
        code = self._kind_index.get((t, o, cmd, binary))
        if code is None:  # a binary outside the precomputed pools (cannot happen in practice)
            return self._add_kind(t, o, cmd, binary)
        return self._kinds[code]

    @property
    def kinds(self) -> Sequence[ProcKind]:
        return self._kinds

    def modules_of(self, os: str, spec: ProcSpec) -> list[int]:
        """Binary indices of the modules a process of ``spec`` loads (not its own image)."""
        key = (os, id(spec))
        cached = self._modules.get(key)
        if cached is None:
            cached = self._modules[key] = self._modules_of(os, spec)
        return cached

    def _modules_of(self, os: str, spec: ProcSpec) -> list[int]:
        out: list[int] = []
        for pool in spec.modules:
            key_os = pool.split("_", 1)[0]
            if key_os == "win" and os != "windows":
                pool = {"osx": "osx_base", "linux": "linux_base"}[os]
            elif key_os in ("osx", "linux") and key_os != os:
                continue
            out.extend(self.binaries.image_index[k] for k in DLL_POOLS[pool])
        return sorted(set(out), key=out.index)
