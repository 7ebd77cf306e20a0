"""What a sensor reports when an operation fails: Win32 errors as HRESULTs, and the OS families."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "E_ACCESS_DENIED",
    "E_ALREADY_EXISTS",
    "E_DIRECTORY_INVALID",
    "E_DIR_NOT_EMPTY",
    "E_FILE_NOT_FOUND",
    "E_INVALIDARG",
    "E_PATH_NOT_FOUND",
    "E_SHARING_VIOLATION",
    "OsFamily",
    "VfsError",
    "hresult_message",
    "os_family",
]


OsFamily = Literal["WINDOWS", "LINUX", "MAC"]


# Win32 errors as HRESULTs (0x8007xxxx = FACILITY_WIN32 | code), what the sensor reports.
E_FILE_NOT_FOUND = 0x80070002  # ERROR_FILE_NOT_FOUND (2)


E_PATH_NOT_FOUND = 0x80070003  # ERROR_PATH_NOT_FOUND (3)


E_ACCESS_DENIED = 0x80070005  # ERROR_ACCESS_DENIED (5)


E_SHARING_VIOLATION = 0x80070020  # ERROR_SHARING_VIOLATION (32)


E_INVALIDARG = 0x80070057  # ERROR_INVALID_PARAMETER (87)


E_DIR_NOT_EMPTY = 0x80070091  # ERROR_DIR_NOT_EMPTY (145)


E_ALREADY_EXISTS = 0x800700B7  # ERROR_ALREADY_EXISTS (183)


E_DIRECTORY_INVALID = 0x8007010B  # ERROR_DIRECTORY (267)


_MESSAGES = {
    E_FILE_NOT_FOUND: "The system cannot find the file specified.",
    E_PATH_NOT_FOUND: "The system cannot find the path specified.",
    E_ACCESS_DENIED: "Access is denied.",
    E_SHARING_VIOLATION: (
        "The process cannot access the file because it is being used by another process."
    ),
    E_INVALIDARG: "The parameter is incorrect.",
    E_DIR_NOT_EMPTY: "The directory is not empty.",
    E_ALREADY_EXISTS: "Cannot create a file when that file already exists.",
    E_DIRECTORY_INVALID: "The directory name is invalid.",
}


def hresult_message(code: int) -> str:
    """The Windows message text of an HRESULT this module raises."""
    return _MESSAGES.get(code & 0xFFFFFFFF, f"Win32 error 0x{code & 0xFFFFFFFF:08X}")


class VfsError(Exception):
    """An operation failed on the endpoint; ``hresult`` is what the sensor reports."""

    def __init__(self, hresult: int, detail: str = "") -> None:
        self.hresult = hresult & 0xFFFFFFFF
        self.detail = detail
        message = hresult_message(self.hresult)
        super().__init__(f"{message} ({detail})" if detail else message)

    @property
    def description(self) -> str:
        return hresult_message(self.hresult)


def os_family(os_name: str) -> OsFamily:
    """Map an OS name or type as the datasets spell it ("Windows 10 x64", "LINUX", ...)."""
    upper = os_name.upper()
    if "WIN" in upper:
        return "WINDOWS"
    if "MAC" in upper or "OSX" in upper or "DARWIN" in upper:
        return "MAC"
    return "LINUX"
