"""The tracking service: projects, runs, params, metrics, tags and artifacts, with their rules and events.

Every method validates its input at the boundary, does its writes in one transaction, and appends the event
that records the change in that same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from mlcycle.artifacts import BlobStore, check_artifact_name
from mlcycle.core.catalog import check_stage
from mlcycle.core.config import Settings
from mlcycle.core.errors import Conflict, InvalidInput, NotFound
from mlcycle.core.ids import new_id, now_ms
from mlcycle.core.validation import (
    MAX_PARAM_VALUE,
    MAX_TAG_VALUE,
    check_key,
    check_metric_value,
    check_name,
    check_step,
    check_value,
)
from mlcycle.store import Store, record_event
from mlcycle.store import runs as repo
from mlcycle.store.events import Event, list_events
from mlcycle.store.run_query import search_run_rows
from mlcycle.store.runs import MetricChunk
from mlcycle.tracking.models import (
    TERMINAL_STATUSES,
    ArtifactInfo,
    MetricSeries,
    ProjectInfo,
    RunInfo,
    from_db_value,
)

DEFAULT_STAGE = "model_training"
MAX_BATCH_POINTS = 1_000_000
MAX_INT = 2**62
MAX_EVENTS = 10_000


class TrackingService:
    """Tracking on one store and artifact store, acting as ``user`` (recorded in every event)."""

    def __init__(
        self, store: Store, blobs: BlobStore, user: str, _projects: dict[str, ProjectInfo] | None = None
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.user = user
        # Projects are never renamed or deleted, so a name or id, once resolved, stays valid.
        self._projects: dict[str, ProjectInfo] = {} if _projects is None else _projects

    @classmethod
    def from_settings(cls, settings: Settings) -> TrackingService:
        """The embedded service for these settings (store and artifact store are shared per process)."""
        return cls(Store.open(settings.resolved_store_url), BlobStore(settings.resolved_artifacts_url), settings.user)

    def as_user(self, user: str) -> TrackingService:
        return TrackingService(self.store, self.blobs, user, self._projects)

    # ---- projects ---------------------------------------------------------------------------------------
    def project(self, name: str, kind: str | None = None, description: str | None = None) -> ProjectInfo:
        """Get the project called ``name``, creating it (kind ``ml`` by default) when missing."""
        check_name(name, "project name")
        if kind is not None and kind not in ("ml", "llm"):
            raise InvalidInput(f"invalid project kind {kind!r}", hint="use 'ml' or 'llm'")
        with self.store.read() as conn:
            row = repo.project_by_name_or_id(conn, name)
        if row is None:
            project_id = new_id()
            row_values: dict[str, Any] = {
                "id": project_id,
                "name": name,
                "kind": kind or "ml",
                "description": description or "",
                "created_at": now_ms(),
                "created_by": self.user,
            }
            try:
                with self.store.write() as conn:
                    repo.insert_project(conn, row_values)
                    record_event(
                        conn,
                        user=self.user,
                        entity_type="project",
                        entity_id=project_id,
                        action="created",
                        project_id=project_id,
                        stage="problem_definition",
                        payload={"name": name, "kind": row_values["kind"]},
                    )
                return ProjectInfo(**row_values)
            except Conflict:  # created concurrently by someone else: fall through and read it
                with self.store.read() as conn:
                    row = repo.project_by_name_or_id(conn, name)
        assert row is not None
        project = ProjectInfo(**row._mapping)
        if kind is not None and kind != project.kind:
            raise Conflict(f"project {name!r} exists with kind {project.kind!r}, not {kind!r}")
        return project

    def get_project(self, ref: str) -> ProjectInfo:
        cached = self._projects.get(ref)
        if cached is not None:
            return cached
        with self.store.read() as conn:
            row = repo.project_by_name_or_id(conn, ref)
        if row is None:
            raise NotFound(f"no project {ref!r}", hint="run `mlcycle projects list` to see the projects")
        info = self._projects[ref] = ProjectInfo(**row._mapping)
        return info

    def list_projects(self) -> list[ProjectInfo]:
        with self.store.read() as conn:
            return [ProjectInfo(**r._mapping) for r in repo.list_projects(conn)]

    # ---- runs -------------------------------------------------------------------------------------------
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
    ) -> RunInfo:
        stage = check_stage(stage, default=DEFAULT_STAGE)
        assert stage is not None
        proj = self.get_project(project)
        clean_params = _check_params(params or {})
        clean_tags = _check_tags(tags or {})
        run_id = new_id()
        run_name = name or f"run-{run_id[:8]}"
        if len(run_name) > 256:
            raise InvalidInput("run names are at most 256 characters")
        row: dict[str, Any] = {
            "id": run_id,
            "project_id": proj.id,
            "name": run_name,
            "stage": stage,
            "status": "RUNNING",
            "start_time": now_ms(),
            "end_time": None,
            "parent_run_id": parent_run_id,
            "git_commit": git_commit,
            "user": self.user,
        }
        with self.store.write() as conn:
            if parent_run_id is not None and repo.run_status(conn, parent_run_id) is None:
                raise NotFound(f"no parent run {parent_run_id!r}")
            repo.insert_run(conn, row)
            repo.insert_params(conn, run_id, clean_params)
            repo.upsert_tags(conn, run_id, clean_tags)
            record_event(
                conn,
                user=self.user,
                entity_type="run",
                entity_id=run_id,
                action="created",
                project_id=proj.id,
                stage=stage,
                payload={"name": row["name"], "parent_run_id": parent_run_id, "git_commit": git_commit},
            )
        return RunInfo(**row, params=clean_params, tags=clean_tags)

    def end_run(self, run_id: str, status: str = "FINISHED") -> RunInfo:
        if status not in TERMINAL_STATUSES:
            raise InvalidInput(f"invalid end status {status!r}", hint=f"use one of {', '.join(TERMINAL_STATUSES)}")
        with self.store.write() as conn:
            current, project_id, stage = self._status(conn, run_id)
            if current != status:
                if current != "RUNNING":
                    raise Conflict(f"run {run_id} already ended as {current}")
                repo.update_run(conn, run_id, status=status, end_time=now_ms())
                record_event(
                    conn,
                    user=self.user,
                    entity_type="run",
                    entity_id=run_id,
                    action=status.lower(),
                    project_id=project_id,
                    stage=stage,
                    payload={"metrics": repo.metric_keys(conn, run_id)},
                )
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunInfo:
        runs = self._load_runs([run_id])
        if not runs:
            raise NotFound(f"no run {run_id!r}", hint="run `mlcycle runs list PROJECT` to see run ids")
        return runs[0]

    def search_runs(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RunInfo]:
        """Runs matching the filter (see docs/search.md), in order; ``project`` None searches all."""
        project_id = self.get_project(project).id if project else None
        with self.store.read() as conn:
            rows = search_run_rows(conn, project_id, filter, list(order_by or []), limit, offset)
            return self._with_data(conn, rows)

    def _load_runs(self, ids: Sequence[str]) -> list[RunInfo]:
        if not ids:
            return []
        with self.store.read() as conn:
            found = repo.run_rows(conn, ids)
            return self._with_data(conn, [found[i] for i in ids if i in found])

    @staticmethod
    def _with_data(conn: Any, rows: Sequence[Any]) -> list[RunInfo]:
        """Runs rows (in order) with their params, latest metrics and tags, built without re-validation."""
        if not rows:
            return []
        p, m, t = repo.run_data(conn, [r.id for r in rows])
        keys = rows[0]._fields
        return [
            RunInfo.model_construct(
                **dict(zip(keys, r, strict=True)),
                params=p[r.id],
                metrics={k: from_db_value(v) for k, v in m[r.id].items()},
                tags=t[r.id],
            )
            for r in rows
        ]

    # ---- params, metrics, tags --------------------------------------------------------------------------
    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Params are immutable: re-logging the same value is a no-op, a different value is a Conflict."""
        clean = _check_params(params)
        if clean:
            with self.store.write() as conn:
                self._write_params(conn, run_id, clean, self._status(conn, run_id, must_run=True))

    def _write_params(self, conn: Any, run_id: str, clean: dict[str, str], status: tuple[str, str, str]) -> None:
        existing = repo.existing_params(conn, run_id, clean)
        changed = {k: (existing[k], v) for k, v in clean.items() if k in existing and existing[k] != v}
        if changed:
            k, (old, wanted) = next(iter(changed.items()))
            raise Conflict(
                f"param {k!r} of run {run_id} is already {old!r}; cannot change it to {wanted!r}",
                hint="params are immutable; log a new key or start a new run",
                details={"changed": sorted(changed)},
            )
        new = {k: v for k, v in clean.items() if k not in existing}
        if new:
            repo.insert_params(conn, run_id, new)
            self._event(conn, run_id, status, "params_logged", {"keys": sorted(new)})

    def _event(self, conn: Any, run_id: str, status: tuple[str, str, str], action: str, payload: Any) -> None:
        _, project_id, stage = status
        record_event(
            conn,
            user=self.user,
            entity_type="run",
            entity_id=run_id,
            action=action,
            project_id=project_id,
            stage=stage,
            payload=payload,
        )

    def log_metrics(self, run_id: str, metrics: Mapping[str, Any], step: int = 0, timestamp: int | None = None) -> None:
        ts = check_step(timestamp, "timestamp") if timestamp is not None else now_ms()
        step = check_step(step)
        chunks = [
            MetricChunk(
                check_key(k, "metric key"),
                np.array([step], dtype=np.int64),
                np.array([check_metric_value(k, v)], dtype=np.float64),
                np.array([ts], dtype=np.int64),
            )
            for k, v in metrics.items()
        ]
        self._insert_chunks(run_id, chunks)

    def log_metric_series(
        self,
        run_id: str,
        key: str,
        values: Sequence[Any],
        steps: Sequence[int] | None = None,
        timestamps: Sequence[int] | None = None,
    ) -> None:
        """The bulk path: many points of one metric in one call, stored as one chunk in one transaction."""
        check_key(key, "metric key")
        vals = _float_array(key, values)
        n = len(vals)
        stp = np.arange(n, dtype=np.int64) if steps is None else _int_array("steps", steps, n)
        tss = np.full(n, now_ms(), dtype=np.int64) if timestamps is None else _int_array("timestamps", timestamps, n)
        self._insert_chunks(run_id, [MetricChunk(key, stp, vals, tss)])

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[tuple[str, Any, int, int]] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Metrics as (key, value, step, timestamp) tuples, plus params and tags: all in one transaction."""
        chunks = _group_points(metrics)
        clean_params = _check_params(params or {})
        clean_tags = _check_tags(tags or {})
        _check_total(chunks)
        with self.store.write() as conn:
            status = self._status(conn, run_id, must_run=True)
            if clean_params:
                self._write_params(conn, run_id, clean_params, status)
            if clean_tags:
                self._write_tags(conn, run_id, clean_tags, status)
            if chunks:
                repo.insert_metric_chunks(conn, run_id, chunks)

    def _insert_chunks(self, run_id: str, chunks: list[MetricChunk]) -> None:
        if not chunks:
            return
        _check_total(chunks)
        with self.store.write() as conn:
            self._status(conn, run_id, must_run=True)
            repo.insert_metric_chunks(conn, run_id, chunks)

    def metric_history(self, run_id: str, key: str) -> MetricSeries:
        with self.store.read() as conn:
            self._status(conn, run_id)
            steps, values, stamps = repo.metric_history(conn, run_id, key)
        if not len(steps):
            raise NotFound(f"run {run_id} has no metric {key!r}", hint=f"run `mlcycle runs show {run_id}`")
        return MetricSeries(key, steps.tolist(), values.tolist(), stamps.tolist())

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        clean = _check_tags(tags)
        if clean:
            with self.store.write() as conn:
                self._write_tags(conn, run_id, clean, self._status(conn, run_id))

    def _write_tags(self, conn: Any, run_id: str, clean: dict[str, str], status: tuple[str, str, str]) -> None:
        repo.upsert_tags(conn, run_id, clean)
        self._event(conn, run_id, status, "tags_set", {"tags": clean})

    # ---- artifacts --------------------------------------------------------------------------------------
    def log_artifact(self, run_id: str, name: str, data: IO[bytes] | bytes | Path) -> ArtifactInfo:
        """Store bytes under ``name`` for the run. Same name and same content again is a no-op;
        same name with other content is a Conflict (artifacts are immutable)."""
        path = check_artifact_name(name)
        with self.store.read() as conn:
            self._status(conn, run_id)
        if isinstance(data, bytes):
            ref = self.blobs.put_bytes(data)
        elif isinstance(data, Path):
            if not data.is_file():
                raise InvalidInput(f"no file at {data}", hint="pass the path of an existing file")
            ref = self.blobs.put_file(data)
        else:
            ref = self.blobs.put_stream(data)
        with self.store.write() as conn:
            _, project_id, stage = self._status(conn, run_id)
            existing = repo.artifact_row(conn, run_id, path)
            if existing is not None:
                if existing.digest != ref.digest:
                    raise Conflict(
                        f"run {run_id} already has a different artifact {path!r}",
                        hint="artifacts are immutable; log it under a new name",
                    )
                return ArtifactInfo(**existing._mapping)
            row = {
                "run_id": run_id,
                "path": path,
                "digest": ref.digest,
                "size": ref.size,
                "created_at": now_ms(),
            }
            repo.insert_artifact(conn, row)
            record_event(
                conn,
                user=self.user,
                entity_type="run",
                entity_id=run_id,
                action="artifact_logged",
                project_id=project_id,
                stage=stage,
                payload={"path": path, "digest": ref.digest, "size": ref.size},
            )
        return ArtifactInfo(**row)

    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactInfo]:
        with self.store.read() as conn:
            self._status(conn, run_id)
            return [ArtifactInfo(**r._mapping) for r in repo.list_artifacts(conn, run_id, prefix)]

    def artifact(self, run_id: str, name: str) -> ArtifactInfo:
        path = check_artifact_name(name)
        with self.store.read() as conn:
            row = repo.artifact_row(conn, run_id, path)
        if row is None:
            raise NotFound(f"run {run_id} has no artifact {path!r}", hint=f"run `mlcycle runs show {run_id}`")
        return ArtifactInfo(**row._mapping)

    def read_artifact(self, run_id: str, name: str) -> bytes:
        return self.blobs.get_bytes(self.artifact(run_id, name).digest)

    def stream_artifact(self, run_id: str, name: str) -> Iterator[bytes]:
        return self.blobs.open_verified(self.artifact(run_id, name).digest)

    def download_artifact(self, run_id: str, name: str, dest: Path) -> Path:
        self.blobs.download(self.artifact(run_id, name).digest, dest)
        return dest

    # ---- events -----------------------------------------------------------------------------------------
    def events(
        self,
        project: str | None = None,
        *,
        after_id: int | None = None,
        limit: int = 100,
        stage: str | None = None,
    ) -> list[Event]:
        project_id = self.get_project(project).id if project else None
        check_stage(stage)
        if not 1 <= limit <= MAX_EVENTS:
            raise InvalidInput(f"limit must be between 1 and {MAX_EVENTS}, got {limit}")
        if after_id is not None and not 0 <= after_id <= MAX_INT:
            raise InvalidInput(f"after_id must be between 0 and 2**62, got {after_id}")
        with self.store.read() as conn:
            return list_events(
                conn,
                project_id=project_id,
                stage=stage,
                after_id=after_id,
                limit=limit,
                newest_first=after_id is None,
            )

    # ---- helpers ----------------------------------------------------------------------------------------
    def _status(self, conn: Any, run_id: str, must_run: bool = False) -> tuple[str, str, str]:
        found = repo.run_status(conn, run_id)
        if found is None:
            raise NotFound(f"no run {run_id!r}", hint="run `mlcycle runs list PROJECT` to see run ids")
        if must_run and found[0] != "RUNNING":
            raise Conflict(f"run {run_id} is {found[0]}; it takes no more data", hint="start a new run")
        return found


def _check_params(params: Mapping[str, Any]) -> dict[str, str]:
    return {check_key(k, "param key"): check_value(v, k, MAX_PARAM_VALUE, "param") for k, v in params.items()}


def _check_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    return {check_key(k, "tag key"): check_value(v, k, MAX_TAG_VALUE, "tag") for k, v in tags.items()}


def _check_total(chunks: Sequence[MetricChunk]) -> None:
    total = sum(len(c.steps) for c in chunks)
    if total > MAX_BATCH_POINTS:
        raise InvalidInput(f"{total} points in one call; the limit is {MAX_BATCH_POINTS}")


def _group_points(metrics: Sequence[tuple[str, Any, int, int]]) -> list[MetricChunk]:
    """(key, value, step, timestamp) tuples -> one column-wise chunk per key, in first-seen key order."""
    if not metrics:
        return []
    try:
        keys, values, steps, stamps = zip(*metrics, strict=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("metrics must be (key, value, step, timestamp) tuples") from exc
    n = len(keys)
    vals = _float_array("batch", values)
    stp = _int_array("steps", steps, n)
    tss = _int_array("timestamps", stamps, n)
    positions: dict[str, list[int]] = {}
    try:
        for i, key in enumerate(keys):
            positions.setdefault(key, []).append(i)
    except TypeError as exc:  # an unhashable key
        raise InvalidInput(f"metric keys must be strings ({exc})") from exc
    if len(positions) == 1:
        return [MetricChunk(check_key(keys[0], "metric key"), stp, vals, tss)]
    chunks = []
    for key, where in positions.items():
        idx = np.asarray(where, dtype=np.intp)
        chunks.append(MetricChunk(check_key(key, "metric key"), stp[idx], vals[idx], tss[idx]))
    return chunks


def _float_array(key: str, values: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidInput(f"metric {key!r}: values must be a flat sequence of numbers")
    if arr.dtype.kind not in "iuf" and len(arr):
        raise InvalidInput(f"metric {key!r}: values must all be numbers, got {arr.dtype} data")
    return arr.astype(np.float64, copy=False)


def _int_array(what: str, values: Any, n: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) != n:
        raise InvalidInput(f"{len(arr) if arr.ndim == 1 else 'non-flat'} {what} given for {n} values")
    if not len(arr):
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise InvalidInput(f"{what} must be whole numbers, got {arr.dtype} data")
    if arr.min() < 0 or arr.max() > MAX_INT:  # checked before the cast, which would wrap
        raise InvalidInput(f"{what} must be between 0 and 2**62")
    return arr.astype(np.int64, copy=False)
