"""The live step table: drawn on a terminal, silent otherwise."""

from __future__ import annotations

import io

from rich.console import Console

from mlcycle.pipelines.progress import StepProgress

from . import steps_fixture as fx


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, width=100, color_system=None), buf


def test_the_table_shows_each_step_state_and_time() -> None:
    console, buf = _console(terminal=True)
    with StepProgress("demo", ["load", "train", "score"], console=console) as progress:
        assert progress.active
        progress.update("load", "cached", 0.0)
        progress.update("train", "running")
        progress.update("train", "done", 1.5)
        progress.update("score", "failed", 0.012)
    text = buf.getvalue()
    assert "pipeline demo" in text
    for expected in ("load", "cached", "train", "done", "1.50 s", "score", "failed", "12 ms"):
        assert expected in text


def test_pending_steps_show_as_skipped_after_a_failure() -> None:
    console, buf = _console(terminal=True)
    try:
        with StepProgress("demo", ["a", "b"], console=console) as progress:
            progress.update("a", "failed", 0.1)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert "skipped" in buf.getvalue().splitlines()[-2] + buf.getvalue().splitlines()[-1]


def test_silent_when_not_a_terminal_or_switched_off() -> None:
    console, buf = _console(terminal=False)
    with StepProgress("demo", ["a"], console=console) as progress:
        progress.update("a", "done", 0.1)
        assert not progress.active
    console, buf2 = _console(terminal=True)
    with StepProgress("demo", ["a"], console=console, enabled=False) as progress:
        progress.update("a", "done", 0.1)
    assert buf.getvalue() == buf2.getvalue() == ""


def test_a_run_with_progress_forced_on_draws_the_table(capsys: object) -> None:
    prun = fx.chain.run(project="p", progress=True)
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert prun.status == "FINISHED"
    assert "pipeline chain" in err and "total_2" in err
