"""Persistence of projects and runs: rows in, rows out. Rules (immutability, status) live in the service."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from mlcycle.store.schema import artifacts, latest_metrics, metric_points, params, projects, runs, tags

MetricRow = tuple[str, float | None, int, int]  # key, value (None = NaN), step, timestamp


# ---- projects -------------------------------------------------------------------------------------------
def insert_project(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(projects.insert(), row)


def project_by_name_or_id(conn: Connection, ref: str) -> Row[Any] | None:
    return conn.execute(
        sa.select(projects).where(sa.or_(projects.c.name == ref, projects.c.id == ref))
    ).first()


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
        out.update((r.id, r) for r in conn.execute(sa.select(runs).where(runs.c.id.in_(chunk))))
    return out


def run_status(conn: Connection, run_id: str) -> tuple[str, str, str] | None:
    """(status, project_id, stage) of a run, or None."""
    r = conn.execute(
        sa.select(runs.c.status, runs.c.project_id, runs.c.stage).where(runs.c.id == run_id)
    ).first()
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
        for rid, k, v in conn.execute(sa.select(params).where(params.c.run_id.in_(chunk))):
            p[rid][k] = v
        q = sa.select(latest_metrics.c.run_id, latest_metrics.c.key, latest_metrics.c.value)
        for rid, k, v in conn.execute(q.where(latest_metrics.c.run_id.in_(chunk))):
            m[rid][k] = v
        for rid, k, v in conn.execute(sa.select(tags).where(tags.c.run_id.in_(chunk))):
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
    if not values:
        return
    stmt = _insert(conn, tags)
    stmt = stmt.on_conflict_do_update(
        index_elements=[tags.c.run_id, tags.c.key], set_={"value": stmt.excluded.value}
    )
    conn.execute(stmt, [{"run_id": run_id, "key": k, "value": v} for k, v in values.items()])


def delete_tag(conn: Connection, run_id: str, key: str) -> int:
    return conn.execute(tags.delete().where(tags.c.run_id == run_id, tags.c.key == key)).rowcount


# ---- metrics --------------------------------------------------------------------------------------------
def insert_metric_points(conn: Connection, run_id: str, points: Sequence[MetricRow]) -> None:
    """Bulk insert in one executemany, then move each key's latest value forward."""
    if not points:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "INSERT INTO metric_points (run_id, key, value, step, timestamp) VALUES (?, ?, ?, ?, ?)",
            [(run_id, k, v, s, t) for k, v, s, t in points],
        )
    else:
        conn.execute(
            metric_points.insert(),
            [{"run_id": run_id, "key": k, "value": v, "step": s, "timestamp": t} for k, v, s, t in points],
        )
    latest: dict[str, MetricRow] = {}
    for p in points:
        cur = latest.get(p[0])
        if cur is None or (p[2], p[3]) >= (cur[2], cur[3]):
            latest[p[0]] = p
    stmt = _insert(conn, latest_metrics)
    ex = stmt.excluded
    newer = sa.or_(
        ex.step > latest_metrics.c.step,
        sa.and_(ex.step == latest_metrics.c.step, ex.timestamp >= latest_metrics.c.timestamp),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[latest_metrics.c.run_id, latest_metrics.c.key],
        set_={"value": ex.value, "step": ex.step, "timestamp": ex.timestamp},
        where=newer,
    )
    conn.execute(
        stmt,
        [
            {"run_id": run_id, "key": k, "value": v, "step": s, "timestamp": t}
            for k, v, s, t in latest.values()
        ],
    )


def metric_history(conn: Connection, run_id: str, key: str) -> list[Row[Any]]:
    q = (
        sa.select(metric_points.c.step, metric_points.c.value, metric_points.c.timestamp)
        .where(metric_points.c.run_id == run_id, metric_points.c.key == key)
        .order_by(metric_points.c.step, metric_points.c.timestamp, metric_points.c.id)
    )
    return list(conn.execute(q))


def metric_keys(conn: Connection, run_id: str) -> list[str]:
    q = (
        sa.select(latest_metrics.c.key)
        .where(latest_metrics.c.run_id == run_id)
        .order_by(latest_metrics.c.key)
    )
    return [k for (k,) in conn.execute(q)]


# ---- artifacts ------------------------------------------------------------------------------------------
def artifact_row(conn: Connection, run_id: str, path: str) -> Row[Any] | None:
    q = sa.select(artifacts).where(artifacts.c.run_id == run_id, artifacts.c.path == path)
    return conn.execute(q).first()


def insert_artifact(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(artifacts.insert(), row)


def list_artifacts(conn: Connection, run_id: str, prefix: str | None = None) -> list[Row[Any]]:
    q = sa.select(artifacts).where(artifacts.c.run_id == run_id)
    if prefix:
        q = q.where(sa.or_(artifacts.c.path == prefix, artifacts.c.path.startswith(prefix.rstrip("/") + "/")))
    return list(conn.execute(q.order_by(artifacts.c.path)))


# ---- helpers --------------------------------------------------------------------------------------------
def _insert(conn: Connection, table: sa.Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _chunks(ids: Sequence[str], size: int = 900) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]
