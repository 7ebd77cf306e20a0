"""The baseline registry of a Windows image: the OS build, services, run keys, the user hive."""

from __future__ import annotations

from cbasync.testing.dataset.vfs.registry import Registry

__all__ = ["RegistryBaseline"]


class RegistryBaseline(Registry):
    """Builds the baseline registry of a Windows endpoint."""

    def _build_registry(self) -> None:
        rng = self._rng
        product, build, display, full = self.build_info
        hklm = self._registry.child("HKLM")
        cv = hklm.child("SOFTWARE").child("Microsoft").child("Windows NT").child("CurrentVersion")
        cv.set("ProductName", "REG_SZ", product)
        cv.set("CurrentBuild", "REG_SZ", build)
        cv.set("CurrentBuildNumber", "REG_SZ", build)
        cv.set("DisplayVersion", "REG_SZ", display)
        cv.set(
            "EditionID", "REG_SZ", "Enterprise" if "Server" not in product else "ServerDatacenter"
        )
        cv.set("InstallDate", "REG_DWORD", self.install_time)
        cv.set("RegisteredOwner", "REG_SZ", self.username)
        cv.set("SystemRoot", "REG_SZ", "C:\\Windows")
        cv.set("BuildLabEx", "REG_SZ", f"{full}.amd64fre")
        win = hklm.child("SOFTWARE").child("Microsoft").child("Windows").child("CurrentVersion")
        run = win.child("Run")
        run.set("SecurityHealth", "REG_EXPAND_SZ", "%windir%\\system32\\SecurityHealthSystray.exe")
        if rng.random() < 0.5:
            run.set(
                "VMware User Process",
                "REG_SZ",
                '"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe" -n vmusr',
            )
        win.child("RunOnce")
        uninstall = win.child("Uninstall")
        for app, ver in (
            ("7-Zip", "23.01"),
            ("Google Chrome", "120.0.6099.130"),
            ("Mozilla Firefox", "121.0"),
        ):
            k = uninstall.child(app)
            k.set("DisplayName", "REG_SZ", app)
            k.set("DisplayVersion", "REG_SZ", ver)
        cb = hklm.child("SOFTWARE").child("CarbonBlack").child("config")
        cb.set("SensorBackendServer", "REG_SZ", "https://cb.example.com")
        cb.set("SensorId", "REG_DWORD", self.key)
        system = hklm.child("SYSTEM").child("CurrentControlSet")
        services = system.child("services")
        acpi = services.child("ACPI")
        acpi.set("Start", "REG_DWORD", 0)
        acpi.set("Type", "REG_DWORD", 1)
        acpi.set("ErrorControl", "REG_DWORD", 3)
        acpi.set("ImagePath", "REG_EXPAND_SZ", "system32\\drivers\\ACPI.sys")
        acpi.set("DisplayName", "REG_SZ", "Microsoft ACPI Driver")
        acpi.set("Group", "REG_SZ", "Boot Bus Extender")
        acpi.set("DriverPackageId", "REG_SZ", "acpi.inf_x86_neutral_ddd3c514822f1b21")
        acpi.set("Tag", "REG_DWORD", 1)
        acpi.child("Parameters").set("WHEAOSCImplemented", "REG_DWORD", 0)
        acpi.child("Enum").set("Count", "REG_DWORD", 1)
        for name, image, start in (
            ("CarbonBlack", "C:\\Windows\\CarbonBlack\\cb.exe", 2),
            ("CbDefense", '"C:\\Program Files\\Confer\\RepMgr.exe"', 2),
            (
                "EventLog",
                "%SystemRoot%\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p",
                2,
            ),
            ("Spooler", "%SystemRoot%\\System32\\spoolsv.exe", 2),
        ):
            k = services.child(name)
            k.set("ImagePath", "REG_EXPAND_SZ", image)
            k.set("Start", "REG_DWORD", start)
            k.set("Type", "REG_DWORD", 16)
        tcpip = services.child("Tcpip").child("Parameters")
        tcpip.set("Hostname", "REG_SZ", self.hostname)
        tcpip.set("NV Hostname", "REG_SZ", self.hostname)
        tcpip.set("Domain", "REG_SZ", "corp.example.com")
        tcpip.set("SearchList", "REG_SZ", "corp.example.com")
        control = system.child("Control")
        control.child("ComputerName").child("ComputerName").set(
            "ComputerName", "REG_SZ", self.hostname.upper()
        )
        env = control.child("Session Manager").child("Environment")
        env.set(
            "Path",
            "REG_EXPAND_SZ",
            "%SystemRoot%\\system32;%SystemRoot%;%SystemRoot%\\System32\\Wbem",
        )
        env.set("TEMP", "REG_EXPAND_SZ", "%SystemRoot%\\TEMP")
        env.set("OS", "REG_SZ", "Windows_NT")
        env.set("NUMBER_OF_PROCESSORS", "REG_SZ", str(rng.choice((2, 4, 8, 16))))
        env.set("PATHEXT", "REG_SZ", ".COM;.EXE;.BAT;.CMD;.VBS;.JS;.WSH;.MSC")
        control.child("Session Manager").set("BootExecute", "REG_MULTI_SZ", ["autocheck autochk *"])
        cpu = (
            hklm.child("HARDWARE")
            .child("DESCRIPTION")
            .child("System")
            .child("CentralProcessor")
            .child("0")
        )
        cpu.set(
            "ProcessorNameString",
            "REG_SZ",
            rng.choice(
                (
                    "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
                    "Intel(R) Core(TM) i7-10610U CPU @ 1.80GHz",
                    "AMD EPYC 7763 64-Core Processor",
                )
            ),
        )
        cpu.set("~MHz", "REG_DWORD", rng.choice((1800, 2400, 3000)))
        hklm.child("SAM").locked = True
        hklm.child("SECURITY").locked = True
        hku = self._registry.child("HKU")
        for sid in (".DEFAULT", "S-1-5-18", "S-1-5-19", "S-1-5-20", self.user_sid):
            k = (
                hku.child(sid)
                .child("Software")
                .child("Microsoft")
                .child("Windows")
                .child("CurrentVersion")
            )
            k.child("Run")
        hku.child(self.user_sid).child("Software").child("Microsoft").child("Windows").child(
            "CurrentVersion"
        ).child("Run").set(
            "OneDrive",
            "REG_SZ",
            f'"C:\\Users\\{self.username}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background',
        )
        hku.child(self.user_sid).child("Environment").set(
            "TEMP", "REG_EXPAND_SZ", "%USERPROFILE%\\AppData\\Local\\Temp"
        )
        hkcr = self._registry.child("HKCR")
        hkcr.child(".txt").set("", "REG_SZ", "txtfile")
        hkcr.child(".exe").set("", "REG_SZ", "exefile")
        self._registry.child("HKCC").child("System")
