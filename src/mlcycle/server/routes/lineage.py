"""Lineage: the graph around a model, dataset version or run, with its provenance and consumers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from mlcycle.lineage import LineageReport
from mlcycle.server.deps import Reader
from mlcycle.server.wire import WireJSONResponse

router = APIRouter(tags=["lineage"])

REF = "an id or sha256 digest (a unique prefix of 8+ hex characters), RUN_ID:path, or PROJECT/DATASET[@VERSION|@TAG]"


@router.get("/lineage", response_model=LineageReport, summary="The lineage graph around a reference")
def lineage(
    backend: Reader,
    ref: Annotated[str, Query(description=REF)],
    direction: Annotated[str, Query(description="up (what produced it), down (what was made from it) or both")] = "up",
    depth: Annotated[int, Query(description="most hops the graph shows, 0 to 100")] = 10,
) -> Response:
    """The report ``mlcycle lineage REF --json`` prints. A malformed or ambiguous reference, direction or depth
    is 422 ``InvalidInput``; a reference that names nothing is 404 ``NotFound``, with a hint."""
    return WireJSONResponse(backend.lineage(ref, direction, depth))
