"""The two questions lineage answers: what produced this (provenance), and what was made from it (consumers).

Both walk the whole graph in their direction (up to :data:`~mlcycle.lineage.graph.MAX_DEPTH` hops), whatever
depth a caller shows, and summarise the nodes they reach as typed references, nearest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, cast

from pydantic import BaseModel

from mlcycle.core.errors import InvalidInput
from mlcycle.lineage.graph import MAX_DEPTH, Way, graph, links, walk
from mlcycle.lineage.models import (
    DIRECTIONS,
    ArtifactRef,
    Consumers,
    DatasetRef,
    Direction,
    LineageReport,
    Node,
    PipelineRunRef,
    Provenance,
    RunRef,
)
from mlcycle.lineage.nodes import Key, describe
from mlcycle.lineage.refs import resolve
from mlcycle.store import Store

R = TypeVar("R", bound=BaseModel)


def provenance(store: Store, node: Node) -> Provenance:
    """What produced ``node``: the dataset versions, pipeline runs, tracking runs and commits upstream of it."""
    nodes, complete = _reach(store, node, "up")
    run_refs = _refs(nodes, "run", RunRef)
    return Provenance(
        subject=node,
        datasets=_refs(nodes, "dataset_version", DatasetRef),
        pipeline_runs=_refs(nodes, "pipeline_run", PipelineRunRef),
        runs=run_refs,
        commits=list(dict.fromkeys(r.git_commit for r in run_refs if r.git_commit)),
        complete=complete,
    )


def consumers(store: Store, node: Node) -> Consumers:
    """What was made from ``node`` (typically a dataset version): the versions derived from it, the runs and
    pipeline runs that read it or them, and the artifacts (models among them) those produced."""
    nodes, complete = _reach(store, node, "down", owners=True)
    return Consumers(
        subject=node,
        datasets=_refs(nodes, "dataset_version", DatasetRef),
        runs=_refs(nodes, "run", RunRef),
        pipeline_runs=_refs(nodes, "pipeline_run", PipelineRunRef),
        artifacts=[
            ArtifactRef(digest=n.id, distance=n.distance, **n.details)
            for n in nodes
            if n.type == "artifact" and n.distance > 0
        ],
        complete=complete,
    )


def lineage(store: Store, ref: str, direction: Direction | str = "up", depth: int = 10) -> LineageReport:
    """Resolve ``ref`` (see :mod:`mlcycle.lineage.refs`) and report its graph ``depth`` hops ``up``, ``down``
    or ``both`` ways, with its provenance (``up``, ``both``) and consumers (``down``, ``both``)."""
    if direction not in DIRECTIONS:
        raise InvalidInput(f"invalid direction {direction!r}", hint="use 'up', 'down' or 'both'")
    root = resolve(store, ref)
    shown = graph(store, (root.type, root.id), cast(Direction, direction), depth)
    return LineageReport(
        root=root,
        graph=shown,
        provenance=provenance(store, root) if direction in ("up", "both") else None,
        consumers=consumers(store, root) if direction in ("down", "both") else None,
    )


def _reach(store: Store, node: Node, way: Way, *, owners: bool = False) -> tuple[list[Node], bool]:
    """The described nodes reachable from ``node`` going ``way``; with ``owners``, also the pipeline runs that
    own a reached step run or tracking run (one hop back up), at that member's distance."""
    start: Key = (node.type, node.id)
    with store.read() as conn:
        w = walk(conn, start, way, MAX_DEPTH)
        distances = dict(w.distances)
        if owners:
            members = [k for k in distances if k[0] in ("step_run", "run")]
            for link in links(conn, members, "up"):
                if link.src[0] == "pipeline_run" and link.src not in distances:
                    distances[link.src] = distances[link.dst]
        return describe(conn, distances), not w.truncated


def _refs(nodes: Sequence[Node], node_type: str, model: type[R]) -> list[R]:
    """The reached nodes of a type, but the walk's start and objects that no longer exist, as references."""
    return [
        model.model_validate({**n.details, "id": n.id, "distance": n.distance})
        for n in nodes
        if n.type == node_type and n.distance > 0 and not n.details.get("missing")
    ]


__all__ = ["consumers", "lineage", "provenance"]
