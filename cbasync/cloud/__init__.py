"""Carbon Black Cloud."""

from cbasync.cloud.api import CBCloudAPI

__all__ = ["CBCloudAPI"]
