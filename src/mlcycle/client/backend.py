"""What a client talks to: the embedded :class:`TrackingService` or the HTTP :class:`RemoteBackend`.

Both implement this protocol with the same signatures and the same errors; one contract test suite runs the
same tests against each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from mlcycle.lifecycle import LifecycleView
from mlcycle.store.events import Event
from mlcycle.tracking.models import ArtifactInfo, MetricSeries, ProjectInfo, RunInfo


class Backend(Protocol):
    user: str

    def project(self, name: str, kind: str | None = None, description: str | None = None) -> ProjectInfo: ...
    def get_project(self, ref: str) -> ProjectInfo: ...
    def list_projects(self) -> list[ProjectInfo]: ...

    def create_run(
        self,
        project: str,
        *,
        name: str | None = None,
        stage: str | None = None,
        parent_run_id: str | None = None,
        git_commit: str | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> RunInfo: ...
    def end_run(self, run_id: str, status: str = "FINISHED") -> RunInfo: ...
    def get_run(self, run_id: str) -> RunInfo: ...
    def search_runs(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RunInfo]: ...

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None: ...
    def log_metrics(
        self, run_id: str, metrics: Mapping[str, Any], step: int = 0, timestamp: int | None = None
    ) -> None: ...
    def log_metric_series(
        self,
        run_id: str,
        key: str,
        values: Sequence[Any],
        steps: Sequence[int] | None = None,
        timestamps: Sequence[int] | None = None,
    ) -> None: ...
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[tuple[str, Any, int, int]] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None: ...
    def metric_history(self, run_id: str, key: str) -> MetricSeries: ...
    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None: ...

    def log_artifact(self, run_id: str, name: str, data: IO[bytes] | bytes | Path) -> ArtifactInfo: ...
    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactInfo]: ...
    def read_artifact(self, run_id: str, name: str) -> bytes: ...
    def stream_artifact(self, run_id: str, name: str) -> Iterator[bytes]: ...
    def download_artifact(self, run_id: str, name: str, dest: Path) -> Path: ...

    def events(
        self,
        project: str | None = None,
        *,
        after_id: int | None = None,
        limit: int = 100,
        stage: str | None = None,
    ) -> list[Event]: ...

    def lifecycle(self, project: str) -> LifecycleView: ...
