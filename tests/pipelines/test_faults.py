"""Faults: a process killed mid-step leaves no cache entry for that step; pipelines in scripts can be resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlcycle.core.errors import Conflict, PipelineFailed
from mlcycle.pipelines import PipelineService, resume
from mlcycle.store.schema import step_cache

from . import steps_fixture as fx

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the pipeline process ended early ({proc.returncode}): {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{path} did not appear in {timeout} s")
        time.sleep(0.05)


def test_a_process_killed_mid_step_leaves_no_cache_entry_and_a_rerun_completes(
    tmp_path: Path, service: PipelineService
) -> None:
    marker = tmp_path / "hang.started"
    code = (
        "from tests.pipelines.steps_fixture import killable; import sys; killable.run(project='k', marker=sys.argv[1])"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(marker)],
        env=_env(MLCYCLE_TEST_HANG="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)

    [killed] = service.list_runs("k")
    assert killed.status == "RUNNING"
    assert {s.name: s.status for s in killed.steps} == {"make": "COMPLETED", "hang": "RUNNING", "total": "PENDING"}
    hang_key = killed.step("hang").cache_key
    assert hang_key and service.lookup_cache(hang_key) is None
    with service.store.read() as conn:
        keys = {k for (k,) in conn.execute(sa.select(step_cache.c.cache_key))}
    assert keys == {killed.step("make").cache_key}

    rerun = fx.killable.run(project="k", marker=str(marker), progress=False)
    assert rerun.status == "FINISHED"
    assert rerun.cached_steps == ["make"]
    assert {s.name for s in rerun.steps if s.status == "COMPLETED"} == {"hang", "total"}

    with pytest.raises(Conflict, match="still RUNNING") as info:
        resume(killed.id)
    assert "--force" in (info.value.hint or "")
    taken_over = resume(killed.id, force=True, progress=False)
    assert taken_over.status == "FINISHED" and taken_over.info.resumed_from == killed.id
    old = service.get_run(killed.id)
    assert old.status == "FAILED" and "abandoned" in (old.info.error or "")
    assert old.step("hang").status == "FAILED"


def test_a_pipeline_in_a_script_can_be_resumed(tmp_path: Path, service: PipelineService) -> None:
    script = tmp_path / "train_script.py"
    flag = tmp_path / "fail"
    flag.touch()
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from mlcycle.pipelines import pipeline, step

            @step
            def first(n: int) -> list[int]:
                return list(range(n))

            @step
            def second(xs: list[int]) -> int:
                if Path({str(flag)!r}).exists():
                    raise ValueError("not yet")
                return sum(xs)

            @pipeline
            def scripted(n: int = 4) -> int:
                return second(first(n))

            if __name__ == "__main__":
                scripted.run(project="s", progress=False)
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], env=_env(), capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "PipelineFailed" in done.stderr
    [failed] = service.list_runs("s")
    assert failed.info.module == f"{script}:scripted"
    flag.unlink()
    resumed = resume(failed.id, progress=False)
    assert resumed.output() == 6
    assert resumed.cached_steps == ["first"]  # the same source gives the same key as under __main__


def test_parallel_failures_are_all_recorded_and_later_steps_skipped(tmp_path: Path, service: PipelineService) -> None:
    with pytest.raises(PipelineFailed, match="FileNotFoundError"):
        fx.parallel.run(project="p", folder=str(tmp_path / "missing-folder"), max_workers=2, progress=False)
    [run] = service.list_runs("p")
    assert {s.name: s.status for s in run.steps} == {
        "rendezvous": "FAILED",
        "rendezvous_2": "FAILED",
        "both": "SKIPPED",
    }


def test_a_worker_killed_mid_step_fails_the_run_without_a_cache_entry(tmp_path: Path, service: PipelineService) -> None:
    flag = tmp_path / "die"
    flag.touch()
    with pytest.raises(PipelineFailed, match="terminated abruptly"):
        fx.crashing.run(project="w", flag=str(flag), max_workers=2, progress=False)
    [failed] = service.list_runs("w")
    died = failed.step("die_if")
    assert died.status == "FAILED" and died.cache_key and service.lookup_cache(died.cache_key) is None
    flag.unlink()
    resumed = resume(failed.id, progress=False)
    assert resumed.status == "FINISHED" and resumed.output() == (1, 3.0)
