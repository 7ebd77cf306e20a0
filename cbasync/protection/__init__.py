"""App Control on-prem (formerly CB Protection)."""

from cbasync.protection.api import CbProtectionAPI

__all__ = ["CbProtectionAPI"]
