"""The processes an image runs at boot: the OS's, its services', the sensor's and the user's."""

from __future__ import annotations

from cbasync.testing.dataset.vfs.processes import (
    LOCAL_SERVICE_ACCOUNT,
    NETWORK_SERVICE_ACCOUNT,
    SYSTEM_ACCOUNT,
    Processes,
)
from cbasync.testing.dataset.vfs.records import ProcessEntry

__all__ = ["ProcessBaseline"]


class ProcessBaseline(Processes):
    """Builds the processes running at boot."""

    def _add_proc(
        self, pid: int, parent: int, path: str, cmd: str, user: tuple[str, str], offset: int = 0
    ) -> None:
        parent_entry = self.processes.get(parent)
        self.processes[pid] = ProcessEntry(
            pid=pid,
            parent=parent,
            path=path,
            command_line=cmd,
            username=user[0],
            sid=user[1],
            create_time=self.boot_time + offset,
            parent_create_time=parent_entry.create_time if parent_entry else self.boot_time,
        )

    def _build_windows_processes(self) -> None:
        rng = self._rng
        pids = iter(sorted(rng.sample(range(100, 12_000, 4), 40)))
        s32 = "c:\\windows\\system32"
        self._add_proc(4, 0, "", "", SYSTEM_ACCOUNT)
        smss = next(pids)
        self._add_proc(
            smss, 4, f"{s32}\\smss.exe", "\\SystemRoot\\System32\\smss.exe", SYSTEM_ACCOUNT, 2
        )
        csrss = next(pids)
        self._add_proc(
            csrss,
            smss,
            f"{s32}\\csrss.exe",
            "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16",
            SYSTEM_ACCOUNT,
            3,
        )
        wininit = next(pids)
        self._add_proc(wininit, smss, f"{s32}\\wininit.exe", "wininit.exe", SYSTEM_ACCOUNT, 3)
        services = next(pids)
        self._add_proc(
            services,
            wininit,
            f"{s32}\\services.exe",
            "C:\\Windows\\system32\\services.exe",
            SYSTEM_ACCOUNT,
            4,
        )
        self._add_proc(
            next(pids),
            wininit,
            f"{s32}\\lsass.exe",
            "C:\\Windows\\system32\\lsass.exe",
            SYSTEM_ACCOUNT,
            4,
        )
        winlogon = next(pids)
        self._add_proc(winlogon, smss, f"{s32}\\winlogon.exe", "winlogon.exe", SYSTEM_ACCOUNT, 4)
        for group, user in (
            ("DcomLaunch -p", SYSTEM_ACCOUNT),
            ("RPCSS -p", NETWORK_SERVICE_ACCOUNT),
            ("LocalServiceNetworkRestricted -p", LOCAL_SERVICE_ACCOUNT),
            ("netsvcs -p", SYSTEM_ACCOUNT),
            ("NetworkService -p", NETWORK_SERVICE_ACCOUNT),
            ("LocalSystemNetworkRestricted -p", SYSTEM_ACCOUNT),
        ):
            self._add_proc(
                next(pids),
                services,
                f"{s32}\\svchost.exe",
                f"C:\\Windows\\system32\\svchost.exe -k {group}",
                user,
                6,
            )
        self._add_proc(
            next(pids),
            services,
            "c:\\windows\\carbonblack\\cb.exe",
            "C:\\Windows\\CarbonBlack\\cb.exe",
            SYSTEM_ACCOUNT,
            9,
        )
        self._add_proc(
            next(pids),
            services,
            "c:\\program files\\confer\\repmgr.exe",
            '"C:\\Program Files\\Confer\\RepMgr.exe"',
            SYSTEM_ACCOUNT,
            9,
        )
        interactive = (f"{self.hostname.split('.')[0].upper()}\\{self.username}", self.user_sid)
        explorer = next(pids)
        self._add_proc(
            explorer,
            winlogon,
            "c:\\windows\\explorer.exe",
            "C:\\Windows\\Explorer.EXE",
            interactive,
            60,
        )
        self._add_proc(
            next(pids),
            explorer,
            f"{s32}\\securityhealthsystray.exe",
            '"C:\\Windows\\System32\\SecurityHealthSystray.exe"',
            interactive,
            65,
        )
        chrome = next(pids)
        self._add_proc(
            chrome,
            explorer,
            "c:\\program files\\google\\chrome\\application\\chrome.exe",
            '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"',
            interactive,
            300,
        )
        for _ in range(rng.randint(2, 5)):
            self._add_proc(
                next(pids),
                chrome,
                "c:\\program files\\google\\chrome\\application\\chrome.exe",
                '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer',
                interactive,
                301,
            )
        if rng.random() < 0.6:
            self._add_proc(
                next(pids),
                explorer,
                f"{s32}\\notepad.exe",
                f'"C:\\Windows\\system32\\notepad.exe" C:\\Users\\{self.username}\\Desktop\\notes.txt',
                interactive,
                4_000,
            )
        if rng.random() < 0.5:
            cmd = next(pids)
            self._add_proc(
                cmd,
                explorer,
                f"{s32}\\cmd.exe",
                '"C:\\Windows\\system32\\cmd.exe"',
                interactive,
                5_000,
            )
            self._add_proc(
                next(pids),
                cmd,
                f"{s32}\\conhost.exe",
                "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
                interactive,
                5_000,
            )
        if rng.random() < 0.4:
            self._add_proc(
                next(pids),
                explorer,
                f"{s32}\\windowspowershell\\v1.0\\powershell.exe",
                '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -nop -w hidden',
                interactive,
                6_000,
            )

    def _build_unix_processes(self) -> None:
        rng = self._rng
        root = ("root", "0")
        user = (self.username, str(1000 + self.key % 100))
        if self.os == "MAC":
            self._add_proc(0, 0, "", "kernel_task", root)
            self._add_proc(1, 0, "/sbin/launchd", "/sbin/launchd", root)
            pids = iter(sorted(rng.sample(range(80, 30_000), 20)))
            self._add_proc(next(pids), 1, "/usr/libexec/logd", "/usr/libexec/logd", root, 2)
            self._add_proc(
                next(pids),
                1,
                "/Applications/VMware Carbon Black Cloud/com.vmware.carbonblack.cloud.daemon",
                "/Applications/VMware Carbon Black Cloud/com.vmware.carbonblack.cloud.daemon",
                root,
                5,
            )
            self._add_proc(
                next(pids),
                1,
                "/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer",
                "/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon",
                ("_windowserver", "88"),
                8,
            )
            self._add_proc(
                next(pids),
                1,
                "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder",
                "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder",
                user,
                60,
            )
            self._add_proc(
                next(pids),
                1,
                "/Applications/Safari.app/Contents/MacOS/Safari",
                "/Applications/Safari.app/Contents/MacOS/Safari",
                user,
                400,
            )
            shell = next(pids)
            self._add_proc(shell, 1, "/bin/zsh", "-zsh", user, 900)
            return
        self._add_proc(1, 0, "/usr/lib/systemd/systemd", "/sbin/init splash", root)
        self._add_proc(2, 0, "", "[kthreadd]", root)
        pids = iter(sorted(rng.sample(range(300, 40_000), 20)))
        self._add_proc(
            next(pids),
            1,
            "/usr/lib/systemd/systemd-journald",
            "/lib/systemd/systemd-journald",
            root,
            2,
        )
        self._add_proc(
            next(pids),
            1,
            "/usr/sbin/rsyslogd",
            "/usr/sbin/rsyslogd -n -iNONE",
            ("syslog", "104"),
            4,
        )
        self._add_proc(next(pids), 1, "/usr/sbin/cron", "/usr/sbin/cron -f -P", root, 4)
        sshd = next(pids)
        self._add_proc(
            sshd,
            1,
            "/usr/sbin/sshd",
            "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
            root,
            5,
        )
        self._add_proc(
            next(pids),
            1,
            "/opt/carbonblack/psc/bin/cbagentd",
            "/opt/carbonblack/psc/bin/cbagentd",
            root,
            6,
        )
        session = next(pids)
        self._add_proc(session, sshd, "/usr/sbin/sshd", f"sshd: {self.username}@pts/0", user, 3_000)
        bash = next(pids)
        self._add_proc(bash, session, "/bin/bash", "-bash", user, 3_001)
        if rng.random() < 0.5:
            self._add_proc(
                next(pids), bash, "/usr/bin/python3", "python3 -m http.server 8000", user, 3_500
            )
