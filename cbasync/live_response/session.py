"""A Live Response session: every command of the servers, on one open session.

See :mod:`~cbasync.live_response.commands` for what every command goes through, and
:mod:`~cbasync.live_response.files` and :mod:`~cbasync.live_response.host` for the commands.
Commands of one session may be awaited concurrently (an ``anyio`` task group): the server queues
them in order and runs them one at a time, so a job that needs three results waits for the
three back to back instead of paying three round trips of polling.
"""

from __future__ import annotations

from cbasync.live_response.commands import (
    COMMAND_WAIT,
    CREATE_PROCESS_WAIT,
    KILL_WAIT,
    MEMDUMP_WAIT,
)
from cbasync.live_response.files import FileSource, WalkEntry
from cbasync.live_response.host import HostCommands, Memdump, registry_type_of

__all__ = [
    "COMMAND_WAIT",
    "CREATE_PROCESS_WAIT",
    "KILL_WAIT",
    "MEMDUMP_WAIT",
    "FileSource",
    "LiveResponseSession",
    "Memdump",
    "WalkEntry",
    "registry_type_of",
]


class LiveResponseSession(HostCommands):
    """An open Live Response session on one device, from
    ``async with api.live_response.session(device) as lr:``. Use it inside the block: the
    session is closed when the block ends.

    - files: :meth:`get_file`, :meth:`stream_file`, :meth:`download_file`, :meth:`put_file`,
      :meth:`delete_file`, :meth:`list_directory`, :meth:`create_directory`, :meth:`walk`;
    - processes: :meth:`list_processes`, :meth:`kill_process`, :meth:`create_process`;
    - registry: :meth:`list_registry_keys_and_values`, :meth:`get_registry_value`,
      :meth:`set_registry_value`, :meth:`create_registry_key`, :meth:`delete_registry_key`,
      :meth:`delete_registry_value`;
    - memory: :meth:`memdump`, :meth:`start_memdump`;
    - the session: :meth:`get_session_archive`, :meth:`keepalive`, :meth:`run_command`.
    """
