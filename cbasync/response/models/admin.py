"""EDR administration: users, teams, sites, throttle rules, storage partitions, ingress filters."""

from __future__ import annotations

from typing import Any, ClassVar

from typing_extensions import Self

from cbasync import errors
from cbasync.model import adapter_for
from cbasync.models._generated import edr
from cbasync.response._model import EdrModel
from cbasync.response.query import ListQuery

__all__ = ["IngressFilter", "Site", "StoragePartition", "Team", "ThrottleRule", "User"]


class User(EdrModel, edr.User):
    """A console user, keyed by ``username``."""

    primary_key: ClassVar[str] = "username"
    item_route: ClassVar[str | None] = "/api/user/{id}"
    list_route: ClassVar[str | None] = "/api/users"
    create_route: ClassVar[str | None] = "/api/user"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("username", "first_name", "last_name", "email")

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)

    def _check_required(self) -> None:
        super()._check_required()
        if self._state.new and not self.get("password"):
            raise errors.InvalidObjectError("a new User needs a password", missing=("password",))

    def _create_body(self) -> Any:
        body = self._save_payload()
        body.setdefault("id", None)
        body.setdefault("teams", [])
        body.setdefault("global_admin", False)
        return body

    def add_team(self, team: Team) -> None:
        """Add a team (saved by ``save()``)."""
        teams = [t.model_dump() for t in (self.teams or []) if t.id != team.id]
        self.teams = [edr.UserTeam(id=team.id, name=team.name), *[edr.UserTeam(**t) for t in teams]]

    def remove_team(self, team: Team | int) -> None:
        team_id = team if isinstance(team, int) else team.id
        self.teams = [t for t in (self.teams or []) if t.id != team_id]


class Team(EdrModel, edr.Team):
    """A team and its access to sensor groups."""

    item_route: ClassVar[str | None] = "/api/team/{id}"
    list_route: ClassVar[str | None] = "/api/teams"
    create_route: ClassVar[str | None] = "/api/team"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)

    def _create_body(self) -> Any:
        body = self._save_payload()
        body.setdefault("id", None)
        body.setdefault("group_access", [])
        return body

    def grant(
        self,
        group: int | edr.SensorGroup | None = None,
        access: str = "Viewer",
        group_name: str | None = None,
        *,
        group_id: int | None = None,
    ) -> None:
        """Give the team ``Viewer`` or ``Administrator`` access to a sensor group (a
        ``SensorGroup`` or its id; ``group_id=`` as before)."""
        if isinstance(group, edr.SensorGroup):
            if group.id is None:
                raise errors.InvalidObjectError("the sensor group has no id yet: save it first")
            group_id, group_name = group.id, group_name or group.name
        elif group is not None:
            group_id = group
        if group_id is None:
            raise TypeError("grant() needs a sensor group or its id")
        rest = [g for g in (self.group_access or []) if g.group_id != group_id]
        self.group_access = [
            *rest,
            edr.TeamGroupAccess(group_id=group_id, access_category=access, group_name=group_name),
        ]


class Site(EdrModel, edr.Site):
    item_route: ClassVar[str | None] = "/api/site/{id}"
    list_route: ClassVar[str | None] = "/api/site"
    create_route: ClassVar[str | None] = "/api/site"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)


class ThrottleRule(EdrModel, edr.ThrottleRule):
    item_route: ClassVar[str | None] = "/api/throttle/{id}"
    list_route: ClassVar[str | None] = "/api/throttle"
    create_route: ClassVar[str | None] = "/api/throttle"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("site_id", "bytes_per_second")

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)


class StoragePartition(EdrModel, edr.StoragePartition):
    """An event-storage partition (EDR 6.0+): ``hot`` (written to), ``warm`` (searchable) or
    ``cold`` (on disk, unmounted)."""

    primary_key: ClassVar[str] = "name"

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)

    @classmethod
    async def fetch_all(cls, api: Any) -> list[StoragePartition]:
        response = await api.transport.request("GET", "/api/v1/storage/events/partition")
        partitions = response.parse(adapter_for(edr.StoragePartitions)).root
        result = []
        for name, partition in partitions.items():
            item = cls.model_validate(partition.model_dump(by_alias=True))
            item.__dict__["name"] = item.__dict__.get("name") or name
            result.append(cls._from_server(api, item, full=True))
        return result

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> StoragePartition:
        for partition in await cls.fetch_all(api):
            if partition.name == key:
                return partition
        raise errors.ObjectNotFoundError(
            f"no storage partition {key!r}", route="/api/v1/storage/events/partition"
        )

    @classmethod
    async def new(cls, api: Any) -> str:
        """Roll the hot partition to warm and start a new one; returns the server's message."""
        response = await api.transport.request("POST", "/api/v1/storage/events/new_partition")
        return response.parse(adapter_for(edr.StorageOperationResult)).results or ""

    async def _operation(self, method: str, suffix: str) -> str:
        response = await self.api.transport.request(
            method, f"/api/v1/storage/events/{{name}}{suffix}", path_params={"name": self.name}
        )
        result = response.parse(adapter_for(edr.StorageOperationResult)).results or ""
        await self.refresh()
        return result

    async def mount(self) -> str:
        """cold → warm."""
        return await self._operation("POST", "/mount")

    async def unmount(self) -> str:
        """warm → cold."""
        return await self._operation("POST", "/unmount")

    async def delete(self) -> None:
        """Unmount if warm and delete from disk (the server refuses for the hot partition)."""
        await self.api.transport.request(
            "DELETE", "/api/v1/storage/events/{name}", path_params={"name": self.name}
        )


class IngressFilter(EdrModel, edr.IngressFilter):
    """An ingress filter: events it matches are dropped at the sensor or server. EDR 7.7 serves
    them at ``/api/v1/ingress_approvedlist``, older servers at ``/api/v1/ingress_whitelist``."""

    item_route: ClassVar[str | None] = "/api/v1/ingress_approvedlist/{id}"
    create_route: ClassVar[str | None] = "/api/v1/ingress_approvedlist"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)

    @classmethod
    async def _route_for(cls, api: Any, which: str) -> str | None:
        base: str = (await api.route_names())["ingress"]
        return f"{base}/{{id}}" if which == "item" else base  # create and list

    def _create_body(self) -> Any:
        # The server takes a list of filters and answers a list of new ids, e.g. ["1"].
        return [self._save_payload()]

    def _update_body(self) -> Any:
        return [self._save_payload()]

    def _key_from_create(self, body: Any) -> Any:
        if isinstance(body, list) and body:
            return str(body[0])
        return super()._key_from_create(body)
