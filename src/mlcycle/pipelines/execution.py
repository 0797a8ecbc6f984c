"""Running one step, the same way in the driver, in a process-pool worker and in a Ray task.

A :class:`StepTask` names the step's inputs as artifact references or JSON values; :func:`run_step` loads the
inputs from the artifact store, calls the function with the step context set, stores the outputs and returns a
small :class:`StepResult` of digests. Objects never travel between processes, only digests do.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlcycle.artifacts import BlobStore
from mlcycle.core.errors import MlcycleError
from mlcycle.core.ids import now_ms
from mlcycle.pipelines.context import StepContext, StoreConfig, running_step
from mlcycle.pipelines.graph import SINGLE_OUTPUT
from mlcycle.pipelines.materializers import OutputRef, load_value, save_value

if TYPE_CHECKING:
    from mlcycle.pipelines.decorators import Step
    from mlcycle.store import Store


@dataclass(frozen=True)
class StepInput:
    """An argument: an artifact to load (``ref``) or a JSON value."""

    ref: OutputRef | None = None
    value: Any = None


@dataclass(frozen=True)
class StepTask:
    node: str
    step_key: str
    step_target: str
    inputs: dict[str, StepInput]
    outputs: tuple[str, ...]
    project: str
    pipeline: str
    pipeline_run_id: str
    run_id: str
    config: StoreConfig
    trust: bool = False


@dataclass
class StepResult:
    outputs: dict[str, OutputRef] = field(default_factory=dict)
    started_at: int = 0
    ended_at: int = 0
    duration: float = 0.0
    error: str | None = None
    error_type: str | None = None
    traceback: str | None = None
    pid: int = 0
    # Only when the step ran in the driver: the exception itself, to chain it (never pickled).
    exception: BaseException | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["exception"] = None
        return state


def run_step(step: Step[..., Any], task: StepTask, blobs: BlobStore, driver_store: Store | None = None) -> StepResult:
    """Load inputs, call the step, store its outputs. Exceptions are returned in the result, not raised."""
    started = now_ms()
    t0 = time.perf_counter()
    result = StepResult(started_at=started, pid=os.getpid())
    try:
        kwargs = {
            name: load_value(i.ref, blobs, trust=task.trust) if i.ref is not None else i.value
            for name, i in task.inputs.items()
        }
        args = [kwargs.pop(p.name) for p in step.signature.parameters.values() if p.kind is p.POSITIONAL_ONLY]
        ctx = StepContext(
            task.project, task.pipeline, task.pipeline_run_id, task.node, task.run_id, task.config, driver_store
        )
        with running_step(ctx):
            value = step.func(*args, **kwargs)
        result.outputs = _save_outputs(task, value, blobs)
    except Exception as exc:
        result.error = exc.message if isinstance(exc, MlcycleError) else str(exc) or type(exc).__name__
        result.error_type = type(exc).__name__
        result.traceback = traceback.format_exc()
        result.exception = exc
    result.ended_at = now_ms()
    result.duration = time.perf_counter() - t0
    return result


def _save_outputs(task: StepTask, value: Any, blobs: BlobStore) -> dict[str, OutputRef]:
    if task.outputs == (SINGLE_OUTPUT,):
        return {SINGLE_OUTPUT: save_value(value, blobs, step=task.node)}
    if not isinstance(value, tuple | list) or len(value) != len(task.outputs):
        from mlcycle.core.errors import InvalidInput

        raise InvalidInput(
            f"step {task.node!r} is annotated to return a tuple of {len(task.outputs)} values, "
            f"but returned {type(value).__name__}",
            hint="return exactly the values the annotation names",
        )
    return {
        key: save_value(item, blobs, step=f"{task.node}[{key}]") for key, item in zip(task.outputs, value, strict=True)
    }


# ---- worker entry points ---------------------------------------------------------------------------------
def pool_entry(task: StepTask) -> StepResult:
    """Process-pool worker: find the step (inherited through fork, or imported) and run it."""
    from mlcycle.pipelines.decorators import step_by_key

    try:
        step = step_by_key(task.step_key, task.step_target)
    except MlcycleError as exc:
        return StepResult(error=exc.message, error_type=type(exc).__name__, pid=os.getpid())
    return run_step(step, task, task.config.open_blobs())


def ray_entry(step: Step[..., Any], task: StepTask) -> StepResult:
    """Ray task: the step arrives pickled with the task."""
    return run_step(step, task, task.config.open_blobs())


__all__ = ["StepInput", "StepResult", "StepTask", "pool_entry", "ray_entry", "run_step"]
