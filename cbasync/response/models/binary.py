"""EDR binaries: metadata, streaming download (raw ZIP or unpacked), icon, signing data."""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import AsyncGenerator
from contextlib import aclosing
from pathlib import Path
from typing import Any, ClassVar

from typing_extensions import Self

from cbasync import errors
from cbasync._files import save_stream
from cbasync._iterators import ClosingStream
from cbasync._zipstream import unzip_member
from cbasync.model import adapter_for
from cbasync.models._generated import edr
from cbasync.response._model import EdrModel
from cbasync.response.query import SolrQuery

__all__ = ["Binary", "SigningData"]


@dataclasses.dataclass(frozen=True)
class SigningData:
    result: str | None
    result_code: str | None
    publisher: str | None
    issuer: str | None
    subject: str | None
    program_name: str | None
    sign_time: datetime.datetime | None


class Binary(EdrModel, edr.Binary):
    """A binary the EDR server has seen, keyed by its (upper-case) MD5."""

    primary_key: ClassVar[str] = "md5"
    search_route: ClassVar[str] = "/api/v1/binary"
    webui_page: ClassVar[str] = "binaries"
    watchlist_index_type: ClassVar[str] = "modules"

    @classmethod
    def _new_query(cls, api: Any) -> SolrQuery[Self]:
        return SolrQuery(api, cls)

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Binary:
        response = await api.transport.request(
            "GET", "/api/v1/binary/{md5}/summary", path_params={"md5": str(key).upper()}
        )
        return cls._from_server(api, response.parse(adapter_for(cls)), full=True)

    @classmethod
    def _unfetched(cls, api: Any, key: Any) -> Binary:
        return super()._unfetched(api, str(key).upper())

    @property
    def webui_link(self) -> str:
        return f"{self.api.url}/#binary/{self.md5.upper()}"

    # -- signing ----------------------------------------------------------------------------

    @property
    def is_signed(self) -> bool:
        """True when the signature checked out (``digsig_result`` is ``Signed``)."""
        return (self.get("digsig_result") or "").strip().lower() == "signed"

    @property
    def signing_data(self) -> SigningData:
        return SigningData(
            result=self.get("digsig_result"),
            result_code=self.get("digsig_result_code"),
            publisher=self.get("digsig_publisher"),
            issuer=self.get("digsig_issuer"),
            subject=self.get("digsig_subject"),
            program_name=self.get("digsig_prog_name"),
            sign_time=self.get("digsig_sign_time"),
        )

    # -- content ----------------------------------------------------------------------------

    def download(self, *, unzip: bool = True, chunk_size: int = 256 * 1024) -> ClosingStream[bytes]:
        """The binary as it streams in (the server's ZIP's ``filedata`` member, inflated on the
        fly in pieces of at most 64 KiB and checked against its CRC and declared size), as
        cbapi's ``binary.file`` reads it and :meth:`download_to` saves it; ``unzip=False``
        streams the server's ZIP itself.

        The stream holds a connection until its end; to stop early, close it::

            async with binary.download() as chunks:
                async for chunk in chunks:
                    ...
        """
        return ClosingStream(self._download(unzip, chunk_size))

    async def _download(self, unzip: bool, chunk_size: int) -> AsyncGenerator[bytes, None]:
        async def raw() -> AsyncGenerator[bytes, None]:
            async with (
                self.api.transport.stream(
                    "GET", "/api/v1/binary/{md5}", path_params={"md5": self.md5.upper()}
                ) as response,
                aclosing(response.aiter_bytes(chunk_size)) as chunks,
            ):
                async for chunk in chunks:
                    yield chunk

        # Every generator in the chain is closed explicitly: one left suspended would hold the
        # connection until the garbage collector found it.
        async with aclosing(raw()) as source:
            if not unzip:
                async for chunk in source:
                    yield chunk
                return
            async with aclosing(
                unzip_member(source, "filedata", limit=self.api.transport.max_download_size)
            ) as unpacked:
                async for chunk in unpacked:
                    yield chunk

    async def download_to(self, path: str | os.PathLike[str], *, unzip: bool = True) -> Path:
        """Save the binary to ``path`` (unpacked unless ``unzip=False``). The file is written
        beside its destination and renamed into place, so a failed download leaves nothing."""
        async with self.download(unzip=unzip) as chunks:
            return await save_stream(chunks, path)

    async def icon(self) -> bytes:
        """The PNG icon (the server's default Windows icon when the binary has none)."""
        response = await self.api.transport.request(
            "GET", "/api/v1/binary/{md5}/icon", path_params={"md5": self.md5.upper()}
        )
        if not response.content:
            raise errors.ServerError("the icon route returned no data", route=response.route)
        return response.content

    async def frequency(self) -> edr.BinaryFrequency:
        """How many hosts ran it (``/api/v1/process/host/count``)."""
        response = await self.api.transport.request(
            "GET",
            "/api/v1/process/host/count",
            params={"cb.freqver": 1, "name": "md5", "md5": self.md5.upper()},
        )
        return response.parse(adapter_for(edr.BinaryFrequency))
