"""``mlcycle lifecycle``: which stages of the lifecycle a project has evidence for, in flow order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mlcycle.cli import output as out
from mlcycle.cli.connection import open_client

if TYPE_CHECKING:
    from mlcycle.lifecycle import LifecycleView

SEGMENT_TITLES = {
    "entry": "Shared entry",
    "ml": "ML branch",
    "llm": "LLM branch",
    "exit": "Shared exit",
    "cross_cutting": "Governance",
}


def lifecycle(
    project: Annotated[
        str | None, typer.Argument(metavar="PROJECT", help="Project name or id.", show_default=False)
    ] = None,
    stages: Annotated[bool, typer.Option("--stages", help="List the catalog's stages instead.")] = False,
    json_output: out.JsonFlag = False,
) -> None:
    """Show which lifecycle stages PROJECT has evidence for.

    Per stage, in flow order (shared entry, ML branch, LLM branch, shared exit, governance): how many events
    carry it and the latest one. With --stages, list the catalog's stages instead.
    """
    if stages:
        _list_stages(json_output)
        return
    if project is None:
        from mlcycle.core.errors import InvalidInput

        raise InvalidInput(
            "give a PROJECT, or --stages to list the lifecycle stages",
            hint="run `mlcycle projects list` to see the projects",
        )
    with open_client() as client:
        view = client.lifecycle(project)
    if json_output:
        out.print_json(
            {
                **view.model_dump(),
                "touched": view.touched,
                "summary": {"touched": len(view.touched), "total": len(view.stages)},
            }
        )
        return
    _render(view)


def _render(view: LifecycleView) -> None:
    t = out.table("", "stage", "events", "latest event", "by", "when")
    segment = None
    for s in view.stages:
        if s.segment != segment:
            if segment is not None:
                t.add_section()
            segment = s.segment
            t.add_row("", f"[bold]{SEGMENT_TITLES.get(segment, segment)}[/]", "", "", "", "")
        name = s.stage + (" (optional)" if s.optional else "")
        e = s.last_event
        if e is None:
            t.add_row("[dim]·[/]", f"[dim]{name}[/]", "[dim]0[/]", "[dim]no evidence[/]", "", "")
            continue
        t.add_row(
            "[green]✓[/]",
            name,
            str(s.events),
            out.text(f"{e.action} {e.entity_type}:{e.entity_id[:8]}"),
            out.text(e.user),
            out.relative_time(e.ts),
        )
    c = out.console()
    c.print(f"[bold]{out.text(view.project)}[/] ({view.kind} project)")
    out.print_table(t, c)
    c.print(f"{len(view.touched)} of {len(view.stages)} stages have evidence.")


def _list_stages(json_output: bool) -> None:
    from mlcycle.core.catalog import stages_in_flow_order

    stages = stages_in_flow_order()
    if json_output:
        out.print_json([{**s.model_dump(), "segment": s.segment} for s in stages])
        return
    t = out.table("stage", "name", "next")
    segment = None
    for s in stages:
        if s.segment != segment:
            if segment is not None:
                t.add_section()
            segment = s.segment
            t.add_row(f"[bold]{SEGMENT_TITLES.get(segment, segment)}[/]", "", "")
        t.add_row(
            s.id + (" (optional)" if s.optional else ""),
            out.text(s.name),
            ", ".join(s.next) or out.MISSING,
        )
    out.print_table(t)
