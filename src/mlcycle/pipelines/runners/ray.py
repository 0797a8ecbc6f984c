"""The Ray runner: every step is a Ray task on a local or remote cluster; user code does not change.

Steps travel to the workers pickled (by module and name when importable, else by value with cloudpickle);
inputs and outputs travel as artifact digests through the artifact store, never through the driver's memory.
Workers therefore need to reach the same metadata and artifact stores: on one machine the embedded defaults
work; on a cluster use PostgreSQL (MLCYCLE_STORE_URL) and object storage (MLCYCLE_ARTIFACTS_URL).
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from mlcycle.core.errors import MissingDependency, ServiceUnavailable
from mlcycle.pipelines.execution import StepResult, StepTask, ray_entry
from mlcycle.pipelines.runners import RunnerConfig

if TYPE_CHECKING:
    from mlcycle.pipelines.decorators import Step


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise MissingDependency(
            "the ray runner needs Ray, which is not installed", hint="pip install 'mlcycle[ray]'"
        ) from exc
    return ray


class RayRunner:
    def __init__(self, config: RunnerConfig) -> None:
        ray = import_ray()
        if not ray.is_initialized():
            where = config.ray_address or "a new local Ray instance"
            try:
                ray.init(
                    address=config.ray_address or None,
                    ignore_reinit_error=True,
                    include_dashboard=False,
                    log_to_driver=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ServiceUnavailable(
                    f"cannot start or reach Ray ({where}): {exc}",
                    hint="check MLCYCLE_RAY_ADDRESS (e.g. ray://head:10001), or unset it to start Ray locally",
                ) from exc
        self._ray = ray
        self._task = ray.remote(max_retries=0)(ray_entry)
        self._refs: list[Any] = []

    def submit(self, step: Step[..., Any], task: StepTask, *, alone: bool) -> Future[StepResult]:
        ref = self._task.remote(step, task)
        self._refs.append(ref)
        future: Future[StepResult] = ref.future()
        return future

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            for ref in self._refs:
                self._ray.cancel(ref)
        self._refs = []


__all__ = ["RayRunner", "import_ray"]
