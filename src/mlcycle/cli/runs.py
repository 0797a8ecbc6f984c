"""``mlcycle runs``: list, show and compare tracked runs."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlcycle.cli import output as out
from mlcycle.cli.connection import open_client

if TYPE_CHECKING:
    from mlcycle.tracking.models import ArtifactInfo, RunInfo

app = typer.Typer(rich_markup_mode=None, help="List, show and compare runs.", no_args_is_help=True)

MAX_METRIC_COLUMNS = 6
_STATUS_STYLE = {"RUNNING": "cyan", "FINISHED": "green", "FAILED": "red", "KILLED": "yellow"}


def _status(status: str) -> str:
    style = _STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else out.text(status)


@app.command("list")
def list_runs(
    project: Annotated[str, typer.Argument(metavar="PROJECT", help="Project name or id.")],
    filter: Annotated[
        str | None,
        typer.Option("--filter", "-f", help="Filter expression, e.g. \"metrics.auc > 0.9 and params.C = '1.0'\"."),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option("--order-by", "-o", help="Sort key, e.g. 'metrics.auc DESC'; repeat for ties."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Most runs to show.")] = 100,
    json_output: out.JsonFlag = False,
) -> None:
    """List the runs of PROJECT, newest first unless --order-by says otherwise."""
    with open_client() as client:
        runs = client.search_runs(filter, project=project, order_by=order_by, limit=limit)
    if json_output:
        out.print_json([r.info for r in runs])
        return
    if not runs:
        out.console().print(f"No runs in project {out.text(project)} match.")
        return
    metric_keys = _metric_columns([r.info for r in runs], " ".join([filter or "", *(order_by or [])]))
    shown = metric_keys[:MAX_METRIC_COLUMNS]
    t = out.table("run id", "name", "status", "stage", "user", "started", "duration", *[f"metrics.{k}" for k in shown])
    for r in runs:
        i = r.info
        t.add_row(
            i.id,
            out.text(i.name),
            _status(i.status),
            i.stage,
            out.text(i.user),
            out.relative_time(i.start_time),
            out.format_duration(i.start_time, i.end_time),
            *[out.format_metric(i.metrics.get(k), short=True) for k in shown],
        )
    c = out.console()
    out.print_table(t, c)
    if len(metric_keys) > len(shown):
        c.print(f"({len(metric_keys) - len(shown)} more metrics; use `mlcycle runs show` or --json)", style="dim")


def _metric_columns(infos: list[RunInfo], query: str) -> list[str]:
    """Metric keys in column order: those the filter or ordering names, then the most common, then by name."""
    counts: dict[str, int] = {}
    for i in infos:
        for k in i.metrics:
            counts[k] = counts.get(k, 0) + 1
    return sorted(counts, key=lambda k: (f"metrics.{k}" not in query and f"metric.{k}" not in query, -counts[k], k))


@app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="Run id.")],
    json_output: out.JsonFlag = False,
) -> None:
    """Show one run: its fields, params, latest metrics, tags and artifacts."""
    with open_client() as client:
        run = client.get_run(run_id)
        project = client.get_project(run.info.project_id).name
        artifacts = run.artifacts()
    if json_output:
        out.print_json({**run.info.model_dump(), "project": project, "artifacts": artifacts})
        return
    _render_run(run.info, project, artifacts)


def _render_run(i: RunInfo, project: str, artifacts: list[ArtifactInfo]) -> None:
    c = out.console()
    fields = out.table("field", "value", title=f"Run {out.text(i.name)}")
    for name, value in [
        ("id", i.id),
        ("project", out.text(project)),
        ("status", _status(i.status)),
        ("stage", i.stage),
        ("user", out.text(i.user)),
        ("started", out.format_ts(i.start_time)),
        ("ended", out.format_ts(i.end_time)),
        ("duration", out.format_duration(i.start_time, i.end_time)),
        ("parent run", i.parent_run_id or out.MISSING),
        ("git commit", i.git_commit or out.MISSING),
    ]:
        fields.add_row(name, value)
    out.print_table(fields, c)
    for title, data in (("Params", i.params), ("Tags", i.tags)):
        c.print()
        if not data:
            c.print(f"{title}: none", style="dim")
            continue
        t = out.table("key", "value", title=title)
        for k in sorted(data):
            t.add_row(out.text(k), out.text(data[k]))
        out.print_table(t, c)
    c.print()
    if i.metrics:
        t = out.table("key", "latest value", title="Metrics")
        for k in sorted(i.metrics):
            t.add_row(out.text(k), out.format_metric(i.metrics[k]))
        out.print_table(t, c)
    else:
        c.print("Metrics: none", style="dim")
    c.print()
    if artifacts:
        t = out.table("path", "size", "sha256", title="Artifacts")
        for a in artifacts:
            t.add_row(out.text(a.path), f"{a.size:,}", out.short_id(a.digest, 12))
        out.print_table(t, c)
    else:
        c.print("Artifacts: none", style="dim")


@app.command("compare")
def compare_runs(
    run_ids: Annotated[list[str], typer.Argument(metavar="RUN_ID", help="Two or more run ids.")],
    json_output: out.JsonFlag = False,
) -> None:
    """Compare runs side by side: params and latest metrics, with the rows that differ marked."""
    from mlcycle.core.errors import InvalidInput

    ids = list(dict.fromkeys(run_ids))
    if len(ids) < 2:
        raise InvalidInput("compare needs at least two different run ids", hint="mlcycle runs compare RUN_ID RUN_ID")
    with open_client() as client:
        infos = [client.get_run(rid).info for rid in ids]
    params = _columns([i.params for i in infos])
    metrics = _columns([i.metrics for i in infos])
    if json_output:
        out.print_json(
            {
                "runs": [
                    {"id": i.id, "name": i.name, "project_id": i.project_id, "status": i.status, "stage": i.stage}
                    for i in infos
                ],
                "params": params,
                "metrics": metrics,
                "differences": {
                    "params": [k for k, v in params.items() if _differ(v)],
                    "metrics": [k for k, v in metrics.items() if _differ(v)],
                },
            }
        )
        return
    t = out.table("", "key", *[f"{out.text(i.name)}\n{out.short_id(i.id)}" for i in infos])
    rows: list[tuple[str, list[Any], list[str]]] = [
        ("status", [i.status for i in infos], [i.status for i in infos]),
        ("stage", [i.stage for i in infos], [i.stage for i in infos]),
    ]
    rows += [(f"params.{k}", v, [out.MISSING if x is None else out.text(x) for x in v]) for k, v in params.items()]
    rows += [(f"metrics.{k}", v, [out.format_metric(x) for x in v]) for k, v in metrics.items()]
    n_diff = 0
    for key, values, cells in rows:
        if _differ(values):
            n_diff += 1
            t.add_row("[bold yellow]≠[/]", f"[bold]{out.text(key)}[/]", *[f"[yellow]{c}[/]" for c in cells])
        else:
            t.add_row("", out.text(key), *cells, style="dim")
    c = out.console()
    out.print_table(t, c)
    c.print(f"{n_diff} of {len(rows)} rows differ (marked ≠).")


def _columns(dicts: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Per key (sorted), the value of each run in order, None where a run lacks the key."""
    keys = sorted({k for d in dicts for k in d})
    return {k: [d.get(k) for d in dicts] for k in keys}


def _differ(values: list[Any]) -> bool:
    """True when the values are not all the same; NaN equals NaN here, a missing value differs from any."""
    norm = {"\0nan" if isinstance(v, float) and math.isnan(v) else v for v in values}
    return len(norm) > 1
