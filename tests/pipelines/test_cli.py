"""``mlcycle pipelines list|runs|show|resume``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from mlcycle.cli import pipelines as cli
from mlcycle.cli.errors import MlcycleGroup
from mlcycle.core.errors import PipelineFailed

from . import steps_fixture as fx

# The sub-app mounted under a root group the way mlcycle.cli.main mounts it (errors become exit codes).
root = typer.Typer(cls=MlcycleGroup)
root.add_typer(cli.app, name="pipelines")


@root.callback()
def _root() -> None:
    pass


def invoke(*args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
    return runner.invoke(root, ["pipelines", *args], catch_exceptions=False)


def test_list_runs_and_show() -> None:
    first = fx.chain.run(project="churn", progress=False)
    second = fx.chain.run(project="churn", k=2.0, progress=False)

    listed = invoke("list", "churn")
    assert listed.exit_code == 0
    assert "chain" in listed.stdout and "tests.pipelines.steps_fixture:chain" in listed.stdout

    runs = invoke("runs", "churn", "--pipeline", "chain")
    assert runs.exit_code == 0
    lines = [line for line in runs.stdout.splitlines() if first.id in line or second.id in line]
    assert len(lines) == 2 and lines[0].startswith(second.id) and "FINISHED" in lines[0]

    shown = invoke("show", second.id)
    assert shown.exit_code == 0
    for text in ("make", "CACHED", "add_2", "COMPLETED", "numpy", "k=2.0"):
        assert text in shown.stdout

    data = json.loads(invoke("show", second.id, "--json").stdout)
    assert data["id"] == second.id and [s["name"] for s in data["steps"]] == list(fx.chain.graph.order)
    assert json.loads(invoke("runs", "churn", "--json").stdout)[0]["id"] == second.id
    assert json.loads(invoke("list", "churn", "--json").stdout)[0]["runs"] == 2


def test_errors_become_exit_codes() -> None:
    missing = invoke("show", "0" * 32)
    assert missing.exit_code == 4 and "no pipeline run" in missing.stderr
    assert invoke("runs", "nope").exit_code == 4
    fx.chain.run(project="churn", progress=False)
    assert "has no pipeline 'chian'" in invoke("runs", "churn", "--pipeline", "chian").stderr


def test_resume_a_failed_run(tmp_path: Path) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    with pytest.raises(PipelineFailed) as info:
        fx.flaky.run(project="p", flag=str(flag), progress=False)
    run_id = info.value.details["pipeline_run_id"]
    shown = invoke("show", run_id)
    assert "FAILED" in shown.stdout and f"mlcycle pipelines resume {run_id}" in shown.stdout

    again = invoke("resume", run_id, "--no-progress")  # still failing: exit code of PipelineFailed
    assert again.exit_code == PipelineFailed.exit_code and "check_flag" in again.stderr

    flag.unlink()
    done = invoke("resume", run_id, "--no-progress")
    assert done.exit_code == 0
    assert "FINISHED" in done.stdout and f"resumed from {run_id}" in done.stdout
    assert invoke("resume", run_id).exit_code == 0  # the original failed run can be resumed again
