"""Lineage edges: a typed graph over stored objects, written by the services that create the objects.

Node types: ``dataset_version``, ``run`` (tracking run), ``pipeline_run``, ``step_run``, ``artifact`` (id =
sha256 digest), ``model`` (later: registry model versions). Relations, always pointing downstream:
``derived`` (parent dataset version -> child version, e.g. a split), ``input`` (object -> the run/step that read
it), ``output`` (run/step -> the object it produced).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from mlcycle.core.ids import now_ms
from mlcycle.store.schema import lineage_edges

Relation = Literal["derived", "input", "output"]


@dataclass(frozen=True, slots=True)
class Edge:
    src_type: str
    src_id: str
    dst_type: str
    dst_id: str
    relation: str


def add_edges(conn: Connection, edges: list[Edge]) -> None:
    """Record edges in the caller's transaction; an edge that exists already is left as it is."""
    if not edges:
        return
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(lineage_edges)
    ts = now_ms()
    conn.execute(
        insert.on_conflict_do_nothing(),
        [
            {
                "src_type": e.src_type,
                "src_id": e.src_id,
                "dst_type": e.dst_type,
                "dst_id": e.dst_id,
                "relation": e.relation,
                "created_at": ts,
            }
            for e in edges
        ],
    )


def edges_from(conn: Connection, node_type: str, node_id: str) -> list[Edge]:
    """Edges leaving a node (downstream)."""
    q = sa.select(lineage_edges).where(lineage_edges.c.src_type == node_type, lineage_edges.c.src_id == node_id)
    return [Edge(r.src_type, r.src_id, r.dst_type, r.dst_id, r.relation) for r in conn.execute(q)]


def edges_to(conn: Connection, node_type: str, node_id: str) -> list[Edge]:
    """Edges entering a node (upstream)."""
    q = sa.select(lineage_edges).where(lineage_edges.c.dst_type == node_type, lineage_edges.c.dst_id == node_id)
    return [Edge(r.src_type, r.src_id, r.dst_type, r.dst_id, r.relation) for r in conn.execute(q)]
