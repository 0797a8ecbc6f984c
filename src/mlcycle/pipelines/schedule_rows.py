"""Persistence of pipeline schedules: rows in, rows out, and the atomic claim of a due schedule.

Rules (when a schedule is due, what a run receives) live in :mod:`mlcycle.pipelines.schedules`. Dataset
versions are read from their tables here rather than through the data service: the layer contract keeps sibling
services (data, pipelines) independent of each other.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from mlcycle.store.schema import dataset_versions, datasets, pipelines, projects, schedules


def _query() -> sa.Select[Any]:
    """Schedules with their project's name, their pipeline's current target and, for dataset triggers, the
    dataset's latest version (number and id; NULL when the dataset is gone or has no version)."""
    latest = (
        sa.select(dataset_versions.c.dataset_id, sa.func.max(dataset_versions.c.version).label("latest"))
        .group_by(dataset_versions.c.dataset_id)
        .subquery()
    )
    newest = dataset_versions.alias("newest")
    joined = (
        schedules.join(projects, projects.c.id == schedules.c.project_id)
        .outerjoin(
            pipelines,
            sa.and_(pipelines.c.project_id == schedules.c.project_id, pipelines.c.name == schedules.c.pipeline),
        )
        .outerjoin(
            datasets, sa.and_(datasets.c.project_id == schedules.c.project_id, datasets.c.name == schedules.c.dataset)
        )
        .outerjoin(latest, latest.c.dataset_id == datasets.c.id)
        .outerjoin(newest, sa.and_(newest.c.dataset_id == datasets.c.id, newest.c.version == latest.c.latest))
    )
    return sa.select(
        schedules,
        projects.c.name.label("project"),
        pipelines.c.module.label("pipeline_module"),
        latest.c.latest.label("latest_version"),
        newest.c.id.label("latest_version_id"),
    ).select_from(joined)


def insert_schedule(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(schedules.insert().values(**row))


def schedule_row(conn: Connection, schedule_id: str) -> Row[Any] | None:
    return conn.execute(_query().where(schedules.c.id == schedule_id)).first()


def list_schedules(conn: Connection, project_id: str | None = None, *, enabled_only: bool = False) -> list[Row[Any]]:
    """Schedules (of one project, or all), oldest first."""
    q = _query()
    if project_id is not None:
        q = q.where(schedules.c.project_id == project_id)
    if enabled_only:
        q = q.where(schedules.c.enabled == 1)
    return list(conn.execute(q.order_by(schedules.c.created_at, schedules.c.id)))


def update_schedule(conn: Connection, schedule_id: str, **values: Any) -> None:
    conn.execute(schedules.update().where(schedules.c.id == schedule_id).values(**values))


def delete_schedule(conn: Connection, schedule_id: str) -> None:
    conn.execute(schedules.delete().where(schedules.c.id == schedule_id))


def latest_dataset_version(conn: Connection, project_id: str, name: str) -> tuple[bool, int | None]:
    """Whether the project has dataset ``name``, and the number of its latest version."""
    ds = conn.execute(
        sa.select(datasets.c.id).where(datasets.c.project_id == project_id, datasets.c.name == name)
    ).first()
    if ds is None:
        return False, None
    latest = conn.execute(
        sa.select(sa.func.max(dataset_versions.c.version)).where(dataset_versions.c.dataset_id == ds.id)
    ).scalar()
    return True, None if latest is None else int(latest)


def dataset_names(conn: Connection, project_id: str) -> list[str]:
    return [str(n) for (n,) in conn.execute(sa.select(datasets.c.name).where(datasets.c.project_id == project_id))]


def claim(conn: Connection, schedule_id: str, column: str, old: int | None, new: int, now: int) -> bool:
    """Move ``column`` (``next_run_at`` or ``last_seen_version``) of an enabled schedule from ``old`` to ``new``.

    The update only matches while the column still holds ``old``, so of several schedulers that saw the same
    due tick exactly one moves it (rowcount 1) and runs the pipeline; the others get 0 and skip it.
    """
    col = schedules.c[column]
    unchanged = col.is_(None) if old is None else col == old
    result = conn.execute(
        schedules.update()
        .where(schedules.c.id == schedule_id, schedules.c.enabled == 1, unchanged)
        .values({column: new, "last_run_at": now})
    )
    return result.rowcount == 1


__all__ = [
    "claim",
    "dataset_names",
    "delete_schedule",
    "insert_schedule",
    "latest_dataset_version",
    "list_schedules",
    "schedule_row",
    "update_schedule",
]
