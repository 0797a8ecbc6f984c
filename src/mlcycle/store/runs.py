"""Persistence of projects and runs: rows in, rows out. Rules (immutability, status) live in the service."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from mlcycle.store.schema import artifacts, latest_metrics, metric_chunks, params, projects, runs, tags


# ---- projects -------------------------------------------------------------------------------------------
def insert_project(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(projects.insert(), row)


def project_by_name_or_id(conn: Connection, ref: str) -> Row[Any] | None:
    return conn.execute(sa.select(projects).where(sa.or_(projects.c.name == ref, projects.c.id == ref))).first()


def list_projects(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(sa.select(projects).order_by(projects.c.name)))


def project_run_counts(conn: Connection) -> dict[str, int]:
    q = sa.select(runs.c.project_id, sa.func.count()).group_by(runs.c.project_id)
    return {pid: int(n) for pid, n in conn.execute(q)}


# ---- runs -----------------------------------------------------------------------------------------------
def insert_run(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(runs.insert(), row)


def run_row(conn: Connection, run_id: str) -> Row[Any] | None:
    return conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()


def run_rows(conn: Connection, run_ids: Sequence[str]) -> dict[str, Row[Any]]:
    out: dict[str, Row[Any]] = {}
    for chunk in _chunks(run_ids):
        out.update((r.id, r) for r in conn.execute(sa.select(runs).where(runs.c.id.in_(chunk))).all())
    return out


def run_status(conn: Connection, run_id: str) -> tuple[str, str, str] | None:
    """(status, project_id, stage) of a run, or None."""
    r = conn.execute(sa.select(runs.c.status, runs.c.project_id, runs.c.stage).where(runs.c.id == run_id)).first()
    return (r[0], r[1], r[2]) if r else None


def update_run(conn: Connection, run_id: str, **values: Any) -> None:
    conn.execute(runs.update().where(runs.c.id == run_id).values(**values))


def run_data(
    conn: Connection, run_ids: Sequence[str]
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, float | None]], dict[str, dict[str, str]]]:
    """Params, latest metrics and tags of many runs, in three queries per chunk."""
    p: dict[str, dict[str, str]] = {i: {} for i in run_ids}
    m: dict[str, dict[str, float | None]] = {i: {} for i in run_ids}
    t: dict[str, dict[str, str]] = {i: {} for i in run_ids}
    for chunk in _chunks(run_ids):
        # fetch whole results at once: row-by-row iteration costs more than the queries themselves
        for rid, k, v in conn.execute(sa.select(params).where(params.c.run_id.in_(chunk))).all():
            p[rid][k] = v
        q = sa.select(latest_metrics.c.run_id, latest_metrics.c.key, latest_metrics.c.value)
        for rid, k, v in conn.execute(q.where(latest_metrics.c.run_id.in_(chunk))).all():
            m[rid][k] = v
        for rid, k, v in conn.execute(sa.select(tags).where(tags.c.run_id.in_(chunk))).all():
            t[rid][k] = v
    return p, m, t


# ---- params and tags ------------------------------------------------------------------------------------
def existing_params(conn: Connection, run_id: str, keys: Iterable[str]) -> dict[str, str]:
    q = sa.select(params.c.key, params.c.value).where(params.c.run_id == run_id, params.c.key.in_(list(keys)))
    return {k: v for k, v in conn.execute(q)}


def insert_params(conn: Connection, run_id: str, values: dict[str, str]) -> None:
    if values:
        conn.execute(params.insert(), [{"run_id": run_id, "key": k, "value": v} for k, v in values.items()])


def upsert_tags(conn: Connection, run_id: str, values: dict[str, str]) -> None:
    if values:
        rows = [{"run_id": run_id, "key": k, "value": v} for k, v in values.items()]
        conn.execute(_tags_upsert(conn.dialect.name), rows)


@lru_cache(maxsize=4)
def _tags_upsert(dialect: str) -> Any:
    stmt = _insert_for(dialect, tags)
    return stmt.on_conflict_do_update(index_elements=[tags.c.run_id, tags.c.key], set_={"value": stmt.excluded.value})


def delete_tag(conn: Connection, run_id: str, key: str) -> int:
    return conn.execute(tags.delete().where(tags.c.run_id == run_id, tags.c.key == key)).rowcount


# ---- metrics --------------------------------------------------------------------------------------------
IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True, slots=True)
class MetricChunk:
    """Points of one metric key from one logging call, column-wise."""

    key: str
    steps: IntArray
    values: FloatArray
    timestamps: IntArray


def insert_metric_chunks(conn: Connection, run_id: str, chunks: Sequence[MetricChunk]) -> None:
    """One row per chunk (a 10,000-point series is one row), then move each key's latest value forward."""
    chunks = [c for c in chunks if len(c.steps)]
    if not chunks:
        return
    conn.execute(
        metric_chunks.insert(),
        [
            {
                "run_id": run_id,
                "key": c.key,
                "n": len(c.steps),
                "min_step": int(c.steps.min()),
                "max_step": int(c.steps.max()),
                "steps": c.steps.astype("<i8", copy=False).tobytes(),
                "values": c.values.astype("<f8", copy=False).tobytes(),
                "timestamps": c.timestamps.astype("<i8", copy=False).tobytes(),
            }
            for c in chunks
        ],
    )
    latest: dict[str, tuple[int, int, float]] = {}
    for c in chunks:
        i = int(np.lexsort((c.timestamps, c.steps))[-1])
        point = (int(c.steps[i]), int(c.timestamps[i]), float(c.values[i]))
        if c.key not in latest or point[:2] >= latest[c.key][:2]:
            latest[c.key] = point
    conn.execute(
        _latest_upsert(conn.dialect.name),
        [
            {"run_id": run_id, "key": k, "step": s, "timestamp": t, "value": None if math.isnan(v) else v}
            for k, (s, t, v) in latest.items()
        ],
    )


def metric_history(
    conn: Connection, run_id: str, key: str
) -> tuple[
    np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.int64]]
]:
    """(steps, values, timestamps) of one metric, ordered by step, then time, then logging order."""
    q = (
        sa.select(metric_chunks.c.steps, metric_chunks.c["values"], metric_chunks.c.timestamps)
        .where(metric_chunks.c.run_id == run_id, metric_chunks.c.key == key)
        .order_by(metric_chunks.c.id)
    )
    rows = conn.execute(q).all()
    if not rows:
        empty_i = np.empty(0, dtype=np.int64)
        return empty_i, np.empty(0, dtype=np.float64), empty_i
    steps = np.concatenate([np.frombuffer(r[0], dtype="<i8") for r in rows]).astype(np.int64)
    values = np.concatenate([np.frombuffer(r[1], dtype="<f8") for r in rows]).astype(np.float64)
    stamps = np.concatenate([np.frombuffer(r[2], dtype="<i8") for r in rows]).astype(np.int64)
    order = np.lexsort((stamps, steps))  # stable: equal (step, time) keep logging order
    return steps[order], values[order], stamps[order]


def metric_keys(conn: Connection, run_id: str) -> list[str]:
    q = sa.select(latest_metrics.c.key).where(latest_metrics.c.run_id == run_id).order_by(latest_metrics.c.key)
    return [k for (k,) in conn.execute(q)]


@lru_cache(maxsize=4)
def _latest_upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT that only moves a key's latest value forward (built once per dialect)."""
    stmt = _insert_for(dialect, latest_metrics)
    ex = stmt.excluded
    newer = sa.or_(
        ex.step > latest_metrics.c.step,
        sa.and_(ex.step == latest_metrics.c.step, ex.timestamp >= latest_metrics.c.timestamp),
    )
    return stmt.on_conflict_do_update(
        index_elements=[latest_metrics.c.run_id, latest_metrics.c.key],
        set_={"value": ex.value, "step": ex.step, "timestamp": ex.timestamp},
        where=newer,
    )


# ---- artifacts ------------------------------------------------------------------------------------------
def artifact_row(conn: Connection, run_id: str, path: str) -> Row[Any] | None:
    q = sa.select(artifacts).where(artifacts.c.run_id == run_id, artifacts.c.path == path)
    return conn.execute(q).first()


def insert_artifact(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(artifacts.insert(), row)


def list_artifacts(conn: Connection, run_id: str, prefix: str | None = None) -> list[Row[Any]]:
    q = sa.select(artifacts).where(artifacts.c.run_id == run_id)
    if prefix:
        q = q.where(
            sa.or_(artifacts.c.path == prefix, artifacts.c.path.startswith(prefix.rstrip("/") + "/", autoescape=True))
        )
    return list(conn.execute(q.order_by(artifacts.c.path)))


# ---- helpers --------------------------------------------------------------------------------------------
def _insert(conn: Connection, table: sa.Table) -> Any:
    return _insert_for(conn.dialect.name, table)


def _insert_for(dialect: str, table: sa.Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _chunks(ids: Sequence[str], size: int = 900) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]
