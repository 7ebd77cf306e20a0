"""Alert workflow, v6: the state of one alert (:class:`Workflow`) and the progress of a bulk
change (:class:`WorkflowStatus`).

A bulk dismissal (``await query.dismiss(...)``, ``await api.bulk_threat_dismiss(...)``) answers
with a request id at once and changes the alerts in the background; seed 002 polls
``WorkflowStatus.finished`` in a loop. Here the status is awaitable::

    status = await api.select(BaseAlert).set_process_names(["IEXPLORE.EXE"]).dismiss("Using Chrome")
    await status                      # polls until FINISHED (the one waiter), then refreshed
    print(status.num_success, "of", status.num_hits)

The wait is the one job mechanism's (:func:`~cbasync.cloud.jobs_api.wait_for_status`): bounded
by the client's ``job_max_wait`` unless ``status.wait(max_wait=...)`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, ClassVar

from typing_extensions import Self

from cbasync._jobs import JobProgress
from cbasync.cloud._model import CloudModel
from cbasync.cloud.jobs_api import StatusJob, wait_for_status
from cbasync.model import ItemAccess
from cbasync.models._generated import cloud

__all__ = ["WORKFLOW_STATUS_ROUTE", "Workflow", "WorkflowStatus"]

WORKFLOW_STATUS_ROUTE = "/appservices/v6/orgs/{org_key}/workflow/status/{id}"


class Workflow(ItemAccess, cloud.Workflow):
    """The user-changeable state of a v6 alert: ``state`` (OPEN or DISMISSED),
    ``remediation``, ``comment``, ``changed_by``, ``last_update_time``."""


class WorkflowStatus(CloudModel, cloud.WorkflowStatus):
    """The progress of a v6 bulk workflow request (``QUEUED`` → ``IN_PROGRESS`` →
    ``FINISHED``). ``await status`` waits until it is finished and returns it refreshed."""

    item_route: ClassVar[str | None] = WORKFLOW_STATUS_ROUTE

    workflow: Workflow | None = None

    @property
    def finished(self) -> bool:
        return self.status == "FINISHED"

    @property
    def in_progress(self) -> bool:
        return self.status == "IN_PROGRESS"

    @property
    def queued(self) -> bool:
        return self.status == "QUEUED"

    @property
    def workflow_(self) -> Workflow | None:
        """The requested change (cbapi's name for it)."""
        return self.workflow

    async def wait(self, *, max_wait: float | None = None) -> Self:
        """Poll until the request is ``FINISHED`` (``TimeoutError`` after ``max_wait`` seconds,
        the client's ``job_max_wait`` by default)."""
        api = self.api

        async def read(request_id: str) -> WorkflowStatus:
            return await WorkflowStatus._fetch(api, request_id)

        backend: StatusJob[Any] = StatusJob(
            "alert workflow request", str(self.key), read, _judge_status
        )
        return await wait_for_status(self, backend, max_wait=max_wait)

    def __await__(self) -> Generator[Any, None, Self]:
        return self.wait().__await__()


def _judge_status(status: WorkflowStatus) -> JobProgress:
    return JobProgress(
        status=status.status,
        finished=status.finished,
        num_found=status.num_hits,
        num_available=status.num_success,
    )
