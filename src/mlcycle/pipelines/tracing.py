"""Building a pipeline's graph by calling its body once with placeholders.

While a body is traced, calling a step records a node and returns a symbolic :class:`StepOutput` instead of
running the step; pipeline parameters are :class:`ParamPlaceholder` objects. Wiring them into steps is all a
body may do with them: branching on a parameter or computing with an output raises a clear error, because
their values only exist when the pipeline runs.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn, get_args, get_origin

from mlcycle.core.errors import InvalidInput, MlcycleError
from mlcycle.pipelines.graph import (
    SINGLE_OUTPUT,
    Binding,
    Const,
    Graph,
    Node,
    ParamRef,
    Ref,
    compatible,
    type_name,
    value_fits,
)
from mlcycle.pipelines.hashing import check_jsonable

if TYPE_CHECKING:
    from mlcycle.pipelines.decorators import Pipeline, Step

_BUILDER: contextvars.ContextVar[Builder | None] = contextvars.ContextVar("mlcycle_pipeline_builder", default=None)
_BODY_HINT = (
    "a pipeline body only wires steps together: pass its parameters and step outputs to steps, "
    "and move any computation or branching into a step"
)


def current_builder() -> Builder | None:
    return _BUILDER.get()


class _Symbolic:
    """Operations that would need a real value fail with an explanation instead of a confusing result."""

    __slots__ = ()

    def _refuse(self, what: str) -> NoReturn:
        raise InvalidInput(
            f"{self!r} has no value while the pipeline is defined, so it cannot be {what}", hint=_BODY_HINT
        )

    def __bool__(self) -> bool:
        self._refuse("used as a condition")

    def __format__(self, spec: str) -> str:
        self._refuse("formatted into a string")

    def __eq__(self, other: object) -> bool:
        self._refuse("compared")

    def __lt__(self, other: object) -> bool:
        self._refuse("compared")

    __le__ = __gt__ = __ge__ = __lt__

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self) -> NoReturn:
        self._refuse("iterated")

    def __len__(self) -> int:
        self._refuse("measured with len()")

    def __index__(self) -> int:
        self._refuse("used as an index")

    def __float__(self) -> float:
        self._refuse("converted to a number")

    def __int__(self) -> int:
        self._refuse("converted to a number")


class StepOutput(_Symbolic):
    """The future output of a step invocation, seen while a pipeline body is traced."""

    __slots__ = ("annotation", "builder", "ref")

    def __init__(self, builder: Builder, ref: Ref, annotation: Any) -> None:
        self.builder = builder
        self.ref = ref
        self.annotation = annotation

    def __repr__(self) -> str:
        suffix = "" if self.ref.key == SINGLE_OUTPUT else f"[{self.ref.key}]"
        return f"<output of step {self.ref.node!r}{suffix}>"


class ParamPlaceholder(_Symbolic):
    """A pipeline parameter, known only when the pipeline runs."""

    __slots__ = ("annotation", "name")

    def __init__(self, name: str, annotation: Any) -> None:
        self.name = name
        self.annotation = annotation

    def __repr__(self) -> str:
        return f"<pipeline parameter {self.name!r}>"


class Builder:
    """Collects the nodes of one pipeline body."""

    def __init__(self, pipeline: str) -> None:
        self.pipeline = pipeline
        self.nodes: dict[str, Node] = {}

    def call(self, step: Step[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        """Record one invocation of ``step``; return its symbolic output (a tuple for several outputs)."""
        try:
            bound = step.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidInput(
                f"pipeline {self.pipeline!r}: step {step.name!r} is called with the wrong arguments: {exc}"
            ) from None
        bound.apply_defaults()
        hints = step.hints()
        bindings: dict[str, Binding] = {
            pname: self._bind(step, pname, value, hints.get(pname, Any)) for pname, value in bound.arguments.items()
        }
        name = self._unique(step.name)
        returns = hints.get("return", Any)
        parts = _tuple_parts(returns)
        outputs = tuple(str(i) for i in range(len(parts))) if parts else (SINGLE_OUTPUT,)
        self.nodes[name] = Node(name, step, bindings, tuple(step.options.after), outputs)
        if not parts:
            return StepOutput(self, Ref(name), returns)
        return tuple(StepOutput(self, Ref(name, key), ann) for key, ann in zip(outputs, parts, strict=True))

    def _bind(self, step: Step[..., Any], pname: str, value: Any, expected: Any) -> Binding:
        where = f"pipeline {self.pipeline!r}: parameter {pname!r} of step {step.name!r}"
        if isinstance(value, StepOutput):
            if value.builder is not self:
                raise InvalidInput(f"{where} receives {value!r}, which belongs to another pipeline definition")
            if not compatible(value.annotation, expected):
                raise InvalidInput(
                    f"{where} expects {type_name(expected)}, but step {value.ref.node!r} returns "
                    f"{type_name(value.annotation)}",
                    hint="pass an output of a compatible type, or correct the type annotations",
                    details={"step": step.name, "parameter": pname, "producer": value.ref.node},
                )
            return value.ref
        if isinstance(value, ParamPlaceholder):
            if not compatible(value.annotation, expected):
                raise InvalidInput(
                    f"{where} expects {type_name(expected)}, but pipeline parameter {value.name!r} is "
                    f"{type_name(value.annotation)}",
                    hint="correct the type annotations",
                )
            return ParamRef(value.name)
        if isinstance(value, tuple) and value and all(isinstance(v, StepOutput) for v in value):
            raise InvalidInput(
                f"{where} receives all the outputs of step {value[0].ref.node!r} at once",
                hint="that step returns a tuple: unpack it (`a, b = split(df)`) and pass one output",
            )
        if _contains_symbolic(value):
            raise InvalidInput(
                f"{where} receives step outputs or pipeline parameters inside a container",
                hint="pass each step output or parameter as its own argument",
            )
        check_jsonable(value, where)
        if not value_fits(value, expected):
            raise InvalidInput(f"{where} expects {type_name(expected)}, got {value!r}")
        return Const(value)

    def _unique(self, base: str) -> str:
        if base not in self.nodes:
            return base
        n = 2
        while f"{base}_{n}" in self.nodes:
            n += 1
        return f"{base}_{n}"

    def returns(self, result: Any) -> Ref | tuple[Ref, ...] | None:
        if result is None:
            return None
        if isinstance(result, StepOutput) and result.builder is self:
            return result.ref
        if isinstance(result, tuple | list) and result and all(isinstance(r, StepOutput) for r in result):
            return tuple(r.ref for r in result)
        raise InvalidInput(
            f"pipeline {self.pipeline!r} returns {type(result).__name__}",
            hint="return a step output, a tuple of step outputs, or nothing",
        )


def trace(pipeline: Pipeline[...]) -> Graph:
    """Call the body of ``pipeline`` with placeholders and return the checked graph."""
    builder = Builder(pipeline.name)
    hints = pipeline.hints()
    placeholders = {name: ParamPlaceholder(name, hints.get(name, Any)) for name in pipeline.signature.parameters}
    token = _BUILDER.set(builder)
    try:
        result = pipeline.func(**placeholders)
    except MlcycleError:
        raise
    except Exception as exc:
        raise InvalidInput(
            f"pipeline {pipeline.name!r} cannot be defined: {type(exc).__name__}: {exc}", hint=_BODY_HINT
        ) from exc
    finally:
        _BUILDER.reset(token)
    return Graph(builder.nodes, builder.returns(result))


def _tuple_parts(annotation: Any) -> tuple[Any, ...]:
    """The element types of a fixed-length ``tuple[A, B]`` return annotation, else ()."""
    if get_origin(annotation) is not tuple:
        return ()
    args = get_args(annotation)
    if not args or Ellipsis in args or args == ((),):
        return ()
    return args


def _contains_symbolic(value: Any) -> bool:
    if isinstance(value, _Symbolic):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(_contains_symbolic(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_symbolic(v) for v in value.values())
    return False


__all__ = ["Builder", "ParamPlaceholder", "StepOutput", "current_builder", "trace"]
