"""Connectors and what they do with files: analyses asked for and pending, uploads from
agents, the notifications connectors post back, and the notifiers that tell users."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextlib import aclosing
from pathlib import Path
from typing import ClassVar

from cbasync import errors
from cbasync._files import save_stream
from cbasync._iterators import ClosingStream
from cbasync._zipstream import unzip_member
from cbasync.model import join
from cbasync.models._generated import protection
from cbasync.protection._model import ProtectionModel
from cbasync.protection.models.inventory import Computer, FileCatalog
from cbasync.protection.query import ProtectionQuery

__all__ = [
    "Connector",
    "FileAnalysis",
    "FileUpload",
    "Notification",
    "Notifier",
    "PendingAnalysis",
]


class Connector(ProtectionModel, protection.Connector):
    """An integration that analyses files or posts notifications (a sandbox, a reputation
    service)."""

    object_name: ClassVar[str] = "connector"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    # cbapi's connector schema.
    required_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "analysisName",
        "connectorVersion",
        "canAnalyze",
        "enabled",
        "analysisEnabled",
    )
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {"name", "analysisName", "connectorVersion", "canAnalyze", "enabled", "analysisEnabled"}
    )

    def pending_analyses(self) -> ProtectionQuery[PendingAnalysis]:
        """Files waiting for this connector's analysis."""
        return self.api.select(PendingAnalysis).where(f"connectorId:{self.id}")


class _AboutAFile(ProtectionModel):
    """Work on one file from one computer, for one connector."""

    __slots__ = ()

    @join
    async def computer(self) -> Computer | None:
        return await self._related(Computer, "computerId")

    @join
    async def file_catalog(self) -> FileCatalog | None:
        return await self._related(FileCatalog, "fileCatalogId")

    @join
    async def connector(self) -> Connector | None:
        return await self._related(Connector, "connectorId")


class _FileOnServer(_AboutAFile):
    """A file the server holds (an upload, a file waiting for analysis), served as a ZIP by
    ``GET <object>/{id}?downloadFile=true``."""

    __slots__ = ()

    def download(self, *, unzip: bool = True, chunk_size: int = 256 * 1024) -> ClosingStream[bytes]:
        """The file as it streams in (the server's ZIP's first member, inflated on the fly and
        checked against its CRC), as :meth:`download_to` saves it; ``unzip=False`` streams the
        server's ZIP itself. Close the
        stream (``async with``) to stop early. The server answers 503 when too many downloads
        run at once; that is retried like any 503."""
        return ClosingStream(self._download(unzip, chunk_size))

    async def _download(self, unzip: bool, chunk_size: int) -> AsyncGenerator[bytes, None]:
        if self.key is None:
            raise errors.InvalidObjectError(f"this {type(self).__name__} has no id")
        route = type(self).item_route
        assert route is not None

        async def raw() -> AsyncGenerator[bytes, None]:
            async with (
                self.api.transport.stream(
                    "GET", route, path_params={"id": self.key}, params={"downloadFile": "true"}
                ) as response,
                aclosing(response.aiter_bytes(chunk_size)) as chunks,
            ):
                async for chunk in chunks:
                    yield chunk

        async with aclosing(raw()) as source:
            if not unzip:
                async for chunk in source:
                    yield chunk
                return
            async with aclosing(
                unzip_member(source, None, limit=self.api.transport.max_download_size)
            ) as unpacked:
                async for chunk in unpacked:
                    yield chunk

    async def download_to(self, path: str | os.PathLike[str], *, unzip: bool = True) -> Path:
        """Save the file to ``path`` (unpacked unless ``unzip=False``); a failed download
        leaves nothing behind."""
        async with self.download(unzip=unzip) as chunks:
            return await save_stream(chunks, path)


class PendingAnalysis(_FileOnServer, protection.PendingAnalysis):
    """A file waiting for a connector. A connector fetches it with :meth:`download` (once
    ``uploaded``) and reports what it found with :meth:`create_notification`."""

    object_name: ClassVar[str] = "pendingAnalysis"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {"analysisStatus", "analysisResult"}
    )

    @property
    def file_hash(self) -> str | None:
        return self.md5 or self.sha1 or self.sha256 or None

    def create_notification(self) -> Notification:
        """A new, unsaved notification of this analysis's result: set ``analysisResult``
        (and what else the connector knows), then ``await notification.save()``."""
        notification = self.api.create(Notification)
        notification.fileAnalysisId = self.id
        return notification


class FileAnalysis(_AboutAFile, protection.FileAnalysis):
    """A request to have a connector analyse a file from a computer."""

    object_name: ClassVar[str] = "fileAnalysis"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("computerId", "fileCatalogId", "connectorId")
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {"analysisStatus", "analysisResult"}
    )


class FileUpload(_FileOnServer, protection.FileUpload):
    """A request to have an agent upload a file to the server; once ``uploadStatus`` is 3
    (completed), :meth:`download` fetches the file."""

    object_name: ClassVar[str] = "fileUpload"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("computerId", "fileCatalogId")
    settable_fields: ClassVar[frozenset[str] | None] = frozenset({"uploadStatus"})


class Notification(ProtectionModel, protection.Notification):
    """The result of a file analysis, posted by a connector (create and read; the server
    does not change notifications)."""

    object_name: ClassVar[str] = "notification"
    can_create: ClassVar[bool] = True
    # cbapi's notification schema.
    required_fields: ClassVar[tuple[str, ...]] = ("analysisResult", "fileAnalysisId")

    @join
    async def connector(self) -> Connector | None:
        return await self._related(Connector, "connectorId")

    @join
    async def file_analysis(self) -> FileAnalysis | None:
        return await self._related(FileAnalysis, "fileAnalysisId")


class Notifier(ProtectionModel, protection.Notifier):
    """What a user sees when App Control blocks something."""

    object_name: ClassVar[str] = "notifier"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)
