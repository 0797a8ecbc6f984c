"""Running pipelines: what is stored (steps, outputs, tracking run, lineage, events), caching and its
invalidation, failure and resume, and parallel execution of independent steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import mlcycle as mc
from mlcycle.core.errors import Conflict, PipelineFailed
from mlcycle.pipelines import PipelineRun, PipelineService, resume
from mlcycle.store.events import list_events
from mlcycle.store.lineage import edges_from, edges_to

from . import steps_fixture as fx
from .conftest import WriteModule


def statuses(prun: PipelineRun) -> dict[str, str]:
    return {s.name: s.status for s in prun.steps}


def ran(prun: PipelineRun) -> set[str]:
    return {s.name for s in prun.steps if s.status == "COMPLETED"}


def test_a_run_stores_steps_outputs_tracking_lineage_and_events(service: PipelineService) -> None:
    prun = fx.training.run(project="churn", n=200, C=0.5, progress=False)

    assert prun.status == "FINISHED"
    assert [(s.name, s.status, s.cached) for s in prun.steps] == [
        ("load", "COMPLETED", False),
        ("train", "COMPLETED", False),
        ("evaluate", "COMPLETED", False),
    ]
    assert all(s.duration is not None and s.duration > 0 for s in prun.steps)
    model, metrics = prun.output()
    assert isinstance(model, LogisticRegression) and model.C == 0.5
    assert 0.9 < metrics["accuracy"] <= 1.0
    train = prun.step("train")
    assert train.inputs["df"]["step"] == "load" and train.inputs["C"] == {"param": "C", "value": 0.5}
    assert {o["materializer"] for s in prun.steps for o in s.outputs.values()} == {"pandas", "sklearn", "json"}

    # the tracking run holds the pipeline's params and what the steps logged
    run = mc.connect().get_run(prun.run_id or "")
    assert run.status == "FINISHED"
    assert run.params["n"] == "200" and run.params["C"] == "0.5" and run.params["train.C"] == "0.5"
    assert run.metrics["accuracy"] == metrics["accuracy"]
    assert run.tags["mlcycle.pipeline_run_id"] == prun.id
    assert {a.path for a in run.artifacts()} == {
        "pipeline/load/output.parquet",
        "pipeline/train/output.skops",
        "pipeline/evaluate/output.json",
    }

    with service.store.read() as conn:
        assert [(e.dst_type, e.dst_id) for e in edges_from(conn, "pipeline_run", prun.id)] == [("run", run.id)]
        df_digest = prun.step("load").outputs["output"]["digest"]
        assert {(e.src_type, e.relation) for e in edges_to(conn, "step_run", prun.step("load").id)} == set()
        consumers = {e.dst_id for e in edges_from(conn, "artifact", df_digest) if e.relation == "input"}
        assert consumers == {prun.step("train").id, prun.step("evaluate").id}
        produced = edges_from(conn, "step_run", train.id)
        assert [(e.dst_type, e.dst_id) for e in produced] == [("artifact", train.outputs["output"]["digest"])]
        events = list_events(conn, project_id=prun.info.project_id, limit=100, newest_first=False)
    actions = [(e.entity_type, e.action, e.stage) for e in events if e.entity_type in ("pipeline_run", "step_run")]
    assert actions == [
        ("pipeline_run", "started", "model_training"),
        ("step_run", "completed", "data_preparation"),
        ("step_run", "completed", "model_training"),
        ("step_run", "completed", "model_evaluation"),
        ("pipeline_run", "finished", "model_training"),
    ]


def test_a_second_run_is_fully_cached(service: PipelineService) -> None:
    first = fx.training.run(project="churn", n=150, progress=False)
    second = fx.training.run(project="churn", n=150, progress=False)
    assert statuses(second) == dict.fromkeys(["load", "train", "evaluate"], "CACHED")
    assert second.cached_steps == ["load", "train", "evaluate"]
    assert [s.outputs for s in second.steps] == [s.outputs for s in first.steps]
    assert second.output()[1] == first.output()[1]
    assert second.run_id != first.run_id
    listed = service.list_runs("churn", "training")
    assert [r.id for r in listed] == [second.id, first.id]
    assert [p.name for p in service.list_pipelines("churn")] == ["training"]


def test_a_changed_parameter_reruns_exactly_the_affected_steps() -> None:
    first = fx.chain.run(project="p", n=5, k=1.0, progress=False)
    assert first.output() == (float(sum(range(5))) + 15.0, 10.0)
    second = fx.chain.run(project="p", n=5, k=3.0, progress=False)
    assert ran(second) == {"add"} | fx.chain.graph.descendants("add") == {"add", "add_2", "total_2"}
    assert second.cached_steps == ["make", "total"]
    assert second.output() == (10.0 + 25.0, 10.0)
    third = fx.chain.run(project="p", n=6, k=3.0, progress=False)
    assert ran(third) == set(fx.chain.graph.order)


def test_a_changed_step_body_reruns_it_and_its_descendants_only(write_module: WriteModule) -> None:
    source = """
    from mlcycle.pipelines import pipeline, step

    @step
    def a(x: int) -> int:
        return x + 1

    @step
    def b(x: int) -> int:
        return x * 2  # BODY

    @step
    def c(x: int) -> int:
        return x - 3

    @step
    def d(x: int) -> int:
        return x

    @pipeline
    def graph(x: int = 1) -> tuple[int, int]:
        return c(b(a(x))), d(x)
    """
    first = write_module(source).graph.run(project="p", progress=False)
    assert first.output() == (1, 1)
    same = write_module(source.replace("# BODY", "# only a comment changed")).graph.run(project="p", progress=False)
    assert ran(same) == set()
    changed = write_module(source.replace("x * 2  # BODY", "x * 10")).graph.run(project="p", progress=False)
    assert ran(changed) == {"b", "c"}
    assert changed.cached_steps == ["a", "d"]
    assert changed.output() == (17, 1)


def test_cache_false_per_step_and_per_run() -> None:
    flag = "/nonexistent/flag"
    fx.flaky.run(project="p", flag=flag, progress=False)
    again = fx.flaky.run(project="p", flag=flag, progress=False)
    # add (cache=False) runs again; it returns the same bytes, so the steps after it are still cache hits
    assert ran(again) == {"add"}
    assert again.cached_steps == ["make", "check_flag", "total"]
    nothing_cached = fx.flaky.run(project="p", flag=flag, cache=False, progress=False)
    assert nothing_cached.cached_steps == [] and ran(nothing_cached) == set(fx.flaky.graph.order)


def test_a_failing_step_fails_the_run_keeps_completed_outputs_and_resume_finishes(
    tmp_path: Path, service: PipelineService
) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    with pytest.raises(PipelineFailed, match=r"step 'check_flag' failed: RuntimeError: flag .* is set") as info:
        fx.flaky.run(project="p", flag=str(flag), progress=False)
    failed = service.get_run(info.value.details["pipeline_run_id"])
    assert "mlcycle pipelines resume" in (info.value.hint or "")
    assert failed.status == "FAILED" and "check_flag" in (failed.info.error or "")
    assert statuses(failed) == {"make": "COMPLETED", "add": "COMPLETED", "check_flag": "FAILED", "total": "SKIPPED"}
    assert "RuntimeError: flag" in (failed.step("check_flag").error or "")
    np.testing.assert_array_equal(failed.output("add"), np.arange(4) + 1.0)  # completed outputs are kept
    assert mc.connect().get_run(failed.run_id or "").status == "FAILED"

    flag.unlink()
    resumed = resume(failed.id, progress=False)
    assert resumed.status == "FINISHED" and resumed.info.resumed_from == failed.id
    assert resumed.cached_steps == ["make", "add"]  # add is reused although it has cache=False
    assert ran(resumed) == {"check_flag", "total"}
    assert resumed.output() == float(((np.arange(4) + 1.0) * 2).sum())
    assert resumed.info.trigger == "resume"
    with pytest.raises(Conflict, match="nothing to resume"):
        resume(resumed.id)


def test_independent_steps_run_concurrently_in_worker_processes(tmp_path: Path) -> None:
    import os

    prun = fx.parallel.run(project="p", folder=str(tmp_path), max_workers=2, progress=False)
    a, b = prun.step("rendezvous"), prun.step("rendezvous_2")
    # each step waited for the other to start, so they can only have finished by running at the same time
    assert a.started_at is not None and b.started_at is not None and a.ended_at and b.ended_at
    assert max(a.started_at, b.started_at) <= min(a.ended_at, b.ended_at)
    pids = prun.output()
    assert pids[0] != pids[1] and os.getpid() not in pids


def test_steps_in_worker_processes_log_to_the_pipeline_run() -> None:
    import os

    prun = fx.fan.run(project="p", max_workers=2, progress=False)
    assert os.getpid() not in prun.output()
    run = mc.connect().get_run(prun.run_id or "")
    assert run.metrics == {"first": 1.0, "second": 2.0}


def test_a_single_worker_runs_everything_in_this_process() -> None:
    import os

    prun = fx.fan.run(project="p", max_workers=1, progress=False)
    assert prun.output() == (os.getpid(), os.getpid())


def test_an_output_of_an_unknown_type_fails_the_step_with_a_clear_message(write_module: WriteModule) -> None:
    module = write_module(
        """
        from typing import Any
        from mlcycle.pipelines import pipeline, step

        class Opaque:
            pass

        @step
        def make() -> Any:
            return Opaque()

        @pipeline
        def p() -> Any:
            return make()
        """
    )
    with pytest.raises(PipelineFailed, match=r"step 'make' returned a .*Opaque, which mlcycle does not know"):
        module.p.run(project="p", progress=False)
