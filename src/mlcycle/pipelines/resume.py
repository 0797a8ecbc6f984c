"""Resuming a failed pipeline run: a new run that reuses what the failed one completed.

The new run records ``resumed_from``. A step the failed run COMPLETED (or took from the cache) is reused,
whatever its ``cache`` option, when its cache key is unchanged (same code, parameters and inputs); the failed
step and everything after it run again.
"""

from __future__ import annotations

from mlcycle.core.config import load_settings
from mlcycle.core.errors import Conflict
from mlcycle.pipelines.models import PipelineRun
from mlcycle.pipelines.scheduler import Reusable, RunOptions, run_pipeline
from mlcycle.pipelines.service import PipelineService
from mlcycle.pipelines.targets import load_pipeline


def resume(
    pipeline_run_id: str,
    *,
    runner: str | None = None,
    max_workers: int | None = None,
    progress: bool | None = None,
    trust: bool = False,
    force: bool = False,
    service: PipelineService | None = None,
) -> PipelineRun:
    """Re-run a FAILED pipeline run from its failed step. ``force`` also takes over a run left RUNNING by a
    process that died (it is marked FAILED first); the runner defaults to the one the run used."""
    service = service or PipelineService.from_settings(load_settings())
    old = service.get_run(pipeline_run_id)
    if old.status == "FINISHED":
        raise Conflict(f"pipeline run {old.id} finished; there is nothing to resume", hint="start a new run instead")
    if old.status == "RUNNING":
        if not force:
            raise Conflict(
                f"pipeline run {old.id} is still RUNNING",
                hint="if the process running it has died, resume it with --force",
            )
        service.abandon(old.id)
    pipeline = load_pipeline(old.info.module)
    params = pipeline.bind_params(dict(old.params))
    reuse = {
        s.name: Reusable(s.cache_key, dict(s.outputs), old.id)
        for s in old.steps
        if s.status in ("COMPLETED", "CACHED") and s.cache_key and s.outputs
    }
    options = RunOptions(runner or old.info.runner, True, max_workers, progress, trust, "resume")
    project = service.project_name(old.info.project_id)
    return run_pipeline(pipeline, project, params, options, service=service, resumed_from=old.id, reuse=reuse)


__all__ = ["resume"]
