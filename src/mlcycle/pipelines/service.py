"""The pipeline service: pipelines, their runs and steps, the step cache, their events and lineage.

Every write is one transaction that also appends its events. A step's cache entry is written in the same
transaction that marks the step COMPLETED, and only after its outputs are stored in full, so a process killed
mid-step leaves the step RUNNING and no cache entry behind.

Each pipeline run owns a tracking run (same ``runs`` table and events as the tracking service), so params and
metrics logged inside steps land on it. The run is created here through the store, because the layer contract
keeps sibling services (tracking, pipelines) independent of each other.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from mlcycle.artifacts import BlobStore
from mlcycle.core.config import Settings
from mlcycle.core.errors import NotFound
from mlcycle.core.ids import new_id, now_ms
from mlcycle.pipelines import records, tracking_runs
from mlcycle.pipelines.context import StoreConfig
from mlcycle.pipelines.materializers import OutputRef, load_value
from mlcycle.pipelines.models import PipelineInfo, PipelineRun, run_info_from_rows
from mlcycle.store import Store, record_event
from mlcycle.store import runs as run_rows
from mlcycle.store.lineage import Edge, add_edges
from mlcycle.tracking.service import TrackingService
from mlcycle.tracking.sysinfo import git_commit

if TYPE_CHECKING:
    from mlcycle.pipelines.decorators import Pipeline


@dataclass(frozen=True)
class StartedRun:
    id: str
    run_id: str
    project_id: str
    project: str
    pipeline: str
    stage: str | None
    step_ids: Mapping[str, str]


class PipelineService:
    """Pipelines on one store and artifact store, acting as ``user``."""

    def __init__(self, store: Store, blobs: BlobStore, user: str) -> None:
        self.store = store
        self.blobs = blobs
        self.user = user

    @classmethod
    def from_settings(cls, settings: Settings) -> PipelineService:
        return cls(Store.open(settings.resolved_store_url), BlobStore(settings.resolved_artifacts_url), settings.user)

    @property
    def config(self) -> StoreConfig:
        return StoreConfig(self.store.url, self.blobs.url, self.user)

    # ---- starting and ending runs ---------------------------------------------------------------------
    def start_run(
        self,
        pipeline: Pipeline[...],
        project: str,
        params: Mapping[str, Any],
        *,
        runner: str,
        trigger: str = "manual",
        resumed_from: str | None = None,
    ) -> StartedRun:
        """Register the pipeline, create its tracking run, the pipeline run and a PENDING row per step."""
        project_id = self._project_id(project)
        ts = now_ms()
        prun_id, run_id = new_id(), new_id()
        graph = pipeline.graph
        refs = [[r.node, r.key] for r in graph.output_refs()]
        step_ids = {name: new_id() for name in graph.order}
        with self.store.write() as conn:
            pipeline_id = self._register(conn, project_id, pipeline.name, pipeline.target, ts)
            tracking_runs.create_run(
                conn,
                run_id=run_id,
                name=f"{pipeline.name}-{prun_id[:8]}",
                project_id=project_id,
                stage=pipeline.stage,
                user=self.user,
                params=params,
                tags={"mlcycle.pipeline": pipeline.name, "mlcycle.pipeline_run_id": prun_id},
                ts=ts,
                git_commit=git_commit(os.getcwd()),
            )
            records.insert_pipeline_run(
                conn,
                {
                    "id": prun_id,
                    "pipeline_id": pipeline_id,
                    "project_id": project_id,
                    "run_id": run_id,
                    "status": "RUNNING",
                    "runner": runner,
                    "params_json": json.dumps(dict(params), sort_keys=True),
                    "outputs_json": json.dumps({"refs": refs, "tuple": isinstance(graph.returns, tuple)}),
                    "trigger": trigger,
                    "resumed_from": resumed_from,
                    "started_at": ts,
                },
            )
            records.insert_step_runs(
                conn,
                [
                    {"id": step_ids[n], "pipeline_run_id": prun_id, "name": n, "step": graph.nodes[n].step.target}
                    | {"position": i, "status": "PENDING", "cached": 0, "inputs_json": "{}", "outputs_json": "{}"}
                    for i, n in enumerate(graph.order)
                ],
            )
            add_edges(conn, [Edge("pipeline_run", prun_id, "run", run_id, "output")])
            if resumed_from:
                add_edges(conn, [Edge("pipeline_run", resumed_from, "pipeline_run", prun_id, "derived")])
            record_event(
                conn,
                user=self.user,
                entity_type="pipeline_run",
                entity_id=prun_id,
                action="started",
                project_id=project_id,
                stage=pipeline.stage,
                payload={"pipeline": pipeline.name, "runner": runner, "run_id": run_id, "resumed_from": resumed_from},
                ts=ts,
            )
        return StartedRun(prun_id, run_id, project_id, project, pipeline.name, pipeline.stage, step_ids)

    def finish_run(self, run: StartedRun, error: str | None = None) -> None:
        """End the pipeline run and its tracking run: FINISHED, or FAILED with ``error`` (pending steps SKIPPED)."""
        status = "FAILED" if error else "FINISHED"
        ts = now_ms()
        with self.store.write() as conn:
            skipped = records.skip_pending_steps(conn, run.id)
            if error:
                records.fail_running_steps(conn, run.id, error, ts)
            records.update_pipeline_run(conn, run.id, status=status, error=error, ended_at=ts)
            ended = [("run", run.run_id)] if tracking_runs.end_run(conn, run.run_id, status, ts) else []
            for entity_type, entity_id in [*ended, ("pipeline_run", run.id)]:
                record_event(
                    conn,
                    user=self.user,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    action=status.lower(),
                    project_id=run.project_id,
                    stage=run.stage,
                    payload={"pipeline": run.pipeline, "pipeline_run_id": run.id, "error": error, "skipped": skipped},
                    ts=ts,
                )

    def abandon(self, pipeline_run_id: str) -> None:
        """Mark a RUNNING run whose process died FAILED, when ``resume --force`` takes it over."""
        info = self.get_run(pipeline_run_id).info
        started = StartedRun(info.id, info.run_id or "", info.project_id, "", info.pipeline, None, {})
        self.finish_run(started, error="abandoned: its process stopped; resumed with --force")

    # ---- steps ----------------------------------------------------------------------------------------
    def lookup_cache(self, key: str) -> dict[str, OutputRef] | None:
        """Outputs stored under ``key``, if every blob is still there; a stale entry is dropped."""
        with self.store.read() as conn:
            row = records.cache_row(conn, key)
        if row is None:
            return None
        outputs: dict[str, OutputRef] = json.loads(row.outputs_json)
        if all(self.blobs.exists(ref["digest"]) for ref in outputs.values()):
            return outputs
        with self.store.write() as conn:
            records.delete_cache(conn, key)
        return None

    def step_started(self, step_run_id: str, cache_key: str, inputs: Mapping[str, Any], started_at: int) -> None:
        with self.store.write() as conn:
            records.update_step_run(
                conn,
                step_run_id,
                status="RUNNING",
                cache_key=cache_key,
                inputs_json=json.dumps(dict(inputs), sort_keys=True),
                started_at=started_at,
            )

    def step_completed(
        self,
        run: StartedRun,
        name: str,
        *,
        stage: str,
        cache_key: str,
        inputs: Mapping[str, Any],
        outputs: Mapping[str, OutputRef],
        started_at: int,
        ended_at: int,
        duration: float,
        cached: bool = False,
        write_cache: bool = True,
        reused_from: str | None = None,
    ) -> None:
        """Record a finished step (ran, cache hit, or reused by a resume) with its cache entry, lineage, event."""
        step_run_id = run.step_ids[name]
        with self.store.write() as conn:
            records.update_step_run(
                conn,
                step_run_id,
                status="CACHED" if cached else "COMPLETED",
                cached=int(cached),
                cache_key=cache_key,
                inputs_json=json.dumps(dict(inputs), sort_keys=True),
                outputs_json=json.dumps(dict(outputs), sort_keys=True),
                started_at=started_at,
                ended_at=ended_at,
                duration_ms=duration * 1000,
            )
            if write_cache and not cached:
                records.insert_cache(
                    conn,
                    {
                        "cache_key": cache_key,
                        "step": name,
                        "outputs_json": json.dumps(dict(outputs), sort_keys=True),
                        "pipeline_run_id": run.id,
                        "created_at": ended_at,
                    },
                )
            digests_in = sorted({i["digest"] for i in inputs.values() if "digest" in i})
            edges = [Edge("artifact", d, "step_run", step_run_id, "input") for d in digests_in]
            edges += [Edge("step_run", step_run_id, "artifact", o["digest"], "output") for o in outputs.values()]
            add_edges(conn, edges)
            for key, ref in outputs.items():
                tracking_runs.log_step_output(conn, run.run_id, name, key, ref, ended_at)
            record_event(
                conn,
                user=self.user,
                entity_type="step_run",
                entity_id=step_run_id,
                action="cached" if cached else "completed",
                project_id=run.project_id,
                stage=stage,
                payload={
                    "pipeline": run.pipeline,
                    "pipeline_run_id": run.id,
                    "step": name,
                    "duration_ms": round(duration * 1000, 3),
                    "outputs": {k: o["digest"] for k, o in outputs.items()},
                    "reused_from": reused_from,
                },
                ts=ended_at,
            )

    def step_failed(
        self, run: StartedRun, name: str, *, stage: str, error: str, started_at: int, ended_at: int, duration: float
    ) -> None:
        with self.store.write() as conn:
            records.update_step_run(
                conn,
                run.step_ids[name],
                status="FAILED",
                error=error,
                started_at=started_at,
                ended_at=ended_at,
                duration_ms=duration * 1000,
            )
            record_event(
                conn,
                user=self.user,
                entity_type="step_run",
                entity_id=run.step_ids[name],
                action="failed",
                project_id=run.project_id,
                stage=stage,
                payload={"pipeline": run.pipeline, "pipeline_run_id": run.id, "step": name, "error": error[:2000]},
                ts=ended_at,
            )

    # ---- reading --------------------------------------------------------------------------------------
    def get_run(self, pipeline_run_id: str) -> PipelineRun:
        with self.store.read() as conn:
            row = records.pipeline_run_row(conn, pipeline_run_id)
            if row is None:
                raise NotFound(
                    f"no pipeline run {pipeline_run_id!r}", hint="run `mlcycle pipelines runs PROJECT` to see run ids"
                )
            steps = records.step_run_rows(conn, [row.id])
        return PipelineRun(self, run_info_from_rows(row, steps))

    def list_runs(
        self, project: str, pipeline: str | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[PipelineRun]:
        """Runs of a project (or of one of its pipelines), newest first."""
        with self.store.read() as conn:
            project_id = self._existing_project_id(conn, project)
            pipeline_id = None
            if pipeline is not None:
                prow = records.pipeline_row(conn, project_id, pipeline)
                if prow is None:
                    raise NotFound(
                        f"project {project!r} has no pipeline {pipeline!r}",
                        hint=f"run `mlcycle pipelines list {project}`",
                    )
                pipeline_id = prow.id
            rows = records.list_pipeline_runs(conn, project_id, pipeline_id, limit, offset)
            steps = records.step_run_rows(conn, [r.id for r in rows])
        by_run: dict[str, list[Any]] = {}
        for s in steps:
            by_run.setdefault(s.pipeline_run_id, []).append(s)
        return [PipelineRun(self, run_info_from_rows(r, by_run.get(r.id, []))) for r in rows]

    def list_pipelines(self, project: str) -> list[PipelineInfo]:
        with self.store.read() as conn:
            project_id = self._existing_project_id(conn, project)
            return [PipelineInfo.model_validate(dict(r._mapping)) for r in records.list_pipelines(conn, project_id)]

    def project_name(self, project_id: str) -> str:
        with self.store.read() as conn:
            row = run_rows.project_by_name_or_id(conn, project_id)
        if row is None:
            raise NotFound(f"no project {project_id!r}")
        return str(row.name)

    def load_output(self, ref: OutputRef, *, trust: bool = False) -> Any:
        return load_value(ref, self.blobs, trust=trust)

    # ---- helpers --------------------------------------------------------------------------------------
    def _existing_project_id(self, conn: Connection, project: str) -> str:
        row = run_rows.project_by_name_or_id(conn, project)
        if row is None:
            raise NotFound(f"no project {project!r}", hint="run `mlcycle projects list` to see the projects")
        return str(row.id)

    def _project_id(self, project: str) -> str:
        """The project's id, creating the project (kind 'ml') like the tracking client does."""
        return TrackingService(self.store, self.blobs, self.user).project(project).id

    def _register(self, conn: Connection, project_id: str, name: str, target: str, ts: int) -> str:
        row = records.pipeline_row(conn, project_id, name)
        if row is None:
            pipeline_id = new_id()
            records.insert_pipeline(
                conn, {"id": pipeline_id, "project_id": project_id, "name": name, "module": target, "created_at": ts}
            )
            record_event(
                conn,
                user=self.user,
                entity_type="pipeline",
                entity_id=pipeline_id,
                action="registered",
                project_id=project_id,
                payload={"name": name, "module": target},
                ts=ts,
            )
            return pipeline_id
        if target and row.module != target:
            records.update_pipeline_module(conn, row.id, target)
        return str(row.id)


__all__ = ["PipelineService", "StartedRun"]
