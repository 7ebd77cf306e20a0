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
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cbasync.testing.dataset.cloud import V3_RESULT_CAP, CloudOrg, DefenseStore, cloud_org
from cbasync.testing.dataset.endpoints import POLICIES
from cbasync.testing.routes._common import HttpError, json_response, read_json
from cbasync.testing.routes.cloud_common import Handler
from cbasync.testing.search import CriteriaError
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

V3 = "/integrationServices/v3"


def _fail(status: int, message: str) -> HttpError:
    return HttpError(status, {"success": False, "message": message})


def _ok(**extra: Any) -> dict[str, Any]:
    return {"success": True, "message": "Success", **extra}


def routes(state: EmulatorState) -> list[BaseRoute]:
    def org() -> CloudOrg:
        return cloud_org(state)

    def defense() -> DefenseStore:
        return org().defense

    def guarded(handler: Handler) -> Handler:
        async def wrapper(request: Request) -> Response:
            try:
                return await handler(request)
            except CriteriaError as exc:
                raise _fail(400, str(exc)) from None

        return wrapper

    def paging(request: Request) -> tuple[int, int]:
        params = request.query_params
        try:
            start = int(params.get("start", "1") or 1)
            rows = int(params.get("rows", "20") or 20)
        except ValueError:
            raise _fail(400, "start and rows must be integers") from None
        if start < 0 or rows < 0:
            raise _fail(400, "start and rows must be >= 0")
        return max(start, 1) - 1, rows

    def listing(request: Request, items: list[Any], render: Any) -> Response:
        started = time.perf_counter()
        offset, rows = paging(request)
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

    # ------------------------------------------------------------------ devices
    async def list_devices(request: Request) -> Response:
        params = request.query_params
        store = org().devices
        rows = []
        for ep in state.endpoints:
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
        return listing(request, rows, store.v3)

    def device_of(request: Request) -> Any:
        raw = request.path_params["device_id"]
        ep = org().devices.endpoint(int(raw)) if raw.isdigit() else None
        if ep is None:
            raise _fail(404, f"Device {raw} not found")
        return ep

    async def get_device(request: Request) -> Response:
        return json_response(_ok(deviceInfo=org().devices.v3(device_of(request))))

    async def patch_device(request: Request) -> Response:
        ep = device_of(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise _fail(400, "the body must be a JSON object of changed fields")
        info = body.get("deviceInfo", body) if isinstance(body.get("deviceInfo"), dict) else body
        policy_id = info.get("policyId")
        if policy_id is None and "policyName" in info:
            by_name = {name.lower(): pid for pid, name in POLICIES}
            by_name.update({p["name"].lower(): pid for pid, p in defense().policies.items()})
            policy_id = by_name.get(str(info["policyName"]).lower())
            if policy_id is None:
                raise _fail(400, f"Unknown policy {info['policyName']!r}")
        if policy_id is not None:
            if not isinstance(policy_id, int):
                raise _fail(400, "policyId must be an integer")
            org().devices.act("UPDATE_POLICY", [ep.device_id], {"policy_id": policy_id})
            if policy_id in defense().policies:
                ep.policy_name = defense().policies[policy_id]["name"]
            defense().record(
                f"Device {ep.hostname} moved to policy {ep.policy_name}", request.url.path
            )
        return json_response(_ok(deviceId=ep.device_id, deviceInfo=org().devices.v3(ep)))

    # ------------------------------------------------------------------ events
    async def list_events(request: Request) -> Response:
        indices = defense().search_events(request.query_params)
        return listing(request, indices, defense().event)

    async def get_event(request: Request) -> Response:
        index = defense().event_index(request.path_params["event_id"])
        if index is None:
            raise _fail(404, f"Event {request.path_params['event_id']} not found")
        return json_response(_ok(eventInfo=defense().event(index)))

    # ------------------------------------------------------------------ policies
    def policy_of(request: Request) -> dict[str, Any]:
        raw = request.path_params["policy_id"]
        policy = defense().policies.get(int(raw)) if raw.isdigit() else None
        if policy is None:
            raise _fail(404, f"Policy {raw} not found")
        return policy

    def policy_body(body: Any) -> dict[str, Any]:
        info = body.get("policyInfo") if isinstance(body, dict) else None
        if not isinstance(info, dict) or not isinstance(info.get("name"), str):
            raise _fail(400, "policyInfo with a name is required")
        if not isinstance(info.get("policy", {}), dict):
            raise _fail(400, "policyInfo.policy must be an object")
        return info

    async def list_policies(request: Request) -> Response:
        return json_response(_ok(policies=list(defense().policies.values())))

    async def create_policy(request: Request) -> Response:
        info = policy_body(await read_json(request))
        store = defense()
        policy_id = store.create_policy(info)
        store.record(f"Created policy {info['name']}", request.url.path)
        return json_response(_ok(policyId=policy_id))

    async def get_policy(request: Request) -> Response:
        return json_response(_ok(policyInfo=policy_of(request)))

    async def put_policy(request: Request) -> Response:
        policy = policy_of(request)
        info = policy_body(await read_json(request))
        policy.update({**info, "id": policy["id"]})
        policy["version"] = int(policy.get("version", 1)) + 1
        policy["latestRevision"] = int(state.clock.time() * 1000)
        return json_response(_ok(policyId=policy["id"]))

    async def delete_policy(request: Request) -> Response:
        policy = policy_of(request)
        if policy.get("systemPolicy"):
            raise _fail(400, "A system policy cannot be deleted")
        if any(ep.policy_id == policy["id"] for ep in state.endpoints):
            raise _fail(400, "The policy has devices assigned")
        del defense().policies[policy["id"]]
        return json_response(_ok())

    def rule_body(body: Any) -> dict[str, Any]:
        rule = body.get("ruleInfo") if isinstance(body, dict) else None
        if not isinstance(rule, dict):
            raise _fail(400, "ruleInfo is required")
        for key in ("action", "application", "operation"):
            if key not in rule:
                raise _fail(400, f"ruleInfo.{key} is required")
        return rule

    async def add_rule(request: Request) -> Response:
        policy = policy_of(request)
        rule = rule_body(await read_json(request))
        return json_response(_ok(ruleId=defense().add_rule(policy, rule)))

    def rule_index(policy: dict[str, Any], request: Request) -> int:
        raw = request.path_params["rule_id"]
        rules = policy["policy"].get("rules", [])
        for n, rule in enumerate(rules):
            if str(rule.get("id")) == raw:
                return n
        raise _fail(404, f"Rule {raw} not found")

    async def rule(request: Request) -> Response:
        policy = policy_of(request)
        n = rule_index(policy, request)
        rules = policy["policy"]["rules"]
        if request.method == "DELETE":
            del rules[n]
            return json_response(_ok())
        new = rule_body(await read_json(request))
        rules[n] = {**new, "id": rules[n]["id"]}
        return json_response(_ok(ruleId=rules[n]["id"]))

    # ------------------------------------------------------------------ queues
    async def notifications(request: Request) -> Response:
        return json_response(_ok(notifications=defense().next_notifications()))

    async def auditlogs(request: Request) -> Response:
        return json_response(_ok(notifications=defense().next_audit()))

    table: list[tuple[str, Handler, list[str]]] = [
        ("/device", list_devices, ["GET"]),
        ("/device/{device_id}", get_device, ["GET"]),
        ("/device/{device_id}", patch_device, ["PATCH", "PUT"]),
        ("/event", list_events, ["GET"]),
        ("/event/{event_id}", get_event, ["GET"]),
        ("/policy", list_policies, ["GET"]),
        ("/policy", create_policy, ["POST"]),
        ("/policy/{policy_id}", get_policy, ["GET"]),
        ("/policy/{policy_id}", put_policy, ["PUT"]),
        ("/policy/{policy_id}", delete_policy, ["DELETE"]),
        ("/policy/{policy_id}/rule", add_rule, ["POST"]),
        ("/policy/{policy_id}/rule/{rule_id}", rule, ["PUT", "DELETE"]),
        ("/notification", notifications, ["GET"]),
        ("/auditlogs", auditlogs, ["GET"]),
    ]
    return [Route(V3 + path, guarded(h), methods=m) for path, h, m in table]
