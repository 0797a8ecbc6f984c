"""The tracking run a pipeline run owns, written through the store in the caller's transaction.

The rows and events are those the tracking service writes for a run (same ``runs``, ``params``, ``tags`` and
``artifacts`` tables), so the run shows up in run search and the lifecycle view like any other. They are written
here, in the pipeline run's own transaction, so a pipeline run and its tracking run commit together or not at
all; ``TrackingService`` opens transactions of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from mlcycle.artifacts import check_artifact_name
from mlcycle.core.validation import MAX_PARAM_VALUE, check_key, check_value
from mlcycle.pipelines.materializers import OutputRef
from mlcycle.store import record_event
from mlcycle.store import runs as run_rows

_EXTENSIONS = {"pandas": ".parquet", "arrow": ".parquet", "numpy": ".npy", "sklearn": ".skops", "json": ".json"}


def create_run(
    conn: Connection,
    *,
    run_id: str,
    name: str,
    project_id: str,
    stage: str,
    user: str,
    params: Mapping[str, Any],
    tags: Mapping[str, str],
    ts: int,
    git_commit: str | None = None,
) -> None:
    """Insert a RUNNING run with its params (JSON text unless already strings) and tags, and its event."""
    run_rows.insert_run(
        conn,
        {
            "id": run_id,
            "project_id": project_id,
            "name": name,
            "stage": stage,
            "status": "RUNNING",
            "start_time": ts,
            "end_time": None,
            "parent_run_id": None,
            "git_commit": git_commit,
            "user": user,
        },
    )
    run_rows.insert_params(conn, run_id, {check_key(k, "param key"): _param_text(v, k) for k, v in params.items()})
    run_rows.upsert_tags(conn, run_id, dict(tags))
    record_event(
        conn,
        user=user,
        entity_type="run",
        entity_id=run_id,
        action="created",
        project_id=project_id,
        stage=stage,
        payload={"name": name, **tags},
        ts=ts,
    )


def end_run(conn: Connection, run_id: str, status: str, ts: int) -> bool:
    """End a RUNNING run (its event is the caller's); False when the run is gone or already ended."""
    found = run_rows.run_status(conn, run_id)
    if found is None or found[0] != "RUNNING":
        return False
    run_rows.update_run(conn, run_id, status=status, end_time=ts)
    return True


def log_step_output(conn: Connection, run_id: str, step: str, key: str, ref: OutputRef, ts: int) -> None:
    """List a step output among the run's artifacts, as ``pipeline/<step>/<key><ext>``; a file keeps its name
    under its key, ``pipeline/<step>/<key>/<name>``, so outputs never collide."""
    filename = ref.get("filename")
    if filename:
        path = check_artifact_name(f"pipeline/{step}/{key}/{filename}")
    else:
        path = check_artifact_name(f"pipeline/{step}/{key}{_EXTENSIONS.get(str(ref.get('materializer')), '')}")
    # A step finishes once per pipeline run and each pipeline run has its own tracking run: the path is new.
    run_rows.insert_artifact(
        conn, {"run_id": run_id, "path": path, "digest": ref["digest"], "size": ref["size"], "created_at": ts}
    )


def _param_text(value: Any, key: str) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return check_value(text, key, MAX_PARAM_VALUE, "param")


__all__ = ["create_run", "end_run", "log_step_output"]
