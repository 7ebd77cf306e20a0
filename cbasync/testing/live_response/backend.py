"""Live Response as a state machine, with no knowledge of HTTP.

One :class:`LiveResponseBackend` is one server's Live Response service: the EDR server
(``/api/v1/cblr``) or a cloud org (v6 ``/liveresponse`` and legacy v3 ``/cblr`` share the org's
sessions and its slot limit). Its rules:

- **Sessions** start ``pending``; an online device checks in ``activation_delay`` seconds later
  and the session becomes ``active``. An offline device never checks in: the session stays
  pending until ``check_in_timeout`` and then is gone. An active session expires after
  ``idle_timeout`` seconds without a command or a keepalive (``initial_idle_timeout`` before
  its first command); an expired or closed session answers "not found".
- **Slots**: at most ``slots`` sessions (EDR: pending ones count) or, on the cloud, sessions on
  at most ``slots`` distinct devices (several sessions on one device count once). Beyond it,
  :class:`SessionLimitError`.
- **Commands** run one at a time per session, in order, each taking its configured delay once the
  session is active; results come from the device's :class:`~cbasync.testing.dataset.vfs.EndpointImage`
  (a failure carries the Win32 HRESULT the sensor would report).
- **Files**: uploads (for ``put file``) and ``get file`` results are kept in server storage per
  session; a storage token can be issued for a download that needs no credentials (the cloud's
  302 to pre-signed storage).

The rules live in :class:`~cbasync.testing.live_response.sessions.SessionMachine`, the commands in
:mod:`~cbasync.testing.live_response.interpreter`, the values in
:mod:`~cbasync.testing.live_response.model`; :class:`LiveResponseBackend` is the server's API.

Time is the injectable clock's; nothing runs in the background. Every public call first brings
the state up to "now" (activations, command completions, expiries), so a test with a manual clock
sees exactly the transitions that are due.
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import Mapping
from typing import Any

from cbasync.testing.live_response.model import (
    COMMANDS,
    Command,
    CommandRejectedError,
    CommandState,
    ObjectNotFoundError,
    SessionState,
    StoredFile,
    as_int,
)
from cbasync.testing.live_response.sessions import SessionMachine

__all__ = ["LiveResponseBackend"]


class LiveResponseBackend(SessionMachine):
    """Sessions, commands and server storage of one Live Response server."""

    def post_command(
        self,
        session_id: object,
        name: str,
        target: Any,
        options: Mapping[str, Any] | None = None,
        *,
        username: str,
    ) -> Command:
        """Queue a command. Raises SessionNotFoundError or CommandRejectedError."""
        session = self.session(session_id)
        if not isinstance(name, str) or name not in COMMANDS:
            raise CommandRejectedError(f"Unknown command {name!r}")
        if name not in session.supported_commands:
            raise CommandRejectedError(f"Command {name!r} is not supported by this sensor")
        p = self.policy
        if p.max_commands is not None and len(session.commands) >= p.max_commands:
            raise CommandRejectedError(
                f"Too many commands in this session (limit {p.max_commands})"
            )
        now = self._now()
        command = Command(
            id=session.next_command_id,
            session=session,
            name=name,
            target=target,
            options=dict(options or {}),
            username=username,
            create_time=self.clock.time(),
            created_mono=now,
        )
        session.next_command_id += 1
        session.commands.append(command)
        session.had_command = True
        session.last_activity_mono = now
        if name == "get file":
            command.file = self._new_file(session, str(target or ""), from_upload=False)
        if self.observer is not None:
            self.observer.lr_command(p.server)
        if session.state is SessionState.ACTIVE:
            self._schedule(command)
        self._push_deadline(session, self._deadline(session))
        return command

    def command(
        self, session_id: object, command_id: object, *, include_ended: bool = False
    ) -> Command:
        session = self.session(session_id, include_ended=include_ended)
        cid = as_int(command_id)
        for command in session.commands:
            if command.id == cid:
                return command
        raise ObjectNotFoundError("Command", command_id)

    def commands(
        self,
        session_id: object,
        *,
        status: str | None = None,
        count: int | None = None,
        include_ended: bool = False,
    ) -> list[Command]:
        session = self.session(session_id, include_ended=include_ended)
        now = self._now()
        out = session.commands
        if status:
            wanted = status.strip().lower().replace("_", " ")
            wanted = {"canceled": "cancel", "cancelled": "cancel", "completed": "complete"}.get(
                wanted, wanted
            )
            out = [c for c in out if c.status(now).value == wanted]
        return out[:count] if count is not None and count >= 0 else list(out)

    def cancel_command(self, session_id: object, command_id: object) -> Command:
        """Cancel a command still waiting for the sensor (only PENDING can be cancelled)."""
        command = self.command(session_id, command_id)
        state = command.status(self._now())
        if state is not CommandState.PENDING:
            raise CommandRejectedError(
                f"Cannot cancel command in status {state.name}; only PENDING commands can be"
                " cancelled"
            )
        command.state = CommandState.CANCELLED
        command.completion_time = self.clock.time()
        if command.start_mono is not None:
            # Nothing queued behind it moves earlier; the slot simply stays idle.
            command.start_mono = None
        return command

    def upload(self, session_id: object, file_name: str, data: bytes) -> StoredFile:
        """Store an upload (the ``file_id`` a later ``put file`` names)."""
        session = self.session(session_id)
        session.last_activity_mono = self._now()
        self._push_deadline(session, self._deadline(session))
        stored = self._new_file(session, file_name, from_upload=True)
        stored.data = bytes(data)
        return stored

    def file(self, session_id: object, file_id: object) -> StoredFile:
        session = self.session(session_id)
        stored = session.find_file(file_id)
        if stored is None:
            raise ObjectNotFoundError("File", file_id)
        return stored

    def files(self, session_id: object) -> list[StoredFile]:
        session = self.session(session_id)
        return [f for f in session.files.values() if not f.deleted]

    def file_content(self, session_id: object, file_id: object) -> bytes:
        """The bytes of a stored file; not found while a ``get file`` has not completed."""
        stored = self.file(session_id, file_id)
        if stored.data is None or stored.status != 0:
            raise ObjectNotFoundError("File", file_id)
        return stored.data

    def delete_file(self, session_id: object, file_id: object) -> None:
        stored = self.file(session_id, file_id)
        stored.deleted = True

    def issue_download(self, session_id: object, file_id: object) -> str:
        """A one-purpose token for fetching a stored file without credentials."""
        stored = self.file(session_id, file_id)
        if stored.data is None or stored.status != 0:
            raise ObjectNotFoundError("File", file_id)
        token = secrets.token_urlsafe(24)
        expires = self.clock.time() + self.policy.storage_url_ttl
        self._tokens[token] = (stored, expires)
        self._token_order.append((token, expires))
        return token

    def redeem_download(self, token: str) -> tuple[StoredFile, bytes]:
        """The file behind a storage token (not found when unknown or expired)."""
        self.advance()
        entry = self._tokens.get(token)
        if entry is None or entry[0].deleted or entry[0].data is None:
            raise ObjectNotFoundError("Download", "token")
        return entry[0], entry[0].data

    def archive(self, session_id: object) -> bytes:
        """A zip of the session: its command log and the files in storage."""
        session = self.session(session_id, include_ended=True)
        now = self._now()
        log = [
            {
                "id": c.id,
                "name": c.name,
                "object": c.target,
                "status": c.status(now).value,
                "create_time": c.create_time,
                "completion": c.completion_time or 0,
                "result_code": c.error[0] if c.error else 0,
                "result_desc": c.error[1] if c.error else "",
            }
            for c in session.commands
        ]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("commands.json", json.dumps(log, indent=2, default=str))
            for stored in session.files.values():
                if stored.data is not None and not stored.deleted:
                    archive.writestr(f"files/{stored.id}", stored.data)
        return buffer.getvalue()
