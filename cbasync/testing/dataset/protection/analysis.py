"""How files travel to connectors: analyses wait as pending analyses until a connector posts a
notification with the result; uploads and pending analyses serve the file itself.

A pending analysis shares its id with the file analysis it stands for (a connector answers
pending analysis N with a notification whose ``fileAnalysisId`` is N, as cbapi's
``create_notification`` does). The emulator's agents upload at once: an upload is complete
(``uploadStatus`` 3) as soon as it is asked for. A file is served as a ZIP holding it under its
own name (cbapi opens the first member).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset.errors import Invalid, NotFound
from cbasync.testing.dataset.protection.core import iso_seconds
from cbasync.testing.dataset.protection.rules import WriteRules
from cbasync.testing.dataset.protection.store import Collection

__all__ = ["DOWNLOADABLE", "AnalysisRules"]

#: Objects whose GET with ``downloadFile=true`` answers the file.
DOWNLOADABLE = frozenset({"fileUpload", "pendingAnalysis"})
# analysisStatus: 0 scheduled, 1 submitted, 2 processed, 3 analyzed, 4 error, 5 cancelled.
_WAITING = (0, 1, 2)
_ANALYZED = 3
# uploadStatus: 0 queued, 1 initiated, 2 uploading, 3 completed, 4 error, 5 cancelled, 6 deleted.
_UPLOADED = 3


class AnalysisRules(WriteRules):
    """File analyses, pending analyses, notifications and uploads."""

    def _seed_files(self) -> None:
        """Pending analyses for the seeded analyses still waiting, and the upload of the file
        the first analysis looked at (an analyst fetched it)."""
        analyses = list(self.collections["fileAnalysis"].rows())
        for analysis in analyses:
            if analysis.get("analysisStatus") in _WAITING:
                self.collections["pendingAnalysis"].put(self._pending(analysis))
        first = analyses[0]
        self.create(
            "fileUpload",
            {"computerId": first["computerId"], "fileCatalogId": first["fileCatalogId"]},
        )

    def _file_fields(self, catalog_id: Any) -> dict[str, Any]:
        catalog = self.collections["fileCatalog"].get(int(catalog_id or 0))
        if catalog is None:
            raise Invalid(f"fileCatalog {catalog_id} does not exist")
        return {
            "fileName": catalog["fileName"],
            "pathName": catalog["pathName"],
            "md5": catalog["md5"],
            "sha1": catalog["sha1"],
            "sha256": catalog["sha256"],
        }

    def _pending(self, analysis: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": analysis["id"],
            "computerId": analysis["computerId"],
            "fileCatalogId": analysis["fileCatalogId"],
            "connectorId": analysis["connectorId"],
            "analysisStatus": analysis.get("analysisStatus", 0),
            "analysisResult": 0,
            "uploaded": True,
            **self._file_fields(analysis["fileCatalogId"]),
            "dateCreated": analysis.get("dateCreated"),
            "dateModified": analysis.get("dateModified"),
        }

    def _validate(
        self, name: str, coll: Collection, row: dict[str, Any], current: dict[str, Any] | None
    ) -> dict[str, Any]:
        row = super()._validate(name, coll, row, current)
        if current is not None:
            return row
        if name in ("fileAnalysis", "fileUpload"):
            if self.collections["computer"].get(_id(row, "computerId")) is None:
                raise Invalid(f"computer {row['computerId']} does not exist")
            files = self._file_fields(row["fileCatalogId"])
            if name == "fileAnalysis":
                if self.collections["connector"].get(_id(row, "connectorId")) is None:
                    raise Invalid(f"connector {row['connectorId']} does not exist")
                row.setdefault("analysisStatus", 0)
                row.setdefault("analysisResult", 0)
            else:
                size = self.binaries.entry(_id(row, "fileCatalogId") - 1).size
                row.update(
                    fileName=files["fileName"],
                    pathName=files["pathName"],
                    uploadPath=f"\\\\appcontrol\\uploads\\{files['md5']}",
                    uploadStatus=_UPLOADED,
                    uploadedFileSize=size,
                )
        elif name == "notification":
            analysis = self.collections["fileAnalysis"].get(_id(row, "fileAnalysisId"))
            if analysis is None:
                raise Invalid(f"fileAnalysis {row['fileAnalysisId']} does not exist")
            row.setdefault("connectorId", analysis["connectorId"])
            row.setdefault("time", iso_seconds(self.clock.time()))
        return row

    def _after_write(self, name: str, row: dict[str, Any]) -> None:
        super()._after_write(name, row)
        pending = self.collections["pendingAnalysis"]
        if name == "fileAnalysis":
            if row.get("analysisStatus") in _WAITING:
                pending.put(self._pending(row))
            elif pending.get(int(row["id"])) is not None:
                pending.deleted.add(int(row["id"]))
        elif name == "notification":
            # The connector's answer: the analysis is done and no longer pending.
            analysis = dict(self.collections["fileAnalysis"].get(_id(row, "fileAnalysisId")) or {})
            analysis.update(
                analysisStatus=_ANALYZED,
                analysisResult=row["analysisResult"],
                dateModified=iso_seconds(self.clock.time()),
            )
            self.collections["fileAnalysis"].put(analysis)
            pending.deleted.add(int(analysis["id"]))

    def download(self, name: str, oid: int) -> tuple[str, bytes]:
        """The file of an upload or a pending analysis: its name and the ZIP holding it."""
        if name not in DOWNLOADABLE:
            raise Invalid(f"{name} objects have no file to download")
        row = self.collections[name].get(oid)
        if row is None:
            raise NotFound(f"{name} {oid} not found")
        catalog = int(row["fileCatalogId"]) - 1
        filename = str(row.get("fileName") or f"file-{oid}")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            member = zipfile.ZipInfo(filename, date_time=(2024, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(member, self.binaries.content(catalog))
        return filename, buf.getvalue()


def _id(row: dict[str, Any], key: str) -> int:
    """An id field of a new row: an integer (or its ASCII digits), else the server's 400."""
    raw = row.get(key)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw)
    raise Invalid(f"{key} must be an integer id, not {raw!r}")
