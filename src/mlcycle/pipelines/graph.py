"""The pipeline graph: step invocations (nodes), what feeds each of their parameters, and the checks made when a
pipeline is defined.

A node's parameter is bound to one of three things::

    Ref(node, key)     the output ``key`` of another node ("output", or "0", "1", ... for a tuple return)
    ParamRef(name)     a parameter of the pipeline, known when the pipeline runs
    Const(value)       a JSON-able literal written in the pipeline body

Edges come from ``Ref`` bindings (data dependencies) and from ``after=`` (ordering without data). A graph with a
cycle, an ``after=`` naming no step, or an output wired into a parameter of an incompatible type is rejected
with :class:`~mlcycle.core.errors.InvalidInput` when the pipeline is defined, not when it runs.
"""

from __future__ import annotations

import heapq
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from mlcycle.core.errors import InvalidInput, did_you_mean

if TYPE_CHECKING:
    from mlcycle.pipelines.decorators import Step

SINGLE_OUTPUT = "output"


@dataclass(frozen=True, slots=True)
class Ref:
    node: str
    key: str = SINGLE_OUTPUT


@dataclass(frozen=True, slots=True)
class ParamRef:
    name: str


@dataclass(frozen=True, slots=True)
class Const:
    value: Any


Binding = Ref | ParamRef | Const


@dataclass(frozen=True)
class Node:
    """One invocation of a step inside a pipeline."""

    name: str
    step: Step[..., Any]
    bindings: Mapping[str, Binding]
    after: tuple[str, ...] = ()
    outputs: tuple[str, ...] = (SINGLE_OUTPUT,)

    @property
    def upstream(self) -> tuple[str, ...]:
        refs = {b.node for b in self.bindings.values() if isinstance(b, Ref)}
        return tuple(sorted(refs | set(self.after)))


@dataclass(frozen=True)
class Graph:
    """Nodes in the order the pipeline body called them, and the refs the pipeline returns.

    ``returns`` is None when the body returns nothing (the last step's output is then the pipeline's output),
    one Ref, or a tuple of Refs.
    """

    nodes: Mapping[str, Node]
    returns: Ref | tuple[Ref, ...] | None = None
    order: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.nodes:
            raise InvalidInput("the pipeline calls no step", hint="call at least one @step function in its body")
        for node in self.nodes.values():
            for name in node.after:
                if name not in self.nodes:
                    hint = did_you_mean(name, list(self.nodes)) or f"steps: {', '.join(self.nodes)}"
                    raise InvalidInput(
                        f"step {node.name!r} runs after {name!r}, which is not in the pipeline", hint=hint
                    )
        object.__setattr__(self, "order", self._topological_order())

    def upstream(self, name: str) -> tuple[str, ...]:
        return self.nodes[name].upstream

    def descendants(self, name: str) -> set[str]:
        """Every node that depends, directly or not, on ``name``."""
        children: dict[str, list[str]] = {n: [] for n in self.nodes}
        for node in self.nodes.values():
            for up in node.upstream:
                children[up].append(node.name)
        seen: set[str] = set()
        stack = list(children[name])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(children[current])
        return seen

    def output_refs(self) -> tuple[Ref, ...]:
        if self.returns is None:
            return (Ref(self.order[-1]),)
        return self.returns if isinstance(self.returns, tuple) else (self.returns,)

    def _topological_order(self) -> tuple[str, ...]:
        """Kahn's algorithm, breaking ties by call order so the order is stable; a leftover means a cycle."""
        position = {name: i for i, name in enumerate(self.nodes)}
        indegree = {name: len(node.upstream) for name, node in self.nodes.items()}
        children: dict[str, list[str]] = {n: [] for n in self.nodes}
        for node in self.nodes.values():
            for up in node.upstream:
                children[up].append(node.name)
        ready = [(position[n], n) for n, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, name = heapq.heappop(ready)
            order.append(name)
            for child in children[name]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    heapq.heappush(ready, (position[child], child))
        if len(order) < len(self.nodes):
            cycle = self._find_cycle({n for n in self.nodes if n not in order})
            raise InvalidInput(
                f"the pipeline has a cycle: {' -> '.join(cycle)}",
                hint="a step cannot run after (or consume) a step that depends on it; check the after= options",
                details={"cycle": cycle},
            )
        return tuple(order)

    def _find_cycle(self, candidates: set[str]) -> list[str]:
        path: list[str] = []
        on_path: set[str] = set()
        done: set[str] = set()

        def visit(name: str) -> list[str] | None:
            path.append(name)
            on_path.add(name)
            for up in self.nodes[name].upstream:
                if up in on_path:
                    loop = [*path[path.index(up) :], up]
                    return list(reversed(loop))
                if up in candidates and up not in done:
                    found = visit(up)
                    if found:
                        return found
            path.pop()
            on_path.discard(name)
            done.add(name)
            return None

        for start in sorted(candidates):
            found = visit(start)
            if found:
                return found
        return sorted(candidates)  # pragma: no cover - Kahn's leftovers always contain a cycle


# ---- type compatibility ----------------------------------------------------------------------------------
def compatible(produced: Any, expected: Any) -> bool:
    """Whether a value of the annotated type ``produced`` may be passed where ``expected`` is annotated.

    Deliberately lenient where Python typing cannot be checked at run time: type variables, protocols and
    unusual special forms pass; only the origin of a generic is compared (``list[int]`` fits ``list[str]``).
    ``int`` fits ``float`` and ``complex`` as in PEP 484.
    """
    if expected is Any or produced is Any or expected is object:
        return True
    if isinstance(expected, typing.TypeVar) or isinstance(produced, typing.TypeVar):
        return True
    if _is_union(expected):
        return any(compatible(produced, arm) for arm in get_args(expected))
    if _is_union(produced):
        return all(compatible(arm, expected) for arm in get_args(produced))
    if get_origin(produced) is Literal:
        return all(compatible(type(v), expected) for v in get_args(produced))
    if get_origin(expected) is Literal:
        return get_origin(produced) is Literal and set(get_args(produced)) <= set(get_args(expected))
    src = get_origin(produced) or produced
    dst = get_origin(expected) or expected
    if src is None:
        src = type(None)
    if dst is None:
        dst = type(None)
    if not isinstance(src, type) or not isinstance(dst, type):
        return True
    if (dst is float and src is int) or (dst is complex and src in (int, float)):
        return True
    try:
        return issubclass(src, dst)
    except TypeError:  # e.g. a Protocol that is not runtime-checkable
        return True


def value_fits(value: Any, expected: Any) -> bool:
    """Whether a literal value written in a pipeline body fits the annotated parameter type."""
    return compatible(type(value), expected)


def type_name(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, type) and get_origin(annotation) is None:
        return annotation.__qualname__
    return str(annotation).replace("typing.", "")


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


__all__ = [
    "SINGLE_OUTPUT",
    "Binding",
    "Const",
    "Graph",
    "Node",
    "ParamRef",
    "Ref",
    "compatible",
    "type_name",
    "value_fits",
]
