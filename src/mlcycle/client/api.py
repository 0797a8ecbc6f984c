"""The public tracking API: ``connect()`` gives a :class:`Client`; projects start :class:`Run` objects.

The same objects work embedded (in-process store) and remote (HTTP to ``mlcycle server``).
"""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from mlcycle.client.backend import Backend
from mlcycle.core.config import Settings, load_settings
from mlcycle.core.errors import InvalidInput
from mlcycle.lifecycle import LifecycleView
from mlcycle.store.events import Event
from mlcycle.tracking.models import ArtifactInfo, MetricSeries, ProjectInfo, RunInfo
from mlcycle.tracking.sysinfo import git_commit

if TYPE_CHECKING:
    from mlcycle.data.models import DatasetDiff, DatasetInfo, DatasetVersion
    from mlcycle.data.validation import ExpectationSuite, ValidationReport
    from mlcycle.lineage import LineageReport

_active_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar("mlcycle_active_run", default=None)


def active_run() -> Run | None:
    """The run of the innermost ``with project.start_run()`` block in this context, if any; inside a pipeline
    step, the pipeline run's tracking run."""
    run = _active_run.get()
    return run if run is not None else _pipeline_step_run()


def _pipeline_step_run() -> Run | None:
    # A step can only be running if the pipelines package was imported: do not import it otherwise.
    context: Any = sys.modules.get("mlcycle.pipelines.context")
    step = context.current_step() if context is not None else None
    if step is None:
        return None
    from mlcycle.client.local import LocalBackend

    backend = LocalBackend(step.store(), step.blobs(), step.user)
    return Run(Client(backend), backend.get_run(step.run_id))


def _location(backend: Backend) -> str:
    """Where a backend keeps its data: the server URL, or the store URL."""
    server = getattr(backend, "server_url", None)
    return str(server) if server else str(getattr(getattr(backend, "store", None), "url", id(backend)))


def _run_in(client: Client) -> Run | None:
    """The active run, if it lives where ``client`` writes (a run of another store cannot be linked to)."""
    run = active_run()
    return run if run is not None and _location(run.client.backend) == _location(client.backend) else None


def _pipeline_step() -> tuple[str, str] | None:
    """(pipeline run id, step name) of the pipeline step running in this context, if any."""
    context: Any = sys.modules.get("mlcycle.pipelines.context")
    step = context.current_step() if context is not None else None
    return (step.pipeline_run_id, step.step) if step is not None else None


def connect(
    server_url: str | None = None,
    *,
    token: str | None = None,
    home: str | Path | None = None,
    store_url: str | None = None,
    artifacts_url: str | None = None,
) -> Client:
    """A client: remote when ``server_url`` (or ``MLCYCLE_SERVER_URL``) is set, else embedded."""
    settings = load_settings(
        server_url=server_url, token=token, home=home, store_url=store_url, artifacts_url=artifacts_url
    )
    backend: Backend
    if settings.server_url:
        from mlcycle.client.remote import RemoteBackend

        backend = RemoteBackend(settings.server_url, token=settings.token)
    else:
        from mlcycle.client.local import LocalBackend

        backend = LocalBackend.from_settings(settings)
    return Client(backend, settings)


class Client:
    """Entry point to projects and runs."""

    def __init__(self, backend: Backend, settings: Settings | None = None) -> None:
        self.backend = backend
        self.settings = settings or load_settings()

    @property
    def is_remote(self) -> bool:
        return bool(self.settings.server_url)

    def close(self) -> None:
        """Release the remote connection pool (embedded stores are shared per process and stay open)."""
        close = getattr(self.backend, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def project(self, name: str, kind: str | None = None, description: str | None = None) -> Project:
        """Get or create a project (``kind`` 'ml' or 'llm'; 'ml' when created without one)."""
        return Project(self, self.backend.project(name, kind=kind, description=description))

    def get_project(self, ref: str) -> Project:
        return Project(self, self.backend.get_project(ref))

    def projects(self) -> list[ProjectInfo]:
        return self.backend.list_projects()

    def get_run(self, run_id: str) -> Run:
        return Run(self, self.backend.get_run(run_id))

    def search_runs(
        self,
        filter: str | None = None,
        *,
        project: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Run]:
        infos = self.backend.search_runs(project, filter, order_by, limit, offset)
        return [Run(self, i) for i in infos]

    def events(
        self,
        project: str | None = None,
        *,
        after_id: int | None = None,
        limit: int = 100,
        stage: str | None = None,
    ) -> list[Event]:
        return self.backend.events(project, after_id=after_id, limit=limit, stage=stage)

    def lifecycle(self, project: str) -> LifecycleView:
        """Per lifecycle stage, in flow order: how many events the project has and the latest one."""
        return self.backend.lifecycle(project)

    def lineage(self, ref: str, *, direction: str = "up", depth: int = 10) -> LineageReport:
        """The lineage graph around ``ref``: an id or sha256 digest (a unique prefix of 8+ hex characters will
        do), ``RUN_ID:path/of/artifact`` or ``PROJECT/DATASET[@VERSION|@TAG]``; ``depth`` hops ``up`` (what
        produced it, with a provenance summary), ``down`` (what was made from it, with its consumers) or
        ``both`` ways. See docs/lineage.md."""
        return self.backend.lineage(ref, direction, depth)

    def __repr__(self) -> str:
        where = self.settings.server_url or self.settings.resolved_store_url
        return f"<mlcycle.Client {'remote' if self.is_remote else 'embedded'} {where}>"


class Project:
    """A project handle: starts and searches its runs."""

    def __init__(self, client: Client, info: ProjectInfo) -> None:
        self.client = client
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def kind(self) -> str:
        return self.info.kind

    def start_run(
        self,
        name: str | None = None,
        *,
        stage: str | None = None,
        parent: Run | str | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> Run:
        """Start a run; use it as a context manager so it ends FINISHED, or FAILED when the block raises.

        Inside another run's ``with`` block, the new run is its child unless ``parent`` says otherwise.
        """
        parent_run = parent if parent is not None else _run_in(self.client)
        parent_id = parent_run.id if isinstance(parent_run, Run) else parent_run
        info = self.client.backend.create_run(
            self.info.name,
            name=name,
            stage=stage,
            parent_run_id=parent_id,
            git_commit=git_commit(os.getcwd()),
            params=params,
            tags=tags,
        )
        return Run(self.client, info)

    def search_runs(
        self,
        filter: str | None = None,
        *,
        order_by: Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Run]:
        """Runs of this project matching ``filter`` (grammar: docs/search.md)."""
        return self.client.search_runs(filter, project=self.info.name, order_by=order_by, limit=limit, offset=offset)

    # -- datasets
    def log_dataset(self, name: str, data: Any, *, stage: str | None = None, source: str | None = None) -> Dataset:
        """Store ``data`` (a pandas DataFrame, a pyarrow Table, or a .csv/.parquet/.jsonl path or URL) as a new
        version of dataset ``name``; content equal to an existing version returns that version. Inside a run's
        ``with`` block the version is linked to the run."""
        run = _run_in(self.client)
        info = self.client.backend.log_dataset(
            self.info.name, name, data, stage=stage, source=source, run_id=run.id if run else None
        )
        return Dataset(self.client, info)

    def dataset(self, name: str, version: int | str = "latest") -> Dataset:
        """A version of a dataset: a number (3 or "v3"), "latest", or a tag."""
        return Dataset(self.client, self.client.backend.get_dataset_version(self.info.name, name, version))

    def datasets(self) -> list[DatasetInfo]:
        return self.client.backend.list_datasets(self.info.name)

    def __repr__(self) -> str:
        return f"<mlcycle.Project {self.info.name} ({self.info.kind})>"


class Dataset:
    """A dataset version: ``info`` holds its schema, profile and provenance; :meth:`load` reads its rows."""

    def __init__(self, client: Client, info: DatasetVersion) -> None:
        self.client = client
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.dataset

    @property
    def version(self) -> int:
        return self.info.version

    def load(self, as_: str = "pandas", columns: list[str] | None = None) -> Any:
        """The rows as a pandas DataFrame (``as_="pandas"``) or a pyarrow Table (``as_="arrow"``).

        Inside a run's ``with`` block or a pipeline step, the lineage graph records the run (and the step) as a
        reader of this version, embedded and remote alike (a server skips it for a ``viewer`` token)."""
        run = _run_in(self.client)
        if run is None:
            return self.client.backend.load_dataset(self.info.id, as_, columns)
        return self.client.backend.load_dataset(self.info.id, as_, columns, run_id=run.id, step=_pipeline_step())

    def tag(self, tag: str) -> Dataset:
        self.info = self.client.backend.tag_dataset(self.info.project_id, self.name, self.version, tag)
        return self

    def versions(self) -> list[Dataset]:
        """Every version of this dataset, newest first."""
        infos = self.client.backend.list_dataset_versions(self.info.project_id, self.name)
        return [Dataset(self.client, i) for i in infos]

    def parent(self) -> Dataset | None:
        """The version this one was derived from (e.g. the dataset a split came from)."""
        pid = self.info.parent_version_id
        return Dataset(self.client, self.client.backend.dataset_version_by_id(pid)) if pid else None

    def diff(self, other: Dataset) -> DatasetDiff:
        """Schema and profile changes from this version to ``other``."""
        from mlcycle.data.diff import diff_versions

        return diff_versions(self.info, other.info)

    def validate(self, suite: ExpectationSuite, *, raise_on_failure: bool = True) -> ValidationReport:
        """Check ``suite``, store the report; raises ValidationFailed when a rule fails (unless told not to)."""
        run = _run_in(self.client)
        return self.client.backend.validate_dataset(
            self.info.id, suite, raise_on_failure=raise_on_failure, run_id=run.id if run else None
        )

    def split(
        self,
        *,
        method: str = "random",
        fractions: Sequence[float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        stratify_by: str | None = None,
        time_column: str | None = None,
    ) -> dict[str, Dataset]:
        """Deterministic parts stored as ``<name>-train``, ``<name>-validation``, ``<name>-test`` (docs/data.md)."""
        run = _run_in(self.client)
        parts = self.client.backend.split_dataset(
            self.info.id,
            method=method,
            fractions=fractions,
            seed=seed,
            stratify_by=stratify_by,
            time_column=time_column,
            run_id=run.id if run else None,
        )
        return {k: Dataset(self.client, v) for k, v in parts.items()}

    def __repr__(self) -> str:
        return f"<mlcycle.Dataset {self.info.ref} {self.info.row_count} rows>"


class Run:
    """A tracked run. ``info`` is a snapshot; :meth:`refresh` reloads it."""

    def __init__(self, client: Client, info: RunInfo) -> None:
        self.client = client
        self.info = info
        self._token: contextvars.Token[Run | None] | None = None

    # -- snapshot accessors
    @property
    def id(self) -> str:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def status(self) -> str:
        return self.info.status

    @property
    def params(self) -> dict[str, str]:
        return self.info.params

    @property
    def metrics(self) -> dict[str, float]:
        return self.info.metrics

    @property
    def tags(self) -> dict[str, str]:
        return self.info.tags

    def refresh(self) -> Run:
        self.info = self.client.backend.get_run(self.info.id)
        return self

    # -- logging
    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        self.client.backend.log_params(self.info.id, params)

    def log_metric(self, key: str, value: float, step: int = 0, timestamp: int | None = None) -> None:
        self.log_metrics({key: value}, step=step, timestamp=timestamp)

    def log_metrics(self, metrics: Mapping[str, Any], step: int = 0, timestamp: int | None = None) -> None:
        self.client.backend.log_metrics(self.info.id, metrics, step=step, timestamp=timestamp)

    def log_metric_series(
        self,
        key: str,
        values: Sequence[Any],
        steps: Sequence[int] | None = None,
        timestamps: Sequence[int] | None = None,
    ) -> None:
        """Many points of one metric at once (steps default to 0..n-1): the fast bulk path."""
        self.client.backend.log_metric_series(self.info.id, key, values, steps=steps, timestamps=timestamps)

    def log_batch(
        self,
        metrics: Sequence[tuple[str, Any, int, int]] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        self.client.backend.log_batch(self.info.id, metrics, params=params, tags=tags)

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.client.backend.set_tags(self.info.id, tags)

    def log_artifact(self, local_path: str | Path, name: str | None = None) -> list[ArtifactInfo]:
        """Store a file (under its base name, or ``name``) or a whole directory (under ``name``/...)."""
        path = Path(local_path)
        if path.is_dir():
            prefix = name if name is not None else path.name
            return [
                self.client.backend.log_artifact(self.info.id, f"{prefix}/{f.relative_to(path).as_posix()}", f)
                for f in sorted(path.rglob("*"))
                if f.is_file()
            ]
        if not path.is_file():
            raise InvalidInput(f"no file or directory at {path}", hint="pass the path of an existing file")
        return [self.client.backend.log_artifact(self.info.id, name or path.name, path)]

    def log_bytes(self, name: str, data: bytes | IO[bytes]) -> ArtifactInfo:
        return self.client.backend.log_artifact(self.info.id, name, data)

    def log_text(self, name: str, text: str) -> ArtifactInfo:
        return self.log_bytes(name, text.encode("utf-8"))

    # -- reading
    def metrics_history(self, key: str) -> MetricSeries:
        return self.client.backend.metric_history(self.info.id, key)

    def artifacts(self, prefix: str | None = None) -> list[ArtifactInfo]:
        return self.client.backend.list_artifacts(self.info.id, prefix)

    def read_artifact(self, name: str) -> bytes:
        return self.client.backend.read_artifact(self.info.id, name)

    def stream_artifact(self, name: str) -> Iterator[bytes]:
        return self.client.backend.stream_artifact(self.info.id, name)

    def download_artifact(self, name: str, dest: str | Path) -> Path:
        return self.client.backend.download_artifact(self.info.id, name, Path(dest))

    # -- lifecycle
    def end(self, status: str = "FINISHED") -> None:
        self.info = self.client.backend.end_run(self.info.id, status)

    def __enter__(self) -> Run:
        self._token = _active_run.set(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            _active_run.reset(self._token)
            self._token = None
        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        if self.info.status == "RUNNING":  # not already ended inside the block
            self.end(status)  # the caller's exception, if any, propagates

    def __repr__(self) -> str:
        return f"<mlcycle.Run {self.info.name} {self.info.id[:8]} {self.info.status}>"
