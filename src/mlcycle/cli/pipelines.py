"""``mlcycle pipelines``: list pipelines and their runs, show a run step by step, resume a failed run.

These commands read and write the embedded store (MLCYCLE_HOME / MLCYCLE_STORE_URL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mlcycle.cli import output as out

if TYPE_CHECKING:
    from mlcycle.pipelines import PipelineRun, PipelineService

app = typer.Typer(help="List pipelines and their runs, show a run, resume a failed run.", no_args_is_help=True)

_RUN_STYLE = {"RUNNING": "cyan", "FINISHED": "green", "FAILED": "red"}
_STEP_STYLE = {"COMPLETED": "green", "CACHED": "blue", "RUNNING": "cyan", "FAILED": "red", "SKIPPED": "yellow"}


def _service() -> PipelineService:
    from mlcycle.core.config import load_settings
    from mlcycle.pipelines import PipelineService

    return PipelineService.from_settings(load_settings())


def _styled(value: str, styles: dict[str, str]) -> str:
    style = styles.get(value)
    return f"[{style}]{value}[/]" if style else out.text(value)


def _seconds(value: float | None) -> str:
    if value is None:
        return out.MISSING
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


@app.command("list")
def list_pipelines(
    project: Annotated[str, typer.Argument(help="Project name or id.")],
    json_output: out.JsonFlag = False,
) -> None:
    """List the pipelines of PROJECT with their number of runs."""
    pipelines = _service().list_pipelines(project)
    if json_output:
        out.print_json(pipelines)
        return
    if not pipelines:
        out.console().print(f"Project {out.text(project)} has no pipelines yet.")
        return
    t = out.table("name", "runs", "last run", "defined in")
    for p in pipelines:
        last = out.relative_time(p.last_run_at) if p.last_run_at else out.MISSING
        t.add_row(out.text(p.name), str(p.runs), last, out.text(p.module or "(not importable)"))
    out.console().print(t)


@app.command("runs")
def list_runs(
    project: Annotated[str, typer.Argument(help="Project name or id.")],
    pipeline: Annotated[str | None, typer.Option("--pipeline", "-p", help="Only runs of this pipeline.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Most runs to show.")] = 50,
    json_output: out.JsonFlag = False,
) -> None:
    """List pipeline runs of PROJECT, newest first."""
    runs = _service().list_runs(project, pipeline, limit=limit)
    if json_output:
        out.print_json([r.info for r in runs])
        return
    if not runs:
        out.console().print(f"No pipeline runs in project {out.text(project)}.")
        return
    t = out.table("pipeline run id", "pipeline", "status", "steps", "cached", "runner", "started", "duration")
    for r in runs:
        i = r.info
        done = sum(s.status in ("COMPLETED", "CACHED") for s in i.steps)
        t.add_row(
            i.id,
            out.text(i.pipeline),
            _styled(i.status, _RUN_STYLE),
            f"{done}/{len(i.steps)}",
            str(len(r.cached_steps)),
            i.runner,
            out.relative_time(i.started_at),
            out.format_duration(i.started_at, i.ended_at),
        )
    out.console().print(t)


@app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(help="Pipeline run id.")],
    json_output: out.JsonFlag = False,
) -> None:
    """Show a pipeline run: its status and parameters, and each step's status, cache hit, timing and outputs."""
    _print_run(_service().get_run(run_id), json_output)


@app.command("resume")
def resume_run(
    run_id: Annotated[str, typer.Argument(help="Id of a FAILED pipeline run.")],
    runner: Annotated[str | None, typer.Option("--runner", help="local or ray (default: the run's).")] = None,
    max_workers: Annotated[int | None, typer.Option("--max-workers", min=1, help="Local process pool size.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Also take over a run left RUNNING by a process that died.")
    ] = False,
    trust: Annotated[bool, typer.Option("--trust", help="Load stored models with non-standard types.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the live step table.")] = True,
    json_output: out.JsonFlag = False,
) -> None:
    """Re-run a failed pipeline run from its failed step, reusing the outputs of the steps it completed.

    The pipeline is imported again from where it was defined (run from the project folder).
    """
    from mlcycle.pipelines import resume

    new = resume(
        run_id,
        runner=runner,
        max_workers=max_workers,
        progress=None if progress and not json_output else False,
        trust=trust,
        force=force,
        service=_service(),
    )
    _print_run(new, json_output)


def _print_run(run: PipelineRun, json_output: bool) -> None:
    i = run.info
    if json_output:
        out.print_json(i)
        return
    c = out.console()
    c.print(f"[bold]pipeline run[/] {i.id}  {out.text(i.pipeline)}  {_styled(i.status, _RUN_STYLE)}")
    c.print(f"runner {i.runner}, trigger {out.text(i.trigger)}, tracking run {i.run_id or out.MISSING}")
    c.print(f"started {out.format_ts(i.started_at)}, took {out.format_duration(i.started_at, i.ended_at)}")
    if i.resumed_from:
        c.print(f"resumed from {i.resumed_from}")
    if i.params:
        c.print("params " + ", ".join(f"{out.text(k)}={out.text(v)}" for k, v in sorted(i.params.items())))
    t = out.table("step", "status", "cached", "duration", "outputs")
    for s in i.steps:
        outputs = ", ".join(f"{o.get('materializer')} {o.get('size')}B" for o in s.outputs.values())
        t.add_row(
            out.text(s.name),
            _styled(s.status, _STEP_STYLE),
            "yes" if s.cached else "",
            _seconds(s.duration),
            out.text(outputs) if outputs else out.MISSING,
        )
    c.print(t)
    failed = [s for s in i.steps if s.status == "FAILED" and s.error]
    for s in failed:
        c.print(f"[red]{out.text(s.name)} failed:[/] {out.text(s.error.splitlines()[0] if s.error else '')}")
    if i.status == "FAILED":
        c.print(f"resume with: mlcycle pipelines resume {i.id}", style="dim")
