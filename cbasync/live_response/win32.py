"""Reading the result codes sensors report: Win32 errors wrapped in HRESULTs.

A failed command carries ``result_type`` (``"WinHresult"``, or ``"CbError"`` for the sensor's own
errors), ``result_code`` and sometimes ``result_desc``. EDR and v3 send the code unsigned
(``2147942402``), the cloud's v6 signed (``-2147024894``): both are ``0x80070002``. An HRESULT
with facility 7 (``0x8007xxxx``) wraps the Win32 error ``xxxx``, here ``ERROR_FILE_NOT_FOUND``;
:func:`describe_result` turns one into "0x80070002 ERROR_FILE_NOT_FOUND: The system cannot find
the file specified." so an error says what happened without a trip to the Windows docs.
"""

from __future__ import annotations

__all__ = ["describe_result", "win32_code"]

#: The Win32 errors Live Response commands report (file system, registry, processes), by code:
#: (symbol, the system's message).
WIN32_ERRORS: dict[int, tuple[str, str]] = {
    1: ("ERROR_INVALID_FUNCTION", "Incorrect function."),
    2: ("ERROR_FILE_NOT_FOUND", "The system cannot find the file specified."),
    3: ("ERROR_PATH_NOT_FOUND", "The system cannot find the path specified."),
    5: ("ERROR_ACCESS_DENIED", "Access is denied."),
    6: ("ERROR_INVALID_HANDLE", "The handle is invalid."),
    8: ("ERROR_NOT_ENOUGH_MEMORY", "Not enough memory resources are available."),
    14: ("ERROR_OUTOFMEMORY", "Not enough memory resources are available."),
    15: ("ERROR_INVALID_DRIVE", "The system cannot find the drive specified."),
    19: ("ERROR_WRITE_PROTECT", "The media is write protected."),
    21: ("ERROR_NOT_READY", "The device is not ready."),
    32: (
        "ERROR_SHARING_VIOLATION",
        "The process cannot access the file because it is being used by another process.",
    ),
    33: ("ERROR_LOCK_VIOLATION", "Another process has locked a portion of the file."),
    39: ("ERROR_HANDLE_DISK_FULL", "The disk is full."),
    80: ("ERROR_FILE_EXISTS", "The file exists."),
    87: ("ERROR_INVALID_PARAMETER", "The parameter is incorrect."),
    112: ("ERROR_DISK_FULL", "There is not enough space on the disk."),
    123: (
        "ERROR_INVALID_NAME",
        "The filename, directory name, or volume label syntax is incorrect.",
    ),
    145: ("ERROR_DIR_NOT_EMPTY", "The directory is not empty."),
    161: ("ERROR_BAD_PATHNAME", "The specified path is invalid."),
    183: ("ERROR_ALREADY_EXISTS", "Cannot create a file when that file already exists."),
    206: ("ERROR_FILENAME_EXCED_RANGE", "The filename or extension is too long."),
    267: ("ERROR_DIRECTORY", "The directory name is invalid."),
    1009: ("ERROR_BADDB", "The configuration registry database is corrupt."),
    1010: ("ERROR_BADKEY", "The configuration registry key is invalid."),
    1018: (
        "ERROR_KEY_DELETED",
        "Illegal operation attempted on a registry key that has been marked for deletion.",
    ),
    1223: ("ERROR_CANCELLED", "The operation was canceled by the user."),
    1460: ("ERROR_TIMEOUT", "This operation returned because the timeout period expired."),
}

#: HRESULTs that are not Win32 errors in disguise.
HRESULTS: dict[int, tuple[str, str]] = {
    0x80004001: ("E_NOTIMPL", "Not implemented."),
    0x80004004: ("E_ABORT", "Operation aborted."),
    0x80004005: ("E_FAIL", "Unspecified error."),
    0x8000FFFF: ("E_UNEXPECTED", "Catastrophic failure."),
}


def win32_code(result_code: int) -> int | None:
    """The Win32 error an HRESULT wraps (facility 7, ``0x8007xxxx``), or ``None``."""
    code = result_code & 0xFFFFFFFF
    if code & 0xFFFF0000 == 0x80070000:
        return code & 0xFFFF
    if 0 < code < 0x10000:  # some sensors report the bare Win32 error
        return code
    return None


def describe_result(
    result_code: int | None, result_type: str | None = None, result_desc: str | None = None
) -> str:
    """``"0x80070002 ERROR_FILE_NOT_FOUND: The system cannot find the file specified."``; the
    sensor's own text is added when it says more than the table."""
    if result_code is None:
        return result_desc or "no result code"
    code = result_code & 0xFFFFFFFF
    known = HRESULTS.get(code)
    win32 = win32_code(code)
    if known is None and win32 is not None:
        known = WIN32_ERRORS.get(win32)
    if known is None:
        kind = f"{result_type} " if result_type and result_type != "WinHresult" else ""
        text = f"{kind}0x{code:08X}"
        if win32 is not None:
            text += f" (Win32 error {win32})"
    else:
        text = f"0x{code:08X} {known[0]}: {known[1]}"
    desc = (result_desc or "").strip()
    if desc and (known is None or desc.rstrip(".").lower() not in known[1].lower()):
        text += f" ({desc})"
    return text
