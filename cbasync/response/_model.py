"""The base of the EDR models: a :class:`~cbasync.model.Model` bound to a ``CbResponseAPI``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cbasync.model import Model

if TYPE_CHECKING:
    from cbasync.response.api import CbResponseAPI

__all__ = ["EdrModel"]


class EdrModel(Model):
    """An EDR object; ``obj.api`` is the :class:`CbResponseAPI` it came from, typed as such so
    the server's version and route names are reachable from a model without a cast."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def api(self) -> CbResponseAPI: ...
