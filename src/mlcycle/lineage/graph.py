"""Walking the lineage graph: stored edges plus the relations the tables hold in their own columns.

Stored edges (``lineage_edges``, written by the services) and implicit ones, read from the tables:

- ``run -output-> artifact`` for every artifact a run lists (``artifacts``);
- ``pipeline_run -contains-> step_run`` (``step_runs.pipeline_run_id``);
- ``pipeline_run -output-> run``, its tracking run (``pipeline_runs.run_id``);
- ``run -contains-> run``, a parent and its child runs (``runs.parent_run_id``).

A walk is breadth first, one query per node type and hop, never visits a node twice (so cycles end), and
stops ``depth`` hops from its start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mlcycle.core.errors import InvalidInput
from mlcycle.lineage.models import LineageEdge, LineageGraph, Node, node_key
from mlcycle.lineage.nodes import Key, chunks, describe
from mlcycle.store import Store
from mlcycle.store.schema import artifacts, lineage_edges, pipeline_runs, runs, step_runs

Way = Literal["up", "down"]
MAX_DEPTH = 100


@dataclass(frozen=True, slots=True)
class Link:
    src: Key
    dst: Key
    relation: str
    implicit: bool = False

    def far(self, way: Way) -> Key:
        """The end of the link away from the node it was found from."""
        return self.src if way == "up" else self.dst


@dataclass
class Walk:
    distances: dict[Key, int]
    links: list[Link]
    truncated: bool


def check_depth(depth: int) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"invalid depth {depth!r}", hint=f"use a whole number from 0 to {MAX_DEPTH}")
    return depth


def walk(conn: Connection, start: Key, way: Way, depth: int) -> Walk:
    """Every node at most ``depth`` hops from ``start`` going ``way``, and the links between them."""
    distances = {start: 0}
    found: dict[tuple[Key, Key, str], Link] = {}
    frontier = [start]
    for hop in range(1, depth + 1):
        if not frontier:
            break
        following = []
        for link in links(conn, frontier, way):
            found.setdefault((link.src, link.dst, link.relation), link)
            far = link.far(way)
            if far not in distances:
                distances[far] = hop
                following.append(far)
        frontier = following
    truncated = bool(frontier) and any(link.far(way) not in distances for link in links(conn, frontier, way))
    return Walk(distances, list(found.values()), truncated)


def links(conn: Connection, nodes: Sequence[Key], way: Way) -> list[Link]:
    """The links of ``nodes`` going ``way``, stored ones first; an implicit link a stored edge repeats is dropped."""
    by_type: dict[str, list[str]] = {}
    for node_type, node_id in nodes:
        by_type.setdefault(node_type, []).append(node_id)
    out: dict[tuple[Key, Key, str], Link] = {}
    for node_type, ids in sorted(by_type.items()):
        for link in _stored(conn, node_type, ids, way):
            out.setdefault((link.src, link.dst, link.relation), link)
        for reader in _IMPLICIT[way].get(node_type, ()):
            for link in reader(conn, ids):
                out.setdefault((link.src, link.dst, link.relation), link)
    return list(out.values())


def graph(store: Store, start: Key, direction: Literal["up", "down", "both"], depth: int) -> LineageGraph:
    """The described graph around ``start``: upstream, downstream, or both (distances count hops either way)."""
    check_depth(depth)
    ways: list[Way] = ["up", "down"] if direction == "both" else [direction]
    with store.read() as conn:
        walks = [walk(conn, start, way, depth) for way in ways]
        distances: dict[Key, int] = {}
        for w in walks:
            for key, d in w.distances.items():
                distances[key] = min(d, distances.get(key, d))
        nodes = describe(conn, distances)
    edges: dict[tuple[Key, Key, str], Link] = {}
    for w in walks:
        for link in w.links:
            edges.setdefault((link.src, link.dst, link.relation), link)
    return LineageGraph(
        root=node_key(*start),
        direction=direction,
        depth=depth,
        nodes=nodes,
        edges=[
            LineageEdge(src=node_key(*e.src), dst=node_key(*e.dst), relation=e.relation, implicit=e.implicit)
            for e in sorted(edges.values(), key=lambda e: (distances[e.src] + distances[e.dst], e.src, e.dst))
        ],
        truncated=any(w.truncated for w in walks),
    )


def upstream(store: Store, node: Node, depth: int = 10) -> LineageGraph:
    """What ``node`` came from: the objects its inputs, producers and ancestors are, up to ``depth`` hops."""
    return graph(store, (node.type, node.id), "up", depth)


def downstream(store: Store, node: Node, depth: int = 10) -> LineageGraph:
    """What was made from ``node``, up to ``depth`` hops."""
    return graph(store, (node.type, node.id), "down", depth)


# ---- stored edges -----------------------------------------------------------------------------------------
def _stored(conn: Connection, node_type: str, ids: Sequence[str], way: Way) -> Iterable[Link]:
    e = lineage_edges.c
    near_type, near_id = (e.dst_type, e.dst_id) if way == "up" else (e.src_type, e.src_id)
    q = sa.select(e.src_type, e.src_id, e.dst_type, e.dst_id, e.relation).where(near_type == node_type)
    for chunk in chunks(ids):
        for r in conn.execute(q.where(near_id.in_(chunk)).order_by(e.id)):
            yield Link((r.src_type, r.src_id), (r.dst_type, r.dst_id), r.relation)


# ---- implicit relations -----------------------------------------------------------------------------------
def _pairs(
    conn: Connection, q: sa.Select[Any], column: sa.ColumnElement[str], ids: Sequence[str]
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for chunk in chunks(ids):
        out.extend(
            (str(r[0]), str(r[1]))
            for r in conn.execute(q.where(column.in_(chunk)))
            if r[0] is not None and r[1] is not None
        )
    return sorted(set(out))


def _run_artifacts(conn: Connection, ids: Sequence[str]) -> list[Link]:  # down from runs
    q = sa.select(artifacts.c.run_id, artifacts.c.digest)
    return [Link(("run", r), ("artifact", d), "output", True) for r, d in _pairs(conn, q, artifacts.c.run_id, ids)]


def _artifact_runs(conn: Connection, ids: Sequence[str]) -> list[Link]:  # up from artifacts
    q = sa.select(artifacts.c.run_id, artifacts.c.digest)
    return [Link(("run", r), ("artifact", d), "output", True) for r, d in _pairs(conn, q, artifacts.c.digest, ids)]


def _steps_of(conn: Connection, ids: Sequence[str]) -> list[Link]:  # down from pipeline runs
    q = sa.select(step_runs.c.pipeline_run_id, step_runs.c.id)
    pairs = _pairs(conn, q, step_runs.c.pipeline_run_id, ids)
    return [Link(("pipeline_run", p), ("step_run", s), "contains", True) for p, s in pairs]


def _pipeline_of_step(conn: Connection, ids: Sequence[str]) -> list[Link]:  # up from step runs
    q = sa.select(step_runs.c.pipeline_run_id, step_runs.c.id)
    return [
        Link(("pipeline_run", p), ("step_run", s), "contains", True) for p, s in _pairs(conn, q, step_runs.c.id, ids)
    ]


def _tracking_run_of(conn: Connection, ids: Sequence[str]) -> list[Link]:  # down from pipeline runs
    q = sa.select(pipeline_runs.c.id, pipeline_runs.c.run_id)
    return [Link(("pipeline_run", p), ("run", r), "output", True) for p, r in _pairs(conn, q, pipeline_runs.c.id, ids)]


def _pipeline_of_run(conn: Connection, ids: Sequence[str]) -> list[Link]:  # up from runs
    q = sa.select(pipeline_runs.c.id, pipeline_runs.c.run_id)
    pairs = _pairs(conn, q, pipeline_runs.c.run_id, ids)
    return [Link(("pipeline_run", p), ("run", r), "output", True) for p, r in pairs]


def _children(conn: Connection, ids: Sequence[str]) -> list[Link]:  # down from runs
    q = sa.select(runs.c.parent_run_id, runs.c.id)
    return [Link(("run", p), ("run", c), "contains", True) for p, c in _pairs(conn, q, runs.c.parent_run_id, ids)]


def _parent(conn: Connection, ids: Sequence[str]) -> list[Link]:  # up from runs
    q = sa.select(runs.c.parent_run_id, runs.c.id)
    return [Link(("run", p), ("run", c), "contains", True) for p, c in _pairs(conn, q, runs.c.id, ids)]


_Reader = Callable[[Connection, Sequence[str]], list[Link]]
_IMPLICIT: dict[Way, dict[str, tuple[_Reader, ...]]] = {
    "down": {
        "run": (_children, _run_artifacts),
        "pipeline_run": (_tracking_run_of, _steps_of),
    },
    "up": {
        "artifact": (_artifact_runs,),
        "step_run": (_pipeline_of_step,),
        "run": (_pipeline_of_run, _parent),
    },
}

__all__ = ["MAX_DEPTH", "Link", "Walk", "check_depth", "downstream", "graph", "links", "upstream", "walk"]
