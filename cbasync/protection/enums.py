"""The numbers App Control uses for states and levels, by name.

Fields stay plain integers on the wire and in the models (``rule.fileState == 3``); these are
``IntEnum``\\ s, so ``rule.fileState == FileState.BANNED`` holds and ``rule.fileState =
FileState.BANNED`` sends ``3``. The values are the documented ones (cbapi's model constants and
schemas).
"""

from __future__ import annotations

import enum

__all__ = [
    "AnalysisResult",
    "AnalysisStatus",
    "ApprovalResolution",
    "ApprovalStatus",
    "CertificateState",
    "EnforcementLevel",
    "FileState",
    "Platform",
    "RuleSource",
]


class FileState(enum.IntEnum):
    """A file's state (``fileState``, ``localState``), and what a file rule sets."""

    UNAPPROVED = 1
    APPROVED = 2
    BANNED = 3


class CertificateState(enum.IntEnum):
    """A certificate's global and effective state."""

    UNAPPROVED = 1
    APPROVED = 2
    BANNED = 3
    MIXED = 4


class EnforcementLevel(enum.IntEnum):
    """A policy's (and so a computer's) enforcement level."""

    HIGH = 20  # block unapproved files
    MEDIUM = 30  # prompt for unapproved files
    LOW = 40  # monitor unapproved files
    VISIBILITY = 60  # track only
    DISABLED = 80


class RuleSource(enum.IntEnum):
    """What made a file rule (``sourceType``)."""

    MANUAL = 1
    TRUSTED_DIRECTORY = 2
    REPUTATION = 3
    IMPORTED = 4
    EXTERNAL = 5  # the API
    EVENT_RULE = 6
    APPLICATION_TEMPLATE = 7
    UNIFIED_MANAGEMENT = 8


class Platform(enum.IntFlag):
    """Platforms a rule applies to (``platformFlags``) or a trusted user lives on
    (``platformId``)."""

    WINDOWS = 1
    MAC = 2
    LINUX = 4


class ApprovalStatus(enum.IntEnum):
    """Where an approval request stands (``status``)."""

    SUBMITTED = 1
    OPEN = 2
    CLOSED = 3


class ApprovalResolution(enum.IntEnum):
    """How an approval request was resolved (``resolution``)."""

    NOT_RESOLVED = 0
    REJECTED = 1
    APPROVED = 2
    RULE_CHANGE = 3
    INSTALLER = 4
    UPDATER = 5
    PUBLISHER = 6
    OTHER = 7


class AnalysisStatus(enum.IntEnum):
    """Where a connector's analysis of a file stands (``analysisStatus``)."""

    SCHEDULED = 0
    SUBMITTED = 1
    PROCESSED = 2
    ANALYZED = 3
    ERROR = 4
    CANCELLED = 5


class AnalysisResult(enum.IntEnum):
    """What a connector's analysis found (``analysisResult``)."""

    UNKNOWN = 0
    CLEAN = 1
    POTENTIAL_THREAT = 2
    MALICIOUS = 3
