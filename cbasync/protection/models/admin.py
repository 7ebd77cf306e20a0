"""App Control's console and server objects: users and their groups, settings, performance,
updaters, script rules, trusted users and application templates. None of them refers to
another model, so every other module may refer to them."""

from __future__ import annotations

from typing import ClassVar

from cbasync.models._generated import protection
from cbasync.protection._model import ProtectionModel

__all__ = [
    "AppTemplate",
    "ScriptRule",
    "ServerConfig",
    "ServerPerformance",
    "TrustedUser",
    "Updater",
    "User",
    "UserGroup",
]


class User(ProtectionModel, protection.User):
    """A console user. Internal and directory users (``readOnly``) cannot be changed; the
    server answers 403. ``apiToken`` is masked when printed."""

    object_name: ClassVar[str] = "user"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {
            "name",
            "firstName",
            "lastName",
            "eMailAddress",
            "title",
            "department",
            "comments",
            "enabled",
            "userGroupIds",
            "apiToken",
        }
    )


class UserGroup(ProtectionModel, protection.UserGroup):
    """A group of console users and the permissions (a hexadecimal mask) they share."""

    object_name: ClassVar[str] = "userGroup"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {"name", "description", "permissions", "policyIds", "enabled"}
    )


class ServerConfig(ProtectionModel, protection.ServerConfig):
    """One server setting, ``name`` and ``value``; ``api.server_config()`` reads them all."""

    object_name: ClassVar[str] = "serverConfig"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset({"value"})


class ServerPerformance(ProtectionModel, protection.ServerPerformance):
    """Server load figures (read-only)."""

    object_name: ClassVar[str] = "serverPerformance"


class Updater(ProtectionModel, protection.Updater):
    """A trusted updater (Windows Update, a browser's updater, ...), switched on or off."""

    object_name: ClassVar[str] = "updater"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset({"enabled"})


class ScriptRule(ProtectionModel, protection.ScriptRule):
    """Which file extensions count as scripts for which interpreters."""

    object_name: ClassVar[str] = "scriptRule"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)


class TrustedUser(ProtectionModel, protection.TrustedUser):
    """A user whose files are approved as they are written (``platformId``: see
    :class:`~cbasync.protection.enums.Platform`)."""

    object_name: ClassVar[str] = "trustedUser"
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    # cbapi's trustedUser schema.
    required_fields: ClassVar[tuple[str, ...]] = ("name", "userSid", "description", "platformId")


class AppTemplate(ProtectionModel, protection.AppTemplate):
    """An application template, in the restricted namespace (search only; cbapi removed its
    model in 1.3.3, the route remains)."""

    search_route: ClassVar[str | None] = "/api/bit9platform/restricted/appTemplate"
