"""The Jobs API (``/jobs/v1/orgs/{org_key}/jobs``, wire §6.5): the server's own long-running
work — an alert workflow change (``user_workflow_update``), a device or alert export, a
LiveQuery export — each a :class:`Job` you can ``await`` until it is ``COMPLETED`` or ``FAILED``.

Waiting goes through the one job mechanism (:class:`~cbasync._jobs.SearchJob`): these jobs are
already running when the client learns their id, so :class:`StatusJob` "submits" by handing
that id over, polls with the one waiter, and cannot stop them (the API has no cancel). A wait
takes no slot of the client's search-job pool: the server runs the job whether or not anybody
polls it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync._jobs import JobProgress, SearchJob
from cbasync._pagination import Page
from cbasync.cloud._model import CloudModel
from cbasync.model import adapter_for
from cbasync.models._generated import cloud
from cbasync.query import Query

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = ["Job", "JobListQuery", "StatusJob", "wait_for_status"]

T = TypeVar("T")
M = TypeVar("M", bound="Job")
S = TypeVar("S", bound=CloudModel)

JOBS = "/jobs/v1/orgs/{org_key}/jobs"
#: Statuses after which a Jobs API job never changes.
JOB_FINAL = frozenset({"COMPLETED", "FAILED"})
#: Polls during which a job just created may still answer 404 (wire §6.5: "transient 404 or
#: 5xx can occur right after submission; tolerate a few").
NOT_YET_VISIBLE = 3


class StatusJob(Generic[T]):
    """A :class:`~cbasync._jobs.JobBackend` for a job the server already runs, known by id:
    ``read`` fetches its status document, ``judge`` says how far it is. The last document read
    is kept in :attr:`last`."""

    def __init__(
        self,
        what: str,
        job_id: str,
        read: Callable[[str], Awaitable[T]],
        judge: Callable[[T], JobProgress],
        *,
        not_found_polls: int = 0,
    ) -> None:
        self.what = what
        self.job_id = job_id
        self._read = read
        self._judge = judge
        self._not_found_left = not_found_polls
        self.last: T | None = None

    async def submit(self) -> str:
        # Already submitted by the request that created it (a workflow change, an export).
        return self.job_id

    async def progress(self, job_id: str) -> JobProgress:
        try:
            document = await self._read(job_id)
        except errors.ObjectNotFoundError:
            if self._not_found_left <= 0:
                raise
            self._not_found_left -= 1
            return JobProgress(status="NOT_YET_VISIBLE", finished=False)
        self.last = document
        return self._judge(document)

    async def page(self, job_id: str, start: int, rows: int) -> Page[T]:
        # A status job has no result rows to page (its output, if any, is downloaded).
        return Page([], 0, start)

    async def stop(self, job_id: str) -> None:
        # Neither the Jobs API nor the v6 workflow status route can stop a job.
        return None


async def wait_for_status(obj: S, backend: StatusJob[S], *, max_wait: float | None) -> S:
    """Wait (through the one job mechanism) until ``backend`` says ``obj``'s job is over, and
    give ``obj`` the last status read. The job is kept on the object, so concurrent waits share
    one poll loop."""
    state = obj._state.extra
    job: SearchJob[S] | None = state.get("status_job")
    if job is None:
        api = obj.api
        job = state["status_job"] = SearchJob(backend, pool=None, max_wait=api.job_max_wait)
    await job.wait(max_wait=max_wait)
    last = job.backend.last if isinstance(job.backend, StatusJob) else None
    if last is not None and last is not obj:
        obj._adopt(last)
    return obj


class JobListQuery(Query[M]):
    """Every job of the org (``GET .../jobs``), in one request; ``status("COMPLETED")`` asks
    the server for the jobs in one status."""

    def __init__(self, api: Any, model: type[M]) -> None:
        super().__init__(api, model)
        self._status: str | None = None
        self._page_size = 1 << 30  # the whole list arrives in one answer
        self._concurrency = 1

    def status(self, status: str) -> Self:
        """Only jobs in ``status`` (CREATED, IN_PROGRESS, COMPLETED or FAILED)."""
        wanted = status.strip().upper()
        if wanted not in ("CREATED", "IN_PROGRESS", *JOB_FINAL):
            raise ValueError(
                f"a job status is CREATED, IN_PROGRESS, COMPLETED or FAILED: {status!r}"
            )
        return self._replace(status=wanted)

    def where(self, query: str) -> Self:
        raise errors.QuerySyntaxError(
            "the Jobs API lists jobs without a query; filter with .status(...)"
        )

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        api = self._api
        params = {"status": self._status} if self._status else None
        response = await api.transport.request("GET", JOBS, params=params)
        listing = response.parse(adapter_for(_JobList[self._model]))  # type: ignore[name-defined]
        jobs = self._model._from_rows(api, listing.results or [], full=True)
        return Page(jobs[start : start + rows], len(jobs), start, route=response.route)


class Job(CloudModel, cloud.Job):
    """A Jobs API job. ``await job`` (or ``await job.wait()``) waits until it is ``COMPLETED``
    (raising ``ServerError`` when it ``FAILED``, ``TimeoutError`` after the client's
    ``job_max_wait``) and returns it refreshed; ``await job.output()`` downloads what it made."""

    item_route: ClassVar[str | None] = JOBS + "/{id}"

    @classmethod
    def _new_query(cls, api: Any) -> JobListQuery[Self]:
        return JobListQuery(api, cls)

    @property
    def finished(self) -> bool:
        return (self.status or "").upper() in JOB_FINAL

    async def get_progress(self) -> cloud.JobProgress:
        """``{num_total, num_completed, message}`` now (``GET .../jobs/{id}/progress``)."""
        response = await self.api.transport.request(
            "GET", JOBS + "/{id}/progress", path_params={"id": self.key}
        )
        return response.parse(adapter_for(cloud.JobProgress))

    async def wait(self, *, max_wait: float | None = None) -> Self:
        """Wait until the job is over; raises ``ServerError`` when it failed."""
        api = self.api

        async def read(job_id: str) -> Job:
            return await Job._fetch(api, job_id)

        backend: StatusJob[Any] = StatusJob(
            f"{self.get('type') or 'Jobs API'} job",
            str(self.key),
            read,
            _judge_job,
            not_found_polls=NOT_YET_VISIBLE,
        )
        return await wait_for_status(self, backend, max_wait=max_wait)

    def __await__(self) -> Generator[Any, None, Self]:
        return self.wait().__await__()

    async def output(self) -> bytes:
        """The job's result file (``GET .../jobs/{id}/download``): a CSV for exports."""
        response = await self.api.transport.request(
            "GET", JOBS + "/{id}/download", path_params={"id": self.key}
        )
        return response.content

    @classmethod
    def _from_id(cls, api: CBCloudAPI, job_id: Any) -> Job:
        """A job known only by the id a request answered with: its other fields are ``None``
        until it is awaited or refreshed."""
        return cls._from_server(api, cls(id=_job_key(job_id)), full=False)


class _JobList(cloud.JobList, Generic[M]):
    # After Job: its bound names Job, which must exist for the class to be complete.
    results: list[M] | None = None  # type: ignore[assignment]


def _job_key(job_id: Any) -> int | str:
    """Job ids are integers on the wire (``666666``) but some answers quote them."""
    text = str(job_id)
    return int(text) if text.isdigit() else text


def _judge_job(job: Job) -> JobProgress:
    status = (job.status or "").upper()
    progress = job.progress
    failure = None
    if status == "FAILED":
        failure = (progress.message if progress else None) or "the job failed"
    return JobProgress(
        status=status,
        # A FAILED job is not "finished": the waiter tries success first, then failure.
        finished=status == "COMPLETED",
        failure=failure,
        num_found=progress.num_total if progress else None,
        num_available=progress.num_completed if progress else None,
        message=progress.message if progress else None,
    )
