"""Fixed file contents of a baseline image (the hosts file, win.ini, os-release...)."""

from __future__ import annotations

__all__ = [
    "MAC_VERSION_PLIST",
    "OS_RELEASE",
    "PE_HEADER",
    "SERVICES_FILE",
    "SYSTEM_INI",
    "WINDOWS_HOSTS",
    "WIN_INI",
]


PE_HEADER = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8"
    + b"\x00" * 47
    + b"\x0e\x1f\xba\x0e\x00\xb4\t\xcd!\xb8\x01L\xcd!This program cannot be run in DOS mode.\r\r\n$"
)


WINDOWS_HOSTS = (
    "# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n"
    "# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.\r\n#\r\n"
    "# localhost name resolution is handled within DNS itself.\r\n"
    "#\t127.0.0.1       localhost\r\n#\t::1             localhost\r\n"
)


SERVICES_FILE = "echo                7/tcp\r\nftp                21/tcp\r\nssh                22/tcp\r\nhttp               80/tcp\r\nhttps             443/tcp\r\n"


WIN_INI = "; for 16-bit app support\r\n[fonts]\r\n[extensions]\r\n[mci extensions]\r\n[files]\r\n[Mail]\r\nMAPI=1\r\n"


SYSTEM_INI = "; for 16-bit app support\r\n[386Enh]\r\nwoafont=dosapp.fon\r\nEGA80WOA.FON=EGA80WOA.FON\r\n[drivers]\r\nwave=mmdrv.dll\r\ntimer=timer.drv\r\n"


OS_RELEASE = 'NAME="Ubuntu"\nVERSION="22.04.3 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n'


MAC_VERSION_PLIST = '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>ProductName</key>\n\t<string>macOS</string>\n\t<key>ProductVersion</key>\n\t<string>14.2.1</string>\n</dict>\n</plist>\n'
