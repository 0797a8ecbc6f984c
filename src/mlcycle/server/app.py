"""The REST API application: every route under ``/api/v1``, OpenAPI at ``/docs`` and ``/openapi.json``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from mlcycle import __version__
from mlcycle.client.local import LocalBackend
from mlcycle.core.config import Settings, load_settings
from mlcycle.server.deps import ANONYMOUS, ServerState
from mlcycle.server.errors import install_error_handlers
from mlcycle.server.limits import BodyLimit
from mlcycle.server.routes import artifacts, datasets, events, lineage, meta, projects, runs

API_PREFIX = "/api/v1"

log = logging.getLogger("mlcycle.server")


def _scheduler_lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Run due pipeline schedules in a background thread for as long as the server runs."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from mlcycle.pipelines.schedule_loop import start_background_scheduler

        thread, stop = start_background_scheduler(settings, settings.scheduler_interval)
        log.info("running due pipeline schedules every %gs", settings.scheduler_interval)
        try:
            yield
        finally:
            stop.set()
            await asyncio.to_thread(thread.join)

    return lifespan


def create_app(settings: Settings | None = None, *, auth: bool | None = None) -> FastAPI:
    """The API over the store and artifact store of ``settings`` (default: read from the environment).

    With ``auth`` every route but ``/api/v1/health`` needs a bearer token, and writes need a role that may
    write. Without it, every request acts as the user "anonymous" with role "admin". When ``auth`` is not
    given it is on unless ``MLCYCLE_NO_AUTH`` is set (how `mlcycle server --no-auth` tells its workers,
    which call this factory without arguments).
    """
    settings = settings or load_settings()
    if auth is None:
        auth = not settings.no_auth
    backend = LocalBackend.from_settings(settings)
    if not auth:
        log.warning(
            "authentication is OFF: every request acts as user %r with role %r; do not expose this server",
            ANONYMOUS.user,
            ANONYMOUS.role,
        )
    app = FastAPI(
        lifespan=_scheduler_lifespan(settings) if settings.scheduler else None,
        title="mlcycle",
        version=__version__,
        summary="Tracking, datasets and lifecycle REST API of mlcycle.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        redirect_slashes=False,
    )
    app.state.mlcycle = ServerState(backend=backend, auth=auth)
    install_error_handlers(app)
    for module in (meta, projects, runs, artifacts, datasets, events, lineage):
        app.include_router(module.router, prefix=API_PREFIX)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_bytes,
        route_limits={
            ("PUT", API_PREFIX + artifacts.ARTIFACT): settings.max_artifact_bytes,
            ("PUT", API_PREFIX + datasets.DATASETS): settings.max_artifact_bytes,
        },
    )
    return app
