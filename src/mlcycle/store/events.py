"""The event log: one append-only row for every state change. Every service writes through :func:`record_event`.

The same log is the audit trail (governance), the lifecycle view of a project, and the evidence the maturity
assessment reads. Rows are only ever inserted; nothing in mlcycle updates or deletes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mlcycle.core.ids import now_ms
from mlcycle.store.schema import events


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    ts: int
    user: str
    project_id: str | None
    stage: str | None
    entity_type: str
    entity_id: str
    action: str
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts,
            "user": self.user,
            "project_id": self.project_id,
            "stage": self.stage,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "action": self.action,
            "payload": self.payload,
        }


def record_event(
    conn: Connection,
    *,
    user: str,
    entity_type: str,
    entity_id: str,
    action: str,
    project_id: str | None = None,
    stage: str | None = None,
    payload: dict[str, Any] | None = None,
    ts: int | None = None,
) -> None:
    """Append one event in the caller's transaction, so the event and the change commit together."""
    conn.execute(
        events.insert(),
        {
            "ts": ts if ts is not None else now_ms(),
            "user": user,
            "project_id": project_id,
            "stage": stage,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "action": action,
            "payload": json.dumps(payload or {}, default=str, sort_keys=True),
        },
    )


def list_events(
    conn: Connection,
    *,
    project_id: str | None = None,
    stage: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
    newest_first: bool = True,
) -> list[Event]:
    q = sa.select(events)
    if project_id is not None:
        q = q.where(events.c.project_id == project_id)
    if stage is not None:
        q = q.where(events.c.stage == stage)
    if entity_type is not None:
        q = q.where(events.c.entity_type == entity_type)
    if entity_id is not None:
        q = q.where(events.c.entity_id == entity_id)
    if action is not None:
        q = q.where(events.c.action == action)
    if after_id is not None:
        q = q.where(events.c.id > after_id)
    q = q.order_by(events.c.id.desc() if newest_first else events.c.id.asc()).limit(limit)
    return [_row(r) for r in conn.execute(q)]


def stage_summary(conn: Connection, project_id: str) -> dict[str, tuple[int, Event]]:
    """Per stage of a project: how many events carry it, and the latest one."""
    counts = conn.execute(
        sa.select(events.c.stage, sa.func.count(), sa.func.max(events.c.id))
        .where(events.c.project_id == project_id, events.c.stage.is_not(None))
        .group_by(events.c.stage)
    ).all()
    if not counts:
        return {}
    latest = {r.id: _row(r) for r in conn.execute(sa.select(events).where(events.c.id.in_([c[2] for c in counts])))}
    return {str(stage): (int(n), latest[last]) for stage, n, last in counts}


def _row(r: Any) -> Event:
    return Event(
        id=r.id,
        ts=r.ts,
        user=r.user,
        project_id=r.project_id,
        stage=r.stage,
        entity_type=r.entity_type,
        entity_id=r.entity_id,
        action=r.action,
        payload=json.loads(r.payload or "{}"),
    )
