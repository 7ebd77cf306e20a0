"""The App Control (formerly CB Protection) API object."""

from __future__ import annotations

from typing import ClassVar

from cbasync._api import BaseAPI
from cbasync._error_map import ErrorRule
from cbasync.config import Product
from cbasync.protection._errors import PROTECTION_ERROR_RULES

__all__ = ["CbProtectionAPI"]


class CbProtectionAPI(BaseAPI):
    """App Control on-prem. Credentials come from ``credentials.protection`` profiles."""

    product: ClassVar[Product] = "protection"
    error_rules: ClassVar[tuple[ErrorRule, ...]] = PROTECTION_ERROR_RULES
