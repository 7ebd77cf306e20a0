"""What a watchlist or feed hit does: email, syslog, alert (``.../action_type``), and the
numbered actions of servers before 6.3 (``.../action``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset.edr.admin.feeds import Feeds
from cbasync.testing.dataset.edr.admin.tables import ACTION_NUMBERS, ACTION_TYPES
from cbasync.testing.dataset.edr.admin.watchlists import Watchlists
from cbasync.testing.dataset.errors import Invalid, NotFound

__all__ = ["Actions"]


class Actions(Watchlists, Feeds):
    """Per-user actions of watchlists and feeds: the action types and the legacy numbered ones."""

    def _set_up_actions(self) -> None:
        """Seed this family's collections (called once, in order, by EdrAdmin)."""
        # action_type enablement per (object kind, id, action) for the API user.
        self.action_types: dict[tuple[str, str, str], bool] = {}
        self.legacy_actions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._next_action = 1

    def _owner(self, kind: str, oid: str) -> None:
        if kind == "watchlist":
            self.watchlist(oid)
        elif not (oid.isascii() and oid.isdigit()):
            # Feed ids are integers: "abc" names no feed (404), it does not crash the route.
            raise NotFound(f"feed {oid!r} not found")
        else:
            self.feed(int(oid))

    def list_action_types(self, kind: str, oid: str) -> list[dict[str, Any]]:
        self._owner(kind, oid)
        return [
            {"enabled": self._action_enabled(kind, oid, a), "action_type": a} for a in ACTION_TYPES
        ]

    def _action_enabled(self, kind: str, oid: str, action: str) -> bool:
        return self.action_types.get((kind, str(oid), action), action == "alert")

    def get_action_type(self, kind: str, oid: str, action: str) -> dict[str, bool]:
        self._owner(kind, oid)
        if action not in ACTION_TYPES:
            raise NotFound(f"unknown action type {action!r}")
        return {"enabled": self._action_enabled(kind, oid, action)}

    def set_action_type(self, kind: str, oid: str, action: str, body: Mapping[str, Any]) -> None:
        self._owner(kind, oid)
        if action not in ACTION_TYPES:
            raise NotFound(f"unknown action type {action!r}")
        if not isinstance(body.get("enabled"), bool):
            raise Invalid('body must be {"enabled": true|false}')
        self.action_types[(kind, str(oid), action)] = body["enabled"]

    # Legacy numeric actions (/watchlist/{id}/action, /feed/{id}/action), deprecated by 6.3.
    def legacy_list(self, kind: str, oid: str) -> list[dict[str, Any]]:
        self._owner(kind, oid)
        return self.legacy_actions.get((kind, str(oid)), [])

    def legacy_create(self, kind: str, oid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self._owner(kind, oid)
        action_type = body.get("action_type")
        if action_type not in ACTION_NUMBERS:
            raise Invalid("action_type must be 0 (email), 1 (syslog), 2 (http_post) or 3 (alert)")
        action = dict(body)
        action["id"] = str(self._next_action)
        self._next_action += 1
        if kind == "watchlist":
            action["watchlist_id"] = int(oid)
            action.setdefault("group_id", int(oid))
        else:
            action["group_id"] = int(oid)
            action["watchlist_id"] = -1
        self.legacy_actions.setdefault((kind, str(oid)), []).append(action)
        self.action_types[(kind, str(oid), ACTION_NUMBERS[action_type])] = True
        return action

    def legacy_update(
        self, kind: str, oid: str, aid: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        for action in self.legacy_list(kind, oid):
            if action["id"] == str(aid):
                action.update({k: v for k, v in body.items() if k != "id"})
                return action
        raise NotFound(f"action {aid} not found")

    def legacy_delete(self, kind: str, oid: str, aid: str) -> None:
        actions = self.legacy_list(kind, oid)
        for i, action in enumerate(actions):
            if action["id"] == str(aid):
                del actions[i]
                return
        raise NotFound(f"action {aid} not found")
