"""The seed tables of the administrative collections: the watchlists, feeds, report titles and
ingress filter defaults a fresh server has.
"""

from __future__ import annotations

from typing import Any

from cbasync.testing.query import (
    FieldType,
)

__all__ = [
    "ACTION_NUMBERS",
    "ACTION_TYPES",
    "FEEDS",
    "FEED_DEFAULTS",
    "INGRESS_DEFAULTS",
    "INGRESS_READ_ONLY",
    "REPORT_SCHEMA",
    "REPORT_TITLES",
    "WATCHLISTS",
]


ACTION_TYPES = ("email", "syslog", "alert")

ACTION_NUMBERS = {0: "email", 1: "syslog", 2: "http_post", 3: "alert"}

WATCHLISTS: tuple[tuple[str, str, str, str], ...] = (
    # (name, index_type, q, description)
    ("Newly Loaded Modules", "modules", "is_executable_image:false", "DLLs first seen recently"),
    (
        "Unsigned Executables",
        "modules",
        "digsig_result:Unsigned is_executable_image:true",
        "Executables without a valid signature",
    ),
    (
        "Encoded PowerShell",
        "events",
        "process_name:powershell.exe cmdline:-enc",
        "PowerShell with an encoded command",
    ),
    (
        "Network Share Mounts",
        "events",
        "process_name:net.exe cmdline:use",
        "net use against internal shares",
    ),
    (
        "Credential Dumping",
        "events",
        "cmdline:minidump OR crossproc_name:lsass.exe",
        "Access to LSASS memory",
    ),
    (
        "LOLBins Download",
        "events",
        "process_name:certutil.exe cmdline:urlcache",
        "certutil used as a downloader",
    ),
    (
        "Scheduled Task Persistence",
        "events",
        "process_name:schtasks.exe cmdline:create",
        "New scheduled tasks",
    ),
    (
        "Office Spawning Shells",
        "events",
        "parent_name:winword.exe (process_name:cmd.exe OR process_name:powershell.exe)",
        "Macros launching interpreters",
    ),
)

FEEDS: tuple[dict[str, Any], ...] = (
    {
        "id": 1,
        "name": "SRSThreat",
        "display_name": "Carbon Black Software Reputation Service Threat",
        "category": "Carbon Black First Party",
        "provider_url": "https://www.carbonblack.com/",
        "feed_url": "https://api.alliance.carbonblack.com/feed/SRSThreat",
        "enabled": True,
        "manually_added": False,
        "order": 1,
        "provider_rating": 3,
        "summary": "Known-malicious software identified by the Carbon Black reputation service",
        "tech_data": "Requires sharing binary hashes with the Carbon Black Alliance",
    },
    {
        "id": 2,
        "name": "SRSTrust",
        "display_name": "Carbon Black Software Reputation Service Trust",
        "category": "Carbon Black First Party",
        "provider_url": "https://www.carbonblack.com/",
        "feed_url": "https://api.alliance.carbonblack.com/feed/SRSTrust",
        "enabled": True,
        "manually_added": False,
        "order": 2,
        "provider_rating": 3,
        "summary": "The Cb Reputation Trust feed provides a level of software trustworthness",
        "tech_data": "It is necessary to share MD5s of observed binaries with the Carbon Black "
        "Alliance to use this feed",
    },
    {
        "id": 3,
        "name": "abusech",
        "display_name": "abuse.ch Malware Hashes",
        "category": "Open Source",
        "provider_url": "https://abuse.ch/",
        "feed_url": "https://api.alliance.carbonblack.com/feed/abusech",
        "enabled": True,
        "manually_added": False,
        "order": 3,
        "provider_rating": 2,
        "summary": "Malware sample hashes from abuse.ch",
        "tech_data": "",
    },
    {
        "id": 4,
        "name": "nvd",
        "display_name": "NVD Vulnerable Software",
        "category": "Open Source",
        "provider_url": "https://nvd.nist.gov/",
        "enabled": False,
        "manually_added": False,
        "feed_url": "https://api.alliance.carbonblack.com/feed/nvd",
        "order": 4,
        "provider_rating": 2,
        "summary": "Binaries with known CVEs",
        "tech_data": "",
    },
    {
        "id": 5,
        "name": "SOC",
        "display_name": "SOC Threat Intelligence",
        "category": "Local",
        "provider_url": "https://intranet.acme.example/soc",
        "enabled": True,
        "manually_added": True,
        "feed_url": "file:///var/cb/data/feeds/soc.json",
        "order": 5,
        "provider_rating": 3,
        "summary": "Indicators curated by the SOC",
        "tech_data": "",
    },
    {
        "id": 6,
        "name": "virustotalconnector",
        "display_name": "VirusTotal Connector",
        "category": "Connectors",
        "provider_url": "https://www.virustotal.com/",
        "enabled": True,
        "manually_added": True,
        "feed_url": "http://127.0.0.1:7000/vt/json",
        "order": 6,
        "provider_rating": 3,
        "summary": "VirusTotal detections for observed binaries",
        "tech_data": "",
    },
)

FEED_DEFAULTS: dict[str, Any] = {
    "ssl_client_crt": None,
    "ssl_client_key": None,
    "local_rating": None,
    "requires_who": None,
    "requires": None,
    "requires_what": None,
    "icon": "",
    "icon_small": "",
    "use_proxy": False,
    "username": None,
    "password": None,
    "validate_server_cert": False,
}

REPORT_TITLES = (
    "Emotet loader {c}",
    "Cobalt Strike beacon {c}",
    "QakBot dropper {c}",
    "FUZZYWOMBAT campaign {c}",
    "Credential stealer {c}",
    "Ransomware precursor {c}",
    "Suspicious LOLBin use {c}",
    "Phishing payload {c}",
)

REPORT_SCHEMA: dict[str, FieldType] = {
    "id": "keyword",
    "title": "text",
    "feed_id": "number",
    "feed_name": "keyword",
    "feed_category": "keyword",
    "score": "number",
    "timestamp": "number",
    "last_update": "date",
    "is_ignored": "bool",
    "_internal_id": "keyword",
    "md5": "keyword",
    "ipv4": "ip",
    "domain": "keyword",
    "tags": "keyword",
    "description": "text",
}

INGRESS_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "priority": 0,
    "internal": False,
    "enabled": True,
    "filter_on_sensor": False,
    "filter_on_server": True,
    "track_metrics": True,
    "hit_rate": 0.0,
    "name": "",
    "description": "",
    "os_mask": 7,
    "global": True,
    "group_ids": [],
    "sensor_ids": [],
    "path_filters": [],
    "cmdline_filters": [],
    "md5_filters": [],
    "descendant_filtering_level": 0,
    "filter_all_events": True,
    "regmod_filters": [],
    "modload_filters": [],
    "filemod_filters": [],
    "non_binary_filemod_filters": [],
    "netconn_filters": [],
    "crossproc_filters": [],
}

INGRESS_READ_ONLY = (
    "create_timestamp",
    "modify_timestamp",
    "create_user_id",
    "modify_user_id",
    "hit_rate",
)
