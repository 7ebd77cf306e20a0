"""EDR on-prem (formerly CB Response)."""

from cbasync.response.api import CbResponseAPI

__all__ = ["CbResponseAPI"]
