"""What App Control knows about endpoints and their files: policies, computers, the file
catalog and its publishers and certificates, file instances, and the rules that approve or ban
files.

These objects refer to each other both ways (a computer's file instances, an instance's
computer; a policy's computers, a computer's policy), so they live in one module.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cbasync import errors
from cbasync.model import join
from cbasync.models._generated import protection
from cbasync.protection._model import ProtectionModel
from cbasync.protection.enums import FileState
from cbasync.protection.models.admin import User
from cbasync.protection.query import ProtectionQuery

__all__ = [
    "Certificate",
    "Computer",
    "FileCatalog",
    "FileInstance",
    "FileInstanceDeleted",
    "FileInstanceGroup",
    "FileRule",
    "Policy",
    "Publisher",
    "PublisherCertificate",
]

#: Computer fields a PUT applies only with ``?changeDiagnostics=true`` (wire §9.1).
DIAGNOSTIC_FIELDS = frozenset(
    {"debugLevel", "kernelDebugLevel", "debugFlags", "debugDuration", "ccLevel", "ccFlags"}
)
#: Computer fields a PUT applies only with ``?changeTemplate=true`` (those cbapi sends it for).
TEMPLATE_FIELDS = frozenset(
    {
        "template",
        "templateCloneCleanupMode",
        "templateCloneCleanupTime",
        "templateCloneCleanupTimeScale",
        "templateTrackModsOnly",
    }
)
#: Everything a computer's PUT can change; the rest (name, addresses, status, the policy's
#: name, the template it was cloned from) is the agent's or the server's to say.
COMPUTER_SETTABLE = frozenset(
    {
        "computerTag",
        "description",
        "policyId",
        "automaticPolicy",
        "localApproval",
        "refreshFlags",
        "prioritized",
        "tamperProtectionActive",  # sent as ?newTamperProtectionActive=true|false
        *DIAGNOSTIC_FIELDS,
        *TEMPLATE_FIELDS,
    }
)


class Policy(ProtectionModel, protection.Policy):
    """A policy: the enforcement level of the computers in it, and its rules' scope.

    Creatable (cbapi 1.3.0); read-only policies are refused with 403."""

    object_name: ClassVar[str] = "policy"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {
            "name",
            "description",
            "packageName",
            "enforcementLevel",
            "disconnectedEnforcementLevel",
            "helpDeskUrl",
            "imageUrl",
            "hidden",
            "automatic",
            "loadAgentInSafeMode",
            "reputationEnabled",
            "fileTrackingEnabled",
            "customLogo",
            "automaticApprovalsOnTransition",
            "allowAgentUpgrades",
        }
    )

    def computers(self) -> ProtectionQuery[Computer]:
        """The computers in this policy."""
        return self.api.select(Computer).where(f"policyId:{self.id}")


class Computer(ProtectionModel, protection.Computer):
    """A computer running the App Control agent.

    Change it by setting fields and ``await computer.save()``: the right flags go on the
    query string (``changeDiagnostics`` for the debug fields, ``changeTemplate`` for the
    template fields, ``newTamperProtectionActive`` for tamper protection), as the server needs.
    Or use :meth:`change_policy`, :meth:`set_tamper_protection`, :meth:`set_debug`,
    :meth:`reset_cli_password`. Deleting a computer marks it ``deleted``.
    """

    object_name: ClassVar[str] = "computer"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = COMPUTER_SETTABLE
    setter_hints: ClassVar[dict[str, str]] = {
        "policy": "`await computer.change_policy(policy)` (or set policyId and save)",
        "policyName": "`await computer.change_policy(policy)` (or set policyId and save)",
        "CLIPassword": "`await computer.reset_cli_password()`",
        "templateComputerId": "nothing: the server sets it when a computer is cloned from a "
        "template (`template` says whether this computer is one)",
    }
    cbapi_names: ClassVar[dict[str, str]] = {
        "templateComputer": "`await computer.template_computer()`",
        "fileInstances": "`computer.file_instances()`",
        "resetCLIPassword": "`await computer.reset_cli_password()`",
    }

    @join
    async def policy(self) -> Policy:
        """The computer's policy."""
        return await self._required(Policy, "policyId")

    @join
    async def template_computer(self) -> Computer | None:
        """The template this computer was cloned from, if any (cbapi's ``templateComputer``,
        renamed from ``template`` in cbapi 1.3.3: ``template`` is the field saying whether
        this computer *is* a template)."""
        return await self._related(Computer, "templateComputerId")

    def file_instances(self) -> ProtectionQuery[FileInstance]:
        """The files on this computer."""
        return self.api.select(FileInstance).where(f"computerId:{self.id}")

    def _update_params(self) -> dict[str, str]:
        changed = self.dirty_fields()
        params = {}
        if changed.keys() & DIAGNOSTIC_FIELDS:
            params["changeDiagnostics"] = "true"
        if changed.keys() & TEMPLATE_FIELDS:
            params["changeTemplate"] = "true"
        if "tamperProtectionActive" in changed:
            active = bool(self.tamperProtectionActive)
            params["newTamperProtectionActive"] = "true" if active else "false"
        return params

    async def change_policy(self, policy: Policy | int) -> Computer:
        """Move the computer to another policy (the manual's ``computer.policyId = 3``)."""
        self.policyId = policy if isinstance(policy, int) else policy.id
        return await self.save()

    async def set_tamper_protection(self, active: bool) -> Computer:
        """Set (``True``) or clear (``False``) the agent's tamper protection."""
        self.tamperProtectionActive = active
        return await self.save()

    async def set_debug(
        self,
        *,
        level: int | None = None,
        kernel_level: int | None = None,
        flags: int | None = None,
        duration: int | None = None,
    ) -> Computer:
        """Change the agent's diagnostics (``debugLevel``, ``kernelDebugLevel``,
        ``debugFlags``, ``debugDuration`` in minutes), sent with ``changeDiagnostics=true``."""
        changes = {
            "debugLevel": level,
            "kernelDebugLevel": kernel_level,
            "debugFlags": flags,
            "debugDuration": duration,
        }
        given = {name: value for name, value in changes.items() if value is not None}
        if not given:
            raise ValueError("name at least one of level, kernel_level, flags or duration")
        for name, value in given.items():
            setattr(self, name, value)
        return await self.save()

    async def reset_cli_password(self) -> str:
        """Make the server issue a new agent CLI password, and return it."""
        if self.key is None or self.item_route is None:
            raise errors.InvalidObjectError("this Computer has no id")
        await self.api.transport.request(
            "PUT",
            self.item_route,
            path_params={"id": self.key},
            params={"resetCLIPassword": "true"},
            json={},
        )
        # The password is read back with a GET (wire §9.1).
        await self.refresh()
        return self.CLIPassword or ""


class Publisher(ProtectionModel, protection.Publisher):
    """A software publisher, approved or banned as a whole."""

    object_name: ClassVar[str] = "publisher"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {"publisherState", "reputationApprovalsEnabled", "policyIds", "description"}
    )

    def certificates(self) -> ProtectionQuery[Certificate]:
        """The certificates this publisher signs with."""
        return self.api.select(Certificate).where(f"publisherId:{self.id}")


class Certificate(ProtectionModel, protection.Certificate):
    """A signing certificate; ``certificateGlobalState`` approves or bans what it signs."""

    object_name: ClassVar[str] = "certificate"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {"certificateGlobalState", "description"}
    )

    @join
    async def publisher(self) -> Publisher | None:
        return await self._related(Publisher, "publisherId")

    @join
    async def parent(self) -> Certificate | None:
        """The certificate that issued this one, if App Control knows it."""
        return await self._related(Certificate, "parentCertificateId")

    @join
    async def first_seen_computer(self) -> Computer | None:
        return await self._related(Computer, "firstSeenComputerId")


class PublisherCertificate(ProtectionModel, protection.PublisherCertificate):
    """Which certificate a publisher signs with (read-only)."""

    object_name: ClassVar[str] = "publisherCertificate"

    @join
    async def publisher(self) -> Publisher:
        return await self._required(Publisher, "publisherId")

    @join
    async def certificate(self) -> Certificate:
        return await self._required(Certificate, "certificateId")


class FileCatalog(ProtectionModel, protection.FileCatalog):
    """What App Control knows of one file wherever it was seen: names, hashes, publisher,
    state, prevalence (read-only; rules change its state)."""

    object_name: ClassVar[str] = "fileCatalog"

    @property
    def file_hash(self) -> str | None:
        """The strongest-known hash as cbapi chose it: MD5, else SHA-1, else SHA-256."""
        return self.md5 or self.sha1 or self.sha256 or None

    @join
    async def computer(self) -> Computer | None:
        """Where the file was first seen."""
        return await self._related(Computer, "computerId")

    @join
    async def publisher(self) -> Publisher | None:
        return await self._related(Publisher, "publisherId")

    @join
    async def certificate(self) -> Certificate | None:
        return await self._related(Certificate, "certificateId")

    def file_instances(self) -> ProtectionQuery[FileInstance]:
        """Every copy of this file on the computers."""
        return self.api.select(FileInstance).where(f"fileCatalogId:{self.id}")


class _OnComputer(ProtectionModel):
    """A file's presence on a computer: joins to the computer, the catalog entry, the
    policy."""

    __slots__ = ()
    cbapi_names: ClassVar[dict[str, str]] = {"fileCatalog": "`await instance.file_catalog()`"}

    @join
    async def computer(self) -> Computer:
        return await self._required(Computer, "computerId")

    @join
    async def file_catalog(self) -> FileCatalog:
        return await self._required(FileCatalog, "fileCatalogId")

    @join
    async def policy(self) -> Policy:
        return await self._required(Policy, "policyId")


class FileInstance(_OnComputer, protection.FileInstance):
    """A file on a computer. Its ``localState`` can be changed (approve or unapprove it
    locally): set it and ``await instance.save()``."""

    object_name: ClassVar[str] = "fileInstance"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset({"localState"})


class FileInstanceDeleted(_OnComputer, protection.FileInstanceDeleted):
    """A file that was deleted from a computer (read-only)."""

    object_name: ClassVar[str] = "fileInstanceDeleted"


class FileInstanceGroup(_OnComputer, protection.FileInstanceGroup):
    """The files one installation wrote (read-only)."""

    object_name: ClassVar[str] = "fileInstanceGroup"


class FileRule(ProtectionModel, protection.FileRule):
    """Approves or bans a file everywhere (``policyIds`` empty) or in some policies
    (``"1,2"``). Creatable (cbapi 1.3.0)::

        rule = api.create(FileRule)
        rule.hash = "<md5, sha-1 or sha-256>"
        rule.fileState = FileState.BANNED
        rule.name = "Ban the dropper"
        await rule.save()
    """

    object_name: ClassVar[str] = "fileRule"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("fileState",)
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {
            "name",
            "description",
            "fileState",
            "reportOnly",
            "reputationApprovalsEnabled",
            "forceInstaller",
            "forceNotInstaller",
            "policyIds",
            "platformFlags",
        }
    )
    cbapi_names: ClassVar[dict[str, str]] = {
        "fileCatalog": "`await rule.file_catalog()`",
        "createdByUser": "`await rule.created_by_user()`",
    }

    def _check_required(self) -> None:
        super()._check_required()
        if self._state.new and not any(
            self.get(name) for name in ("hash", "fileCatalogId", "fileName")
        ):
            raise errors.InvalidObjectError(
                "a new FileRule names its file: set hash (MD5, SHA-1 or SHA-256), "
                "fileCatalogId or fileName",
                missing=("hash",),
            )
        state = self.get("fileState")
        if state is not None and state not in tuple(FileState):
            raise errors.InvalidObjectError(
                f"fileState must be 1 (unapproved), 2 (approved) or 3 (banned), not {state!r}"
            )

    @join
    async def file_catalog(self) -> FileCatalog | None:
        """The file's catalog entry (none until the file has been seen on a computer)."""
        return await self._related(FileCatalog, "fileCatalogId")

    @join
    async def created_by_user(self) -> User | None:
        return await self._related(User, "createdByUserId")

    @property
    def policy_ids(self) -> list[int]:
        """``policyIds`` as numbers (empty for a global rule)."""
        return _ids(self.policyIds)


def _ids(text: Any) -> list[int]:
    return [int(part) for part in str(text or "").split(",") if part.strip() not in ("", "0")]
