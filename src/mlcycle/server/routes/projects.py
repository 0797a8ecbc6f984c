"""Projects and their lifecycle view."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from mlcycle.lifecycle import LifecycleView
from mlcycle.server.deps import Reader, Writer
from mlcycle.server.schemas import ProjectIn
from mlcycle.server.wire import WireJSONResponse
from mlcycle.tracking.models import ProjectInfo

router = APIRouter(prefix="/projects", tags=["projects"])


@router.post("", response_model=ProjectInfo, summary="Get or create a project")
def get_or_create_project(body: ProjectIn, backend: Writer) -> Response:
    """The project called ``name``, created when missing; a different ``kind`` than the stored one is 409."""
    return WireJSONResponse(backend.project(body.name, kind=body.kind, description=body.description))


@router.get("", response_model=list[ProjectInfo], summary="List projects")
def list_projects(backend: Reader) -> Response:
    return WireJSONResponse(backend.list_projects())


@router.get("/{ref}", response_model=ProjectInfo, summary="Get a project by name or id")
def get_project(ref: str, backend: Reader) -> Response:
    return WireJSONResponse(backend.get_project(ref))


@router.get("/{ref}/lifecycle", response_model=LifecycleView, summary="Lifecycle view of a project")
def lifecycle(ref: str, backend: Reader) -> Response:
    """Per lifecycle stage, in flow order: how many events the project has and the latest one."""
    return WireJSONResponse(backend.lifecycle(ref))
