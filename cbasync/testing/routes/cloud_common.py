"""What the cloud route modules share, and the Jobs API they all report to.

Helpers: :func:`cloud_handler` wraps a handler with the org-key check (a path whose
``{org_key}`` is not the configured org is 403, the answer of a key without access to that org)
and maps backend refusals to the cloud's answers: a bad criteria/sort/enum value is 400
``{"error_code": "INVALID_ENUM_VALUE" | "INVALID_ARGUMENT", "message", "field",
"known_values"?}``, an unknown or expired job 404 ``NOT_FOUND``. A malformed Lucene query is left
to the app: 400 ``query_malformed_syntax``, the reason every client keys on.

Routes: the Jobs API (``/jobs/v1/orgs/{org_key}/jobs...``) that alert workflow changes and exports
run under. A job shows ``CREATED`` until its searchers are contacted, then ``IN_PROGRESS`` with
``progress.num_completed`` climbing, then ``COMPLETED``; ``/download`` streams its output.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cbasync.testing.dataset.cloud import iso
from cbasync.testing.jobs import Job, JobEngine, JobNotFoundError, job_engine
from cbasync.testing.routes._common import HttpError, cloud_error, json_response, require_org
from cbasync.testing.search import CriteriaError
from cbasync.testing.state import EmulatorState

__all__ = [
    "JOBS_API_TYPES",
    "cloud_handler",
    "criteria_error",
    "jobs_api_json",
    "routes",
]

Handler = Callable[[Request], Awaitable[Response]]

#: Engine job kinds that the Jobs API lists, with the ``type`` it shows.
JOBS_API_TYPES: dict[str, str] = {
    "alert_workflow": "user_workflow_update",
    "device_export": "ENDPOINTS",
    "alert_export": "ALERTS_EXPORT",
    "livequery_export": "livequery_export",
}


def criteria_error(exc: CriteriaError) -> HttpError:
    extra: dict[str, Any] = {}
    if exc.field:
        extra["field"] = exc.field
    if exc.known:
        extra["known_values"] = exc.known
    code = "INVALID_ENUM_VALUE" if exc.known else "INVALID_ARGUMENT"
    return cloud_error(400, code, str(exc), **extra)


def cloud_handler(org_key: str, handler: Handler, *, check_org: bool = True) -> Handler:
    """``handler`` with the org-key check (unless the route has none) and the error mapping."""

    async def wrapper(request: Request) -> Response:
        if check_org:
            require_org(request, org_key)
        try:
            return await handler(request)
        except CriteriaError as exc:
            raise criteria_error(exc) from None
        except JobNotFoundError as exc:
            raise cloud_error(404, "NOT_FOUND", f"Job {exc.job_id} not found") from None

    return wrapper


def body_dict(value: Any) -> dict[str, Any]:
    """A JSON body that must be an object (400 otherwise)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise cloud_error(400, "INVALID_ARGUMENT", "the request body must be a JSON object")
    return dict(value)


def jobs_api_json(job: Job, now: float, org_key: str) -> dict[str, Any]:
    contacted, completed = job.progress(now)
    done = job.done(now)
    total = int(job.state.get("num_total", job.searchers))
    status = "COMPLETED" if done else ("IN_PROGRESS" if contacted else "CREATED")
    num_completed = total if done else (total * completed // contacted if contacted else 0)
    return {
        "id": int(job.id) if job.id.isdigit() else job.id,
        "type": JOBS_API_TYPES.get(job.kind, job.kind),
        "job_parameters": {"job_parameters": dict(job.request)},
        "connector_id": "EMULATOR01",
        "org_key": org_key,
        "owner_id": 1,
        "status": status,
        "progress": {
            "num_total": total,
            "num_completed": num_completed,
            "message": "" if done else "Processing",
        },
        "create_time": iso(job.create_time),
        "last_update_time": iso(
            job.create_time + (job.duration if done else now - job.created_mono)
        ),
    }


def routes(state: EmulatorState) -> list[BaseRoute]:
    config = state.config
    org = config.org_key

    def engine() -> JobEngine:
        return job_engine(state)

    def api_job(request: Request) -> Job:
        job = engine().get(request.path_params["job_id"])
        if job.kind not in JOBS_API_TYPES:
            raise JobNotFoundError(job.id)
        return job

    async def list_jobs(request: Request) -> Response:
        now = state.clock.monotonic()
        jobs = [j for j in engine().jobs() if j.kind in JOBS_API_TYPES]
        status = request.query_params.get("status")
        rendered = [jobs_api_json(j, now, org) for j in jobs]
        if status:
            rendered = [j for j in rendered if j["status"] == status.upper()]
        return json_response({"num_found": len(rendered), "results": rendered})

    async def get_job(request: Request) -> Response:
        job = api_job(request)
        engine().poll(job.id)
        return json_response(jobs_api_json(job, state.clock.monotonic(), org))

    async def progress(request: Request) -> Response:
        job = api_job(request)
        engine().poll(job.id)
        return json_response(jobs_api_json(job, state.clock.monotonic(), org)["progress"])

    async def download(request: Request) -> Response:
        job = api_job(request)
        if not job.done(state.clock.monotonic()):
            raise cloud_error(400, "JOB_NOT_COMPLETE", f"Job {job.id} has not completed yet")
        output = job.state.get("output")
        if callable(output):
            output = output()
        data = output if isinstance(output, bytes) else str(output or "").encode()
        media = str(job.state.get("media_type", "text/csv"))
        return Response(data, media_type=media)

    table: list[tuple[str, Handler]] = [
        ("/jobs/v1/orgs/{org_key}/jobs", list_jobs),
        ("/jobs/v1/orgs/{org_key}/jobs/{job_id}", get_job),
        ("/jobs/v1/orgs/{org_key}/jobs/{job_id}/progress", progress),
        ("/jobs/v1/orgs/{org_key}/jobs/{job_id}/download", download),
    ]
    return [Route(path, cloud_handler(org, h), methods=["GET"]) for path, h in table]
