"""cbasync: an async-first SDK for the Carbon Black EDR, App Control and Cloud APIs."""

from cbasync._version import __version__

__all__ = ["__version__"]
