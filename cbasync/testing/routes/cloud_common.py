"""The cloud's Jobs API (``/jobs/v1/orgs/{org_key}/jobs...``), which alert workflow changes and
exports run under.

A job shows ``CREATED`` until its searchers are contacted, then ``IN_PROGRESS`` with
``progress.num_completed`` climbing, then ``COMPLETED``; ``/download`` streams its output. The
helpers every cloud route module shares live in :mod:`cbasync.testing.routes._cloud`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cbasync.testing.dataset.cloud import iso
from cbasync.testing.jobs import Job, JobNotFoundError
from cbasync.testing.routes._cloud import CloudHandlers, cloud_guard
from cbasync.testing.routes._common import RouteSpec, cloud_error, json_response, route_table
from cbasync.testing.state import EmulatorState

__all__ = ["JOBS_API_TYPES", "jobs_api_json", "routes"]

#: Engine job kinds that the Jobs API lists, with the ``type`` it shows.
JOBS_API_TYPES: dict[str, str] = {
    "alert_workflow": "user_workflow_update",
    "device_export": "ENDPOINTS",
    "alert_export": "ALERTS_EXPORT",
    "livequery_export": "livequery_export",
}


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


class JobsRoutes(CloudHandlers):
    """The Jobs API over the state's job engine."""

    def _job(self, request: Request) -> Job:
        job = self.engine.get(request.path_params["job_id"])
        if job.kind not in JOBS_API_TYPES:
            raise JobNotFoundError(job.id)
        return job

    def _json(self, job: Job) -> dict[str, Any]:
        return jobs_api_json(job, self.clock.monotonic(), self.config.org_key)

    async def list_jobs(self, request: Request) -> Response:
        now = self.clock.monotonic()
        jobs = [j for j in self.engine.jobs() if j.kind in JOBS_API_TYPES]
        status = request.query_params.get("status")
        rendered = [jobs_api_json(j, now, self.config.org_key) for j in jobs]
        if status:
            rendered = [j for j in rendered if j["status"] == status.upper()]
        return json_response({"num_found": len(rendered), "results": rendered})

    async def get_job(self, request: Request) -> Response:
        job = self._job(request)
        self.engine.poll(job.id)
        return json_response(self._json(job))

    async def progress(self, request: Request) -> Response:
        job = self._job(request)
        self.engine.poll(job.id)
        return json_response(self._json(job)["progress"])

    async def download(self, request: Request) -> Response:
        job = self._job(request)
        if not job.done(self.clock.monotonic()):
            raise cloud_error(400, "JOB_NOT_COMPLETE", f"Job {job.id} has not completed yet")
        output = job.state.get("output")
        if callable(output):
            output = output()
        data = output if isinstance(output, bytes) else str(output or "").encode()
        media = str(job.state.get("media_type", "text/csv"))
        return Response(data, media_type=media)


def routes(state: EmulatorState) -> list[BaseRoute]:
    h = JobsRoutes(state)
    base = "/jobs/v1/orgs/{org_key}/jobs"
    table: list[RouteSpec] = [
        (base, h.list_jobs, ["GET"]),
        (f"{base}/{{job_id}}", h.get_job, ["GET"]),
        (f"{base}/{{job_id}}/progress", h.progress, ["GET"]),
        (f"{base}/{{job_id}}/download", h.download, ["GET"]),
    ]
    return route_table(table, wrap=cloud_guard(state.config.org_key))
