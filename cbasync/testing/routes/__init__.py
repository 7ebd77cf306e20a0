"""Route modules of the emulator (see ``cbasync.testing.app`` for the contract).

Each public module exposes ``routes(state) -> list[BaseRoute]``; shared helpers live in
``_common``.
"""
