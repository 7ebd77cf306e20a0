# GENERATED from spec/protection.yaml by datamodel-code-generator==0.89.0 - DO NOT EDIT.
# Change the spec (or CODEGEN_OPTIONS in noxfile.py) and run `nox -s codegen`, which runs:
#     datamodel-codegen \
#         --input=spec/protection.yaml \
#         --output=cbasync/models/_generated/protection.py \
#         --input-file-type=openapi \
#         --openapi-scopes=schemas \
#         --output-model-type=pydantic_v2.BaseModel \
#         --target-python-version=3.10 \
#         --target-pydantic-version=2 \
#         --base-class=cbasync.models._base.CbModel \
#         --output-datetime-class=datetime \
#         --enum-field-as-literal=all \
#         --use-annotated \
#         --field-constraints \
#         --use-schema-description \
#         --use-field-description \
#         --use-double-quotes \
#         --use-standard-collections \
#         --use-union-operator \
#         --remove-special-field-name-prefix \
#         --disable-timestamp \
#         --formatters=builtin

from __future__ import annotations

from datetime import datetime
from typing import Any

from cbasync.models._base import CbModel
from pydantic import RootModel


class CountResponse(CbModel):
    """
    Answer of a search with limit=-1, {"count": N}.
    """

    count: int


class GroupedCount(CbModel):
    """
    One group of a search with group=<field>.
    """

    value: Any | None = None
    """
    The group's field value.
    """
    count: int | None = None


class GroupedCountList(RootModel[list[GroupedCount]]):
    root: list[GroupedCount]


class Computer(CbModel):
    """
    A computer running the App Control agent.
    """

    id: int | None = None
    name: str | None = None
    """
    DOMAIN\\HOSTNAME.
    """
    computerTag: str | None = None
    description: str | None = None
    ipAddress: str | None = None
    macAddress: str | None = None
    users: str | None = None
    policyId: int | None = None
    previousPolicyId: int | None = None
    policyName: str | None = None
    automaticPolicy: bool | None = None
    localApproval: bool | None = None
    connected: bool | None = None
    enforcementLevel: int | None = None
    disconnectedEnforcementLevel: int | None = None
    osShortName: str | None = None
    osName: str | None = None
    platformId: int | None = None
    agentVersion: str | None = None
    dateCreated: datetime | None = None
    lastRegisterDate: datetime | None = None
    lastPollDate: datetime | None = None
    daysOffline: int | None = None
    uninstalled: bool | None = None
    deleted: bool | None = None
    initializing: bool | None = None
    isActive: bool | None = None
    prioritized: bool | None = None
    tamperProtectionActive: bool | None = None
    CLIPassword: str | None = None
    """
    Set after a PUT with resetCLIPassword=true.
    """
    debugLevel: int | None = None
    kernelDebugLevel: int | None = None
    debugFlags: int | None = None
    debugDuration: int | None = None
    activeDebugLevel: int | None = None
    activeKernelDebugLevel: int | None = None
    activeDebugFlags: int | None = None
    ccLevel: int | None = None
    ccFlags: int | None = None
    template: bool | None = None
    """
    Whether this computer is a template (VDI master); set with changeTemplate=true.
    """
    templateComputerId: int | None = None
    """
    The template this computer was cloned from (0 when none); read-only.
    """
    templateDate: datetime | None = None
    templateCloneCleanupMode: int | None = None
    """
    Set with changeTemplate=true.
    """
    templateCloneCleanupTime: int | None = None
    """
    Set with changeTemplate=true.
    """
    templateCloneCleanupTimeScale: int | None = None
    """
    Set with changeTemplate=true.
    """
    templateTrackModsOnly: bool | None = None
    """
    Set with changeTemplate=true.
    """
    refreshFlags: int | None = None
    """
    Ask the agent to refresh (bit flags); write-only in practice.
    """
    policyStatus: str | None = None
    policyStatusDetails: str | None = None
    upgradeStatus: str | None = None
    syncPercent: int | None = None
    initPercent: int | None = None
    processorCount: int | None = None
    processorModel: str | None = None
    machineModel: str | None = None
    memorySize: int | None = None
    virtualized: str | None = None
    virtualPlatform: str | None = None
    cbSensorId: int | None = None
    cbSensorVersion: str | None = None


class ComputerList(RootModel[list[Computer]]):
    root: list[Computer]


class FileInstance(CbModel):
    """
    A file on a computer (join computerId -> Computer).
    """

    id: int | None = None
    computerId: int | None = None
    fileCatalogId: int | None = None
    fileInstanceGroupId: int | None = None
    policyId: int | None = None
    fileName: str | None = None
    pathName: str | None = None
    dateCreated: datetime | None = None
    executed: bool | None = None
    localState: int | None = None
    """
    1 unapproved, 2 approved, 3 banned.
    """
    detailedLocalState: int | None = None
    detachedPublisherId: int | None = None
    detachedCertificateId: int | None = None
    topLevel: bool | None = None


class FileInstanceList(RootModel[list[FileInstance]]):
    root: list[FileInstance]


class FileInstanceDeleted(FileInstance):
    """
    A deleted file instance.
    """


class FileInstanceDeletedList(RootModel[list[FileInstanceDeleted]]):
    root: list[FileInstanceDeleted]


class FileInstanceGroup(CbModel):
    """
    A group of file instances (an installation).
    """

    id: int | None = None
    computerId: int | None = None
    fileCatalogId: int | None = None
    policyId: int | None = None
    dateCreated: datetime | None = None
    userName: str | None = None
    groupType: int | None = None


class FileInstanceGroupList(RootModel[list[FileInstanceGroup]]):
    root: list[FileInstanceGroup]


class FileCatalog(CbModel):
    """
    Global metadata of a file seen anywhere.
    """

    id: int | None = None
    fileName: str | None = None
    pathName: str | None = None
    fileExtension: str | None = None
    computerId: int | None = None
    dateCreated: datetime | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    sha256HashType: int | None = None
    fileType: str | None = None
    fileSize: int | None = None
    productName: str | None = None
    productVersion: str | None = None
    company: str | None = None
    publisherId: int | None = None
    publisherName: str | None = None
    publisherState: int | None = None
    certificateId: int | None = None
    certificateState: int | None = None
    fileState: int | None = None
    """
    1 unapproved, 2 approved, 3 banned.
    """
    effectiveState: str | None = None
    threat: int | None = None
    trust: int | None = None
    prevalent: bool | None = None
    prevalence: int | None = None
    """
    How many computers have the file.
    """
    reputationAvailable: bool | None = None
    approvedByReputation: bool | None = None


class FileCatalogList(RootModel[list[FileCatalog]]):
    root: list[FileCatalog]


class FileRule(CbModel):
    """
    An approval or ban of a hash, globally or for policies.
    """

    id: int | None = None
    fileCatalogId: int | None = None
    name: str | None = None
    description: str | None = None
    fileState: int | None = None
    """
    1 unapproved, 2 approved, 3 banned.
    """
    hash: str | None = None
    fileName: str | None = None
    policyIds: str | None = None
    """
    Comma-separated policy ids; empty or 0 for global rules.
    """
    reportOnly: bool | None = None
    reputationApprovalsEnabled: bool | None = None
    forceInstaller: bool | None = None
    forceNotInstaller: bool | None = None
    platformFlags: int | None = None
    sourceType: int | None = None
    sourceId: int | None = None
    dateCreated: datetime | None = None
    createdBy: str | None = None
    createdByUserId: int | None = None
    dateModified: datetime | None = None
    modifiedBy: str | None = None
    modifiedByUserId: int | None = None
    clVersion: int | None = None
    lazyApproval: bool | None = None
    """
    Send the approval to agents only when the file is an installer or was blocked (creation only).
    """
    idUnique: str | None = None
    origIdUnique: str | None = None
    unifiedFlag: int | None = None
    unifiedSource: str | None = None
    fileRuleType: str | None = None
    """
    Text description of the rule type.
    """
    version: int | None = None
    visible: bool | None = None


class FileRuleList(RootModel[list[FileRule]]):
    root: list[FileRule]


class Policy(CbModel):
    """
    A policy.
    """

    id: int | None = None
    name: str | None = None
    description: str | None = None
    packageName: str | None = None
    enforcementLevel: int | None = None
    disconnectedEnforcementLevel: int | None = None
    helpDeskUrl: str | None = None
    imageUrl: str | None = None
    dateCreated: datetime | None = None
    createdByUserId: int | None = None
    dateModified: datetime | None = None
    modifiedByUserId: int | None = None
    readOnly: bool | None = None
    hidden: bool | None = None
    automatic: bool | None = None
    loadAgentInSafeMode: bool | None = None
    reputationEnabled: bool | None = None
    fileTrackingEnabled: bool | None = None
    customLogo: bool | None = None
    automaticApprovalsOnTransition: bool | None = None
    allowAgentUpgrades: bool | None = None
    totalComputers: int | None = None
    connectedComputers: int | None = None
    atEnforcementComputers: int | None = None
    clVersionMax: int | None = None


class PolicyList(RootModel[list[Policy]]):
    root: list[Policy]


class ApprovalRequest(CbModel):
    """
    A user's request to approve a file. status: 1 submitted, 2 open, 3 closed. resolution: 0 not resolved, 1 rejected, 2 approved, 3 rule change, 4 installer, 5 updater, 6 publisher, 7 other.
    """

    id: int | None = None
    fileCatalogId: int | None = None
    computerId: int | None = None
    computerName: str | None = None
    fileName: str | None = None
    pathName: str | None = None
    dateCreated: datetime | None = None
    dateModified: datetime | None = None
    status: int | None = None
    resolution: int | None = None
    requestorEmail: str | None = None
    justification: str | None = None
    resolutionComments: str | None = None
    installerFileCatalogId: int | None = None
    """
    The installer that wrote the file (0 when none).
    """
    processFileCatalogId: int | None = None
    """
    The process that ran the file (0 when none).
    """


class ApprovalRequestList(RootModel[list[ApprovalRequest]]):
    root: list[ApprovalRequest]


class Certificate(CbModel):
    id: int | None = None
    parentCertificateId: int | None = None
    publisherId: int | None = None
    thumbprint: str | None = None
    thumbprintAlgorithm: str | None = None
    subjectName: str | None = None
    serialNumber: str | None = None
    validFrom: datetime | None = None
    validTo: datetime | None = None
    description: str | None = None
    dateCreated: datetime | None = None
    dateModified: datetime | None = None
    certificateGlobalState: int | None = None
    certificateEffectiveState: int | None = None
    firstSeenComputerId: int | None = None


class CertificateList(RootModel[list[Certificate]]):
    root: list[Certificate]


class Connector(CbModel):
    """
    An integration that analyses files or posts notifications.
    """

    id: int | None = None
    name: str | None = None
    enabled: bool | None = None
    analysisName: str | None = None
    analysisEnabled: bool | None = None
    connectorVersion: str | None = None
    canAnalyze: bool | None = None
    isInternal: bool | None = None
    analysisTargets: list[str] | None = None


class ConnectorList(RootModel[list[Connector]]):
    root: list[Connector]


class DriftReport(CbModel):
    id: int | None = None
    name: str | None = None
    dateCreated: datetime | None = None


class DriftReportList(RootModel[list[DriftReport]]):
    root: list[DriftReport]


class DriftReportContents(CbModel):
    id: int | None = None
    driftReportId: int | None = None
    fileCatalogId: int | None = None
    computerId: int | None = None


class DriftReportContentsList(RootModel[list[DriftReportContents]]):
    root: list[DriftReportContents]


class Event(CbModel):
    """
    An agent or server event.
    """

    id: int | None = None
    timestamp: datetime | None = None
    receivedTimestamp: datetime | None = None
    description: str | None = None
    type: int | None = None
    subtype: int | None = None
    subtypeName: str | None = None
    severity: int | None = None
    computerId: int | None = None
    computerName: str | None = None
    ipAddress: str | None = None
    policyId: int | None = None
    policyName: str | None = None
    fileCatalogId: int | None = None
    fileName: str | None = None
    pathName: str | None = None
    processFileName: str | None = None
    processPathName: str | None = None
    userName: str | None = None
    ruleName: str | None = None


class EventList(RootModel[list[Event]]):
    root: list[Event]


class FileAnalysis(CbModel):
    id: int | None = None
    computerId: int | None = None
    fileCatalogId: int | None = None
    connectorId: int | None = None
    analysisStatus: int | None = None
    analysisResult: int | None = None
    dateCreated: datetime | None = None
    dateModified: datetime | None = None


class FileAnalysisList(RootModel[list[FileAnalysis]]):
    root: list[FileAnalysis]


class FileUpload(CbModel):
    id: int | None = None
    computerId: int | None = None
    fileCatalogId: int | None = None
    fileName: str | None = None
    pathName: str | None = None
    uploadPath: str | None = None
    uploadStatus: int | None = None
    """
    0 queued, 1 initiated, 2 uploading, 3 completed, 4 error, 5 cancelled, 6 deleted.
    """
    uploadedFileSize: int | None = None
    dateCreated: datetime | None = None
    dateModified: datetime | None = None


class FileUploadList(RootModel[list[FileUpload]]):
    root: list[FileUpload]


class GrantedUserPolicyPermission(CbModel):
    id: int | None = None
    userId: int | None = None
    policyId: int | None = None


class GrantedUserPolicyPermissionList(RootModel[list[GrantedUserPolicyPermission]]):
    root: list[GrantedUserPolicyPermission]


class InternalEvent(CbModel):
    id: int | None = None
    timestamp: datetime | None = None
    description: str | None = None
    type: int | None = None


class InternalEventList(RootModel[list[InternalEvent]]):
    root: list[InternalEvent]


class MeteredExecution(CbModel):
    id: int | None = None
    computerId: int | None = None
    fileCatalogId: int | None = None
    timestamp: datetime | None = None
    userName: str | None = None


class MeteredExecutionList(RootModel[list[MeteredExecution]]):
    root: list[MeteredExecution]


class Notification(CbModel):
    """
    The result of a file analysis, posted by a connector. analysisResult: 0 unknown, 1 not malicious, 2 potential risk, 3 malicious.
    """

    id: int | None = None
    connectorId: int | None = None
    fileAnalysisId: int | None = None
    time: datetime | None = None
    analysisResult: int | None = None
    fileName: str | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    malwareName: str | None = None
    malwareType: str | None = None
    externalUrl: str | None = None
    externalId: str | None = None
    severity: str | None = None
    type: str | None = None
    product: str | None = None
    version: str | None = None
    status: str | None = None
    flags: int | None = None


class NotificationList(RootModel[list[Notification]]):
    root: list[Notification]


class Notifier(CbModel):
    id: int | None = None
    name: str | None = None
    enabled: bool | None = None


class NotifierList(RootModel[list[Notifier]]):
    root: list[Notifier]


class PendingAnalysis(CbModel):
    """
    A file waiting for a connector's analysis. analysisStatus: 0 scheduled, 1 submitted, 2 processed, 3 analyzed, 4 error, 5 cancelled; analysisResult as in Notification.
    """

    id: int | None = None
    computerId: int | None = None
    fileCatalogId: int | None = None
    connectorId: int | None = None
    analysisStatus: int | None = None
    analysisResult: int | None = None
    fileName: str | None = None
    pathName: str | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    uploaded: bool | None = None
    """
    Whether the file has reached the server (then downloadFile=true serves it).
    """
    dateCreated: datetime | None = None
    dateModified: datetime | None = None


class PendingAnalysisList(RootModel[list[PendingAnalysis]]):
    root: list[PendingAnalysis]


class Publisher(CbModel):
    id: int | None = None
    name: str | None = None
    description: str | None = None
    publisherState: int | None = None
    publisherReputation: int | None = None
    reputationApprovalsEnabled: bool | None = None
    policyIds: str | None = None
    signedFilesCount: int | None = None
    signedCertificateCount: int | None = None
    dateCreated: datetime | None = None
    dateModified: datetime | None = None


class PublisherList(RootModel[list[Publisher]]):
    root: list[Publisher]


class PublisherCertificate(CbModel):
    id: int | None = None
    publisherId: int | None = None
    certificateId: int | None = None


class PublisherCertificateList(RootModel[list[PublisherCertificate]]):
    root: list[PublisherCertificate]


class ScriptRule(CbModel):
    id: int | None = None
    name: str | None = None
    extensions: str | None = None
    interpreters: str | None = None
    enabled: bool | None = None


class ScriptRuleList(RootModel[list[ScriptRule]]):
    root: list[ScriptRule]


class ServerConfig(CbModel):
    """
    One server setting.
    """

    id: int | None = None
    name: str | None = None
    value: Any | None = None
    """
    The setting's value (string or number).
    """


class ServerConfigList(RootModel[list[ServerConfig]]):
    root: list[ServerConfig]


class ServerPerformance(CbModel):
    id: int | None = None


class ServerPerformanceList(RootModel[list[ServerPerformance]]):
    root: list[ServerPerformance]


class TrustedDirectory(CbModel):
    id: int | None = None
    computerId: int | None = None
    path: str | None = None
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    dateCreated: datetime | None = None


class TrustedDirectoryList(RootModel[list[TrustedDirectory]]):
    root: list[TrustedDirectory]


class TrustedUser(CbModel):
    id: int | None = None
    name: str | None = None
    userSid: str | None = None
    """
    User name, Windows SID, or a user id on macOS and Linux.
    """
    description: str | None = None
    platformId: int | None = None
    """
    1 Windows, 2 macOS, 4 Linux.
    """
    dateCreated: datetime | None = None
    createdBy: str | None = None
    createdByUserId: int | None = None
    dateModified: datetime | None = None
    modifiedBy: str | None = None
    modifiedByUserId: int | None = None
    clVersion: int | None = None


class TrustedUserList(RootModel[list[TrustedUser]]):
    root: list[TrustedUser]


class Updater(CbModel):
    id: int | None = None
    name: str | None = None
    version: str | None = None
    enabled: bool | None = None


class UpdaterList(RootModel[list[Updater]]):
    root: list[Updater]


class User(CbModel):
    """
    A console user.
    """

    id: int | None = None
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    eMailAddress: str | None = None
    title: str | None = None
    department: str | None = None
    comments: str | None = None
    enabled: bool | None = None
    readOnly: bool | None = None
    external: bool | None = None
    userGroupIds: str | None = None
    apiToken: str | None = None


class UserList(RootModel[list[User]]):
    root: list[User]


class UserGroup(CbModel):
    id: int | None = None
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    editable: bool | None = None
    permissions: str | None = None
    """
    Hexadecimal permission mask.
    """
    policyIds: str | None = None
    dateCreated: datetime | None = None
    createdBy: str | None = None
    createdByUserId: int | None = None
    dateModified: datetime | None = None
    modifiedBy: str | None = None
    modifiedByUserId: int | None = None
    automaticCount: int | None = None
    manualCount: int | None = None


class UserGroupList(RootModel[list[UserGroup]]):
    root: list[UserGroup]


class AppTemplate(CbModel):
    id: int | None = None
    name: str | None = None


class AppTemplateList(RootModel[list[AppTemplate]]):
    root: list[AppTemplate]
