"""Who uses the server and how it is divided: users, teams, sites and throttle rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset._fmt import mix
from cbasync.testing.dataset.edr.admin.core import AdminCore
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound

__all__ = ["Accounts"]


class Accounts(AdminCore):
    """Users, teams, sites and throttle rules."""

    def _set_up_accounts(self) -> None:
        """Seed this family's collections (called once, in order, by EdrAdmin)."""
        self.users: dict[str, dict[str, Any]] = {}
        self.teams: dict[int, dict[str, Any]] = {}
        self._seed_users()
        self.sites: dict[int, dict[str, Any]] = {
            1: {"id": 1, "name": "Default Site", "group_ids": [1, 2, 3, 4, 5]}
        }
        self.throttles: dict[int, dict[str, Any]] = {}

    def _seed_users(self) -> None:
        self.teams = {
            1: {
                "id": 1,
                "name": "SOC Analysts",
                "group_access": [
                    {"group_id": g, "access_category": "Viewer", "group_name": n}
                    for g, n in ((1, "Default Group"), (3, "Workstations"))
                ],
            },
            2: {
                "id": 2,
                "name": "Incident Responders",
                "group_access": [
                    {
                        "group_id": 1,
                        "access_category": "Administrator",
                        "group_name": "Default Group",
                    }
                ],
            },
        }
        self._next_team = 3
        seed_users: tuple[tuple[str, str, str, bool, list[int]], ...] = (
            ("admin", "Admin", "User", True, []),
            (self.config.api_username, "API", "Client", True, [2]),
            ("analyst1", "Ana", "Lyst", False, [1]),
        )
        for k, (name, first, last, admin, teams) in enumerate(seed_users, start=1):
            self.users[name] = {
                "username": name,
                "id": k,
                "first_name": first,
                "last_name": last,
                "email": f"{name}@acme.example",
                "global_admin": admin,
                "teams": [{"id": t, "name": self.teams[t]["name"]} for t in teams],
                "auth_token": f"{mix(self.config.seed, k, 0xA7):016x}{mix(k, 0xA8):016x}"[:40],
            }
        self._next_user_id = len(seed_users) + 1

    def user(self, username: str) -> dict[str, Any]:
        user = self.users.get(username)
        if user is None:
            raise NotFound(f"user {username} not found")
        return user

    def public_user(self, username: str) -> dict[str, Any]:
        user = dict(self.user(username))
        user.pop("password", None)
        return user

    def _teams(self, teams: Any) -> list[dict[str, Any]]:
        out = []
        for t in teams or []:
            raw: Any = t.get("id") if isinstance(t, Mapping) else t
            try:
                tid = int(raw)
            except (TypeError, ValueError):
                raise Invalid(f"unknown team {t!r}") from None
            team = self.teams.get(tid)
            if team is None:
                raise Invalid(f"team {tid} does not exist")
            out.append({"id": tid, "name": team["name"]})
        return out

    def create_user(self, body: Mapping[str, Any]) -> None:
        missing = [
            f
            for f in ("username", "first_name", "last_name", "email", "password")
            if not body.get(f)
        ]
        if missing:
            raise Invalid(f"missing required fields: {', '.join(missing)}")
        name = str(body["username"])
        if name in self.users:
            raise Conflict(f"user {name} already exists")
        self.users[name] = {
            "username": name,
            "id": self._next_user_id,
            "first_name": body["first_name"],
            "last_name": body["last_name"],
            "email": body["email"],
            "global_admin": bool(body.get("global_admin", False)),
            "teams": self._teams(body.get("teams")),
            "password": body["password"],
            "auth_token": f"{mix(self.config.seed, self._next_user_id, 0xA7):040x}"[:40],
        }
        self._next_user_id += 1

    def update_user(self, username: str, body: Mapping[str, Any]) -> None:
        user = self.user(username)
        for key in ("first_name", "last_name", "email", "global_admin", "password"):
            if key in body and body[key] is not None:
                user[key] = body[key]
        if "teams" in body:
            user["teams"] = self._teams(body["teams"])

    def delete_user(self, username: str) -> None:
        self.user(username)
        del self.users[username]

    def team(self, tid: int) -> dict[str, Any]:
        team = self.teams.get(tid)
        if team is None:
            raise NotFound(f"team {tid} not found")
        return team

    def _group_access(self, entries: Any) -> list[dict[str, Any]]:
        out = []
        if not isinstance(entries, (list, type(None))):
            raise Invalid("group_access must be a list of {group_id, access_category}")
        for entry in entries or []:
            raw = entry.get("group_id") if isinstance(entry, dict) else None
            if (
                isinstance(raw, bool)
                or not isinstance(raw, (int, str))
                or not str(raw).isascii()
                or not str(raw).isdigit()
            ):
                raise Invalid(f"group_access entries need an integer group_id, not {raw!r}")
            gid = int(raw)
            group = self.groups.get(gid)
            if group is None:
                raise Invalid(f"sensor group {gid} does not exist")
            category = entry.get("access_category", "Viewer")
            if category not in ("Viewer", "Administrator"):
                raise Invalid("access_category must be Viewer or Administrator")
            out.append({"group_id": gid, "access_category": category, "group_name": group["name"]})
        return out

    def create_team(self, body: Mapping[str, Any]) -> int:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid("a team needs a name")
        if any(t["name"] == name for t in self.teams.values()):
            raise Conflict(f"a team named {name!r} already exists")
        tid = self._next_team
        self._next_team += 1
        self.teams[tid] = {
            "id": tid,
            "name": name,
            "group_access": self._group_access(body.get("group_access")),
        }
        return tid

    def update_team(self, tid: int, body: Mapping[str, Any]) -> None:
        team = self.team(tid)
        if "name" in body:
            team["name"] = body["name"]
        if "group_access" in body:
            team["group_access"] = self._group_access(body["group_access"])

    def delete_team(self, tid: int) -> None:
        self.team(tid)
        del self.teams[tid]
        for user in self.users.values():
            user["teams"] = [t for t in user["teams"] if t["id"] != tid]

    def site(self, sid: int) -> dict[str, Any]:
        site = self.sites.get(sid)
        if site is None:
            raise NotFound(f"site {sid} not found")
        return site

    def create_site(self, body: Mapping[str, Any]) -> int:
        if not body.get("name"):
            raise Invalid("a site needs a name")
        sid = max(self.sites) + 1
        self.sites[sid] = {
            "id": sid,
            "name": body["name"],
            "group_ids": list(body.get("group_ids", [])),
        }
        return sid

    def update_site(self, sid: int, body: Mapping[str, Any]) -> None:
        site = self.site(sid)
        site.update({k: v for k, v in body.items() if k != "id"})

    def delete_site(self, sid: int) -> None:
        self.site(sid)
        if sid == 1:
            raise Conflict("the default site cannot be deleted")
        del self.sites[sid]

    def create_throttle(self, body: Mapping[str, Any]) -> int:
        site_id = _number(body, "site_id", None)
        if site_id is None or int(site_id) not in self.sites:
            raise Invalid("site_id must name an existing site")
        tid = max(self.throttles, default=0) + 1
        rule = {
            "id": tid,
            "site_id": int(site_id),
            "day_of_week": int(_number(body, "day_of_week", 0) or 0),
            "from": int(_number(body, "from", 0) or 0),
            "to": int(_number(body, "to", 0) or 0),
            "bytes_per_second": _number(body, "bytes_per_second", 0),
        }
        self.throttles[tid] = rule
        return tid

    def throttle(self, tid: int) -> dict[str, Any]:
        rule = self.throttles.get(tid)
        if rule is None:
            raise NotFound(f"throttle rule {tid} not found")
        return rule


def _number(body: Mapping[str, Any], key: str, default: float | None) -> float | None:
    """A numeric field of a request body (a number or its digits); 400 for anything else, as
    the server's validation answers, never a crash on ``int("abc")``."""
    raw = body.get(key, default)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise Invalid(f"{key} must be a number, not {raw!r}")
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(f"{key} must be a number, not {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Invalid(f"{key} must be a finite number, not {raw!r}")
    return value
