"""What the pipeline service returns: pipelines, pipeline runs with their steps, and the run handle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from mlcycle.core.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from mlcycle.pipelines.service import PipelineService

STEP_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "CACHED", "FAILED", "SKIPPED")
RUN_STATUSES = ("RUNNING", "FINISHED", "FAILED")


class PipelineInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    project_id: str
    name: str
    module: str  # importable target: "module:qualname" or "/path/script.py:qualname"; "" if none
    created_at: int
    runs: int = 0
    last_run_at: int | None = None


class StepRun(BaseModel):
    """One step of a pipeline run. ``duration`` is in seconds; ``cached`` is True for cache hits and for
    outputs reused from the run that was resumed."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    step: str
    status: str
    cached: bool
    cache_key: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    error: str | None
    started_at: int | None
    ended_at: int | None
    duration: float | None


class PipelineRunInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    pipeline: str
    pipeline_id: str
    project_id: str
    module: str
    run_id: str | None
    status: str
    runner: str
    params: dict[str, Any]
    outputs: list[tuple[str, str]]
    returns_tuple: bool
    trigger: str
    resumed_from: str | None
    error: str | None
    started_at: int
    ended_at: int | None
    steps: list[StepRun]


class PipelineRun:
    """A pipeline run: its status, steps and outputs. ``info`` is a snapshot; :meth:`refresh` reloads it."""

    def __init__(self, service: PipelineService, info: PipelineRunInfo) -> None:
        self._service = service
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def status(self) -> str:
        return self.info.status

    @property
    def pipeline(self) -> str:
        return self.info.pipeline

    @property
    def run_id(self) -> str | None:
        """The tracking run that holds the params and metrics logged inside the steps."""
        return self.info.run_id

    @property
    def params(self) -> dict[str, Any]:
        return self.info.params

    @property
    def steps(self) -> list[StepRun]:
        return self.info.steps

    @property
    def cached_steps(self) -> list[str]:
        return [s.name for s in self.info.steps if s.cached]

    def step(self, name: str) -> StepRun:
        for s in self.info.steps:
            if s.name == name:
                return s
        from mlcycle.core.errors import did_you_mean

        hint = did_you_mean(name, [s.name for s in self.info.steps])
        raise NotFound(f"pipeline run {self.id} has no step {name!r}", hint=hint)

    def output(self, step: str | None = None, key: str | None = None, *, trust: bool = False) -> Any:
        """The pipeline's output (what its body returns, else the last step's), or the output of ``step``.

        ``trust=True`` allows loading models containing types outside scikit-learn, NumPy and SciPy.
        """
        if step is not None:
            outputs = self.step(step).outputs
            if not outputs:
                raise InvalidInput(f"step {step!r} has no stored output (status {self.step(step).status})")
            chosen = key if key is not None else next(iter(outputs))
            return self._service.load_output(outputs[chosen], trust=trust)
        if self.info.status != "FINISHED":
            raise InvalidInput(
                f"pipeline run {self.id} is {self.info.status}; it has no output",
                hint=f"resume it with `mlcycle pipelines resume {self.id}`, or load a step's output with step=",
            )
        values = [self.output(name, k, trust=trust) for name, k in self.info.outputs]
        return tuple(values) if self.info.returns_tuple else values[0]

    def refresh(self) -> PipelineRun:
        self.info = self._service.get_run(self.id).info
        return self

    def __repr__(self) -> str:
        return f"<mlcycle.PipelineRun {self.info.pipeline} {self.id[:8]} {self.info.status}>"


def run_info_from_rows(row: Any, steps: Sequence[Any]) -> PipelineRunInfo:
    """A pipeline run (joined with its pipeline's name and module) and its step rows, as a model."""
    ordered = sorted(steps, key=lambda s: s.position)
    outputs = json.loads(row.outputs_json or "{}")
    return PipelineRunInfo(
        id=row.id,
        pipeline=row.pipeline,
        pipeline_id=row.pipeline_id,
        project_id=row.project_id,
        module=row.module,
        run_id=row.run_id,
        status=row.status,
        runner=row.runner,
        params=json.loads(row.params_json),
        outputs=[(str(n), str(k)) for n, k in outputs.get("refs", [])],
        returns_tuple=bool(outputs.get("tuple", False)),
        trigger=row.trigger,
        resumed_from=row.resumed_from,
        error=row.error,
        started_at=row.started_at,
        ended_at=row.ended_at,
        steps=[_step(s) for s in ordered],
    )


def _step(s: Any) -> StepRun:
    return StepRun(
        id=s.id,
        name=s.name,
        step=s.step,
        status=s.status,
        cached=bool(s.cached),
        cache_key=s.cache_key,
        inputs=json.loads(s.inputs_json or "{}"),
        outputs=json.loads(s.outputs_json or "{}"),
        error=s.error,
        started_at=s.started_at,
        ended_at=s.ended_at,
        duration=s.duration_ms / 1000 if s.duration_ms is not None else None,
    )


__all__ = [
    "RUN_STATUSES",
    "STEP_STATUSES",
    "PipelineInfo",
    "PipelineRun",
    "PipelineRunInfo",
    "StepRun",
    "run_info_from_rows",
]
