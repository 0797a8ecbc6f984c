"""The Ray runner against a real local Ray (2 CPUs), and its install hint when Ray is missing."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mlcycle as mc
from mlcycle.core.errors import MissingDependency, NotFound, PipelineFailed
from mlcycle.pipelines import PipelineService, resume
from tests.conftest import missing_service

from . import steps_fixture as fx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    try:
        import ray
    except ImportError:
        missing_service("Ray (pip install 'mlcycle[ray]')")
    # Workers import the test steps by module name, so they need the repository on their path.
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [old])])
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    except Exception as exc:  # any start-up failure means Ray is not available here
        missing_service(f"a local Ray ({type(exc).__name__}: {exc})")
    try:
        yield ray
    finally:
        ray.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


@pytest.mark.ray
def test_each_step_runs_as_a_ray_task_and_logs_to_the_pipeline_run(local_ray: Any, service: PipelineService) -> None:
    prun = fx.fan.run(project="r", runner="ray", progress=False)
    assert prun.status == "FINISHED" and prun.info.runner == "ray"
    pids = prun.output()
    assert os.getpid() not in pids  # ran in Ray workers
    assert mc.connect().get_run(prun.run_id or "").metrics == {"first": 1.0, "second": 2.0}

    first = fx.training.run(project="r", runner="ray", n=120, progress=False)
    model, metrics = first.output()
    assert metrics["accuracy"] > 0.9 and hasattr(model, "predict")
    again = fx.training.run(project="r", runner="ray", n=120, progress=False)
    assert again.cached_steps == ["load", "train", "evaluate"]


@pytest.mark.ray
def test_failure_and_resume_on_ray(local_ray: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLCYCLE_RUNNER", "ray")  # the runner comes from the settings
    flag = tmp_path / "fail"
    flag.touch()
    with pytest.raises(PipelineFailed, match="RuntimeError") as info:
        fx.flaky.run(project="r", flag=str(flag), progress=False)
    flag.unlink()
    resumed = resume(info.value.details["pipeline_run_id"], progress=False)
    assert resumed.info.runner == "ray" and resumed.status == "FINISHED"
    assert resumed.cached_steps == ["make", "add"]


def test_a_missing_ray_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch, service: PipelineService) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(MissingDependency) as info:
        fx.chain.run(project="r", runner="ray", progress=False)
    assert info.value.hint == "pip install 'mlcycle[ray]'"
    with pytest.raises(NotFound):  # it failed before creating anything
        service.list_runs("r")
