"""Per-endpoint virtual file system, registry and process list (what Live Response sees).

Each endpoint gets an :class:`EndpointImage`: a small but plausible disk (system directories, the
sensor's own files, a user profile with documents), a registry (Windows only) and a process tree.
The baseline is a pure function of ``(seed, key)`` — the same seed always gives the same bytes —
and is built on first use, so a large fleet costs nothing until a session touches a machine.
Mutations (files put, keys created, processes started or killed) are kept per image for the life
of the emulator.

Failures raise :class:`VfsError` carrying the Win32 HRESULT a real sensor reports (file not found
0x80070002, access denied 0x80070005, invalid argument 0x80070057, ...). Nothing here knows about
HTTP or about which product is asking.

One module per concern, :class:`EndpointImage` the façade over them: ``files`` (the disk),
``registry``, ``processes`` (with ``shell`` for ``create process`` output), the baseline builders
(``baseline_files``, ``baseline_registry``, ``baseline_processes``, ``baseline_data``), the values
they hand out (``records``) and the errors (``errors``); ``image`` holds the façade and the
state's :class:`ImageStore`.
"""

from cbasync.testing.dataset.vfs.errors import (
    E_ACCESS_DENIED,
    E_ALREADY_EXISTS,
    E_DIR_NOT_EMPTY,
    E_DIRECTORY_INVALID,
    E_FILE_NOT_FOUND,
    E_INVALIDARG,
    E_PATH_NOT_FOUND,
    OsFamily,
    VfsError,
    hresult_message,
    os_family,
)
from cbasync.testing.dataset.vfs.image import (
    IMAGE_OS,
    IMAGES_BACKEND,
    EndpointImage,
    ImageStore,
    image_store,
)
from cbasync.testing.dataset.vfs.records import DirEntry, ProcessEntry, ProcessRun, RegValue

__all__ = [
    "E_ACCESS_DENIED",
    "E_ALREADY_EXISTS",
    "E_DIRECTORY_INVALID",
    "E_DIR_NOT_EMPTY",
    "E_FILE_NOT_FOUND",
    "E_INVALIDARG",
    "E_PATH_NOT_FOUND",
    "IMAGES_BACKEND",
    "IMAGE_OS",
    "DirEntry",
    "EndpointImage",
    "ImageStore",
    "OsFamily",
    "ProcessEntry",
    "ProcessRun",
    "RegValue",
    "VfsError",
    "hresult_message",
    "image_store",
    "os_family",
]
