"""What differs between the Live Response servers, behind one interface: a dialect.

EDR (``/api/v1/cblr``), the cloud's v6 (``/appservices/v6/orgs/{org_key}/liveresponse``) and the
legacy cloud v3 (``/integrationServices/v3/cblr``) do the same things — open a session, wait for
the sensor, post a command and poll it, move files through server storage — with other routes,
bodies and spellings (wire-protocol §2-3). A :class:`Dialect` is one server's route table and
readers: it says which request does what (a :class:`Call`) and reads the answers into the
neutral :class:`SessionInfo` and :class:`CommandInfo`. The product packages implement it
(``cbasync.response``, ``cbasync.cloud``) and inject it; the sessions, commands and the pool in
this package speak only this interface, so they know no product.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from cbasync import errors
from cbasync._error_map import Answer
from cbasync._response import Response
from cbasync.live_response.results import (
    DirectoryEntry,
    ProcessEntry,
    RegistryValue,
)
from cbasync.model import adapter_for

__all__ = [
    "COMMAND_NAMES",
    "Call",
    "CommandInfo",
    "CommandRequest",
    "Dialect",
    "SessionId",
    "SessionInfo",
    "epoch_seconds",
    "normalise_status",
    "session_limit_reached",
]

#: The 15 command names, exactly as they travel (``name``) and as ``supported_commands`` lists
#: them (wire-protocol §2.4).
COMMAND_NAMES = frozenset(
    {
        "get file",
        "put file",
        "delete file",
        "directory list",
        "create directory",
        "reg enum key",
        "reg query value",
        "reg create key",
        "reg delete key",
        "reg delete value",
        "reg set value",
        "process list",
        "kill",
        "create process",
        "memdump",
    }
)

#: EDR numbers sessions (``7``); the cloud names them ``"<n>:<device_id>"``.
SessionId = int | str

_DRIVE = re.compile(r"^[A-Za-z]:\\")


def normalise_status(status: object) -> str:
    """A status as this package compares it: lower case, words apart (``IN_PROGRESS`` is
    ``in progress``), cancellation spelled one way. Servers disagree on case (wire §3.1)."""
    text = str(status or "").strip().lower().replace("_", " ")
    return {"canceled": "cancelled", "cancel": "cancelled", "completed": "complete"}.get(text, text)


def session_limit_reached(answer: Answer) -> errors.ApiError | None:
    """An error rule every Live Response server needs: a 403 that says "session limit reached"
    (EDR ``{"reason", "message"}``, the cloud's ``{"error_code", "message"}`` and v3's
    ``{"success": false, "message"}`` alike) is ``SessionLimitError``: no free session slot on
    the server, which shrinks the client's slot pool instead of failing."""
    if answer.status == 403 and b"session limit" in answer.body.lower():
        return errors.SessionLimitError(answer.message, **answer.meta())
    return None


def epoch_seconds(value: object) -> float | None:
    """A server timestamp as epoch seconds: EDR's floats, the cloud's ISO strings (parsed) or
    epoch milliseconds; ``None`` for a missing one (``0`` means "not yet" on the cloud)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return value / 1000 if value > 100_000_000_000 else float(value)
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class Call:
    """One request of a dialect: the method, the route *template* and what fills it, a body."""

    method: str
    route: str
    path_params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    json: Any = None
    params: Mapping[str, str] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class SessionInfo:
    """A server session as the dialect read it. ``status`` is normalised (``pending``,
    ``active``; anything else has ended or failed); ``raw`` is the object as the server sent it
    (EDR closes a session by sending it back)."""

    id: SessionId
    device_id: int
    status: str
    supported_commands: frozenset[str] = frozenset()
    hostname: str | None = None
    current_working_directory: str | None = None
    drives: tuple[str, ...] = ()
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def windows(self) -> bool:
        """Whether the endpoint is Windows (drive letters), which decides path separators."""
        places = (*self.drives, self.current_working_directory or "")
        return any(_DRIVE.match(place) for place in places)


@dataclasses.dataclass(frozen=True, slots=True)
class CommandRequest:
    """A command to send: its ``name`` (one of :data:`COMMAND_NAMES`), its ``target`` (a path,
    a registry key, a command line, a pid, or ``None``) and the command's other fields."""

    name: str
    target: str | int | None = None
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class CommandInfo:
    """A command as the dialect read it: its normalised ``status`` (``pending``,
    ``in progress``, ``complete``, ``error``, ``cancelled``), its error triple, where a
    ``get file`` put its bytes (``file_id``), and whatever results it has so far."""

    id: int
    name: str
    status: str
    result_code: int | None = None
    result_type: str | None = None
    result_desc: str | None = None
    file_id: int | str | None = None
    files: list[DirectoryEntry] | None = None
    processes: list[ProcessEntry] | None = None
    values: list[RegistryValue] | None = None
    sub_keys: list[str] | None = None
    value: RegistryValue | None = None
    pid: int | None = None
    return_code: int | None = None
    percent_done: int | None = None
    #: When the server queued and finished it (epoch seconds, the server's clock): how long
    #: commands take, which paces the polls of later ones.
    created_at: float | None = None
    completed_at: float | None = None

    @property
    def server_seconds(self) -> float | None:
        """Seconds the server took from queueing the command to its end."""
        if self.created_at is None or self.completed_at is None:
            return None
        return max(0.0, self.completed_at - self.created_at)


class Dialect(ABC):
    """One Live Response server's routes and readers (see the module docstring).

    Each request method returns the :class:`Call` to send; each ``read_*`` method reads an
    answer. The routes are templates, filled from ``path_params``, so logs and errors name the
    template (``/api/v1/cblr/session/{session_id}``).
    """

    #: How errors and logs name the server ("EDR", "Cloud v6", ...).
    name: ClassVar[str]
    #: The server's own ceiling on concurrent sessions, when it has one (the cloud: 100 per
    #: org); ``None`` when the administrator sets it (EDR's ``cb.conf``).
    max_sessions: ClassVar[int | None] = None
    #: The server's model of a stored file (its answer to :meth:`upload` carries the ``id``).
    file_model: ClassVar[type[Any]]

    # -- sessions ---------------------------------------------------------------------------

    @abstractmethod
    def open_session(self, device_id: int) -> Call:
        """The POST that requests a session for ``device_id``."""

    @abstractmethod
    def get_session(self, session_id: SessionId) -> Call: ...

    @abstractmethod
    def close_session(self, session: SessionInfo) -> Call: ...

    @abstractmethod
    def keepalive(self, session_id: SessionId) -> Call: ...

    def archive(self, session_id: SessionId) -> Call | None:
        """The session archive's download, or ``None`` where the server has none."""
        return None

    @abstractmethod
    def read_session(self, response: Response) -> SessionInfo: ...

    def list_sessions(self) -> Call | None:
        """The request that lists the server's open sessions, or ``None`` where there is none.
        Used to find the session a creating POST made when its answer was lost."""
        return None

    def read_sessions(self, response: Response) -> list[SessionInfo]:
        """The sessions of a :meth:`list_sessions` answer (only dialects that have one)."""
        return []

    # -- commands ---------------------------------------------------------------------------

    @abstractmethod
    def post_command(self, session_id: SessionId, command: CommandRequest) -> Call: ...

    @abstractmethod
    def get_command(self, session_id: SessionId, command_id: int) -> Call: ...

    def cancel_command(self, session_id: SessionId, command_id: int) -> Call | None:
        """The request that cancels a pending command, or ``None`` where there is none."""
        return None

    @abstractmethod
    def read_command(self, response: Response) -> CommandInfo: ...

    # -- files in server storage ------------------------------------------------------------

    @abstractmethod
    def upload(self, session_id: SessionId) -> Call:
        """The multipart POST (one part, ``file``) that stores a file for ``put file``."""

    def read_upload(self, response: Response) -> int | str:
        """The stored file's id (the ``file_id`` of ``put file``)."""
        stored = response.parse(adapter_for(self.file_model))
        if stored.id is None:
            raise errors.ServerError(
                "the server stored the upload without an id", **response.meta()
            )
        stored_id: int | str = stored.id
        return stored_id

    @abstractmethod
    def file_content(self, session_id: SessionId, file_id: int | str) -> Call: ...

    @abstractmethod
    def delete_file(self, session_id: SessionId, file_id: int | str) -> Call: ...

    # -- errors -----------------------------------------------------------------------------

    def session_gone(self, error: errors.ApiError) -> bool:
        """Whether ``error`` says the session no longer exists (expired, closed, never
        established): every server answers that with a 404 (wire-protocol §1.4)."""
        return isinstance(error, errors.ObjectNotFoundError)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
