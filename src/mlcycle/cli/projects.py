"""``mlcycle projects``: the projects in the store."""

from __future__ import annotations

import typer

from mlcycle.cli import output as out
from mlcycle.cli.connection import open_client

app = typer.Typer(rich_markup_mode=None, help="List projects.", no_args_is_help=True)


@app.command("list")
def list_projects(json_output: out.JsonFlag = False) -> None:
    """List every project with its kind, creator and creation time."""
    with open_client() as client:
        projects = client.projects()
    if json_output:
        out.print_json(projects)
        return
    if not projects:
        out.console().print("No projects yet. Create one with `mlcycle.connect().project(NAME)` or `mlcycle demo`.")
        return
    t = out.table("name", "kind", "project id", "created", "created by", "description")
    for p in projects:
        t.add_row(
            out.text(p.name),
            p.kind,
            p.id,
            out.format_ts(p.created_at),
            out.text(p.created_by),
            out.text(p.description) or out.MISSING,
        )
    out.print_table(t)
