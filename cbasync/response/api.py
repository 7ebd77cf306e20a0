"""The EDR (formerly CB Response) API object."""

from __future__ import annotations

from typing import ClassVar

from cbasync._api import BaseAPI
from cbasync.config import Product

__all__ = ["CbResponseAPI"]


class CbResponseAPI(BaseAPI):
    """EDR on-prem. Credentials come from ``credentials.response`` profiles."""

    product: ClassVar[Product] = "response"
