"""The event log: every change, who made it, and the lifecycle stage it belongs to."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from mlcycle.server.deps import Reader
from mlcycle.server.wire import WireJSONResponse
from mlcycle.store.events import Event

router = APIRouter(tags=["events"])


@router.get("/events", response_model=list[Event], summary="List events")
def list_events(
    backend: Reader,
    project: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
    stage: str | None = None,
) -> Response:
    """Newest first; with ``after_id``, the events after that id, oldest first (for following the log)."""
    return WireJSONResponse(backend.events(project, after_id=after_id, limit=limit, stage=stage))
