"""What the EDR binaries are drawn from: the vendors and applications endpoints install, the
malware they may carry, certificate issuers, and icons.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "DEFAULT_ICON",
    "ISSUERS",
    "LINUX_APPS",
    "MAC_APPS",
    "MALWARE_DIRS",
    "MALWARE_NAMES",
    "VENDORS",
    "BinaryInfo",
    "icon_for",
    "png",
]


VENDORS: tuple[tuple[str, str, str, str], ...] = (
    # (company, product, exe name, install dir)
    ("Zoom Video Communications, Inc.", "Zoom", "zoom.exe", "zoom\\bin"),
    ("Slack Technologies, LLC", "Slack", "slack.exe", "slack"),
    ("Don Ho", "Notepad++", "notepad++.exe", "notepad++"),
    ("Igor Pavlov", "7-Zip", "7zfm.exe", "7-zip"),
    ("VideoLAN", "VLC media player", "vlc.exe", "videolan\\vlc"),
    ("Mozilla Corporation", "Firefox", "firefox.exe", "mozilla firefox"),
    ("Adobe Inc.", "Adobe Acrobat Reader", "acrord32.exe", "adobe\\acrobat reader dc\\reader"),
    ("Dropbox, Inc.", "Dropbox", "dropbox.exe", "dropbox\\client"),
    ("Python Software Foundation", "Python", "python.exe", "python311"),
    ("Oracle Corporation", "Java Platform SE", "javaw.exe", "java\\jre1.8.0_401\\bin"),
    ("Git for Windows", "Git", "git.exe", "git\\cmd"),
    ("Microsoft Corporation", "Visual Studio Code", "code.exe", "microsoft vs code"),
    ("Citrix Systems, Inc.", "Citrix Workspace", "receiver.exe", "citrix\\ica client"),
    ("Cisco Systems, Inc.", "Cisco AnyConnect", "vpnui.exe", "cisco\\anyconnect"),
    ("KeePass", "KeePass Password Safe", "keepass.exe", "keepass password safe 2"),
    ("PuTTY", "PuTTY suite", "putty.exe", "putty"),
    ("WinSCP", "WinSCP", "winscp.exe", "winscp"),
    ("Spotify AB", "Spotify", "spotify.exe", "spotify"),
)


MAC_APPS = (
    (
        "Docker Inc",
        "Docker Desktop",
        "com.docker.backend",
        "/applications/docker.app/contents/macos",
    ),
    (
        "Microsoft Corporation",
        "Visual Studio Code",
        "electron",
        "/applications/visual studio code.app/contents/macos",
    ),
    ("Slack Technologies, LLC", "Slack", "slack", "/applications/slack.app/contents/macos"),
    ("1Password", "1Password", "1password", "/applications/1password.app/contents/macos"),
)


LINUX_APPS = (
    ("", "node", "node", "/usr/bin"),
    ("", "redis", "redis-server", "/usr/bin"),
    ("", "htop", "htop", "/usr/bin"),
    ("", "rsync", "rsync", "/usr/bin"),
)


MALWARE_NAMES = (
    "svch0st.exe",
    "update_{c}.exe",
    "invoice_{c}.exe",
    "{c}.tmp.exe",
    "chrome_updater.exe",
    "winlogin.exe",
    "taskmgr32.exe",
    "dllhst.exe",
)


MALWARE_DIRS = (
    "c:\\users\\public\\",
    "c:\\windows\\temp\\",
    "c:\\programdata\\",
    "c:\\users\\public\\music\\",
)


ISSUERS = {
    "Microsoft Corporation": "Microsoft Windows Production PCA 2011",
    "VMware, Inc.": "DigiCert SHA2 Assured ID Code Signing CA",
    "Google LLC": "DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1",
}


@dataclass(frozen=True)
class BinaryInfo:
    index: int
    kind: str  # known | app | module | malware
    os: str  # windows | osx | linux
    path: str
    company: str
    product: str
    description: str
    version: str
    publisher: str | None
    size: int
    is_executable: bool
    is_64bit: bool
    internal_name: str
    original_filename: str
    image_key: str | None = None

    @property
    def name(self) -> str:
        sep = "\\" if self.os == "windows" else "/"
        return self.path.rsplit(sep, 1)[-1]


def png(rgb: tuple[int, int, int]) -> bytes:
    """A 32x32 RGBA PNG: a rounded tile of one colour (enough to be a real, decodable icon)."""
    w = h = 32
    rows = []
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            inside = 2 <= x < 30 and 2 <= y < 30 and not ((x in (2, 29)) and (y in (2, 29)))
            row += bytes((*rgb, 255)) if inside else b"\x00\x00\x00\x00"
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


@lru_cache(maxsize=64)
def icon_for(color: int) -> bytes:
    return png(((color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF))


DEFAULT_ICON = png((0x1E, 0x6F, 0xD9))


"""The generic Windows application icon served when a binary has none."""
