"""How an EDR binary is shown: its signature and reputation, its search document, its icon and
the zip a download answers.

:class:`BinaryViews` is mixed into :class:`~cbasync.testing.dataset.edr_binary.BinaryCatalog`;
what it reads of the catalog is the :class:`BinarySource` protocol.
"""

from __future__ import annotations

import base64
import io
import zipfile
from typing import Any, Protocol

from cbasync.testing.dataset._fmt import DAY, iso_ms, iso_s, mix, unit
from cbasync.testing.dataset.edr_binary_data import DEFAULT_ICON, ISSUERS, BinaryInfo, icon_for
from cbasync.testing.dataset.endpoints import EndpointPopulation

__all__ = ["BinarySource", "BinaryViews"]


class BinarySource(Protocol):
    """What the views read of the catalog."""

    seed: int
    epoch: float
    endpoints: EndpointPopulation

    def entry(self, i: int) -> BinaryInfo: ...

    def content(self, i: int) -> bytes: ...

    def md5(self, i: int) -> str: ...

    def added_time(self, i: int) -> float: ...

    def endpoints_of(self, i: int) -> tuple[int, ...]: ...

    def signature(self, i: int) -> dict[str, Any]: ...

    def alliance(self, i: int) -> dict[str, Any]: ...

    def icon(self, i: int) -> bytes: ...


class BinaryViews:
    """The rendered forms of a binary (mixed into the catalog)."""

    def signature(self: BinarySource, i: int) -> dict[str, Any]:
        info = self.entry(i)
        h = mix(self.seed if info.image_key is None else 0, i, 0x51)
        if info.publisher is None:
            return {
                "digsig_result": "Unsigned",
                "digsig_result_code": "2148204800",  # 0x800B0100 TRUST_E_NOSIGNATURE
                "signed": "Unsigned",
            }
        sign_time = self.epoch - (200 + h % 1500) * DAY
        expired = info.kind == "app" and (h >> 20) % 25 == 0
        result = "Expired" if expired else "Signed"
        return {
            "digsig_result": result,
            "digsig_result_code": "2148204801" if expired else "0",
            "signed": result,
            "digsig_sign_time": iso_s(sign_time),
            "digsig_publisher": info.publisher,
            "digsig_issuer": ISSUERS.get(
                info.publisher, "DigiCert SHA2 Assured ID Code Signing CA"
            ),
            "digsig_subject": info.publisher,
            "digsig_prog_name": info.product or info.description,
        }

    def alliance(self: BinarySource, i: int) -> dict[str, Any]:
        """Threat-intelligence scores this binary carries (feeds tag malware)."""
        info = self.entry(i)
        if info.kind != "malware":
            return {}
        h = mix(self.seed, i, 0x7A)
        md5 = self.md5(i)
        return {
            "alliance_score_virustotal": 20 + h % 45,
            "alliance_score_srsthreat": 100,
            "alliance_link_srsthreat": "https://services.bit9.com/Services/extinfo.aspx?ak="
            f"b8b4e631d4884ad1c56f50e4a5ee9279&md5={md5}",
            "alliance_data_srsthreat": [md5],
            "alliance_updated_srsthreat": iso_s(self.epoch - (h % 30) * DAY),
        }

    def document(
        self: BinarySource, i: int, group_names: dict[int, str] | None = None
    ) -> dict[str, Any]:
        """The binary as ``/api/v1/binary`` and ``/summary`` return it."""
        info = self.entry(i)
        md5 = self.md5(i).upper()
        added = iso_ms(self.added_time(i))
        seen = self.endpoints_of(i)
        names = group_names or {}
        eps = [self.endpoints[e] for e in seen]
        file_version = info.version + (
            " (win7_rtm.090713-1255)" if info.kind == "known" and info.os == "windows" else ""
        )
        doc: dict[str, Any] = {
            "md5": md5,
            "server_added_timestamp": added,
            "timestamp": added,
            "last_seen": iso_ms(self.epoch - unit(self.seed, i, 0x1A5) * 2 * DAY),
            "orig_mod_len": info.size,
            "copied_mod_len": info.size,
            "observed_filename": [info.path],
            "observed_filename_facet": [info.path],
            "is_executable_image": info.is_executable,
            "is_64bit": info.is_64bit,
            "product_version": info.version,
            "product_version_facet": info.version,
            "product_name": info.product,
            "product_name_facet": info.product,
            "file_version": file_version,
            "file_version_facet": file_version,
            "company_name": info.company,
            "company_name_facet": info.company,
            "internal_name": info.internal_name,
            "legal_copyright": f"\u00a9 {info.company}. All rights reserved."
            if info.company
            else "",
            "legal_trademark": "",
            "file_desc": info.description,
            "original_filename": info.original_filename,
            "private_build": "",
            "special_build": "",
            "os_type": info.os,
            "host_count": len(seen),
            "endpoint": [f"{ep.hostname}|{ep.sensor_id}" for ep in eps[:100]],
            "group": sorted({names.get(ep.group_id, ep.group_name) for ep in eps}),
            "watchlists": [],
            "icon": base64.b64encode(self.icon(i)).decode("ascii"),
        }
        doc.update(self.signature(i))
        if "digsig_publisher" in doc:
            doc["digsig_publisher_facet"] = doc["digsig_publisher"]
        doc.update(self.alliance(i))
        return doc

    def icon(self: BinarySource, i: int) -> bytes:
        info = self.entry(i)
        if not info.is_executable or info.kind == "malware":
            return DEFAULT_ICON
        return icon_for(mix(i, self.seed, 0x1C) & 0xFFFFFF)

    def zip_bytes(self: BinarySource, i: int) -> bytes:
        """The download: a zip with the bytes as ``filedata`` and a ``metadata`` text file."""
        info = self.entry(i)
        data = self.content(i)
        meta_lines = [
            f"OriginalFilename: {info.original_filename}",
            f"Md5: {self.md5(i).upper()}",
            f"Timestamp: {iso_s(self.added_time(i))}",
            f"Size: {len(data)}",
            f"CopiedSize: {len(data)}",
            f"ObservedFilename: {info.path}",
        ]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, payload in (("filedata", data), ("metadata", "\n".join(meta_lines) + "\n")):
                zinfo = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(zinfo, payload)
        return buf.getvalue()
