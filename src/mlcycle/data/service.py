"""The data service: dataset versions (Parquet snapshots identified by content hash), tags, validation, splits.

Every write validates its input first, then does its rows, lineage edges and event in one transaction. The
Parquet blob is written before that transaction (content-addressed, so a failed transaction leaves at most a
blob that the next identical write reuses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlcycle.artifacts import BlobStore
from mlcycle.core.catalog import check_stage
from mlcycle.core.config import Settings
from mlcycle.core.errors import Conflict, InvalidInput, NotFound, did_you_mean
from mlcycle.core.ids import new_id, now_ms
from mlcycle.core.validation import check_name
from mlcycle.data import repo
from mlcycle.data.diff import diff_versions
from mlcycle.data.hashing import content_hash
from mlcycle.data.models import (
    SOURCE_KINDS,
    ColumnProfile,
    ColumnSchema,
    DatasetDiff,
    DatasetInfo,
    DatasetVersion,
)
from mlcycle.data.parquet import read_blob, write_blob
from mlcycle.data.profile import infer_schema, profile_table
from mlcycle.data.sources import provenance, to_table
from mlcycle.data.splits import split_table
from mlcycle.data.validation import ExpectationSuite, ValidationReport
from mlcycle.store import Store, record_event
from mlcycle.store import runs as projects_repo
from mlcycle.store.lineage import Edge, add_edges

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from sqlalchemy.engine import Connection, Row

DEFAULT_STAGE = "data_collection"
PREPARATION_STAGE = "data_preparation"
WRITE_ATTEMPTS = 3
_EVENT_FIELDS = ("content_hash", "row_count", "source", "source_kind", "parent_version_id", "run_id")
_RESERVED_TAG = re.compile(r"^(latest|v?\d+)$")

LOAD_FORMATS = ("pandas", "arrow")

VersionRef = int | str  # a number, "v3", "latest" or a tag


class DatasetService:
    """Datasets on one store and artifact store, acting as ``user`` (recorded in every event)."""

    def __init__(self, store: Store, blobs: BlobStore, user: str) -> None:
        self.store = store
        self.blobs = blobs
        self.user = user

    @classmethod
    def from_settings(cls, settings: Settings) -> DatasetService:
        return cls(Store.open(settings.resolved_store_url), BlobStore(settings.resolved_artifacts_url), settings.user)

    # ---- logging -------------------------------------------------------------------------------------------
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
        pipeline_run_id: str | None = None,
        parent_version_id: str | None = None,
    ) -> DatasetVersion:
        """Store ``data`` (DataFrame, Arrow table, path or URL) as the next version of dataset ``name``.

        Content identical to a version of this dataset (see :mod:`mlcycle.data.hashing`) returns that version
        and stores nothing new.
        """
        prepared = self._prepare(
            project, name, data, stage, source, source_kind, run_id, pipeline_run_id, parent_version_id
        )
        return self.get_version_by_id(self._commit([prepared])[0])

    def _prepare(
        self,
        project: str,
        name: str,
        data: Any,
        stage: str | None,
        source: str | None,
        source_kind: str | None,
        run_id: str | None,
        pipeline_run_id: str | None,
        parent_version_id: str | None,
    ) -> _Prepared:
        """Everything but the version's rows: checks, hashing, and the Parquet blob when the content is new."""
        check_name(name, "dataset name")
        stage = check_stage(stage, default=DEFAULT_STAGE)
        if source_kind is not None and source_kind not in SOURCE_KINDS:
            raise InvalidInput(f"invalid source_kind {source_kind!r}", hint=f"use one of {', '.join(SOURCE_KINDS)}")
        project_id = self._project_id(project)
        loaded = to_table(data)
        table = loaded.table
        recorded_source, kind = provenance(loaded, source, source_kind)
        digest = content_hash(table)
        with self.store.read() as conn:
            _check_refs(conn, run_id, parent_version_id)
            ds = repo.dataset_row(conn, project_id, name)
            found = repo.version_by_hash(conn, ds.id, digest) if ds is not None else None
            reuse = repo.any_version_by_hash(conn, digest) if found is None else None
        if found is not None:
            links = {"run_id": run_id, "pipeline_run_id": pipeline_run_id}
            return _Prepared(project_id, name, str(found.id), links)
        if reuse is not None and self.blobs.exists(reuse.blob_digest):
            blob = reuse.blob_digest
            columns = [ColumnSchema.model_validate(c) for c in json.loads(reuse.schema_json)]
            profile = repo.profile_from_json(reuse.profile_json)
        else:
            blob, columns, profile = self._write(table)
        row = {
            "id": new_id(),
            "content_hash": digest,
            "blob_digest": blob,
            "format": "parquet",
            "row_count": table.num_rows,
            "schema_json": json.dumps([c.model_dump() for c in columns]),
            "profile_json": json.dumps({k: p.model_dump() for k, p in profile.items()}),
            "source": recorded_source,
            "source_kind": kind,
            "stage": stage,
            "parent_version_id": parent_version_id,
            "run_id": run_id,
            "pipeline_run_id": pipeline_run_id,
            "created_at": now_ms(),
            "created_by": self.user,
        }
        return _Prepared(project_id, name, None, row)

    def _write(self, table: pa.Table) -> tuple[str, list[ColumnSchema], dict[str, ColumnProfile]]:
        """Parquet to the blob store in a worker thread while this thread profiles (both release the GIL)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlcycle-parquet") as pool:
            written = pool.submit(write_blob, self.blobs, table)
            profile = profile_table(table)
            ref = written.result()
        return ref.digest, infer_schema(table, profile), profile

    def _commit(self, items: list[_Prepared]) -> list[str]:
        """Insert the prepared versions (each as its dataset's next number) and their edges and events, all in
        one transaction; content a concurrent writer stored first is linked instead."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.store.write() as conn:
                    return [self._insert_in(conn, item) for item in items]
            except Conflict:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert_in(self, conn: Connection, item: _Prepared) -> str:
        row = item.row
        if item.found_id is not None:  # known content: only link the run that logged it again
            add_edges(conn, _edges(item.found_id, None, row["run_id"], row["pipeline_run_id"]))
            return item.found_id
        ds = repo.dataset_row(conn, item.project_id, item.name)
        dataset_id = ds.id if ds is not None else self._new_dataset(conn, item.project_id, item.name)
        repo.lock_dataset(conn, dataset_id)
        existing = repo.version_by_hash(conn, dataset_id, row["content_hash"])
        if existing is not None:  # stored meanwhile by another writer: still link this run to it
            add_edges(conn, _edges(existing.id, None, row["run_id"], row["pipeline_run_id"]))
            return str(existing.id)
        number = repo.next_version(conn, dataset_id)
        repo.insert_version(conn, {**row, "dataset_id": dataset_id, "version": number})
        add_edges(conn, _edges(row["id"], row["parent_version_id"], row["run_id"], row["pipeline_run_id"]))
        record_event(
            conn,
            user=self.user,
            entity_type="dataset_version",
            entity_id=row["id"],
            action="created",
            project_id=item.project_id,
            stage=row["stage"],
            payload={"dataset": item.name, "version": number, **{k: row[k] for k in _EVENT_FIELDS}},
        )
        return str(row["id"])

    def _new_dataset(self, conn: Connection, project_id: str, name: str) -> str:
        dataset_id = new_id()
        repo.insert_dataset(
            conn,
            {"id": dataset_id, "project_id": project_id, "name": name, "created_at": now_ms(), "created_by": self.user},
        )
        return dataset_id

    def get_version(self, project: str, name: str, version: VersionRef = "latest") -> DatasetVersion:
        """A version by number (3 or "v3"), "latest", or tag."""
        project_id = self._project_id(project)
        with self.store.read() as conn:
            ds = self._dataset(conn, project_id, project, name)
            row = repo.resolve_version(conn, ds.id, version)
            if row is None:
                raise NotFound(
                    f"dataset {name!r} has no version {version!r}",
                    hint=f"run `mlcycle datasets show {project} {name}` to see its versions and tags",
                )
            return repo.to_version(row, repo.tags_of(conn, [row.id])[row.id])

    def get_version_by_id(self, version_id: str) -> DatasetVersion:
        with self.store.read() as conn:
            row = repo.version_by_id(conn, version_id)
            if row is None:
                raise NotFound(f"no dataset version {version_id!r}")
            return repo.to_version(row, repo.tags_of(conn, [version_id])[version_id])

    def list_datasets(self, project: str) -> list[DatasetInfo]:
        project_id = self._project_id(project)
        with self.store.read() as conn:
            rows = repo.list_datasets(conn, project_id)
            tags = repo.dataset_tag_versions(conn, [r.id for r in rows])
        return [DatasetInfo(**{**r._mapping, "tags": tags[r.id]}) for r in rows]

    def list_versions(self, project: str, name: str) -> list[DatasetVersion]:
        """Every version of a dataset, newest first."""
        project_id = self._project_id(project)
        with self.store.read() as conn:
            ds = self._dataset(conn, project_id, project, name)
            rows = repo.list_versions(conn, ds.id)
            tags = repo.tags_of(conn, [r.id for r in rows])
        return [repo.to_version(r, tags[r.id]) for r in rows]

    def load(
        self,
        version: DatasetVersion | str,
        as_: Literal["pandas", "arrow"] = "pandas",
        columns: list[str] | None = None,
        *,
        run_id: str | None = None,
        step: tuple[str, str] | None = None,
    ) -> pd.DataFrame | pa.Table:
        """The rows of a version as a pandas DataFrame or a pyarrow Table (optionally only some columns).

        ``run_id`` records that run as a reader of the version (lineage edge ``dataset_version -input-> run``);
        ``step`` = (pipeline run id, step name) also records the pipeline step that read it (``-input->
        step_run``).
        """
        check_load_format(as_)
        v = self._as_version(version)
        check_columns(v, columns)
        table = read_blob(self.blobs, v.blob_digest, columns)
        self.record_read(v, run_id, step)
        return table.to_pandas() if as_ == "pandas" else table

    def record_read(
        self, version: DatasetVersion | str, run_id: str | None, step: tuple[str, str] | None = None
    ) -> None:
        """Record ``run_id`` (and ``step`` = (pipeline run id, step name)) as readers of a version, as
        :meth:`load` does, without reading its rows: the server calls this when it serves the Parquet file.

        NotFound for an unknown version or run; a step the pipeline run does not have is left out.
        """
        if run_id is None and step is None:
            return
        v = self._as_version(version)
        with self.store.write() as conn:
            _check_refs(conn, run_id, None)
            edges = [Edge("dataset_version", v.id, "run", run_id, "input")] if run_id is not None else []
            step_run_id = repo.step_run_id(conn, *step) if step is not None else None
            if step_run_id is not None:
                edges.append(Edge("dataset_version", v.id, "step_run", step_run_id, "input"))
            add_edges(conn, edges)

    def parquet(self, version: DatasetVersion | str) -> tuple[DatasetVersion, int, Iterator[bytes]]:
        """A version's stored Parquet file: the version, the file's size in bytes, and its chunks (checked against
        the digest after the last one; a missing file is NotFound before the first)."""
        v = self._as_version(version)
        return v, self.blobs.size(v.blob_digest), self.blobs.open_verified(v.blob_digest)

    def diff(self, a: DatasetVersion | str, b: DatasetVersion | str) -> DatasetDiff:
        return diff_versions(self._as_version(a), self._as_version(b))

    # ---- tags ----------------------------------------------------------------------------------------------
    def tag(self, project: str, name: str, version: VersionRef, tag: str) -> DatasetVersion:
        """Point ``tag`` at a version of the dataset (moving it if it pointed elsewhere)."""
        check_name(tag, "tag")
        if _RESERVED_TAG.match(tag):
            raise InvalidInput(f"{tag!r} cannot be a tag: it reads as a version", hint="use a name like 'golden'")
        target = self.get_version(project, name, version)
        with self.store.write() as conn:
            previous = repo.tagged_version_id(conn, target.dataset_id, tag)
            if previous != target.id:
                repo.upsert_tag(
                    conn, {"dataset_id": target.dataset_id, "tag": tag, "version_id": target.id, "created_at": now_ms()}
                )
                record_event(
                    conn,
                    user=self.user,
                    entity_type="dataset_version",
                    entity_id=target.id,
                    action="tagged",
                    project_id=target.project_id,
                    stage=target.stage,
                    payload={"dataset": name, "version": target.version, "tag": tag, "previous_version_id": previous},
                )
        return self.get_version_by_id(target.id)

    # ---- validation and splits -----------------------------------------------------------------------------
    def validate(
        self,
        version: DatasetVersion | str,
        suite: ExpectationSuite,
        *,
        raise_on_failure: bool = True,
        run_id: str | None = None,
    ) -> ValidationReport:
        """Check ``suite`` on a version, store the report and record the event; raise ValidationFailed on failure
        (after storing) unless ``raise_on_failure`` is False."""
        v = self._as_version(version)
        with self.store.read() as conn:
            _check_refs(conn, run_id, None)
        checked = suite.validate(self.load(v, as_="arrow"))
        return self._store_report(v, checked, run_id, raise_on_failure)

    def record_report(
        self,
        version: DatasetVersion | str,
        report: ValidationReport,
        *,
        raise_on_failure: bool = True,
        run_id: str | None = None,
    ) -> ValidationReport:
        """Store a report that was checked elsewhere, exactly as :meth:`validate` stores its own.

        The remote client sends one for a suite with :class:`~mlcycle.data.validation.Custom` rules: their Python
        functions cannot cross HTTP, so it checks the whole suite on its own copy of the version's rows. The
        report must cover the version's rows, and its ``success`` is recomputed from its results.
        """
        v = self._as_version(version)
        if report.row_count != v.row_count:
            raise InvalidInput(
                f"the report covers {report.row_count} rows, but {v.ref} has {v.row_count}",
                hint="check the suite on the rows of this version",
            )
        with self.store.read() as conn:
            _check_refs(conn, run_id, None)
        checked = report.model_copy(update={"success": all(r.success for r in report.results)})
        return self._store_report(v, checked, run_id, raise_on_failure)

    def _store_report(
        self, v: DatasetVersion, checked: ValidationReport, run_id: str | None, raise_on_failure: bool
    ) -> ValidationReport:
        """Stamp and store a report, record the ``validated`` event, then raise ValidationFailed if it failed."""
        stamp = {"id": new_id(), "version_id": v.id, "dataset": v.ref, "run_id": run_id, "created_at": now_ms()}
        report = checked.model_copy(update={**stamp, "created_by": self.user})
        with self.store.write() as conn:
            repo.insert_report(conn, report)
            record_event(
                conn,
                user=self.user,
                entity_type="dataset_version",
                entity_id=v.id,
                action="validated",
                project_id=v.project_id,
                stage=PREPARATION_STAGE,
                payload={
                    "dataset": v.dataset,
                    "version": v.version,
                    "report_id": report.id,
                    "success": report.success,
                    "failures": [
                        {k: f[k] for k in ("column", "rule", "failed_count")} for f in report.failure_details()
                    ],
                    "run_id": run_id,
                },
            )
        if raise_on_failure:
            report.raise_for_failure()
        return report

    def validation_reports(self, version: DatasetVersion | str) -> list[ValidationReport]:
        """The stored reports of a version, newest first."""
        v = self._as_version(version)
        with self.store.read() as conn:
            return repo.reports_of(conn, v)

    def split(
        self,
        version: DatasetVersion | str,
        *,
        method: str = "random",
        fractions: Sequence[float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        stratify_by: str | None = None,
        time_column: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, DatasetVersion]:
        """Split a version into parts stored as versions of ``<name>-train``, ``<name>-validation`` and
        ``<name>-test``, each derived from it (see :mod:`mlcycle.data.splits`)."""
        v = self._as_version(version)
        parts = split_table(
            self.load(v, as_="arrow"),
            method=method,
            fractions=fractions,
            seed=seed,
            stratify_by=stratify_by,
            time_column=time_column,
        )
        how = f"method={method} fractions={'/'.join(f'{f:g}' for f in fractions)} seed={seed}"
        how += f" stratify_by={stratify_by}" if method == "stratified" else ""
        how += f" time_column={time_column}" if method == "time" else ""
        prepared = [
            self._prepare(
                v.project_id,
                f"{v.dataset}-{part}",
                table,
                PREPARATION_STAGE,
                f"{v.ref} {part}: {how}",
                "split",
                run_id,
                None,
                v.id,
            )
            for part, table in parts.items()
        ]
        ids = self._commit(prepared)  # every part, or none of them
        return {part: self.get_version_by_id(i) for part, i in zip(parts, ids, strict=True)}

    # ---- helpers -------------------------------------------------------------------------------------------
    def _project_id(self, project: str) -> str:
        with self.store.read() as conn:
            row = projects_repo.project_by_name_or_id(conn, project)
        if row is None:
            raise NotFound(f"no project {project!r}", hint="run `mlcycle projects list` to see the projects")
        return str(row.id)

    def _dataset(self, conn: Connection, project_id: str, project: str, name: str) -> Row[Any]:
        ds = repo.dataset_row(conn, project_id, name)
        if ds is None:
            names = [r.name for r in repo.list_datasets(conn, project_id)]
            hint = did_you_mean(name, names) or f"run `mlcycle datasets list {project}` to see its datasets"
            raise NotFound(f"project {project!r} has no dataset {name!r}", hint=hint)
        return ds

    def _as_version(self, version: DatasetVersion | str) -> DatasetVersion:
        return version if isinstance(version, DatasetVersion) else self.get_version_by_id(version)


def check_load_format(as_: str) -> None:
    """A version loads as "pandas" or "arrow"; anything else is InvalidInput."""
    if as_ not in LOAD_FORMATS:
        raise InvalidInput(f"cannot load a dataset as {as_!r}", hint="use 'pandas' or 'arrow'")


def check_columns(v: DatasetVersion, columns: list[str] | None) -> None:
    """Columns asked of a version must be in it; the others are named in the InvalidInput."""
    missing = [c for c in columns or [] if v.column(c) is None]
    if missing:
        raise InvalidInput(f"{v.ref} has no columns {missing}", hint=f"columns: {[c.name for c in v.columns]}")


def _check_refs(conn: Connection, run_id: str | None, parent_version_id: str | None) -> None:
    if run_id is not None and projects_repo.run_status(conn, run_id) is None:
        raise NotFound(f"no run {run_id!r}", hint="pass the id of an existing run")
    if parent_version_id is not None and repo.version_by_id(conn, parent_version_id) is None:
        raise NotFound(f"no dataset version {parent_version_id!r} to derive from")


@dataclass(frozen=True)
class _Prepared:
    """A version ready to insert (``row``), or known content (``found_id``; ``row`` holds the run links)."""

    project_id: str
    name: str
    found_id: str | None
    row: dict[str, Any]


def _edges(version_id: str, parent: str | None, run_id: str | None, pipeline_run_id: str | None) -> list[Edge]:
    edges = []
    if parent is not None:
        edges.append(Edge("dataset_version", parent, "dataset_version", version_id, "derived"))
    if run_id is not None:
        edges.append(Edge("run", run_id, "dataset_version", version_id, "output"))
    if pipeline_run_id is not None:
        edges.append(Edge("pipeline_run", pipeline_run_id, "dataset_version", version_id, "output"))
    return edges


__all__ = [
    "DEFAULT_STAGE",
    "LOAD_FORMATS",
    "PREPARATION_STAGE",
    "DatasetService",
    "VersionRef",
    "check_columns",
    "check_load_format",
]
