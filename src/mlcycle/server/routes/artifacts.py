"""Run artifacts: upload (raw streamed body), list, and download (streamed, with its digest as ETag)."""

from __future__ import annotations

from typing import IO, Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response, StreamingResponse

from mlcycle.server.deps import Reader, Writer
from mlcycle.server.wire import WireJSONResponse, spooled_body
from mlcycle.tracking.models import ArtifactInfo

router = APIRouter(tags=["artifacts"])

ARTIFACTS = "/runs/{run_id}/artifacts"
ARTIFACT = ARTIFACTS + "/{path:path}"
"""The route of one artifact; uploads to it have their own size limit (``max_artifact_bytes``)."""
OCTETS = "application/octet-stream"
BINARY = {"type": "string", "format": "binary"}


@router.put(
    ARTIFACT,
    response_model=ArtifactInfo,
    summary="Upload an artifact",
    openapi_extra={"requestBody": {"required": True, "content": {OCTETS: {"schema": BINARY}}}},
)
def upload_artifact(
    run_id: str, path: str, backend: Writer, body: Annotated[IO[bytes], Depends(spooled_body)]
) -> Response:
    """Store the request body as ``path``; the same content again is a no-op, other content is 409."""
    return WireJSONResponse(backend.log_artifact(run_id, path, body))


@router.get(ARTIFACTS, response_model=list[ArtifactInfo], summary="List artifacts")
def list_artifacts(run_id: str, backend: Reader, prefix: str | None = None) -> Response:
    return WireJSONResponse(backend.list_artifacts(run_id, prefix))


@router.get(
    ARTIFACT,
    response_class=StreamingResponse,
    summary="Download an artifact",
    responses={200: {"content": {OCTETS: {"schema": BINARY}}}},
)
def download_artifact(run_id: str, path: str, backend: Reader) -> StreamingResponse:
    """The bytes, streamed; ``ETag`` is their sha256, so a client can check what it received."""
    info = backend.artifact(run_id, path)
    return StreamingResponse(
        backend.stream_artifact(run_id, path),
        media_type=OCTETS,
        headers={"Content-Length": str(info.size), "ETag": f'"{info.digest}"'},
    )
