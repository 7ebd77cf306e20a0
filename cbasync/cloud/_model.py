"""The base of the Carbon Black Cloud models: a :class:`~cbasync.model.Model` bound to a
``CBCloudAPI``, with routes that may use ``{org_key}`` (filled in by the API's path defaults)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cbasync.model import Model

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = ["CloudModel"]


class CloudModel(Model):
    """A Carbon Black Cloud object; ``obj.api`` is the :class:`CBCloudAPI` it came from."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def api(self) -> CBCloudAPI: ...
