"""Executing a pipeline graph: readiness, cache and resume reuse, dispatch to a runner, recording, failure.

The driver owns every database write about the run; runners only execute steps and return digests. A step is
ready when all its upstream steps are done. Before running it the driver computes its cache key and skips it
when an output for that key is stored (or, on resume, when the resumed run completed it with the same key).
After the first failure no new step starts; steps already running finish and are recorded, the rest are
SKIPPED, the run ends FAILED and :class:`~mlcycle.core.errors.PipelineFailed` is raised.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlcycle.core.config import load_settings
from mlcycle.core.errors import InvalidInput, PipelineFailed
from mlcycle.core.ids import now_ms
from mlcycle.pipelines.execution import StepInput, StepResult, StepTask
from mlcycle.pipelines.graph import Const, ParamRef, Ref
from mlcycle.pipelines.hashing import cache_key, code_fingerprint
from mlcycle.pipelines.materializers import OutputRef
from mlcycle.pipelines.progress import StepProgress
from mlcycle.pipelines.runners import Runner, RunnerConfig, make_runner
from mlcycle.pipelines.service import PipelineService, StartedRun

if TYPE_CHECKING:
    from mlcycle.pipelines.decorators import Pipeline
    from mlcycle.pipelines.models import PipelineRun


@dataclass(frozen=True)
class RunOptions:
    runner: str | None = None
    cache: bool = True
    max_workers: int | None = None
    progress: bool | None = None
    trust: bool = False
    trigger: str = "manual"


@dataclass(frozen=True)
class Reusable:
    """A step the resumed run completed: reused when the step's cache key is still the same."""

    cache_key: str
    outputs: dict[str, OutputRef]
    pipeline_run_id: str


@dataclass
class _Prepared:
    name: str
    key: str
    inputs: dict[str, StepInput]
    record: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    started_at: int = 0


def run_pipeline(
    pipeline: Pipeline[...],
    project: str,
    params: Mapping[str, Any],
    options: RunOptions,
    *,
    service: PipelineService | None = None,
    resumed_from: str | None = None,
    reuse: Mapping[str, Reusable] | None = None,
) -> PipelineRun:
    settings = load_settings()
    service = service or PipelineService.from_settings(settings)
    runner_name = options.runner or settings.runner
    max_workers = options.max_workers if options.max_workers is not None else (os.cpu_count() or 1)
    if max_workers < 1:
        raise InvalidInput(f"max_workers must be at least 1, got {max_workers}")
    runner = make_runner(runner_name, RunnerConfig(max_workers, settings.ray_address, service.store, service.blobs))
    started = service.start_run(
        pipeline, project, params, runner=runner_name, trigger=options.trigger, resumed_from=resumed_from
    )
    execution = _Execution(pipeline, dict(params), service, runner, started, options, dict(reuse or {}))
    execution.run()
    return service.get_run(started.id)


class _Execution:
    def __init__(
        self,
        pipeline: Pipeline[...],
        params: dict[str, Any],
        service: PipelineService,
        runner: Runner,
        started: StartedRun,
        options: RunOptions,
        reuse: dict[str, Reusable],
    ) -> None:
        self.pipeline = pipeline
        self.graph = pipeline.graph
        self.params = params
        self.service = service
        self.runner = runner
        self.started = started
        self.options = options
        self.reuse = reuse
        self.outputs: dict[str, dict[str, OutputRef]] = {}
        self._code: dict[int, str] = {}
        self.progress = StepProgress(pipeline.name, self.graph.order, enabled=options.progress)

    def run(self) -> None:
        failure: tuple[str, StepResult] | None = None
        with self.progress:
            try:
                failure = self._loop()
            except BaseException as exc:  # interrupted (Ctrl-C) or a store error: the run must not stay RUNNING
                self.runner.close(cancel=True)
                self.service.finish_run(self.started, error=f"interrupted: {type(exc).__name__}: {exc}")
                raise
        self.runner.close()
        if failure is None:
            self.service.finish_run(self.started)
            return
        name, result = failure
        message = f"step {name!r} failed: {result.error_type}: {result.error}"
        self.service.finish_run(self.started, error=message)
        raise PipelineFailed(
            f"pipeline {self.pipeline.name!r} failed: {message}",
            hint=f"fix it, then run `mlcycle pipelines resume {self.started.id}` to re-run from that step",
            details={"pipeline_run_id": self.started.id, "step": name, "traceback": result.traceback},
        ) from result.exception

    def _loop(self) -> tuple[str, StepResult] | None:
        pending = list(self.graph.order)
        done: set[str] = set()
        in_flight: dict[Future[StepResult], _Prepared] = {}
        failure: tuple[str, StepResult] | None = None
        while True:
            if failure is None:
                ready = self._resolve_ready(pending, done)
                alone = len(ready) == 1 and not in_flight
                for i, prepared in enumerate(ready):
                    future = self._submit(prepared, alone=alone)
                    in_flight[future] = prepared
                    if future.done() and not self._result(future, prepared).ok:
                        pending[:0] = [p.name for p in ready[i + 1 :]]  # ran in this process and failed: stop
                        break
            if not in_flight:
                return failure
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            order = {n: i for i, n in enumerate(self.graph.order)}
            for future in sorted(finished, key=lambda f: order[in_flight[f].name]):
                prepared = in_flight.pop(future)
                result = self._result(future, prepared)
                if result.ok:
                    self._completed(prepared, result)
                    done.add(prepared.name)
                else:
                    self._failed(prepared, result)
                    failure = failure or (prepared.name, result)

    def _resolve_ready(self, pending: list[str], done: set[str]) -> list[_Prepared]:
        """Steps whose upstream is done; cache hits and reusable steps are recorded here and never dispatched."""
        to_run: list[_Prepared] = []
        progressed = True
        while progressed:
            progressed = False
            for name in list(pending):
                if not all(up in done for up in self.graph.upstream(name)):
                    continue
                pending.remove(name)
                prepared = self._prepare(name)
                if self._skip(prepared):
                    done.add(name)
                    progressed = True
                else:
                    to_run.append(prepared)
        return to_run

    def _prepare(self, name: str) -> _Prepared:
        node = self.graph.nodes[name]
        inputs: dict[str, StepInput] = {}
        record: dict[str, Any] = {}
        values: dict[str, Any] = {}
        digests: dict[str, str] = {}
        for pname, binding in node.bindings.items():
            if isinstance(binding, Ref):
                ref = self.outputs[binding.node][binding.key]
                inputs[pname] = StepInput(ref=ref)
                digests[pname] = ref["digest"]
                record[pname] = {"step": binding.node, "key": binding.key, "digest": ref["digest"]}
                continue
            value = self.params[binding.name] if isinstance(binding, ParamRef) else binding.value
            assert isinstance(binding, ParamRef | Const)
            inputs[pname] = StepInput(value=value)
            values[pname] = value
            record[pname] = (
                {"param": binding.name, "value": value} if isinstance(binding, ParamRef) else {"value": value}
            )
        step = node.step
        code = self._code.get(id(step.func))
        if code is None:
            code = self._code[id(step.func)] = code_fingerprint(step.func)
        key = cache_key(step.func.__qualname__, code, values, digests, step.options.deps)
        return _Prepared(name, key, inputs, record, values)

    def _skip(self, prepared: _Prepared) -> bool:
        node = self.graph.nodes[prepared.name]
        reusable = self.reuse.get(prepared.name)
        outputs: dict[str, OutputRef] | None = None
        reused_from = None
        blobs = self.service.blobs
        if (
            reusable is not None
            and reusable.cache_key == prepared.key
            and all(blobs.exists(o["digest"]) for o in reusable.outputs.values())
        ):
            outputs, reused_from = reusable.outputs, reusable.pipeline_run_id
        elif self.options.cache and node.step.options.cache:
            outputs = self.service.lookup_cache(prepared.key)
        if outputs is None or set(outputs) != set(node.outputs):
            return False
        ts = now_ms()
        self.service.step_completed(
            self.started,
            prepared.name,
            stage=node.step.options.stage,
            cache_key=prepared.key,
            inputs=prepared.record,
            outputs=outputs,
            started_at=ts,
            ended_at=ts,
            duration=0.0,
            cached=True,
            reused_from=reused_from,
        )
        self.outputs[prepared.name] = outputs
        self.progress.update(prepared.name, "cached", 0.0)
        return True

    def _submit(self, prepared: _Prepared, *, alone: bool) -> Future[StepResult]:
        node = self.graph.nodes[prepared.name]
        prepared.started_at = now_ms()
        self.service.step_started(
            self.started.step_ids[prepared.name], prepared.key, prepared.record, prepared.started_at
        )
        self.progress.update(prepared.name, "running")
        task = StepTask(
            node=prepared.name,
            step_key=node.step.key,
            step_target=node.step.target,
            inputs=prepared.inputs,
            outputs=node.outputs,
            project=self.started.project,
            pipeline=self.pipeline.name,
            pipeline_run_id=self.started.id,
            run_id=self.started.run_id,
            config=self.service.config,
            trust=self.options.trust,
        )
        try:
            return self.runner.submit(node.step, task, alone=alone)
        except Exception as exc:  # e.g. the process pool broke when an earlier worker died: this step fails
            failed: Future[StepResult] = Future()
            failed.set_exception(exc)
            return failed

    def _result(self, future: Future[StepResult], prepared: _Prepared) -> StepResult:
        try:
            return future.result()
        except Exception as exc:  # the worker died or the runner failed: the step failed
            ts = now_ms()
            return StepResult(
                started_at=prepared.started_at,
                ended_at=ts,
                duration=(ts - prepared.started_at) / 1000,
                error=str(exc) or type(exc).__name__,
                error_type=type(exc).__name__,
                exception=exc,
            )

    def _completed(self, prepared: _Prepared, result: StepResult) -> None:
        node = self.graph.nodes[prepared.name]
        self.outputs[prepared.name] = result.outputs
        self.service.step_completed(
            self.started,
            prepared.name,
            stage=node.step.options.stage,
            cache_key=prepared.key,
            inputs=prepared.record,
            outputs=result.outputs,
            started_at=result.started_at,
            ended_at=result.ended_at,
            duration=result.duration,
        )
        self.progress.update(prepared.name, "done", result.duration)

    def _failed(self, prepared: _Prepared, result: StepResult) -> None:
        node = self.graph.nodes[prepared.name]
        self.service.step_failed(
            self.started,
            prepared.name,
            stage=node.step.options.stage,
            error=f"{result.error_type}: {result.error}\n{result.traceback or ''}".strip(),
            started_at=result.started_at or prepared.started_at,
            ended_at=result.ended_at or now_ms(),
            duration=result.duration,
        )
        self.progress.update(prepared.name, "failed", result.duration)


__all__ = ["Reusable", "RunOptions", "run_pipeline"]
