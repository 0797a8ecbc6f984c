"""Describing graph nodes: a label and the main fields of each stored object, read in a few queries per type.

The lineage service reads the store's tables directly (it only reads), so it depends on no sibling service.
A node whose object is missing (an edge that outlived it, or a type this version does not know) is still
returned, labelled with its id and ``details["missing"] = True``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mlcycle.lineage.models import Node
from mlcycle.store.schema import (
    artifacts,
    dataset_tags,
    dataset_versions,
    datasets,
    params,
    pipeline_runs,
    pipelines,
    projects,
    runs,
    step_runs,
)

Key = tuple[str, str]  # (node type, id)
Details = dict[str, Any]
MODEL_SUFFIXES = (".skops", ".onnx", ".joblib", ".pkl")  # serialised models, by file name
CHUNK = 900


def describe(conn: Connection, keys: Mapping[Key, int]) -> list[Node]:
    """Nodes for ``keys`` (with their distance from the walk's root), ordered by distance, type and label."""
    by_type: dict[str, list[str]] = {}
    for node_type, node_id in keys:
        by_type.setdefault(node_type, []).append(node_id)
    nodes = []
    for node_type, ids in by_type.items():
        reader = _READERS.get(node_type)
        found = reader(conn, ids) if reader is not None else {}
        for node_id in ids:
            label, details = found.get(node_id, (node_id, {"missing": True}))
            nodes.append(
                Node(type=node_type, id=node_id, label=label, details=details, distance=keys[node_type, node_id])
            )
    return sorted(nodes, key=lambda n: (n.distance, n.type, n.label, n.id))


def is_model_path(path: str) -> bool:
    return path.endswith(MODEL_SUFFIXES)


def chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _rows(conn: Connection, query: sa.Select[Any], column: sa.ColumnElement[Any], ids: Sequence[str]) -> Iterable[Any]:
    for chunk in chunks(ids):
        yield from conn.execute(query.where(column.in_(chunk)))


# ---- per type ---------------------------------------------------------------------------------------------
def _dataset_versions(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, Details]]:
    dv = dataset_versions.c
    q = (
        sa.select(
            dv.id,
            dv.version,
            dv.content_hash,
            dv.row_count,
            dv.source,
            dv.source_kind,
            dv.stage,
            dv.parent_version_id,
            dv.created_at,
            datasets.c.name.label("dataset"),
            projects.c.name.label("project"),
        )
        .join(datasets, datasets.c.id == dv.dataset_id)
        .join(projects, projects.c.id == datasets.c.project_id)
    )
    tags: dict[str, list[str]] = {}
    tq = sa.select(dataset_tags.c.version_id, dataset_tags.c.tag).order_by(dataset_tags.c.tag)
    for vid, tag in _rows(conn, tq, dataset_tags.c.version_id, ids):
        tags.setdefault(vid, []).append(tag)
    out = {}
    for r in _rows(conn, q, dv.id, ids):
        ref = f"{r.dataset}@v{r.version}"
        out[r.id] = (ref, {**_fields(r, exclude=("id",)), "ref": ref, "tags": tags.get(r.id, [])})
    return out


def _runs(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, Details]]:
    c = runs.c
    q = sa.select(
        c.id,
        c.name,
        c.status,
        c.stage,
        c.git_commit,
        c.parent_run_id,
        c.start_time,
        c.end_time,
        c.user,
        projects.c.name.label("project"),
    ).join(projects, projects.c.id == c.project_id)
    values: dict[str, dict[str, str]] = {}
    pq = sa.select(params.c.run_id, params.c.key, params.c.value).order_by(params.c.key)
    for rid, key, value in _rows(conn, pq, params.c.run_id, ids):
        values.setdefault(rid, {})[key] = value
    return {
        r.id: (r.name, {**_fields(r, exclude=("id",)), "params": values.get(r.id, {})})
        for r in _rows(conn, q, c.id, ids)
    }


def _pipeline_runs(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, Details]]:
    c = pipeline_runs.c
    q = (
        sa.select(
            c.id,
            c.status,
            c.run_id,
            c.runner,
            c.trigger,
            c.resumed_from,
            c.params_json,
            c.started_at,
            c.ended_at,
            pipelines.c.name.label("pipeline"),
            projects.c.name.label("project"),
        )
        .join(pipelines, pipelines.c.id == c.pipeline_id)
        .join(projects, projects.c.id == c.project_id)
    )
    out = {}
    for r in _rows(conn, q, c.id, ids):
        details = {**_fields(r, exclude=("id", "params_json")), "params": json.loads(r.params_json or "{}")}
        out[r.id] = (str(r.pipeline), details)
    return out


def _step_runs(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, Details]]:
    c = step_runs.c
    q = (
        sa.select(
            c.id,
            c.name,
            c.step,
            c.status,
            c.cached,
            c.pipeline_run_id,
            c.started_at,
            c.ended_at,
            pipelines.c.name.label("pipeline"),
        )
        .join(pipeline_runs, pipeline_runs.c.id == c.pipeline_run_id)
        .join(pipelines, pipelines.c.id == pipeline_runs.c.pipeline_id)
    )
    out = {}
    for r in _rows(conn, q, c.id, ids):
        out[r.id] = (f"{r.pipeline}.{r.name}", {**_fields(r, exclude=("id",)), "cached": bool(r.cached)})
    return out


def _artifacts(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, Details]]:
    c = artifacts.c
    q = sa.select(c.digest, c.run_id, c.path, c.size).order_by(c.created_at, c.path)
    found: dict[str, Details] = {}
    for r in _rows(conn, q, c.digest, ids):
        d = found.setdefault(r.digest, {"size": r.size, "paths": [], "model": False})
        d["paths"].append({"run_id": r.run_id, "path": r.path})
        d["model"] = d["model"] or is_model_path(r.path)
    out = {digest: (d["paths"][0]["path"], d) for digest, d in found.items()}
    for digest in ids:  # known only from edges (e.g. a step output no run lists): still an artifact
        out.setdefault(digest, (f"sha256:{digest[:12]}", {"size": None, "paths": [], "model": False}))
    return out


def _fields(row: Any, exclude: tuple[str, ...] = ()) -> Details:
    return {k: v for k, v in row._mapping.items() if k not in exclude}


_READERS: dict[str, Callable[[Connection, Sequence[str]], dict[str, tuple[str, Details]]]] = {
    "dataset_version": _dataset_versions,
    "run": _runs,
    "pipeline_run": _pipeline_runs,
    "step_run": _step_runs,
    "artifact": _artifacts,
}

__all__ = ["Key", "describe", "is_model_path"]
