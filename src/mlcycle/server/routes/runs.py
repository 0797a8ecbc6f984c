"""Runs: create, read, end and search them; log params, metrics and tags; read metric histories.

The two bulk routes (metric series and batches) parse their bodies with :func:`~mlcycle.server.wire.parsed_body`,
the fast path for payloads of many thousands of points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from starlette.responses import Response

from mlcycle.server.deps import Reader, Writer
from mlcycle.server.schemas import (
    BatchIn,
    MetricHistory,
    MetricsIn,
    ParamsIn,
    RunEnd,
    RunIn,
    RunSearch,
    SeriesIn,
    TagsIn,
)
from mlcycle.server.wire import WireJSONResponse, body_schema, parsed_body
from mlcycle.tracking.models import RunInfo

router = APIRouter(prefix="/runs", tags=["runs"])


def _logs(path: str, summary: str, **extra: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A write that answers 204 No Content."""
    return router.post(path, status_code=status.HTTP_204_NO_CONTENT, response_class=Response, summary=summary, **extra)


@router.post("", response_model=RunInfo, status_code=status.HTTP_201_CREATED, summary="Start a run")
def create_run(body: RunIn, backend: Writer) -> Response:
    info = backend.create_run(
        body.project,
        name=body.name,
        stage=body.stage,
        parent_run_id=body.parent_run_id,
        git_commit=body.git_commit,
        params=body.params,
        tags=body.tags,
    )
    return WireJSONResponse(info, status_code=status.HTTP_201_CREATED)


@router.post("/search", response_model=list[RunInfo], summary="Search runs")
def search_runs(body: RunSearch, backend: Reader) -> Response:
    """Runs matching ``filter`` (e.g. ``metrics.auc > 0.9 and params.penalty = 'l2'``), in ``order_by`` order."""
    return WireJSONResponse(backend.search_runs(body.project, body.filter, body.order_by, body.limit, body.offset))


@router.get("/{run_id}", response_model=RunInfo, summary="Get a run with its params, latest metrics and tags")
def get_run(run_id: str, backend: Reader) -> Response:
    return WireJSONResponse(backend.get_run(run_id))


@router.post("/{run_id}/end", response_model=RunInfo, summary="End a run")
def end_run(run_id: str, body: RunEnd, backend: Writer) -> Response:
    return WireJSONResponse(backend.end_run(run_id, body.status))


@_logs("/{run_id}/params", "Log params (immutable once logged)")
def log_params(run_id: str, body: ParamsIn, backend: Writer) -> None:
    backend.log_params(run_id, body.params)


@_logs("/{run_id}/tags", "Set tags")
def set_tags(run_id: str, body: TagsIn, backend: Writer) -> None:
    backend.set_tags(run_id, body.tags)


@_logs("/{run_id}/metrics", "Log metric values at one step")
def log_metrics(run_id: str, body: MetricsIn, backend: Writer) -> None:
    backend.log_metrics(run_id, body.metrics, step=body.step, timestamp=body.timestamp)


@_logs("/{run_id}/metrics/series", "Log many points of one metric", openapi_extra=body_schema(SeriesIn))
def log_metric_series(run_id: str, backend: Writer, body: Annotated[SeriesIn, Depends(parsed_body(SeriesIn))]) -> None:
    backend.log_metric_series(run_id, body.key, body.values, steps=body.steps, timestamps=body.timestamps)


@_logs("/{run_id}/batch", "Log metric points, params and tags at once", openapi_extra=body_schema(BatchIn))
def log_batch(run_id: str, backend: Writer, body: Annotated[BatchIn, Depends(parsed_body(BatchIn))]) -> None:
    backend.log_batch(run_id, body.metrics, params=body.params, tags=body.tags)


@router.get("/{run_id}/metrics/{key:path}/history", response_model=MetricHistory, summary="History of a metric")
def metric_history(run_id: str, key: str, backend: Reader) -> Response:
    return WireJSONResponse(backend.metric_history(run_id, key))
