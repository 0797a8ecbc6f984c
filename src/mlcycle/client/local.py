"""The embedded backend: the services of this process, used directly (and by the server behind its routes)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mlcycle.core.config import Settings
from mlcycle.lifecycle import LifecycleView, project_lifecycle
from mlcycle.tracking.service import TrackingService

if TYPE_CHECKING:
    from mlcycle.data import DatasetInfo, DatasetService, DatasetVersion, ExpectationSuite, ValidationReport
    from mlcycle.lineage import LineageReport


class LocalBackend(TrackingService):
    """Tracking plus the other services' read models, in-process."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBackend:
        base = TrackingService.from_settings(settings)
        return cls(base.store, base.blobs, base.user)

    def as_user(self, user: str) -> LocalBackend:
        return LocalBackend(self.store, self.blobs, user, self._projects)

    def lifecycle(self, project: str) -> LifecycleView:
        p = self.get_project(project)
        return project_lifecycle(self.store, p.id, p.name, p.kind)

    def lineage(self, ref: str, direction: str = "up", depth: int = 10) -> LineageReport:
        """The lineage graph around ``ref`` (an id, a digest, ``RUN_ID:path`` or ``PROJECT/DATASET[@VERSION]``),
        ``depth`` hops ``up`` (what produced it), ``down`` (what was made from it) or ``both`` ways."""
        from mlcycle.lineage import lineage

        return lineage(self.store, ref, direction, depth)

    # ---- datasets (pandas and pyarrow are imported on first use) ------------------------------------------
    @cached_property
    def data(self) -> DatasetService:
        from mlcycle.data import DatasetService

        return DatasetService(self.store, self.blobs, self.user)

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
    ) -> DatasetVersion:
        return self.data.log_dataset(
            project,
            name,
            data,
            stage=stage,
            source=source,
            source_kind=source_kind,
            run_id=run_id,
            parent_version_id=parent_version_id,
        )

    def get_dataset_version(self, project: str, name: str, version: int | str = "latest") -> DatasetVersion:
        return self.data.get_version(project, name, version)

    def dataset_version_by_id(self, version_id: str) -> DatasetVersion:
        return self.data.get_version_by_id(version_id)

    def list_datasets(self, project: str) -> list[DatasetInfo]:
        return self.data.list_datasets(project)

    def list_dataset_versions(self, project: str, name: str) -> list[DatasetVersion]:
        return self.data.list_versions(project, name)

    def tag_dataset(self, project: str, name: str, version: int | str, tag: str) -> DatasetVersion:
        return self.data.tag(project, name, version, tag)

    def load_dataset(
        self,
        version_id: str,
        as_: str = "pandas",
        columns: list[str] | None = None,
        *,
        run_id: str | None = None,
        step: tuple[str, str] | None = None,
    ) -> Any:
        """The rows of a version; ``run_id`` and ``step`` (pipeline run id, step name) record who read it."""
        return self.data.load(version_id, as_, columns, run_id=run_id, step=step)  # type: ignore[arg-type]

    def validate_dataset(
        self,
        version_id: str,
        suite: ExpectationSuite,
        *,
        raise_on_failure: bool = True,
        run_id: str | None = None,
    ) -> ValidationReport:
        return self.data.validate(version_id, suite, raise_on_failure=raise_on_failure, run_id=run_id)

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
    ) -> dict[str, DatasetVersion]:
        return self.data.split(
            version_id,
            method=method,
            fractions=fractions,
            seed=seed,
            stratify_by=stratify_by,
            time_column=time_column,
            run_id=run_id,
        )
