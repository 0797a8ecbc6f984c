"""The local runner: a step that is alone runs in this process; independent steps that are ready together run
in a process pool of at most ``max_workers`` processes.

Workers are forked where the platform allows it, so they inherit every step defined in the driver (also steps
that cannot be imported by name). They never use the driver's database connections: each worker opens its own
store, and results come back as artifact digests.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from mlcycle.pipelines.execution import StepResult, StepTask, pool_entry, run_step
from mlcycle.pipelines.runners import RunnerConfig

if TYPE_CHECKING:
    from mlcycle.pipelines.decorators import Step


class LocalRunner:
    def __init__(self, config: RunnerConfig) -> None:
        self.config = config
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, step: Step[..., Any], task: StepTask, *, alone: bool) -> Future[StepResult]:
        if alone or self.config.max_workers <= 1:
            future: Future[StepResult] = Future()
            future.set_result(run_step(step, task, self.config.blobs, driver_store=self.config.store))
            return future
        return self._executor().submit(pool_entry, task)

    def close(self, *, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.config.max_workers, mp_context=context, initializer=_forget_inherited_stores
            )
        return self._pool


def _forget_inherited_stores() -> None:
    """In a forked worker: connect afresh instead of reusing the driver's pooled database connections."""
    from mlcycle.store import Store

    Store.forget_inherited()


__all__ = ["LocalRunner"]
