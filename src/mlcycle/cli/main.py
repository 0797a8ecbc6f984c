"""The ``mlcycle`` command: the root Typer app and the ``main()`` entry point.

Command modules are imported here, but each imports its heavy dependencies (SQLAlchemy, the client, the
server, pandas, scikit-learn ...) inside its command functions, so building the app and printing ``--help``
stay fast. Every command runs inside :func:`mlcycle.cli.errors.handle_errors`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mlcycle.cli import (
    datasets,
    db,
    demo,
    events,
    lifecycle,
    lineage,
    pipelines,
    projects,
    runs,
    scheduler,
    server,
    tokens,
)
from mlcycle.cli.errors import MlcycleGroup

app = typer.Typer(
    rich_markup_mode=None,  # plain help: rendering it with rich costs more than the 0.5 s budget
    name="mlcycle",
    cls=MlcycleGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets (tokens)
)


def _version(value: bool) -> None:
    if value:
        from mlcycle import __version__

        typer.echo(f"mlcycle {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Folder of the embedded store and artifacts (sets MLCYCLE_HOME; default ./.mlcycle).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """mlcycle: the whole ML and LLM lifecycle, tracked in one event log, with a measured maturity level.

    Commands use the embedded store (MLCYCLE_HOME, MLCYCLE_STORE_URL), or a server if MLCYCLE_SERVER_URL is set.
    """
    if home is not None:
        os.environ["MLCYCLE_HOME"] = str(home)


app.add_typer(runs.app, name="runs")
app.add_typer(projects.app, name="projects")
app.add_typer(datasets.app, name="datasets")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(scheduler.app, name="scheduler")
app.command("events")(events.events)
app.command("lifecycle")(lifecycle.lifecycle)
app.command("lineage")(lineage.lineage)
app.add_typer(tokens.app, name="tokens")
app.add_typer(db.app, name="db")
app.command("server")(server.server)
app.command("demo")(demo.demo)


def main() -> None:
    """Console-script entry point (``mlcycle``)."""
    app(prog_name="mlcycle")


if __name__ == "__main__":
    main()
