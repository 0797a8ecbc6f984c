"""Runners execute ready steps: ``local`` (in-process, or a process pool for independent steps) and ``ray``.

A runner is registered by name with :func:`register_runner`; the built-ins are registered the same way, and
their modules (Ray above all) are imported only when the runner is used.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mlcycle.core.errors import InvalidInput, did_you_mean

if TYPE_CHECKING:
    from mlcycle.artifacts import BlobStore
    from mlcycle.pipelines.decorators import Step
    from mlcycle.pipelines.execution import StepResult, StepTask
    from mlcycle.store import Store


@dataclass(frozen=True)
class RunnerConfig:
    max_workers: int
    ray_address: str | None
    store: Store
    blobs: BlobStore


class Runner(Protocol):
    def submit(self, step: Step[..., Any], task: StepTask, *, alone: bool) -> Future[StepResult]:
        """Start the step; ``alone`` says nothing else is ready or running (it may then run in this process)."""

    def close(self, *, cancel: bool = False) -> None: ...


RunnerFactory = Callable[[RunnerConfig], Runner]
_RUNNERS: dict[str, RunnerFactory] = {}


def register_runner(name: str, factory: RunnerFactory) -> None:
    _RUNNERS[name] = factory


def make_runner(name: str, config: RunnerConfig) -> Runner:
    factory = _RUNNERS.get(name)
    if factory is None:
        hint = did_you_mean(name, list(_RUNNERS)) or f"use one of: {', '.join(sorted(_RUNNERS))}"
        raise InvalidInput(f"unknown pipeline runner {name!r}", hint=hint)
    return factory(config)


def _local(config: RunnerConfig) -> Runner:
    from mlcycle.pipelines.runners.local import LocalRunner

    return LocalRunner(config)


def _ray(config: RunnerConfig) -> Runner:
    from mlcycle.pipelines.runners.ray import RayRunner

    return RayRunner(config)


register_runner("local", _local)
register_runner("ray", _ray)

__all__ = ["Runner", "RunnerConfig", "make_runner", "register_runner"]
