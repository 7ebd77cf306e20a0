"""EDR binaries: metadata, real downloadable bytes (the EDR zip), icons, signing data.

Binary ``i`` of ``count``: the first ones are the known images and modules of the catalog (their
bytes do not depend on the seed), the rest are third-party applications, modules and a little
malware generated from ``(seed, i)``. A binary's bytes are generated on demand and its MD5 *is*
the MD5 of those bytes, so a client that verifies a download gets a match.

Each endpoint has a few installed applications and, on Windows, one piece of malware; processes
take their ``@app`` / ``@malware`` images from there, which is also how a binary knows the
endpoints (``endpoint``, ``host_count``) it was seen on without scanning the processes.
"""

from __future__ import annotations

import hashlib
import random
import struct

from cbasync.testing.dataset._catalog import DLL_POOLS, IMAGES, TEMPLATES, Image
from cbasync.testing.dataset._fmt import DAY, mix, seed_int, unit
from cbasync.testing.dataset.edr_binary_data import (
    LINUX_APPS,
    MAC_APPS,
    MALWARE_DIRS,
    MALWARE_NAMES,
    VENDORS,
    BinaryInfo,
)
from cbasync.testing.dataset.edr_binary_views import BinaryViews
from cbasync.testing.dataset.endpoints import EndpointPopulation
from cbasync.testing.state import EmulatorState

__all__ = ["BinaryCatalog", "shared_binaries"]


class BinaryCatalog(BinaryViews):
    """``count`` binaries, each a pure function of ``(seed, index)``."""

    def __init__(self, seed: int, count: int, endpoints: EndpointPopulation, *, epoch: float):
        self.seed = seed
        self.endpoints = endpoints
        self.epoch = epoch
        known = [self._known(i, img) for i, img in enumerate(IMAGES.values())]
        self.known_count = len(known)
        self.count = max(count, self.known_count + 16)
        self._known_entries = known
        self.image_index: dict[str, int] = {img.key: i for i, img in enumerate(IMAGES.values())}
        self._entries: dict[int, BinaryInfo] = {}
        self._md5: dict[int, str] = {}
        self._sha256: dict[int, str] = {}
        self._by_md5: dict[str, int] | None = None
        # Synthetic binaries by kind and OS (indices), for endpoint installs.
        self._pools: dict[tuple[str, str], list[int]] | None = None
        self._apps: dict[int, tuple[int, ...]] = {}
        self._seen_on: dict[int, tuple[int, ...]] | None = None

    # --- entries -----------------------------------------------------------------------------
    def _known(self, i: int, img: Image) -> BinaryInfo:
        return BinaryInfo(
            index=i,
            kind="known",
            os=img.os,
            path=img.path,
            company=img.company,
            product=img.product,
            description=img.description,
            version=img.version,
            publisher=img.publisher,
            size=img.size,
            is_executable=img.is_executable,
            is_64bit=img.is_64bit,
            internal_name=img.internal_name or img.name.rsplit(".", 1)[0],
            original_filename=img.original_filename or img.name,
            image_key=img.key,
        )

    def __len__(self) -> int:
        return self.count

    def entry(self, i: int) -> BinaryInfo:
        if i < self.known_count:
            return self._known_entries[i]
        info = self._entries.get(i)
        if info is None:
            info = self._entries[i] = self._synthetic(i)
        return info

    def _synthetic(self, i: int) -> BinaryInfo:
        h = mix(self.seed, i, 0xB1)
        r = (h & 0xFFFF) / 65536.0
        os_roll = ((h >> 16) & 0xFF) / 256.0
        os = "windows" if os_roll < 0.8 else "osx" if os_roll < 0.9 else "linux"
        kind = "app" if r < 0.7 else "module" if r < 0.9 else "malware"
        if os != "windows" and kind == "malware":
            kind = "app"
        size = 8_192 + (h >> 24) % 57_344
        code = f"{(h >> 8) & 0xFFFFFF:06x}"
        major, minor, build = 1 + (h >> 32) % 12, (h >> 36) % 30, (h >> 40) % 9000
        version = f"{major}.{minor}.{build}.0"
        if kind == "malware":
            name = MALWARE_NAMES[(h >> 44) % len(MALWARE_NAMES)].replace("{c}", code)
            directory = MALWARE_DIRS[(h >> 48) % len(MALWARE_DIRS)]
            return BinaryInfo(
                i,
                kind,
                os,
                directory + name,
                "",
                "",
                "",
                "",
                None,
                size,
                True,
                bool(h & 1),
                name.rsplit(".", 1)[0],
                name,
            )
        if os == "windows":
            company, product, exe, folder = VENDORS[(h >> 44) % len(VENDORS)]
            if kind == "module":
                exe = f"{product.split()[0].lower()}{code[:3]}.dll"
            base = "c:\\program files\\" if h & 2 else "c:\\program files (x86)\\"
            path = f"{base}{folder}\\{exe}"
            signed = (h >> 50) % 10 < 8
        else:
            table = MAC_APPS if os == "osx" else LINUX_APPS
            company, product, exe, folder = table[(h >> 44) % len(table)]
            if kind == "module":
                exe = f"lib{product.split()[0].lower()}{code[:3]}" + (
                    ".dylib" if os == "osx" else ".so"
                )
            path = f"{folder}/{exe}"
            signed = os == "osx" and (h >> 50) % 10 < 8
        publisher = company if signed and company else None
        return BinaryInfo(
            i,
            kind,
            os,
            path,
            company,
            product,
            f"{product} {'module' if kind == 'module' else ''}".strip(),
            version,
            publisher,
            size,
            kind != "module",
            not bool(h & 4),
            exe.rsplit(".", 1)[0],
            exe,
        )

    # --- bytes and hashes ----------------------------------------------------------------------
    def content(self, i: int) -> bytes:
        """The binary's bytes: a plausible executable header and deterministic filler."""
        info = self.entry(i)
        key = f"cbasync-binary:{info.image_key}" if info.image_key else f"{self.seed}:{i}"
        rng = random.Random(seed_int(key))
        if info.os == "windows":
            header = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
            header += b"\x00" * (0x3C - len(header)) + struct.pack("<I", 0x80)
            header += b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
            header += b"This program cannot be run in DOS mode.\r\r\n$"
            header += b"\x00" * (0x80 - len(header))
            machine = 0x8664 if info.is_64bit else 0x14C
            characteristics = 0x0022 if info.is_executable else 0x2022
            header += b"PE\x00\x00" + struct.pack(
                "<HHIIIHH", machine, 6, 0x5F3C2A10, 0, 0, 0xF0, characteristics
            )
        elif info.os == "osx":
            header = bytearray(
                struct.pack(
                    "<IiiIII", 0xFEEDFACF, 0x01000007, 3, 2 if info.is_executable else 6, 0, 0
                )
            )
        else:
            header = bytearray(b"\x7fELF\x02\x01\x01" + b"\x00" * 9)
            header += struct.pack("<HH", 2 if info.is_executable else 3, 0x3E)
        text = f"{info.product} {info.version} {info.description}".encode()
        body = rng.randbytes(max(info.size - len(header) - len(text), 0))
        return bytes(header) + text + body

    def md5(self, i: int) -> str:
        """Lower-case MD5 of the binary's bytes."""
        value = self._md5.get(i)
        if value is None:
            value = self._md5[i] = hashlib.md5(self.content(i), usedforsecurity=False).hexdigest()
        return value

    def sha256(self, i: int) -> str:
        """Lower-case SHA-256 of the binary's bytes (cached)."""
        value = self._sha256.get(i)
        if value is None:
            value = self._sha256[i] = hashlib.sha256(self.content(i)).hexdigest()
        return value

    def by_md5(self, md5: str) -> int | None:
        """The binary with this MD5 (any case), or None. Hashes every binary on first use."""
        if self._by_md5 is None:
            self._by_md5 = {self.md5(i): i for i in range(self.count)}
        return self._by_md5.get(md5.lower())

    # --- installs ----------------------------------------------------------------------------
    def _pool(self, kind: str, os: str) -> list[int]:
        if self._pools is None:
            pools: dict[tuple[str, str], list[int]] = {}
            for i in range(self.known_count, self.count):
                info = self.entry(i)
                pools.setdefault((info.kind, info.os), []).append(i)
            self._pools = pools
        return self._pools.get((kind, os), [])

    def apps_of(self, endpoint: int) -> tuple[int, ...]:
        """The third-party applications installed on an endpoint (binary indices)."""
        apps = self._apps.get(endpoint)
        if apps is None:
            ep = self.endpoints[endpoint]
            pool = self._pool("app", ep.os_type)
            if not pool:
                apps = ()
            else:
                picks = {pool[mix(self.seed, endpoint, k, 0xA9) % len(pool)] for k in range(5)}
                apps = tuple(sorted(picks))
            self._apps[endpoint] = apps
        return apps

    def malware_of(self, endpoint: int) -> int | None:
        pool = self._pool("malware", "windows")
        if not pool or self.endpoints[endpoint].os_type != "windows":
            return None
        return pool[mix(self.seed, endpoint, 0x3A1) % len(pool)]

    def endpoints_of(self, i: int) -> tuple[int, ...]:
        """Endpoint indices this binary was observed on."""
        if self._seen_on is None:
            seen: dict[int, list[int]] = {}
            roles_by_image: dict[str, set[tuple[str, str]]] = {}
            for t in TEMPLATES:
                for spec in t.entries:
                    for role in t.roles:
                        roles_by_image.setdefault(spec.image, set()).add((t.os, role))
            for t in TEMPLATES:
                for spec in t.entries:
                    for pool in spec.modules:
                        for key in DLL_POOLS[pool]:
                            roles_by_image.setdefault(key, set()).update(
                                (t.os, role) for role in t.roles
                            )
            for e, ep in enumerate(self.endpoints):
                where = (ep.os_type, ep.host_type)
                for key, places in roles_by_image.items():
                    if where in places and key in self.image_index:
                        seen.setdefault(self.image_index[key], []).append(e)
                for app in self.apps_of(e):
                    seen.setdefault(app, []).append(e)
                mal = self.malware_of(e)
                if mal is not None and ep.host_type != "domain_controller":
                    seen.setdefault(mal, []).append(e)
            self._seen_on = {k: tuple(v) for k, v in seen.items()}
        return self._seen_on.get(i, ())

    def added_time(self, i: int) -> float:
        info = self.entry(i)
        if info.kind == "known":
            return self.epoch - (300 + mix(i, 0x5E) % 60) * DAY
        return self.epoch - unit(self.seed, i, 0xAD) * 60 * DAY


def shared_binaries(state: EmulatorState) -> BinaryCatalog:
    """The state's one binary catalog (EDR binaries and App Control's file catalog share it)."""
    return state.backend(
        "binaries",
        lambda s: BinaryCatalog(s.config.seed, s.config.binaries, s.endpoints, epoch=s.data_epoch),
    )
