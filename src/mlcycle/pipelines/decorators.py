"""``@step`` and ``@pipeline``: plain typed functions become pipeline steps and pipelines.

    @step
    def load(n: int) -> pd.DataFrame: ...

    @step(deps=["scikit-learn"], stage="model_training")
    def train(df: pd.DataFrame, C: float = 1.0) -> LogisticRegression: ...

    @pipeline
    def training(n: int = 1000, C: float = 1.0):
        return train(load(n), C=C)

    prun = training.run(project="churn", n=500, C=0.5)

A step called outside a pipeline body is the plain function. A pipeline body is traced once, when it is
decorated, to build and check its graph; ``training.run(...)`` executes that graph, and calling
``training(...)`` directly runs the body eagerly (every step as a plain call), which helps debugging.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, cast, overload

from mlcycle.core.catalog import check_stage
from mlcycle.core.errors import InvalidInput, NotFound
from mlcycle.core.validation import check_name
from mlcycle.pipelines.graph import Graph
from mlcycle.pipelines.hashing import check_jsonable
from mlcycle.pipelines.tracing import StepOutput, current_builder, trace

if TYPE_CHECKING:
    from mlcycle.pipelines.models import PipelineRun
    from mlcycle.pipelines.service import PipelineService

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_STAGE = "model_training"
RUN_OPTIONS = frozenset({"project", "runner", "cache", "max_workers", "progress", "trust", "trigger", "service"})

# Every step of this process by key, so that forked process-pool workers find steps that cannot be imported by
# name (defined in a function, or copies made by with_options).
_STEPS: dict[str, Step[..., Any]] = {}


@dataclass(frozen=True)
class StepOptions:
    name: str
    cache: bool = True
    deps: tuple[str, ...] = ()
    stage: str = DEFAULT_STAGE
    after: tuple[str, ...] = ()


class Step(Generic[P, R]):
    """A pipeline step around a typed function; calling it outside a pipeline body calls the function."""

    func: Callable[P, R]

    def __init__(self, func: Callable[P, R], options: StepOptions) -> None:
        if not isinstance(func, types.FunctionType):
            raise InvalidInput(f"@step decorates a function, not {type(func).__name__}")
        self.func = func
        self.options = options
        self.signature = inspect.signature(func)
        _check_step_signature(func, self.signature)
        check_stage(options.stage)
        functools.update_wrapper(self, func)
        self.__mlcycle_step_func__ = func  # lets hashing follow steps called from other steps
        self._hints: dict[str, Any] | None = None
        self.key = f"{id(self):x}"
        _STEPS[self.key] = self

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def target(self) -> str:
        return f"{self.func.__module__}:{self.func.__qualname__}"

    def hints(self) -> dict[str, Any]:
        """Resolved annotations; an annotation that cannot be resolved yet is left out (unchecked)."""
        if self._hints is None:
            resolved = _resolve_hints(self.func)
            if resolved is None:
                return {}
            self._hints = resolved
        return self._hints

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        builder = current_builder()
        if builder is None:
            return self.func(*args, **kwargs)
        return cast(R, builder.call(self, args, kwargs))

    def with_options(
        self,
        *,
        name: str | None = None,
        cache: bool | None = None,
        deps: Sequence[str] | None = None,
        stage: str | None = None,
        after: Sequence[str | StepOutput] | None = None,
    ) -> Step[P, R]:
        """A copy of this step with other options, e.g. ``train.with_options(name="train_l1")(df, C=0.1)``.

        ``after`` names steps (or passes their outputs) that must finish first although no data flows from them.
        """
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = check_name(name, "step name")
        if cache is not None:
            changes["cache"] = cache
        if deps is not None:
            changes["deps"] = tuple(deps)
        if stage is not None:
            changes["stage"] = stage
        if after is not None:
            changes["after"] = tuple(a.ref.node if isinstance(a, StepOutput) else str(a) for a in after)
        return Step(self.func, replace(self.options, **changes))

    def __reduce__(self) -> tuple[Any, ...]:
        if _importable(self.target) is self:
            return (import_step, (self.target,))
        return (Step, (self.func, self.options))  # by value (cloudpickle, as Ray does)

    def __repr__(self) -> str:
        return f"<mlcycle step {self.name!r} ({self.target})>"


class Pipeline(Generic[P]):
    """A pipeline: its body is traced at definition; :meth:`run` executes the graph."""

    func: Callable[P, Any]

    def __init__(self, func: Callable[P, Any], *, name: str | None = None, stage: str | None = None) -> None:
        if not isinstance(func, types.FunctionType):
            raise InvalidInput(f"@pipeline decorates a function, not {type(func).__name__}")
        self.func = func
        self.name = check_name(name or func.__name__, "pipeline name")
        self.stage = check_stage(stage, default=DEFAULT_STAGE) or DEFAULT_STAGE
        self.signature = inspect.signature(func)
        _check_pipeline_signature(self.name, self.signature)
        functools.update_wrapper(self, func)
        self.graph: Graph = trace(self)

    @property
    def target(self) -> str:
        """Where to import the pipeline from again: ``module:qualname``, or ``/path/script.py:qualname``."""
        from mlcycle.pipelines.targets import target_of

        return target_of(self.func)

    def hints(self) -> dict[str, Any]:
        return _resolve_hints(self.func) or {}

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        return self.func(*args, **kwargs)

    def bind_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The full, JSON-checked parameters of a run: ``params`` plus defaults."""
        unknown = [k for k in params if k not in self.signature.parameters]
        if unknown:
            from mlcycle.core.errors import did_you_mean

            hint = did_you_mean(unknown[0], list(self.signature.parameters))
            raise InvalidInput(f"pipeline {self.name!r} has no parameter {unknown[0]!r}", hint=hint)
        try:
            bound = self.signature.bind(**params)
        except TypeError as exc:
            raise InvalidInput(f"pipeline {self.name!r}: {exc}") from None
        bound.apply_defaults()
        for key, value in bound.arguments.items():
            check_jsonable(value, f"pipeline parameter {key!r}")
        return dict(bound.arguments)

    def run(
        self,
        project: str,
        *,
        runner: str | None = None,
        cache: bool = True,
        max_workers: int | None = None,
        progress: bool | None = None,
        trust: bool = False,
        trigger: str = "manual",
        service: PipelineService | None = None,
        **params: Any,
    ) -> PipelineRun:
        """Run the pipeline in ``project`` and return the finished run (raises PipelineFailed on failure).

        ``runner``: "local" (default, or MLCYCLE_RUNNER) or "ray"; ``cache=False`` re-runs every step;
        ``max_workers`` bounds the local process pool; ``progress`` shows a live table (default: on a TTY);
        ``trust=True`` allows loading step outputs with types outside scikit-learn/NumPy/SciPy.
        """
        from mlcycle.pipelines.scheduler import RunOptions, run_pipeline

        options = RunOptions(runner, cache, max_workers, progress, trust, trigger)
        return run_pipeline(self, project, self.bind_params(params), options, service=service)

    def __repr__(self) -> str:
        return f"<mlcycle pipeline {self.name!r} ({len(self.graph.nodes)} steps)>"


@overload
def step(func: Callable[P, R], /) -> Step[P, R]: ...
@overload
def step(
    *,
    name: str | None = None,
    cache: bool = True,
    deps: Sequence[str] = (),
    stage: str | None = None,
    after: Sequence[str] = (),
) -> Callable[[Callable[P, R]], Step[P, R]]: ...
def step(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    cache: bool = True,
    deps: Sequence[str] = (),
    stage: str | None = None,
    after: Sequence[str] = (),
) -> Step[P, R] | Callable[[Callable[P, R]], Step[P, R]]:
    """Make a typed function a pipeline step. Options: ``name``, ``cache=False`` (always re-run), ``deps``
    (distributions whose versions enter the cache key), ``stage`` (lifecycle stage of its events), ``after``."""

    def wrap(f: Callable[P, R]) -> Step[P, R]:
        options = StepOptions(
            name=check_name(name or getattr(f, "__name__", ""), "step name"),
            cache=cache,
            deps=tuple(deps),
            stage=stage or DEFAULT_STAGE,
            after=tuple(after),
        )
        return Step(f, options)

    return wrap(func) if func is not None else wrap


@overload
def pipeline(func: Callable[P, Any], /) -> Pipeline[P]: ...
@overload
def pipeline(*, name: str | None = None, stage: str | None = None) -> Callable[[Callable[P, Any]], Pipeline[P]]: ...
def pipeline(
    func: Callable[P, Any] | None = None, /, *, name: str | None = None, stage: str | None = None
) -> Pipeline[P] | Callable[[Callable[P, Any]], Pipeline[P]]:
    """Make a function whose body wires steps together a pipeline; its graph is built and checked now."""

    def wrap(f: Callable[P, Any]) -> Pipeline[P]:
        return Pipeline(f, name=name, stage=stage)

    return wrap(func) if func is not None else wrap


# ---- helpers ---------------------------------------------------------------------------------------------
def import_step(target: str) -> Step[..., Any]:
    found = _importable(target)
    if not isinstance(found, Step):
        raise NotFound(f"no step at {target!r}", hint="define the step at module level of an importable module")
    return found


def step_by_key(key: str, target: str) -> Step[..., Any]:
    """A step of this process (or of the process this one was forked from), else imported by name."""
    return _STEPS.get(key) or import_step(target)


def _importable(target: str) -> Any:
    module_name, _, qualname = target.partition(":")
    if module_name == "__main__" or "<locals>" in qualname:
        return None
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return obj


def _resolve_hints(func: Callable[..., Any]) -> dict[str, Any] | None:
    try:
        return typing.get_type_hints(func)
    except Exception:  # a forward reference that is not defined (yet): leave the check to later
        return None


def _check_step_signature(func: Callable[..., Any], sig: inspect.Signature) -> None:
    where = f"step {func.__qualname__!r}"
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise InvalidInput(f"{where} takes *{p.name}; steps take named parameters only")
        if p.annotation is inspect.Parameter.empty:
            raise InvalidInput(
                f"{where} has no type annotation for parameter {p.name!r}",
                hint="annotate every parameter and the return type (use typing.Any to opt out of checks)",
            )
    if sig.return_annotation is inspect.Signature.empty:
        raise InvalidInput(
            f"{where} has no return type annotation",
            hint="annotate what it returns, e.g. `-> pd.DataFrame` (or `-> None`)",
        )


def _check_pipeline_signature(name: str, sig: inspect.Signature) -> None:
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise InvalidInput(f"pipeline {name!r}: parameter {p.name!r} must be an ordinary named parameter")
        if p.name in RUN_OPTIONS:
            raise InvalidInput(
                f"pipeline {name!r}: parameter name {p.name!r} is reserved for run options",
                hint=f"rename it; reserved: {', '.join(sorted(RUN_OPTIONS))}",
            )
        if p.default is not inspect.Parameter.empty:
            check_jsonable(p.default, f"pipeline {name!r}: default of parameter {p.name!r}")


__all__ = ["Pipeline", "Step", "StepOptions", "import_step", "pipeline", "step", "step_by_key"]
