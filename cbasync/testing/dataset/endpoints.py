"""The endpoint population shared by every product: EDR sensors, cloud devices, LR targets.

Endpoint ``i`` is a pure function of ``(seed, i)``: hostname, OS, addresses, sensor and device ids,
online state, group and policy. EDR renders it as a sensor (``sensor_id = i + 1``), the cloud as a
device (``device_id = DEVICE_ID_BASE + i``), and Live Response asks it whether it is online.

Endpoints are mutable on purpose: a test may take one offline (``population[3].online = False``), an
isolation request flips ``isolation_requested``, a group change moves it. The population generates
each endpoint on first access and keeps that object, so changes persist for the life of the state.

The first five endpoints are fixed whatever the seed, so tests can rely on them:

====== ======================== ========
index  kind                     online
====== ======================== ========
0      Windows workstation      yes
1      Windows server           yes
2      macOS workstation        yes
3      Linux server             yes
4      Windows workstation      **no**
====== ======================== ========
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEVICE_ID_BASE",
    "POLICIES",
    "SENSOR_GROUPS",
    "Endpoint",
    "EndpointPopulation",
    "OsFamily",
]

OsFamily = Literal["windows", "macos", "linux"]

# Cloud device ids are large integers; ours are DEVICE_ID_BASE + index.
DEVICE_ID_BASE = 8_500_000

# EDR sensor groups present on a fresh server: (id, name). Group 1 is EDR's built-in default.
SENSOR_GROUPS: tuple[tuple[int, str], ...] = (
    (1, "Default Group"),
    (2, "Servers"),
    (3, "Workstations"),
    (4, "Executives"),
    (5, "Lab"),
)
# Cloud policies: (id, name).
POLICIES: tuple[tuple[int, str], ...] = (
    (6525, "Standard"),
    (6526, "Advanced"),
    (6527, "Monitored"),
    (6528, "Servers"),
)

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_FIRST = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yolanda",
)  # fmt: skip
_LAST = (
    "smith", "jones", "garcia", "miller", "davis", "martin", "lopez", "wilson", "clark", "lewis",
    "walker", "young", "allen", "king", "wright", "scott", "green", "baker", "adams", "nelson",
)  # fmt: skip
_LINUX_ROLES = ("web", "db", "app", "cache", "build", "mq", "k8s-node", "proxy")
_LINUX_ENVS = ("prod", "stage", "dev")

# (os_name as EDR displays it, EDR os_environment_id, cloud os_version, cloud sensor kit)
_WINDOWS_WS = (
    ("Windows 10 Enterprise, 64-bit", 22, "Windows 10 x64", "WINDOWS"),
    ("Windows 11 Enterprise, 64-bit", 23, "Windows 11 x64", "WINDOWS"),
)
_WINDOWS_SRV = (
    ("Windows Server 2019 Datacenter, 64-bit", 31, "Windows Server 2019 x64", "WINDOWS"),
    ("Windows Server 2022 Standard, 64-bit", 32, "Windows Server 2022 x64", "WINDOWS"),
)
_MACOS = (
    ("Mac OSX 13.6.1", 51, "MAC OS X 13.6.1", "MAC"),
    ("Mac OSX 14.4.1", 52, "MAC OS X 14.4.1", "MAC"),
)
_LINUX = (
    ("CentOS Linux 7.9.2009", 61, "CentOS 7.9", "LINUX"),
    ("Ubuntu 22.04.4 LTS", 62, "Ubuntu 22.04", "LINUX"),
    ("Red Hat Enterprise Linux 8.9", 63, "RHEL 8.9", "LINUX"),
)

_EDR_SENSOR_VERSIONS = {
    "windows": ("7.3.0.18311", 7),
    "macos": ("7.4.1.17610", 8),
    "linux": ("7.2.0.40209", 6),
}
_CLOUD_SENSOR_VERSIONS = {"windows": "3.9.1.2451", "macos": "3.8.0.627", "linux": "2.15.2.1456"}

_DAY = 86_400.0


@dataclass
class Endpoint:
    """One machine with an EDR sensor and a cloud sensor. Mutable: see the module docstring."""

    index: int
    sensor_id: int
    """EDR sensor id (``index + 1``)."""
    device_id: int
    """Cloud device id (``DEVICE_ID_BASE + index``)."""
    hostname: str
    """NetBIOS-style name as the sensor reports it (``computer_name``), e.g. ``DESKTOP-4KQ2Z7P``."""
    dns_name: str
    """Fully qualified DNS name, lower case."""
    os_family: OsFamily
    host_type: Literal["workstation", "server", "domain_controller"]
    os_name: str
    """Human-readable OS, as EDR's ``os_environment_display_string``."""
    os_environment_id: int
    cloud_os_version: str
    """As the cloud's ``os_version`` (e.g. ``Windows 10 x64``)."""
    internal_ip: str
    external_ip: str
    mac_address: str
    """Colon-separated lower-case hex (the cloud form); EDR shows it without separators."""
    group_id: int
    """EDR sensor group id (see ``SENSOR_GROUPS``)."""
    policy_id: int
    """Cloud policy id (see ``POLICIES``)."""
    policy_name: str
    username: str
    """The usual interactive user, ``DOMAIN\\user`` on Windows, ``user`` elsewhere."""
    email: str
    first_name: str
    last_name: str
    edr_sensor_version: str
    edr_build_id: int
    cloud_sensor_version: str
    computer_sid: str
    registered_time: float
    """Epoch seconds of sensor registration."""
    offline_days: float
    """For an offline endpoint: how long ago it last checked in (days)."""
    physical_memory_size: int
    systemvolume_total_size: int
    systemvolume_free_size: int
    boot_id: int
    uptime: int
    """Seconds since boot at the data epoch."""
    online: bool = True
    """Whether the sensor is checking in (an LR session only activates when True)."""
    # Mutable control state (EDR sensor PUT, cloud device actions).
    isolation_requested: bool = False
    """EDR ``network_isolation_enabled`` / cloud quarantine requested."""
    isolation_changed_at: float | None = None
    """Monotonic clock time of the last isolation request change (None: never changed)."""
    isolation_active_before: bool = False
    """What ``is_isolating`` showed before the last change (until the sensor converges)."""
    restart_queued: bool = False
    uninstall: bool = False
    notes: str | None = None
    event_log_flush_time: str | None = None
    liveresponse_init: str | None = None
    bypass: bool = False
    deregistered: bool = False

    @property
    def os_type(self) -> str:
        """EDR's ``os_type``: ``windows``, ``osx`` or ``linux``."""
        return {"windows": "windows", "macos": "osx", "linux": "linux"}[self.os_family]

    @property
    def cloud_os(self) -> str:
        """The cloud's ``os``: ``WINDOWS``, ``MAC`` or ``LINUX``."""
        return {"windows": "WINDOWS", "macos": "MAC", "linux": "LINUX"}[self.os_family]

    @property
    def group_name(self) -> str:
        """Name of the endpoint's base sensor group (renames live in the EDR backend)."""
        return dict(SENSOR_GROUPS).get(self.group_id, f"Group {self.group_id}")

    @property
    def domain(self) -> str:
        return "ACME" if self.os_family == "windows" else ""

    @property
    def mac_compact(self) -> str:
        """The MAC as EDR shows it in ``network_adapters`` (``000c298a3613``)."""
        return self.mac_address.replace(":", "")

    def is_isolating(self, now: float, delay: float) -> bool:
        """Sensor-reported isolation, which follows the request after ``delay`` seconds of the
        monotonic clock, and only while the sensor is online to hear it."""
        if self.isolation_changed_at is None:
            return self.isolation_requested
        if self.online and now - self.isolation_changed_at >= delay:
            return self.isolation_requested
        return self.isolation_active_before

    def request_isolation(self, enabled: bool, now: float, delay: float) -> None:
        """Record an isolation request (EDR PUT ``network_isolation_enabled`` or quarantine)."""
        if enabled == self.isolation_requested:
            return
        self.isolation_active_before = self.is_isolating(now, delay)
        self.isolation_requested = enabled
        self.isolation_changed_at = now


def _code(index: int, seed: int, length: int) -> str:
    """A short uppercase alphanumeric code unique per index (a bijection mod 36**length)."""
    modulus = 36**length
    # An odd multiplier is invertible modulo a power of two; 36**n = 2**(2n) * 9**n, so use a
    # multiplier coprime to 6 as well.
    n = (index * 1_103_515_249 + seed * 7_919 + 12_345) % modulus
    chars = []
    for _ in range(length):
        n, r = divmod(n, 36)
        chars.append(_ALNUM[r])
    return "".join(chars)


class EndpointPopulation:
    """``count`` endpoints generated from ``seed`` on first access, then kept."""

    def __init__(self, seed: int, count: int, *, online_ratio: float = 0.8, epoch: float) -> None:
        if count < 1:
            raise ValueError("an endpoint population needs at least one endpoint")
        self.seed = seed
        self.count = count
        self.online_ratio = online_ratio
        self.epoch = epoch
        self._cache: dict[int, Endpoint] = {}
        self._by_hostname: dict[str, int] | None = None

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Endpoint]:
        for i in range(self.count):
            yield self[i]

    def __getitem__(self, index: int) -> Endpoint:
        if not 0 <= index < self.count:
            raise IndexError(f"endpoint index {index} out of range (0..{self.count - 1})")
        ep = self._cache.get(index)
        if ep is None:
            ep = self._cache[index] = self._generate(index)
        return ep

    # --- lookups -----------------------------------------------------------------------------
    def by_sensor_id(self, sensor_id: int) -> Endpoint | None:
        """The endpoint with this EDR sensor id, or None."""
        index = sensor_id - 1
        return self[index] if 0 <= index < self.count else None

    def by_device_id(self, device_id: int) -> Endpoint | None:
        """The endpoint with this cloud device id, or None."""
        index = device_id - DEVICE_ID_BASE
        return self[index] if 0 <= index < self.count else None

    def by_hostname(self, hostname: str) -> Endpoint | None:
        """Exact, case-insensitive match on ``hostname`` or ``dns_name``."""
        if self._by_hostname is None:
            table: dict[str, int] = {}
            for ep in self:
                table[ep.hostname.lower()] = ep.index
                table[ep.dns_name.lower()] = ep.index
            self._by_hostname = table
        index = self._by_hostname.get(hostname.lower())
        return None if index is None else self[index]

    def online(self) -> list[Endpoint]:
        return [ep for ep in self if ep.online]

    # --- generation ----------------------------------------------------------------------------
    def _generate(self, i: int) -> Endpoint:
        rng = random.Random(f"cbasync-endpoint:{self.seed}:{i}")
        fixed_table: dict[int, tuple[OsFamily, str, bool]] = {
            0: ("windows", "workstation", True),
            1: ("windows", "server", True),
            2: ("macos", "workstation", True),
            3: ("linux", "server", True),
            4: ("windows", "workstation", False),
        }
        fixed = fixed_table.get(i)
        if fixed is not None:
            family, role, online = fixed
        else:
            r = rng.random()
            family = "windows" if r < 0.70 else "macos" if r < 0.85 else "linux"
            if family == "windows":
                role = "server" if rng.random() < 0.2 else "workstation"
            elif family == "linux":
                role = "server"
            else:
                role = "workstation"
            online = rng.random() < self.online_ratio
        host_type: Literal["workstation", "server", "domain_controller"]
        host_type = "server" if role == "server" else "workstation"
        first = _FIRST[rng.randrange(len(_FIRST))]
        last = _LAST[rng.randrange(len(_LAST))]
        code = _code(i, self.seed, 7)
        if family == "windows":
            if role == "server":
                # Every 25th Windows server is a domain controller.
                if i % 25 == 1:
                    host_type = "domain_controller"
                    hostname = f"DC{i // 25 + 1:02d}-{code[:4]}"
                else:
                    hostname = f"WIN-SRV-{code}"
                os_name, os_id, cloud_version, _ = _WINDOWS_SRV[rng.randrange(len(_WINDOWS_SRV))]
            else:
                hostname = f"DESKTOP-{code}"
                os_name, os_id, cloud_version, _ = _WINDOWS_WS[rng.randrange(len(_WINDOWS_WS))]
            username = f"ACME\\{first[0]}{last}"
        elif family == "macos":
            hostname = f"{first.capitalize()}s-MBP-{code[:5]}"
            os_name, os_id, cloud_version, _ = _MACOS[rng.randrange(len(_MACOS))]
            username = f"{first}.{last}"
        else:
            role_name = _LINUX_ROLES[rng.randrange(len(_LINUX_ROLES))]
            env = _LINUX_ENVS[rng.randrange(len(_LINUX_ENVS))]
            hostname = f"{role_name}-{env}-{code[:5].lower()}"
            os_name, os_id, cloud_version, _ = _LINUX[rng.randrange(len(_LINUX))]
            username = "root" if rng.random() < 0.5 else f"{first[0]}{last}"
        dns_name = f"{hostname.lower()}.acme.local"

        n = i
        internal_ip = f"10.{(n // 62_500) % 250 + 1}.{(n // 250) % 250}.{n % 250 + 2}"
        external_ip = f"203.0.113.{(i * 7 + self.seed) % 250 + 2}"
        mac = (0x00505600_0000 + (i * 2_654_435_761 + self.seed) % 0xFFFFFF) & 0xFFFFFFFFFFFF
        mac_address = ":".join(f"{(mac >> s) & 0xFF:02x}" for s in range(40, -8, -8))

        if host_type == "workstation":
            group_id = 4 if rng.random() < 0.1 else 3 if rng.random() < 0.6 else 1
            policy_id, policy_name = POLICIES[0] if rng.random() < 0.7 else POLICIES[1]
        else:
            group_id = 2
            policy_id, policy_name = POLICIES[3]
        if i >= 5 and rng.random() < 0.05:
            group_id = 5
            policy_id, policy_name = POLICIES[2]

        edr_version, build_id = _EDR_SENSOR_VERSIONS[family]
        sid = (
            f"S-1-5-21-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}"
            f"-{rng.randrange(10**8, 10**9)}"
        )
        memory_gb = rng.choice((8, 16, 16, 32, 64)) if role == "workstation" else 64
        disk_total = rng.choice((256, 512, 1024)) * 1_000_000_000
        return Endpoint(
            index=i,
            sensor_id=i + 1,
            device_id=DEVICE_ID_BASE + i,
            hostname=hostname,
            dns_name=dns_name,
            os_family=family,
            host_type=host_type,
            os_name=os_name,
            os_environment_id=os_id,
            cloud_os_version=cloud_version,
            internal_ip=internal_ip,
            external_ip=external_ip,
            mac_address=mac_address,
            group_id=group_id,
            policy_id=policy_id,
            policy_name=policy_name,
            username=username,
            email=f"{first}.{last}@acme.example",
            first_name=first.capitalize(),
            last_name=last.capitalize(),
            edr_sensor_version=edr_version,
            edr_build_id=build_id,
            cloud_sensor_version=_CLOUD_SENSOR_VERSIONS[family],
            computer_sid=sid,
            registered_time=self.epoch - rng.uniform(60, 700) * _DAY,
            offline_days=0.0 if online else round(rng.uniform(1.5, 40.0), 3),
            physical_memory_size=memory_gb * 1024**3,
            systemvolume_total_size=disk_total,
            systemvolume_free_size=int(disk_total * rng.uniform(0.1, 0.8)),
            boot_id=rng.randrange(1, 400),
            uptime=rng.randrange(600, 40 * 86_400),
            online=online,
        )
