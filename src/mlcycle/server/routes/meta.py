"""About the server and the caller: health (no token needed) and whoami."""

from __future__ import annotations

from fastapi import APIRouter

from mlcycle import __version__
from mlcycle.server.deps import CurrentPrincipal
from mlcycle.server.schemas import Health, WhoAmI

router = APIRouter(tags=["server"])


@router.get("/health", summary="Liveness check (no token needed)")
def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/whoami", summary="The user and role of the calling token")
def whoami(who: CurrentPrincipal) -> WhoAmI:
    return WhoAmI(user=who.user, role=who.role)
