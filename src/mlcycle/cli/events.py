"""``mlcycle events``: tail the event log (the audit trail behind the lifecycle view and the maturity evidence)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlcycle.cli import output as out
from mlcycle.cli.connection import open_client

if TYPE_CHECKING:
    from mlcycle.client.api import Client
    from mlcycle.store.events import Event

POLL_SECONDS = 1.0
_sleep = time.sleep  # replaced in tests


def events(
    project: Annotated[str | None, typer.Option("--project", "-p", help="Only this project (name or id).")] = None,
    stage: Annotated[str | None, typer.Option("--stage", "-s", help="Only this lifecycle stage.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many of the latest events to show.")] = 20,
    follow: Annotated[bool, typer.Option("--follow", "-F", help="Keep printing new events until Ctrl-C.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON: an array, or one object per line with --follow.")
    ] = False,
) -> None:
    """Show the latest events of the log: who changed what, in which project and stage.

    Events print oldest first. With --follow, new events are printed as they arrive (polled every second).
    """
    with open_client() as client:
        latest = client.events(project, limit=limit, stage=stage)  # newest first
        batch = list(reversed(latest))
        names = _project_names(client)
        if json_output and not follow:
            out.print_json([_as_dict(e, names) for e in batch])
        elif not batch and not follow:
            out.console().print("No events.")
        else:
            _print(batch, names, json_output)
        if follow:
            _follow(client, project, stage, batch[-1].id if batch else 0, names, json_output)


def _follow(
    client: Client, project: str | None, stage: str | None, last_id: int, names: dict[str, str], json_lines: bool
) -> None:
    """Poll for events after ``last_id`` and print them, until Ctrl-C."""
    try:
        while True:
            _sleep(POLL_SECONDS)
            new = client.events(project, after_id=last_id, limit=1000, stage=stage)  # oldest first
            if new:
                if any(e.project_id not in names for e in new if e.project_id):
                    names = _project_names(client)
                _print(new, names, json_lines)
                last_id = new[-1].id
    except KeyboardInterrupt:
        return


def _project_names(client: Client) -> dict[str, str]:
    return {p.id: p.name for p in client.projects()}


def _as_dict(e: Event, names: dict[str, str]) -> dict[str, Any]:
    return {**e.to_dict(), "project": names.get(e.project_id or "")}


def _print(batch: list[Event], names: dict[str, str], json_lines: bool) -> None:
    for e in batch:
        if json_lines:
            out.print_json_line(_as_dict(e, names))
        else:
            typer.echo(format_event(e, names))


def format_event(e: Event, names: dict[str, str]) -> str:
    """One aligned line: time, id, user, project, stage, entity, action, payload summary."""
    project = names.get(e.project_id, e.project_id[:8]) if e.project_id else "-"
    entity = f"{e.entity_type}:{e.entity_id[:12]}"
    line = (
        f"{out.format_ts(e.ts)}  #{e.id:<5} {e.user:<12} {project:<16} {e.stage or '-':<24} "
        f"{entity:<22} {e.action:<16} {_summary(e.payload)}"
    )
    return line.rstrip()


def _summary(payload: dict[str, Any], width: int = 80) -> str:
    parts = [f"{k}={_short(v)}" for k, v in payload.items() if v not in (None, "", [], {})]
    text = " ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, str) and len(value) > 12 and all(c in "0123456789abcdef" for c in value):
        return value[:12]  # an id, a digest or a commit
    return str(value)
