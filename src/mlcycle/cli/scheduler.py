"""``mlcycle scheduler run``: fire due pipeline schedules and dataset triggers from the command line.

It does in the embedded mode what ``mlcycle server`` does in the background; both can run against one store,
and each due tick still runs once.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

import typer

from mlcycle.cli import output as out

if TYPE_CHECKING:
    from mlcycle.pipelines import TriggeredRun

app = typer.Typer(rich_markup_mode=None, help="Run due pipeline schedules and dataset triggers.", no_args_is_help=True)

_STYLE = {"FINISHED": "green", "FAILED": "red", "ERROR": "red"}


@app.callback()
def _group() -> None:
    """Run due pipeline schedules and dataset triggers (see `mlcycle pipelines schedule`)."""


@app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between checks for due schedules.")
    ] = 10.0,
    json_output: Annotated[bool, typer.Option("--json", help="Print each firing as a JSON line.")] = False,
) -> None:
    """Run each pipeline whose cron schedule is due or whose dataset has a new version, until Ctrl-C.

    Pipelines run one after the other, imported from where they were defined (run this from the project
    folder). A failing pipeline is recorded as a FAILED run and the scheduler goes on.
    """
    from mlcycle.core.config import load_settings
    from mlcycle.pipelines import SchedulerLoop, ScheduleService

    def report(fired: TriggeredRun) -> None:
        if json_output:
            out.print_json_line(fired)
            return
        style = _STYLE.get(fired.status, "")
        line = f"{out.format_ts(fired.ts)}  [{style}]{fired.status}[/]  {out.text(fired.pipeline)}"
        line += f" (project {out.text(fired.project)})  {out.text(fired.trigger)}"
        line += f"  pipeline run {fired.pipeline_run_id}" if fired.pipeline_run_id else ""
        out.console().print(line)
        if fired.error:
            out.console().print(f"  {out.text(fired.error.splitlines()[0])}", style="dim")

    loop = SchedulerLoop(ScheduleService.from_settings(load_settings()), interval, on_run=report)
    if once:
        if not loop.run_once() and not json_output:
            out.console().print("Nothing is due.")
        return
    if not json_output:
        out.err_console().print(f"Checking for due schedules every {interval:g}s; press Ctrl-C to stop.")
    try:
        loop.run_forever(threading.Event())
    except KeyboardInterrupt:
        if not json_output:
            out.err_console().print("Scheduler stopped.")
