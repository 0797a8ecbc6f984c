"""Request dependencies: who is calling (bearer token -> principal) and the backend acting as them.

Every route gets its backend from :data:`Reader` or :data:`Writer`; the backend records the caller's user in
every event it appends, so the event log says who made each change. Writers also need a role that may write;
:data:`MayWrite` tells a reading route whether its caller could.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mlcycle.auth import Principal, authenticate, can_write, require_write
from mlcycle.client.local import LocalBackend

ANONYMOUS = Principal(user="anonymous", role="admin")
"""Who every request acts as when the server runs without authentication (``--no-auth``)."""

_bearer = HTTPBearer(auto_error=False, description="An API token from `mlcycle tokens create`.")


@dataclass(frozen=True)
class ServerState:
    """What the routes share: the backend over the server's store, and whether tokens are required."""

    backend: LocalBackend
    auth: bool


def server_state(request: Request) -> ServerState:
    return cast(ServerState, request.app.state.mlcycle)


def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Principal:
    """The caller: the owner of the bearer token, or :data:`ANONYMOUS` when authentication is off."""
    state = server_state(request)
    if not state.auth:
        return ANONYMOUS
    return authenticate(state.backend.store, credentials.credentials if credentials else None)


CurrentPrincipal = Annotated[Principal, Depends(principal)]


# async: no I/O here, so no trip through the thread pool (the principal's token lookup makes one).
async def reader(request: Request, who: CurrentPrincipal) -> LocalBackend:
    return server_state(request).backend.as_user(who.user)


async def writer(request: Request, who: CurrentPrincipal) -> LocalBackend:
    require_write(who)
    return server_state(request).backend.as_user(who.user)


async def may_write(who: CurrentPrincipal) -> bool:
    """Whether the caller's role may write: a read that also records something (a dataset download recording
    its reader) records it only then."""
    return can_write(who.role)


Reader = Annotated[LocalBackend, Depends(reader)]
Writer = Annotated[LocalBackend, Depends(writer)]
MayWrite = Annotated[bool, Depends(may_write)]
