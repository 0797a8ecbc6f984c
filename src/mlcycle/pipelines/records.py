"""Persistence of pipelines, pipeline runs, step runs and the step cache: rows in, rows out.

Rules (which status may follow which, when the cache is written) live in :mod:`mlcycle.pipelines.service`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from mlcycle.store.schema import pipeline_runs, pipelines, step_cache, step_runs


def _insert(conn: Connection, table: sa.Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


# ---- pipelines -------------------------------------------------------------------------------------------
def pipeline_row(conn: Connection, project_id: str, name: str) -> Row[Any] | None:
    q = sa.select(pipelines).where(pipelines.c.project_id == project_id, pipelines.c.name == name)
    return conn.execute(q).first()


def insert_pipeline(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(pipelines.insert().values(**row))


def update_pipeline_module(conn: Connection, pipeline_id: str, module: str) -> None:
    conn.execute(pipelines.update().where(pipelines.c.id == pipeline_id).values(module=module))


def list_pipelines(conn: Connection, project_id: str) -> list[Row[Any]]:
    """Pipelines of a project with their run count and latest run start."""
    stats = (
        sa.select(
            pipeline_runs.c.pipeline_id,
            sa.func.count().label("runs"),
            sa.func.max(pipeline_runs.c.started_at).label("last_run_at"),
        )
        .group_by(pipeline_runs.c.pipeline_id)
        .subquery()
    )
    q = (
        sa.select(pipelines, sa.func.coalesce(stats.c.runs, 0).label("runs"), stats.c.last_run_at)
        .select_from(pipelines.outerjoin(stats, stats.c.pipeline_id == pipelines.c.id))
        .where(pipelines.c.project_id == project_id)
        .order_by(pipelines.c.name)
    )
    return list(conn.execute(q))


# ---- pipeline runs ---------------------------------------------------------------------------------------
def insert_pipeline_run(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(pipeline_runs.insert().values(**row))


def update_pipeline_run(conn: Connection, run_id: str, **values: Any) -> None:
    conn.execute(pipeline_runs.update().where(pipeline_runs.c.id == run_id).values(**values))


def _runs_query() -> sa.Select[Any]:
    return sa.select(pipeline_runs, pipelines.c.name.label("pipeline"), pipelines.c.module).join(
        pipelines, pipelines.c.id == pipeline_runs.c.pipeline_id
    )


def pipeline_run_row(conn: Connection, run_id: str) -> Row[Any] | None:
    return conn.execute(_runs_query().where(pipeline_runs.c.id == run_id)).first()


def list_pipeline_runs(
    conn: Connection, project_id: str, pipeline_id: str | None, limit: int, offset: int = 0
) -> list[Row[Any]]:
    q = _runs_query().where(pipeline_runs.c.project_id == project_id)
    if pipeline_id is not None:
        q = q.where(pipeline_runs.c.pipeline_id == pipeline_id)
    q = q.order_by(pipeline_runs.c.started_at.desc(), pipeline_runs.c.id).limit(limit).offset(offset)
    return list(conn.execute(q))


# ---- step runs -------------------------------------------------------------------------------------------
def insert_step_runs(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(step_runs.insert(), list(rows))


def update_step_run(conn: Connection, step_run_id: str, **values: Any) -> None:
    conn.execute(step_runs.update().where(step_runs.c.id == step_run_id).values(**values))


def skip_pending_steps(conn: Connection, pipeline_run_id: str) -> list[str]:
    """Mark every PENDING step of the run SKIPPED; return their names."""
    pending = sa.and_(step_runs.c.pipeline_run_id == pipeline_run_id, step_runs.c.status == "PENDING")
    names = [n for (n,) in conn.execute(sa.select(step_runs.c.name).where(pending))]
    conn.execute(step_runs.update().where(pending).values(status="SKIPPED"))
    return names


def fail_running_steps(conn: Connection, pipeline_run_id: str, error: str, ended_at: int) -> list[str]:
    """Mark steps still RUNNING (interrupted, or their process died) FAILED; return their names."""
    running = sa.and_(step_runs.c.pipeline_run_id == pipeline_run_id, step_runs.c.status == "RUNNING")
    names = [n for (n,) in conn.execute(sa.select(step_runs.c.name).where(running))]
    conn.execute(step_runs.update().where(running).values(status="FAILED", error=error, ended_at=ended_at))
    return names


def step_run_rows(conn: Connection, pipeline_run_ids: Sequence[str]) -> list[Row[Any]]:
    if not pipeline_run_ids:
        return []
    q = sa.select(step_runs).where(step_runs.c.pipeline_run_id.in_(list(pipeline_run_ids)))
    return list(conn.execute(q))


# ---- cache -----------------------------------------------------------------------------------------------
def cache_row(conn: Connection, key: str) -> Row[Any] | None:
    return conn.execute(sa.select(step_cache).where(step_cache.c.cache_key == key)).first()


def insert_cache(conn: Connection, row: dict[str, Any]) -> None:
    """Insert a cache entry; a concurrent run that stored the same key first wins (same content by definition)."""
    conn.execute(_insert(conn, step_cache).on_conflict_do_nothing(), [row])


def delete_cache(conn: Connection, key: str) -> None:
    conn.execute(step_cache.delete().where(step_cache.c.cache_key == key))


__all__ = [
    "cache_row",
    "delete_cache",
    "fail_running_steps",
    "insert_cache",
    "insert_pipeline",
    "insert_pipeline_run",
    "insert_step_runs",
    "list_pipeline_runs",
    "list_pipelines",
    "pipeline_row",
    "pipeline_run_row",
    "skip_pending_steps",
    "step_run_rows",
    "update_pipeline_module",
    "update_pipeline_run",
    "update_step_run",
]
