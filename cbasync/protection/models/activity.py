"""What happens on the endpoints and who asks for what: events, metered executions, approval
requests, drift reports, trusted directories and the policy permissions granted to users."""

from __future__ import annotations

from typing import ClassVar

from cbasync.model import join
from cbasync.models._generated import protection
from cbasync.protection._model import ProtectionModel
from cbasync.protection.models.admin import User
from cbasync.protection.models.inventory import Computer, FileCatalog, Policy
from cbasync.protection.query import ProtectionQuery

__all__ = [
    "ApprovalRequest",
    "DriftReport",
    "DriftReportContents",
    "Event",
    "GrantedUserPolicyPermission",
    "InternalEvent",
    "MeteredExecution",
    "TrustedDirectory",
]


class Event(ProtectionModel, protection.Event):
    """An agent or server event: a block, an approval, a new file (read-only)."""

    object_name: ClassVar[str] = "event"
    cbapi_names: ClassVar[dict[str, str]] = {"fileCatalog": "`await event.file_catalog()`"}

    @join
    async def computer(self) -> Computer | None:
        return await self._related(Computer, "computerId")

    @join
    async def file_catalog(self) -> FileCatalog | None:
        return await self._related(FileCatalog, "fileCatalogId")

    @join
    async def policy(self) -> Policy | None:
        return await self._related(Policy, "policyId")


class InternalEvent(ProtectionModel, protection.InternalEvent):
    """A server-internal event (read-only)."""

    object_name: ClassVar[str] = "internalEvent"


class MeteredExecution(ProtectionModel, protection.MeteredExecution):
    """One run of a metered file (read-only)."""

    object_name: ClassVar[str] = "meteredExecution"

    @join
    async def computer(self) -> Computer | None:
        return await self._related(Computer, "computerId")

    @join
    async def file_catalog(self) -> FileCatalog | None:
        return await self._related(FileCatalog, "fileCatalogId")


class ApprovalRequest(ProtectionModel, protection.ApprovalRequest):
    """A user's request to approve a file they were blocked from running. Resolve it by
    setting ``status`` and ``resolution`` (:class:`~cbasync.protection.enums.ApprovalStatus`,
    :class:`~cbasync.protection.enums.ApprovalResolution`) and saving."""

    object_name: ClassVar[str] = "approvalRequest"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {"status", "resolution", "resolutionComments", "requestorEmail"}
    )
    cbapi_names: ClassVar[dict[str, str]] = {
        "fileCatalog": "`await request.file_catalog()`",
        "installerFileCatalog": "`await request.installer_file_catalog()`",
        "processFileCatalog": "`await request.process_file_catalog()`",
    }

    @join
    async def computer(self) -> Computer | None:
        return await self._related(Computer, "computerId")

    @join
    async def file_catalog(self) -> FileCatalog | None:
        """The file the user asked to run."""
        return await self._related(FileCatalog, "fileCatalogId")

    @join
    async def installer_file_catalog(self) -> FileCatalog | None:
        """The installer that wrote the file, if any."""
        return await self._related(FileCatalog, "installerFileCatalogId")

    @join
    async def process_file_catalog(self) -> FileCatalog | None:
        """The program that ran the file, if known."""
        return await self._related(FileCatalog, "processFileCatalogId")


class DriftReport(ProtectionModel, protection.DriftReport):
    """A comparison of computers' files against a baseline."""

    object_name: ClassVar[str] = "driftReport"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)

    def contents(self) -> ProtectionQuery[DriftReportContents]:
        """The differences this report found."""
        return self.api.select(DriftReportContents).where(f"driftReportId:{self.id}")


class DriftReportContents(ProtectionModel, protection.DriftReportContents):
    """One difference in a drift report (read-only)."""

    object_name: ClassVar[str] = "driftReportContents"

    @join
    async def drift_report(self) -> DriftReport:
        return await self._required(DriftReport, "driftReportId")

    @join
    async def computer(self) -> Computer | None:
        return await self._related(Computer, "computerId")

    @join
    async def file_catalog(self) -> FileCatalog | None:
        return await self._related(FileCatalog, "fileCatalogId")


class TrustedDirectory(ProtectionModel, protection.TrustedDirectory):
    """A directory whose files are approved as they are written (a software share)."""

    object_name: ClassVar[str] = "trustedDirectory"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("path",)

    @join
    async def computer(self) -> Computer | None:
        """The computer the directory is on (none for a network share seen everywhere)."""
        return await self._related(Computer, "computerId")


class GrantedUserPolicyPermission(ProtectionModel, protection.GrantedUserPolicyPermission):
    """A user's permission on one policy (read-only)."""

    object_name: ClassVar[str] = "grantedUserPolicyPermission"

    @join
    async def user(self) -> User:
        return await self._required(User, "userId")

    @join
    async def policy(self) -> Policy:
        return await self._required(Policy, "policyId")
