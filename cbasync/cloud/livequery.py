"""LiveQuery (Audit & Remediation): SQL runs on devices, their results and device summaries
(``/livequery/v1/orgs/{org_key}``, wire-protocol §5).

::

    run = await Run.submit(api, "SELECT * FROM users", os=["WINDOWS"], name="users")
    async for row in run.stream_results(max_wait=600): ...   # as devices answer
    await run.wait(max_wait=600)                  # until COMPLETE, TIMED_OUT or CANCELLED
    async for row in run.results().criteria(status=["matched"]): ...
    facets = await run.results().facets("device.name")
    async for summary in run.device_summaries(): ...
    await run.stop(); await run.delete()
    async for old in api.select(Run).where("name:users"): ...  # run history

A run has no end the server promises: offline devices keep it ``ACTIVE`` for up to seven days.
Every wait here has a limit (the client's ``job_max_wait``, five minutes, unless a call says
otherwise); a wait given up stops the run (its results so far stay readable) unless
``keep_running=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import anyio
from typing_extensions import Self

from cbasync import errors
from cbasync._iterators import StepIterator
from cbasync._jobs import JOB_BACKOFF, JobProgress, SearchJob
from cbasync._pagination import Page
from cbasync._polling import wait_until
from cbasync.cloud._investigate import FacetResults
from cbasync.cloud._model import CloudModel
from cbasync.cloud.query import SearchQuery
from cbasync.model import adapter_for
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = [
    "DeviceSummary",
    "DeviceSummaryQuery",
    "Result",
    "ResultQuery",
    "Run",
    "RunQuery",
]

M = TypeVar("M", bound=CloudModel)

LQ = "/livequery/v1/orgs/{org_key}"
RUN = f"{LQ}/runs/{{id}}"
#: A run is over in any of these (``ACTIVE`` until then).
FINISHED = frozenset({"COMPLETE", "TIMED_OUT", "CANCELLED"})
#: Device statuses of an answer (lower case, unlike a run's).
ANSWERED = ("matched", "not_matched", "error")


class Run(CloudModel, cloud.Run):
    """A LiveQuery run. ``await Run.submit(api, sql, ...)`` starts one; ``api.select(Run,
    id)`` names an existing one (``await run.refresh()`` to load it)."""

    item_route: ClassVar[str | None] = RUN
    can_delete: ClassVar[bool] = True
    display_fields: ClassVar[tuple[str, ...]] = ("name", "status", "sql", "total_results")

    @classmethod
    def _new_query(cls, api: Any) -> RunQuery[Self]:
        return RunQuery(api, cls)

    @classmethod
    async def submit(
        cls,
        api: CBCloudAPI,
        sql: str,
        *,
        name: str | None = None,
        notify_on_finish: bool | None = None,
        device_ids: Sequence[int] | None = None,
        os: Sequence[str] | None = None,
        policy_ids: Sequence[int] | None = None,
        deployment_type: Sequence[str] | None = None,
    ) -> Self:
        """Start a run of ``sql`` on the devices the filters select (every device when none
        is given): ``os`` is ``WINDOWS``, ``MAC`` or ``LINUX``."""
        if not isinstance(sql, str) or not sql.strip():
            raise ValueError("sql is required")
        device_filter: dict[str, list[Any]] = {}
        for key, values in (
            ("device_id", device_ids),
            ("os", None if os is None else [str(name).upper() for name in _listed("os", os)]),
            ("policy_id", policy_ids),
            ("deployment_type", deployment_type),
        ):
            if values is not None:
                device_filter[key] = _listed(key, values)
        body: dict[str, Any] = {"sql": sql}
        if name is not None:
            body["name"] = name
        if notify_on_finish is not None:
            body["notify_on_finish"] = notify_on_finish
        if device_filter:
            body["device_filter"] = device_filter
        # Creates a run: never re-sent once it may have reached the server (not idempotent).
        response = await api.transport.request("POST", f"{LQ}/runs", json=body)
        return cls._from_server(api, response.parse(adapter_for(cls)), full=True)

    @property
    def finished(self) -> bool:
        """Whether the run is over (as of the last time it was read)."""
        return self.status in FINISHED

    async def wait(self, *, max_wait: float | None = None, keep_running: bool = False) -> Self:
        """Wait until the run is over (``COMPLETE``, ``TIMED_OUT`` or ``CANCELLED``) and load
        its final state. Raises ``TimeoutError`` (carrying the last state read) after
        ``max_wait`` seconds (the client's ``job_max_wait`` by default); a wait that ends
        without the run (a timeout, a cancellation) stops the run unless ``keep_running``."""
        api = self.api
        job = SearchJob(
            _RunBackend(api, type(self)),
            job_id=self.id,
            max_wait=api.job_max_wait,
            stop_when_abandoned=not keep_running,
        )
        final = (await job.wait(max_wait=max_wait)).answer
        assert isinstance(final, type(self))
        self._adopt(final)
        return self

    async def stop(self) -> Self:
        """Cancel the run (``PUT .../status`` ``CANCELLED``); devices that have not answered
        will not. Its results so far stay readable."""
        response = await self.api.transport.request(
            "PUT", f"{RUN}/status", path_params={"id": self.id}, json={"status": "CANCELLED"}
        )
        self._adopt(
            type(self)._from_server(self.api, response.parse(adapter_for(type(self))), full=True)
        )
        return self

    def results(self) -> ResultQuery:
        """A query over the run's result rows (one per row a device returned, and one per
        device that matched nothing or failed)."""
        return ResultQuery(self.api, Result, self.id)

    def device_summaries(self) -> DeviceSummaryQuery:
        """A query over the run's devices: status, result count, metrics, times."""
        return DeviceSummaryQuery(self.api, DeviceSummary, self.id)

    def stream_results(
        self, *, max_wait: float | None = None, page_size: int = 1_000
    ) -> StepIterator[Result]:
        """The run's results as devices answer: each device's rows once, as soon as a poll of
        the run shows that it has answered, until the run is over. Raises ``TimeoutError``
        when the run is not over after ``max_wait`` seconds (the rows yielded so far stay
        yielded; the run is left running)."""
        api = self.api
        limit = api.job_max_wait if max_wait is None else max_wait
        backend = _RunBackend(api, type(self))
        seen: set[int] = set()
        state: dict[str, Any] = {"deadline": None, "over": False}

        async def poll() -> JobProgress:
            return await backend.progress(self.id)

        def news(progress: JobProgress) -> bool:
            run = progress.answer
            answered = (run.success_count or 0) + (run.error_count or 0)
            return progress.done or answered > len(seen)

        async def step() -> list[Result] | None:
            if state["deadline"] is None:
                state["deadline"] = anyio.current_time() + limit
            while not state["over"]:
                remaining = state["deadline"] - anyio.current_time()
                progress = await wait_until(
                    poll,
                    success=news,
                    max_wait=max(remaining, 1e-3),
                    backoff=JOB_BACKOFF,
                    what=f"the LiveQuery run {self.id}",
                )
                state["over"] = progress.done
                self._adopt(progress.answer)
                summaries = (
                    self.device_summaries()
                    .add_criteria("status", list(ANSWERED))
                    .batch_size(page_size)
                )
                fresh = sorted(
                    {
                        s.device.id
                        async for s in summaries
                        if s.device is not None and s.device.id is not None
                    }
                    - seen
                )
                if not fresh:
                    continue
                seen.update(fresh)
                rows = self.results().add_criteria("device.id", fresh).batch_size(page_size)
                batch = await rows.all()
                if batch:
                    return batch
            return None

        return StepIterator(step)


def _listed(key: str, values: Sequence[Any]) -> list[Any]:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{key} is a list of values, not one string")
    return list(values)


class _RunBackend:
    """A LiveQuery run as a job: polled with ``GET .../runs/{id}``, stopped with a cancel."""

    what = "LiveQuery run"

    def __init__(self, api: CBCloudAPI, model: type[Run]) -> None:
        self.api = api
        self.model = model

    async def submit(self) -> str:  # a run is created by Run.submit, then adopted
        raise errors.ClientStateError("a LiveQuery run is submitted by Run.submit()")

    async def progress(self, job_id: str) -> JobProgress:
        response = await self.api.transport.request("GET", RUN, path_params={"id": job_id})
        run = self.model._from_server(self.api, response.parse(adapter_for(self.model)), full=True)
        answered = (run.success_count or 0) + (run.error_count or 0)
        return JobProgress(
            contacted=answered + (run.in_progress_count or 0) + (run.not_started_count or 0),
            completed=answered,
            num_found=run.total_results,
            status=run.status,
            finished=run.status in FINISHED,
            answer=run,
        )

    async def page(self, job_id: str, start: int, rows: int) -> Page[Any]:
        """A run's rows are read with :meth:`Run.results`."""
        return Page([], 0, start)

    async def stop(self, job_id: str) -> None:
        try:
            await self.api.transport.request(
                "PUT", f"{RUN}/status", path_params={"id": job_id}, json={"status": "CANCELLED"}
            )
        except errors.ClientError as exc:
            if exc.status != 409:  # already over: nothing to stop
                raise


# -- results, device summaries and history -----------------------------------------------------


class Result(CloudModel, cloud.Result):
    """One result row: the device, its status (``matched``, ``not_matched``, ``error``...), the
    SQL columns in ``fields`` and the device's ``metrics``."""

    #: A row is its device's answer: which device, how it went, the columns.
    display_fields: ClassVar[tuple[str, ...]] = ("device", "status", "fields")

    @property
    def key(self) -> Any:
        # ``id`` is the run's id, shared by every row: a row has no key of its own.
        return None


class DeviceSummary(CloudModel, cloud.DeviceSummary):
    """One device of a run: status, ``total_results``, ``error_description``, ``metrics``,
    start, finish and update times."""

    display_fields: ClassVar[tuple[str, ...]] = ("device", "status", "total_results")

    @property
    def key(self) -> Any:
        device = self.__dict__.get("device")
        return None if device is None else device.id


class _RunRowsQuery(SearchQuery[M]):
    """Rows of one run: ``POST .../runs/{run_id}/<what>/_search`` (0-based ``start``)."""

    route: ClassVar[str]

    def __init__(self, api: CBCloudAPI, model: type[M], run_id: str) -> None:
        super().__init__(api, model)
        self._run_id = run_id

    def _search_route(self) -> str:
        return f"{LQ}/runs/{{run_id}}/{self.route}/_search"

    def _path_params(self) -> Mapping[str, object]:
        return {"run_id": self._run_id}

    async def facets(self, *fields: str, rows: int | None = None) -> FacetResults:
        """The top values of ``fields`` (``status``, ``device.name``, ...) among these rows."""
        if not fields:
            raise ValueError("name at least one field to facet on")
        search = self.search_body()
        body: dict[str, Any] = {k: search[k] for k in ("query", "criteria") if k in search}
        body["terms"] = {"fields": list(fields)}
        if rows is not None:
            body["terms"]["rows"] = rows
        response = await self._api.transport.request(
            "POST",
            f"{LQ}/runs/{{run_id}}/{self.route}/_facet",
            path_params=self._path_params(),
            json=body,
            idempotent=True,
        )
        return response.parse(adapter_for(FacetResults))


class ResultQuery(_RunRowsQuery[Result]):
    route: ClassVar[str] = "results"


class DeviceSummaryQuery(_RunRowsQuery[DeviceSummary]):
    route: ClassVar[str] = "results/device_summaries"


class RunQuery(SearchQuery[M]):
    """The org's run history (``POST .../runs/_search``), newest first by default."""

    def _search_route(self) -> str:
        return f"{LQ}/runs/_search"
