"""The baseline disk of an image: system directories, the sensor's own files, a user profile
with documents and downloads, logs.
"""

from __future__ import annotations

from collections.abc import Callable

from cbasync.testing.dataset.vfs.baseline_data import (
    MAC_VERSION_PLIST,
    OS_RELEASE,
    PE_HEADER,
    SERVICES_FILE,
    SYSTEM_INI,
    WIN_INI,
    WINDOWS_HOSTS,
)
from cbasync.testing.dataset.vfs.baseline_text import BaselineText
from cbasync.testing.dataset.vfs.core import stable_seed
from cbasync.testing.dataset.vfs.files import FileSystem, Node

__all__ = ["FileBaseline"]


class FileBaseline(FileSystem, BaselineText):
    """Builds the baseline disk: system directories, the sensor, a user profile."""

    def _t(self, lo_days: float = 1, hi_days: float = 300) -> int:
        return self.base_time - int(self._rng.uniform(lo_days, hi_days) * 86_400)

    def _dir(self, parent: Node, name: str, attrs: tuple[str, ...] = ("DIRECTORY",)) -> Node:
        assert parent.children is not None
        existing = parent.children.get(self._norm(name))
        if existing is not None:
            return existing
        t = self.install_time + self._rng.randint(0, 86_400)
        node = Node(name, True, t, self._t(0, 5), self._t(1, 60), attrs, children={})
        parent.children[self._norm(name)] = node
        return node

    def _mkdirs(self, path: str) -> Node:
        root, parts = self._fast_split(path)
        node = self._roots[root]
        for part in parts:
            node = self._dir(node, part)
        return node

    def _fast_split(self, path: str) -> tuple[str, list[str]]:
        """``split`` for the canonical absolute paths the baseline is built from."""
        if self.os == "WINDOWS":
            return path[0], [p for p in path[3:].split("\\") if p]
        return "/", [p for p in path[1:].split("/") if p]

    def _file(
        self,
        path: str,
        *,
        data: bytes | str | Callable[[], str] | None = None,
        size: int | None = None,
        header: bytes = b"",
        attrs: tuple[str, ...] = ("ARCHIVE",),
        locked: bool = False,
    ) -> None:
        root, parts = self._fast_split(path)
        parent = self._roots[root]
        for part in parts[:-1]:
            parent = self._dir(parent, part)
        created = self.install_time + self._rng.randint(0, 30 * 86_400)
        written = max(created, self._t(0.1, 200))
        node = Node(parts[-1], False, created, max(written, self._t(0, 3)), written, attrs)
        node.locked = locked
        if callable(data):
            make = data
            node.lazy = lambda: make().encode()
        elif data is not None:
            node.data = data.encode() if isinstance(data, str) else data
        else:
            node.synth = (stable_seed("file", self.seed, self.key, path), size or 0, header)
        assert parent.children is not None
        parent.children[self._norm(parts[-1])] = node

    def _exe(self, path: str, lo: int = 20_000, hi: int = 900_000) -> None:
        self._file(path, size=self._rng.randint(lo, hi), header=PE_HEADER)

    def _build_windows(self) -> None:
        rng = self._rng
        t0 = self.install_time
        for drive in ("C", "D") if rng.random() < 0.4 else ("C",):
            self._roots[drive] = Node(
                f"{drive}:", True, t0, t0, t0, ("DIRECTORY", "HIDDEN", "SYSTEM"), children={}
            )
        user = self.username
        system32 = "C:\\Windows\\System32"
        for name in (
            "cmd.exe",
            "notepad.exe",
            "svchost.exe",
            "lsass.exe",
            "services.exe",
            "smss.exe",
            "csrss.exe",
            "wininit.exe",
            "winlogon.exe",
            "taskhostw.exe",
            "conhost.exe",
            "whoami.exe",
            "hostname.exe",
            "ipconfig.exe",
            "ping.exe",
            "netstat.exe",
            "tasklist.exe",
            "reg.exe",
            "rundll32.exe",
            "SecurityHealthSystray.exe",
        ):
            self._exe(f"{system32}\\{name}")
        for name in ("kernel32.dll", "ntdll.dll", "user32.dll", "advapi32.dll", "ws2_32.dll"):
            self._exe(f"{system32}\\{name}", 100_000, 2_000_000)
        self._exe(f"{system32}\\WindowsPowerShell\\v1.0\\powershell.exe", 400_000, 500_000)
        self._file(f"{system32}\\drivers\\etc\\hosts", data=WINDOWS_HOSTS)
        self._file(f"{system32}\\drivers\\etc\\services", data=SERVICES_FILE)
        self._exe(f"{system32}\\drivers\\ACPI.sys", 500_000, 800_000)
        self._file(
            f"{system32}\\config\\SAM", size=65_536, locked=True, attrs=("ARCHIVE", "SYSTEM")
        )
        self._file(
            f"{system32}\\config\\SYSTEM", size=12_582_912, locked=True, attrs=("ARCHIVE", "SYSTEM")
        )
        self._file(
            f"{system32}\\config\\SOFTWARE",
            size=8_388_608,
            locked=True,
            attrs=("ARCHIVE", "SYSTEM"),
        )
        self._exe("C:\\Windows\\explorer.exe", 4_000_000, 5_000_000)
        self._exe("C:\\Windows\\regedit.exe", 300_000, 400_000)
        self._file("C:\\Windows\\win.ini", data=WIN_INI)
        self._file("C:\\Windows\\system.ini", data=SYSTEM_INI)
        self._mkdirs("C:\\Windows\\Temp")
        for i in range(rng.randint(1, 4)):
            name = f"{rng.choice(('setup', 'msi', 'dd_vcredist', 'tmp'))}{i:04X}.log"
            lines = rng.randint(5, 40)  # drawn now: the text itself is generated on first read
            self._file(f"C:\\Windows\\Temp\\{name}", data=self._log_later(lines, "installer", i))
        # The EDR sensor and the cloud sensor (both may be installed; the emulator serves both).
        self._exe("C:\\Windows\\CarbonBlack\\cb.exe", 2_000_000, 3_000_000)
        self._file(
            "C:\\Windows\\CarbonBlack\\sensor.log", data=lambda: self._log_text(60, "sensor")
        )
        self._file(
            "C:\\Windows\\CarbonBlack\\config.ini",
            data=f"[CB]\r\nSensorBackendServer=https://cb.example.com\r\nHostname={self.hostname}\r\n",
        )
        self._exe("C:\\Program Files\\Confer\\RepMgr.exe", 5_000_000, 6_000_000)
        self._exe("C:\\Program Files\\Confer\\scanner\\scanhost.exe", 1_000_000, 2_000_000)
        self._file(
            "C:\\ProgramData\\CarbonBlack\\Logs\\cbc.log", data=lambda: self._log_text(40, "cloud")
        )
        self._exe(
            "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", 2_500_000, 3_000_000
        )
        self._exe("C:\\Program Files\\Mozilla Firefox\\firefox.exe", 600_000, 700_000)
        self._exe(
            "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
            3_000_000,
            4_000_000,
        )
        self._exe("C:\\Program Files\\7-Zip\\7z.exe", 500_000, 600_000)
        home = f"C:\\Users\\{user}"
        for sub in (
            "Desktop",
            "Documents",
            "Downloads",
            "AppData\\Local\\Temp",
            "AppData\\Roaming",
        ):
            self._mkdirs(f"{home}\\{sub}")
        self._mkdirs("C:\\Users\\Public\\Documents")
        self._file(f"{home}\\NTUSER.DAT", size=786_432, locked=True, attrs=("ARCHIVE", "HIDDEN"))
        self._file(f"{home}\\Desktop\\notes.txt", data=self._notes_text())
        self._file(
            f"{home}\\Desktop\\desktop.ini",
            data="[.ShellClassInfo]\r\n",
            attrs=("HIDDEN", "SYSTEM", "ARCHIVE"),
        )
        for i in range(rng.randint(2, 6)):
            kind = rng.choice(("report", "budget", "invoice", "minutes", "roadmap"))
            ext, header = rng.choice(
                ((".docx", b"PK\x03\x04"), (".xlsx", b"PK\x03\x04"), (".pdf", b"%PDF-1.7\n"))
            )
            self._file(
                f"{home}\\Documents\\{kind}_{2023 + i % 2}_{i + 1:02d}{ext}",
                size=rng.randint(8_000, 400_000),
                header=header,
            )
        for name in rng.sample(
            ("setup.exe", "zoom_installer.exe", "putty.exe", "invoice.pdf.exe", "tools.zip"), 2
        ):
            header = b"PK\x03\x04" if name.endswith(".zip") else PE_HEADER
            self._file(
                f"{home}\\Downloads\\{name}", size=rng.randint(50_000, 3_000_000), header=header
            )
        self._file(
            "C:\\pagefile.sys", size=1 << 30, locked=True, attrs=("ARCHIVE", "HIDDEN", "SYSTEM")
        )
        self._file(
            "C:\\swapfile.sys", size=16 << 20, locked=True, attrs=("ARCHIVE", "HIDDEN", "SYSTEM")
        )
        if "D" in self._roots:
            self._file(
                "D:\\backup\\archive.7z",
                size=rng.randint(1_000_000, 4_000_000),
                header=b"7z\xbc\xaf\x27\x1c",
            )
            self._file("D:\\data\\export.csv", data=self._csv_text())

    def _build_unix(self) -> None:
        rng = self._rng
        t0 = self.install_time
        self._roots["/"] = Node("/", True, t0, t0, t0, ("DIRECTORY",), children={})
        user = self.username
        mac = self.os == "MAC"
        home = f"/Users/{user}" if mac else f"/home/{user}"
        for name in (
            "bash",
            "sh",
            "ls",
            "cat",
            "echo",
            "ps",
            "whoami",
            "hostname",
            "uname",
            "id",
            "sleep",
            "curl",
            "python3",
        ):
            self._file(
                f"/bin/{name}"
                if name in ("bash", "sh", "ls", "cat", "echo", "ps")
                else f"/usr/bin/{name}",
                size=rng.randint(30_000, 1_500_000),
                header=b"\xcf\xfa\xed\xfe" if mac else b"\x7fELF",
            )
        self._file(
            "/etc/hosts",
            data=f"127.0.0.1\tlocalhost\n{self.ip_address}\t{self.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
        )
        self._file("/etc/passwd", data=self._passwd_text())
        self._file(
            "/etc/shadow",
            data=f"root:*:19000:0:99999:7:::\n{user}:$6$rounds=5000$emulated$:19100:0:99999:7:::\n",
            attrs=("ARCHIVE", "READONLY"),
        )
        self._file("/etc/resolv.conf", data="nameserver 10.0.0.1\nsearch corp.example.com\n")
        if mac:
            self._file("/System/Library/CoreServices/SystemVersion.plist", data=MAC_VERSION_PLIST)
            self._file("/private/var/log/system.log", data=lambda: self._log_text(50, "system"))
            self._file(
                "/Applications/Safari.app/Contents/MacOS/Safari",
                size=rng.randint(20_000, 60_000),
                header=b"\xcf\xfa\xed\xfe",
            )
            self._file(
                "/Applications/VMware Carbon Black Cloud/com.vmware.carbonblack.cloud.daemon",
                size=3_000_000,
                header=b"\xcf\xfa\xed\xfe",
            )
            self._mkdirs("/Library/Application Support/com.vmware.carbonblack.cloud")
            self._file(
                "/Library/Application Support/com.vmware.carbonblack.cloud/cfg.ini",
                data="[customer]\nProxy=\n",
            )
            self._mkdirs("/private/tmp")
            self._mkdirs("/tmp")
        else:
            self._file("/etc/os-release", data=OS_RELEASE)
            self._file("/var/log/syslog", data=lambda: self._log_text(60, "syslog"))
            self._file("/var/log/auth.log", data=lambda: self._log_text(30, "auth"))
            self._file("/opt/carbonblack/psc/bin/cbagentd", size=4_000_000, header=b"\x7fELF")
            self._file(
                "/opt/carbonblack/psc/cfg.ini",
                data="[customer]\nProxy=\nBackendServer=https://defense.example.com\n",
            )
            self._file(
                "/var/opt/carbonblack/psc/log/cbagentd.log",
                data=lambda: self._log_text(40, "cloud"),
            )
            self._file("/usr/sbin/sshd", size=900_000, header=b"\x7fELF")
            self._file("/usr/sbin/cron", size=60_000, header=b"\x7fELF")
            self._file("/usr/sbin/rsyslogd", size=700_000, header=b"\x7fELF")
            self._file("/usr/lib/systemd/systemd", size=1_600_000, header=b"\x7fELF")
            self._file("/proc/kcore", size=1 << 30, locked=True, attrs=("READONLY",))
            self._mkdirs("/tmp")
        self._file(
            f"{home}/.bash_history",
            data="ls -la\ncd /tmp\ncurl -O https://example.com/tool.sh\nchmod +x tool.sh\n./tool.sh\nsudo systemctl status cbagentd\n",
        )
        self._file(
            f"{home}/.bashrc" if not mac else f"{home}/.zshrc",
            data="export PATH=$HOME/bin:$PATH\nalias ll='ls -la'\n",
        )
        self._file(f"{home}/notes.txt", data=self._notes_text())
        self._mkdirs(f"{home}/Downloads")
        self._file(
            f"{home}/Downloads/{rng.choice(('tool.sh', 'install.sh', 'backup.tar.gz'))}",
            size=rng.randint(2_000, 900_000),
            header=b"#!/bin/sh\n",
        )
