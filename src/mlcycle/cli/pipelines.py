"""``mlcycle pipelines``: list pipelines and their runs, show a run step by step, resume a failed run, and
schedule a pipeline on a cron expression or on new versions of a dataset.

These commands read and write the embedded store (MLCYCLE_HOME / MLCYCLE_STORE_URL).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlcycle.cli import output as out

if TYPE_CHECKING:
    from mlcycle.pipelines import PipelineRun, PipelineService, ScheduleInfo, ScheduleService

app = typer.Typer(
    rich_markup_mode=None,
    help="List pipelines and their runs, show a run, resume a failed run, schedule a pipeline.",
    no_args_is_help=True,
)

_RUN_STYLE = {"RUNNING": "cyan", "FINISHED": "green", "FAILED": "red"}
_STEP_STYLE = {"COMPLETED": "green", "CACHED": "blue", "RUNNING": "cyan", "FAILED": "red", "SKIPPED": "yellow"}


def _service() -> PipelineService:
    from mlcycle.core.config import load_settings
    from mlcycle.pipelines import PipelineService

    return PipelineService.from_settings(load_settings())


def _schedules() -> ScheduleService:
    from mlcycle.core.config import load_settings
    from mlcycle.pipelines import ScheduleService

    return ScheduleService.from_settings(load_settings())


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


@app.command("schedule")
def schedule(
    pipeline: Annotated[str, typer.Argument(help="Name of a pipeline that has run in the project before.")],
    project: Annotated[str, typer.Option("--project", help="Project name or id.")],
    cron: Annotated[
        str | None, typer.Option("--cron", help="Cron expression in UTC, e.g. '0 3 * * *' (daily at 03:00).")
    ] = None,
    on_dataset: Annotated[
        str | None, typer.Option("--on-dataset", help="Run on each new version of this dataset of the project.")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="KEY=VALUE pipeline parameter (VALUE read as JSON if it parses); repeatable."),
    ] = None,
    json_output: out.JsonFlag = False,
) -> None:
    """Run PIPELINE on a cron schedule (--cron) or on each new version of a dataset (--on-dataset).

    Due schedules run in `mlcycle server` and in `mlcycle scheduler run`. A pipeline that declares a parameter
    `dataset_version` gets the number of the new version.
    """
    info = _schedules().create_schedule(
        project, pipeline, cron=cron, on_dataset=on_dataset, params=_parse_params(param or [])
    )
    if json_output:
        out.print_json(info)
        return
    c = out.console()
    c.print(f"Scheduled pipeline {out.text(info.pipeline)} in project {out.text(info.project)}: {_when(info)}.")
    c.print(f"schedule id {info.id}")


@app.command("schedules")
def list_schedules(
    project: Annotated[str | None, typer.Option("--project", help="Only schedules of this project.")] = None,
    json_output: out.JsonFlag = False,
) -> None:
    """List pipeline schedules and dataset triggers."""
    schedules = _schedules().list_schedules(project)
    if json_output:
        out.print_json(schedules)
        return
    if not schedules:
        out.console().print("No schedules." + ("" if project else " Add one with `mlcycle pipelines schedule`."))
        return
    t = out.table("schedule id", "project", "pipeline", "trigger", "params", "state", "next run", "last run")
    for s in schedules:
        t.add_row(
            s.id,
            out.text(s.project),
            out.text(s.pipeline),
            out.text(s.trigger),
            out.text(", ".join(f"{k}={v}" for k, v in sorted(s.params.items()))) or out.MISSING,
            "enabled" if s.enabled else "[yellow]paused[/]",
            out.format_ts(s.next_run_at) if s.kind == "cron" else f"after v{s.last_seen_version or 0}",
            out.format_ts(s.last_run_at),
        )
    out.console().print(t)


@app.command("unschedule")
def unschedule(
    schedule_id: Annotated[str, typer.Argument(help="Schedule id (see `mlcycle pipelines schedules`).")],
    json_output: out.JsonFlag = False,
) -> None:
    """Delete a schedule; runs it already started are kept."""
    info = _schedules().delete_schedule(schedule_id)
    if json_output:
        out.print_json(info)
        return
    out.console().print(
        f"Deleted schedule {info.id} of pipeline {out.text(info.pipeline)} in project {out.text(info.project)}."
    )


@app.command("pause-schedule")
def pause_schedule(
    schedule_id: Annotated[str, typer.Argument(help="Schedule id (see `mlcycle pipelines schedules`).")],
    json_output: out.JsonFlag = False,
) -> None:
    """Stop a schedule from firing until `resume-schedule`; nothing it already started is touched."""
    _toggle(_schedules().pause_schedule(schedule_id), "Paused", json_output)


@app.command("resume-schedule")
def resume_schedule(
    schedule_id: Annotated[str, typer.Argument(help="Schedule id (see `mlcycle pipelines schedules`).")],
    json_output: out.JsonFlag = False,
) -> None:
    """Let a paused schedule fire again, counting from now (missed times and versions do not fire)."""
    _toggle(_schedules().resume_schedule(schedule_id), "Resumed", json_output)


def _toggle(info: ScheduleInfo, verb: str, json_output: bool) -> None:
    if json_output:
        out.print_json(info)
        return
    out.console().print(f"{verb} schedule {info.id} of pipeline {out.text(info.pipeline)}: {_when(info)}.")


def _parse_params(items: list[str]) -> dict[str, Any]:
    from mlcycle.core.errors import InvalidInput

    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"invalid --param {item!r}", hint="write KEY=VALUE, e.g. --param C=0.5")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def _when(info: ScheduleInfo) -> str:
    if info.kind == "cron":
        return f"cron '{out.text(info.cron)}' in UTC, next run {out.format_ts(info.next_run_at)} (local time)"
    seen = f"v{info.last_seen_version}" if info.last_seen_version else "no version yet"
    return f"on each new version of dataset {out.text(info.dataset)} (now {seen})"


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
