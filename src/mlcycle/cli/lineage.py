"""``mlcycle lineage REF``: the lineage graph around a model, dataset version or run, as a tree and a summary."""

from __future__ import annotations

import json
from collections import deque
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlcycle.cli import output as out
from mlcycle.cli.connection import open_client

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree

    from mlcycle.lineage import Consumers, LineageGraph, LineageReport, Node, Provenance

MAX_DEPTH = 100  # mlcycle.lineage.MAX_DEPTH (not imported here, to keep --help light)
_UP = {"output": "produced by", "input": "input", "derived": "derived from", "contains": "part of"}
_DOWN = {"output": "produced", "input": "read by", "derived": "derived", "contains": "contains"}
_STATUS_STYLE = {"FINISHED": "green", "COMPLETED": "green", "CACHED": "blue", "RUNNING": "cyan", "FAILED": "red"}


def lineage(
    ref: Annotated[
        str,
        typer.Argument(
            metavar="REF",
            help="A model or other artifact (RUN_ID:path, e.g. RUN_ID:model/model.skops, or its sha256), a "
            "dataset version (PROJECT/DATASET[@VERSION|@TAG] or its id), or a run, pipeline run or step run id. "
            "Ids and digests may be shortened to a unique prefix of 8+ characters.",
        ),
    ],
    down: Annotated[bool, typer.Option("--down", help="Walk downstream: what was made from REF.")] = False,
    both: Annotated[bool, typer.Option("--both", help="Walk both ways.")] = False,
    depth: Annotated[int, typer.Option("--depth", min=0, max=MAX_DEPTH, help="Most hops to show.")] = 10,
    json_output: out.JsonFlag = False,
) -> None:
    """Show where REF came from (default: the data versions, pipeline run, runs, code commit and parameters
    that produced it) or, with --down, everything made from it (derived data, runs, models)."""
    direction = "both" if both else "down" if down else "up"
    with open_client() as client:
        report = client.lineage(ref, direction=direction, depth=depth)
    if json_output:
        out.print_json(report)
        return
    _render(report)


def _render(report: LineageReport) -> None:
    c = out.console()
    g = report.graph
    c.print(_tree(g), soft_wrap=False)  # long lines wrap under their branch instead of being cut
    if g.truncated:
        hops = "hop" if g.depth == 1 else "hops"
        c.print(f"(more lineage lies beyond {g.depth} {hops}; use --depth)", style="dim")
    if report.provenance is not None:
        c.print()
        _provenance(report.provenance, c)
    if report.consumers is not None:
        c.print()
        _consumers(report.consumers, c)


# ---- the tree ---------------------------------------------------------------------------------------------
def _tree(g: LineageGraph) -> Tree:
    """The graph as a tree, breadth first: each node is expanded where it is nearest the root; where it is
    reached again, it is named but not expanded."""
    from rich.tree import Tree

    nodes = {n.key: n for n in g.nodes}
    root = Tree(_line(nodes[g.root]))
    expanded = {g.root}
    queue: deque[tuple[Tree, str, str]] = deque()
    for way in ("up", "down") if g.direction == "both" else (g.direction,):
        branch = root.add(f"[bold]{way}stream[/]") if g.direction == "both" else root
        queue.append((branch, g.root, way))
    while queue:
        tree, key, way = queue.popleft()
        phrases = _UP if way == "up" else _DOWN
        near = [(e.src, e.relation) for e in g.edges if e.dst == key] if way == "up" else []
        near += [(e.dst, e.relation) for e in g.edges if e.src == key] if way == "down" else []
        for far, relation in sorted(near, key=lambda s: (nodes[s[0]].distance, nodes[s[0]].type, nodes[s[0]].label)):
            line = f"[dim]{phrases.get(relation, relation)}[/] {_line(nodes[far])}"
            if far in expanded:
                tree.add(line + " [dim](shown in another branch)[/]")
            else:
                expanded.add(far)
                queue.append((tree.add(line), far, way))
    return root


def _line(n: Node) -> str:
    d = n.details
    parts = [f"[bold]{n.type}[/]", out.text(n.label), f"[dim]{out.short_id(n.id, 12)}[/]"]
    if "status" in d:
        parts.append(_status(str(d["status"])) + (" (cached)" if d.get("cached") else ""))
    if n.type == "dataset_version":
        parts.append(f"[dim]{d.get('row_count')} rows, content {str(d.get('content_hash', ''))[:12]}[/]")
    if n.type == "run" and d.get("git_commit"):
        parts.append(f"[dim]git {str(d['git_commit'])[:12]}[/]")
    if n.type == "artifact" and d.get("model"):
        parts.append("[magenta]model[/]")
    if d.get("missing"):
        parts.append("[red](missing)[/]")
    return " ".join(parts)


def _status(status: str) -> str:
    style = _STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else out.text(status)


# ---- summaries --------------------------------------------------------------------------------------------
def _provenance(p: Provenance, c: Console) -> None:
    t = out.table("what", "value", title="Provenance")
    for i, d in enumerate(p.datasets):
        value = f"{out.text(d.project)}/{out.text(d.ref)}  {d.row_count} rows  content {d.content_hash[:12]}  {d.id}"
        t.add_row("data" if i == 0 else "", value)
    for i, pr in enumerate(p.pipeline_runs):
        t.add_row("pipeline run" if i == 0 else "", f"{out.text(pr.pipeline)} {_status(pr.status)}  {pr.id}")
    for i, r in enumerate(p.runs):
        t.add_row("run" if i == 0 else "", f"{out.text(r.name)} {_status(r.status)}  {r.id}")
    t.add_row("code commit", ", ".join(p.commits) or out.MISSING)
    t.add_row("parameters", _params(p))
    out.print_table(t, c)
    if not p.complete:
        c.print("(the walk stopped at its depth limit: the provenance may be incomplete)", style="dim")


def _params(p: Provenance) -> str:
    """The parameters of the nearest pipeline run, else of the nearest run that has any."""
    values: dict[str, Any] = {}
    if p.pipeline_runs:
        values = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in p.pipeline_runs[0].params.items()}
    else:
        values = next((dict(r.params) for r in p.runs if r.params), {})
    return "  ".join(f"{out.text(k)}={out.text(v)}" for k, v in sorted(values.items())) or out.MISSING


def _consumers(cs: Consumers, c: Console) -> None:
    t = out.table("what", "value", title="Consumers")
    rows: list[tuple[str, list[str]]] = [
        ("derived data", [f"{out.text(d.project)}/{out.text(d.ref)}  {d.id}" for d in cs.datasets]),
        ("pipeline runs", [f"{out.text(p.pipeline)} {_status(p.status)}  {p.id}" for p in cs.pipeline_runs]),
        ("runs", [f"{out.text(r.name)} {_status(r.status)}  {r.id}" for r in cs.runs]),
        ("models", [_artifact(a.paths[0].run_id, a.paths[0].path) for a in cs.models if a.paths]),
        ("artifacts", [f"{len(cs.artifacts)} in all"] if cs.artifacts else []),
    ]
    for what, values in rows:
        for i, value in enumerate(values or [out.MISSING]):
            t.add_row(what if i == 0 else "", value)
    out.print_table(t, c)
    if not cs.complete:
        c.print("(the walk stopped at its depth limit: there may be more consumers)", style="dim")


def _artifact(run_id: str, path: str) -> str:
    return f"{run_id}:{out.text(path)}"
