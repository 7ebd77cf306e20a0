"""The fields of a process search document: their types, aliases, default fields and facets."""

from __future__ import annotations

from cbasync.testing.query import FieldType

__all__ = ["DEFAULT_FIELDS", "FIELD_ALIASES", "PROCESS_FACETS", "PROCESS_SCHEMA"]


PROCESS_SCHEMA: dict[str, FieldType] = {
    "process_name": "keyword",
    "path": "text",
    "path_full": "keyword",
    "cmdline": "text",
    "hostname": "keyword",
    "username": "text",
    "username_full": "keyword",
    "group": "keyword",
    "host_type": "keyword",
    "os_type": "keyword",
    "md5": "keyword",
    "process_md5": "keyword",
    "process_sha256": "keyword",
    "parent_name": "keyword",
    "parent_md5": "keyword",
    "childproc_name": "keyword",
    "childproc_md5": "keyword",
    "crossproc_name": "keyword",
    "crossproc_md5": "keyword",
    "filemod": "text",
    "modload": "text",
    "regmod": "text",
    "domain": "keyword",
    "ipaddr": "ip",
    "ipport": "number",
    "sensor_id": "number",
    "process_pid": "number",
    "parent_pid": "number",
    "id": "keyword",
    "process_id": "keyword",
    "unique_id": "keyword",
    "parent_id": "keyword",
    "parent_unique_id": "keyword",
    "segment_id": "number",
    "start": "date",
    "last_update": "date",
    "last_server_update": "date",
    "modload_count": "number",
    "filemod_count": "number",
    "regmod_count": "number",
    "netconn_count": "number",
    "childproc_count": "number",
    "crossproc_count": "number",
    "processblock_count": "number",
    "terminated": "bool",
    "comms_ip": "ip",
    "interface_ip": "ip",
    "digsig_result": "keyword",
    "digsig_publisher": "text",
    "company_name": "text",
    "product_name": "text",
    "file_desc": "text",
    "internal_name": "keyword",
    "original_filename": "keyword",
    "is_64bit": "bool",
    "is_executable_image": "bool",
    "alliance_score_virustotal": "number",
    "alliance_score_srsthreat": "number",
    "tampered": "bool",
    "blocked_status": "keyword",
}


# Field aliases EDR accepts.
FIELD_ALIASES = {"process_id": "id", "md5": "process_md5", "parent_guid": "parent_id"}


DEFAULT_FIELDS = ("process_name", "path", "cmdline", "hostname", "username", "process_md5")


PROCESS_FACETS = (
    "process_md5",
    "hostname",
    "group",
    "path_full",
    "parent_name",
    "process_name",
    "host_type",
    "hour_of_day",
    "day_of_week",
    "start",
    "username_full",
)
