"""What a client talks to: the embedded :class:`TrackingService` or the HTTP :class:`RemoteBackend`.

Both implement this protocol with the same signatures and the same errors; one contract test suite runs the
same tests against each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from mlcycle.lifecycle import LifecycleView
from mlcycle.store.events import Event
from mlcycle.tracking.models import ArtifactInfo, MetricSeries, ProjectInfo, RunInfo

if TYPE_CHECKING:  # the data types pull in nothing heavy, but keep `import mlcycle.client` minimal anyway
    from mlcycle.data.models import DatasetInfo, DatasetVersion
    from mlcycle.data.validation import ExpectationSuite, ValidationReport
    from mlcycle.lineage import LineageReport


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

    # lineage: ``ref`` is an id, a sha256 digest, RUN_ID:path or PROJECT/DATASET[@VERSION|@TAG] (docs/lineage.md)
    def lineage(self, ref: str, direction: str = "up", depth: int = 10) -> LineageReport: ...

    # datasets: ``data`` is a pandas DataFrame, a pyarrow Table, or a file path or URL; versions are a number,
    # "v3", "latest" or a tag; ``load_dataset`` returns a pandas DataFrame or a pyarrow Table, and records ``run_id``
    # and ``step`` (pipeline run id, step name) as readers of the version in the lineage graph.
    def log_dataset(
        self,
        project: str,
        name: str,
        data: Any,
        *,
        stage: str | None = None,
        source: str | None = None,
        source_kind: str | None = None,
        run_id: str | None = None,
        parent_version_id: str | None = None,
    ) -> DatasetVersion: ...
    def get_dataset_version(self, project: str, name: str, version: int | str = "latest") -> DatasetVersion: ...
    def dataset_version_by_id(self, version_id: str) -> DatasetVersion: ...
    def list_datasets(self, project: str) -> list[DatasetInfo]: ...
    def list_dataset_versions(self, project: str, name: str) -> list[DatasetVersion]: ...
    def tag_dataset(self, project: str, name: str, version: int | str, tag: str) -> DatasetVersion: ...
    def load_dataset(
        self,
        version_id: str,
        as_: str = "pandas",
        columns: list[str] | None = None,
        *,
        run_id: str | None = None,
        step: tuple[str, str] | None = None,
    ) -> Any: ...
    def validate_dataset(
        self,
        version_id: str,
        suite: ExpectationSuite,
        *,
        raise_on_failure: bool = True,
        run_id: str | None = None,
    ) -> ValidationReport: ...
    def split_dataset(
        self,
        version_id: str,
        *,
        method: str = "random",
        fractions: Sequence[float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        stratify_by: str | None = None,
        time_column: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, DatasetVersion]: ...
