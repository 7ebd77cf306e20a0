"""Endpoint Standard (CB Defense) v3: ``/integrationServices/v3`` (wire-protocol §7, seed 001).

No org key in these paths (the org is the API key's). Lists use the v3 envelope
``{"results", "totalResults", "success", "message", "elapsed"}`` with plain query-parameter
filters, ``rows`` and a 1-based ``start``; past the 100,000-row cap ``results`` is ``null``.
Writes answer ``{"success": true, ...}``.

- ``/device`` (``hostName``, ``hostNameExact``, ``ipAddress``, ``status``, ``ownerName``),
  ``/device/{id}`` (GET; PATCH or PUT of the changed fields, e.g. ``policyName``/``policyId``);
- ``/event`` (``searchWindow`` 3h/1d/1w/2w..., ``hostNameExact``, ``applicationName``,
  ``eventType``, ``sha256Hash``, ``deviceId``, ``ownerNameExact``) and ``/event/{id}``;
- ``/policy`` (list, create), ``/policy/{id}`` (get, whole-object PUT, delete),
  ``/policy/{id}/rule[/{ruleId}]``;
- ``/notification`` and ``/auditlogs``: queues — what one call returns leaves the queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cbasync.testing.dataset.cloud import V3_RESULT_CAP, DefenseStore
from cbasync.testing.dataset.endpoints import POLICIES, Endpoint
from cbasync.testing.routes._cloud import CloudHandlers
from cbasync.testing.routes._common import (
    Handler,
    HttpError,
    RouteSpec,
    json_response,
    read_json,
    route_table,
)
from cbasync.testing.search import CriteriaError
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

V3 = "/integrationServices/v3"


def _fail(status: int, message: str) -> HttpError:
    return HttpError(status, {"success": False, "message": message})


def _ok(**extra: Any) -> dict[str, Any]:
    return {"success": True, "message": "Success", **extra}


def _guard(handler: Handler) -> Handler:
    """v3 refusals are ``{"success": false, "message"}`` with the status."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except CriteriaError as exc:
            raise _fail(400, str(exc)) from None

    return guarded


def _paging(request: Request) -> tuple[int, int]:
    """``(offset, rows)`` of a v3 list: 1-based ``start`` (0 is the first row too), 20 rows."""
    params = request.query_params
    try:
        start = int(params.get("start", "1") or 1)
        rows = int(params.get("rows", "20") or 20)
    except ValueError:
        raise _fail(400, "start and rows must be integers") from None
    if start < 0 or rows < 0:
        raise _fail(400, "start and rows must be >= 0")
    return max(start, 1) - 1, rows


def _listing(request: Request, items: list[Any], render: Callable[[Any], Any]) -> Response:
    """The v3 list envelope; past the 100,000-row cap ``results`` is null."""
    started = time.perf_counter()
    offset, rows = _paging(request)
    total = len(items)
    if offset >= V3_RESULT_CAP:
        results: list[Any] | None = None
    else:
        results = [render(i) for i in items[offset : min(offset + rows, V3_RESULT_CAP)]]
    return json_response(
        {
            "results": results,
            "totalResults": min(total, V3_RESULT_CAP) if total else 0,
            "success": True,
            "message": "Success",
            "elapsed": round(time.perf_counter() - started, 4),
        }
    )


def _policy_body(body: Any) -> dict[str, Any]:
    info = body.get("policyInfo") if isinstance(body, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("name"), str):
        raise _fail(400, "policyInfo with a name is required")
    if not isinstance(info.get("policy", {}), dict):
        raise _fail(400, "policyInfo.policy must be an object")
    return info


def _rule_body(body: Any) -> dict[str, Any]:
    rule = body.get("ruleInfo") if isinstance(body, dict) else None
    if not isinstance(rule, dict):
        raise _fail(400, "ruleInfo is required")
    for key in ("action", "application", "operation"):
        if key not in rule:
            raise _fail(400, f"ruleInfo.{key} is required")
    return rule


def _rule_index(policy: dict[str, Any], request: Request) -> int:
    raw = request.path_params["rule_id"]
    rules = policy["policy"].get("rules", [])
    for n, rule in enumerate(rules):
        if str(rule.get("id")) == raw:
            return n
    raise _fail(404, f"Rule {raw} not found")


class DefenseRoutes(CloudHandlers):
    """Devices, events, policies and the notification queues of the v3 API."""

    @property
    def defense(self) -> DefenseStore:
        return self.org.defense

    # ------------------------------------------------------------------ devices
    async def list_devices(self, request: Request) -> Response:
        params = request.query_params
        store = self.org.devices
        rows = []
        for ep in self.state.endpoints:
            if ep.deregistered:
                continue
            if (
                params.get("hostNameExact")
                and ep.hostname.lower() != params["hostNameExact"].lower()
            ):
                continue
            if params.get("hostName") and params["hostName"].lower() not in ep.hostname.lower():
                continue
            if params.get("ipAddress") and params["ipAddress"] not in (
                ep.internal_ip,
                ep.external_ip,
            ):
                continue
            if params.get("status") and store.status(ep) != params["status"].upper():
                continue
            if params.get("ownerName") and params["ownerName"].lower() not in ep.email.lower():
                continue
            rows.append(ep)
        return _listing(request, rows, store.v3)

    def device_of(self, request: Request) -> Endpoint:
        raw = request.path_params["device_id"]
        ep = self.org.devices.endpoint(int(raw)) if raw.isdigit() else None
        if ep is None:
            raise _fail(404, f"Device {raw} not found")
        return ep

    async def get_device(self, request: Request) -> Response:
        return json_response(_ok(deviceInfo=self.org.devices.v3(self.device_of(request))))

    async def patch_device(self, request: Request) -> Response:
        ep = self.device_of(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise _fail(400, "the body must be a JSON object of changed fields")
        info = body.get("deviceInfo", body) if isinstance(body.get("deviceInfo"), dict) else body
        policy_id = info.get("policyId")
        if policy_id is None and "policyName" in info:
            by_name = {name.lower(): pid for pid, name in POLICIES}
            by_name.update({p["name"].lower(): pid for pid, p in self.defense.policies.items()})
            policy_id = by_name.get(str(info["policyName"]).lower())
            if policy_id is None:
                raise _fail(400, f"Unknown policy {info['policyName']!r}")
        if policy_id is not None:
            if not isinstance(policy_id, int):
                raise _fail(400, "policyId must be an integer")
            self.org.devices.act("UPDATE_POLICY", [ep.device_id], {"policy_id": policy_id})
            if policy_id in self.defense.policies:
                ep.policy_name = self.defense.policies[policy_id]["name"]
            self.defense.record(
                f"Device {ep.hostname} moved to policy {ep.policy_name}", request.url.path
            )
        return json_response(_ok(deviceId=ep.device_id, deviceInfo=self.org.devices.v3(ep)))

    # ------------------------------------------------------------------ events
    async def list_events(self, request: Request) -> Response:
        indices = self.defense.search_events(request.query_params)
        return _listing(request, indices, self.defense.event)

    async def get_event(self, request: Request) -> Response:
        index = self.defense.event_index(request.path_params["event_id"])
        if index is None:
            raise _fail(404, f"Event {request.path_params['event_id']} not found")
        return json_response(_ok(eventInfo=self.defense.event(index)))

    # ------------------------------------------------------------------ policies
    def policy_of(self, request: Request) -> dict[str, Any]:
        raw = request.path_params["policy_id"]
        policy = self.defense.policies.get(int(raw)) if raw.isdigit() else None
        if policy is None:
            raise _fail(404, f"Policy {raw} not found")
        return policy

    async def list_policies(self, request: Request) -> Response:
        return _listing(request, list(self.defense.policies.values()), lambda p: p)

    async def create_policy(self, request: Request) -> Response:
        info = _policy_body(await read_json(request))
        store = self.defense
        policy_id = store.create_policy(info)
        store.record(f"Created policy {info['name']}", request.url.path)
        return json_response(_ok(policyId=policy_id))

    async def get_policy(self, request: Request) -> Response:
        return json_response(_ok(policyInfo=self.policy_of(request)))

    async def put_policy(self, request: Request) -> Response:
        policy = self.policy_of(request)
        info = _policy_body(await read_json(request))
        policy.update({**info, "id": policy["id"]})
        policy["version"] = int(policy.get("version", 1)) + 1
        policy["latestRevision"] = int(self.clock.time() * 1000)
        return json_response(_ok(policyId=policy["id"]))

    async def delete_policy(self, request: Request) -> Response:
        policy = self.policy_of(request)
        if policy.get("systemPolicy"):
            raise _fail(400, "A system policy cannot be deleted")
        if any(ep.policy_id == policy["id"] for ep in self.state.endpoints):
            raise _fail(400, "The policy has devices assigned")
        del self.defense.policies[policy["id"]]
        return json_response(_ok())

    async def add_rule(self, request: Request) -> Response:
        policy = self.policy_of(request)
        rule = _rule_body(await read_json(request))
        return json_response(_ok(ruleId=self.defense.add_rule(policy, rule)))

    async def rule(self, request: Request) -> Response:
        policy = self.policy_of(request)
        n = _rule_index(policy, request)
        rules = policy["policy"]["rules"]
        if request.method == "DELETE":
            del rules[n]
            return json_response(_ok())
        new = _rule_body(await read_json(request))
        rules[n] = {**new, "id": rules[n]["id"]}
        return json_response(_ok(ruleId=rules[n]["id"]))

    # ------------------------------------------------------------------ queues
    async def notifications(self, request: Request) -> Response:
        return json_response(_ok(notifications=self.defense.next_notifications()))

    async def auditlogs(self, request: Request) -> Response:
        return json_response(_ok(notifications=self.defense.next_audit()))


def routes(state: EmulatorState) -> list[BaseRoute]:
    h = DefenseRoutes(state)
    table: list[RouteSpec] = [
        ("/device", h.list_devices, ["GET"]),
        ("/device/{device_id}", h.get_device, ["GET"]),
        ("/device/{device_id}", h.patch_device, ["PATCH", "PUT"]),
        ("/event", h.list_events, ["GET"]),
        ("/event/{event_id}", h.get_event, ["GET"]),
        ("/policy", h.list_policies, ["GET"]),
        ("/policy", h.create_policy, ["POST"]),
        ("/policy/{policy_id}", h.get_policy, ["GET"]),
        ("/policy/{policy_id}", h.put_policy, ["PUT"]),
        ("/policy/{policy_id}", h.delete_policy, ["DELETE"]),
        ("/policy/{policy_id}/rule", h.add_rule, ["POST"]),
        ("/policy/{policy_id}/rule/{rule_id}", h.rule, ["PUT", "DELETE"]),
        ("/notification", h.notifications, ["GET"]),
        ("/auditlogs", h.auditlogs, ["GET"]),
    ]
    return route_table(table, prefix=V3, wrap=_guard)
