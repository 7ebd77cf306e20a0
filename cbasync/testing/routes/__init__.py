"""Route modules of the emulator: thin handler classes and their route tables.

The app mounts the modules listed in :data:`cbasync.testing.app.ROUTE_MODULES`; each defines its
handlers as a class (one async method per route) and ends with ``routes(state)``, its route table.
Modules whose names start with an underscore are helpers (``_common``, ``_edr``, ``_cloud``,
``_lr``, ``_search_jobs``); ``edr_admin`` and ``cloud_alerts`` hold handlers that the tables of
``edr`` and ``cloud_platform`` mount.
"""
