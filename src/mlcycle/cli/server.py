"""``mlcycle server``: the REST API and web UI, served by uvicorn."""

from __future__ import annotations

import importlib
import os
from typing import Annotated

import typer

from mlcycle.cli import output as out

APP_FACTORY = "mlcycle.server.app:create_app"
NO_AUTH_ENV = "MLCYCLE_NO_AUTH"


def server(
    host: Annotated[str, typer.Option("--host", help="Interface to bind; 0.0.0.0 exposes it to the network.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="TCP port.")] = 5000,
    no_auth: Annotated[
        bool,
        typer.Option("--no-auth", help="Accept requests without a token. Anyone who can connect gets write access."),
    ] = False,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the REST API.

    The API lives under /api/v1 and uses the store of the current settings. Requests need a bearer token
    (`mlcycle tokens create`) unless --no-auth is given.
    """
    from mlcycle.core.config import load_settings

    if no_auth:
        os.environ[NO_AUTH_ENV] = "1"  # read by create_app, here and in every worker process
    if load_settings().no_auth:
        where = f"http://{host}:{port}"
        out.err_console().print(
            f"[bold red]warning:[/] authentication is OFF: anyone who can reach {where} can read and write "
            "all data. Use it only on a trusted machine; create tokens with `mlcycle tokens create` instead.",
            soft_wrap=True,
        )
    module, _, _ = APP_FACTORY.partition(":")
    importlib.import_module(module)  # fail here, with the real import error, rather than inside uvicorn
    import uvicorn

    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers)
