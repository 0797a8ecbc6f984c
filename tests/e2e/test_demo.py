"""The main job, end to end, as a user runs it: `mlcycle demo` on a fresh embedded store, twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlcycle as mc

pytestmark = pytest.mark.e2e


def _mlcycle(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("mlcycle")
    env = {**os.environ, "MLCYCLE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=600)


def test_demo_from_the_cli_on_a_fresh_store(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    out = _mlcycle("demo", home=home)
    assert out.returncode == 0, out.stderr
    assert "logistic-regression" in out.stdout and "random-forest" in out.stdout
    assert str(home / "mlcycle.db") in out.stdout  # says where the data lives
    assert "mlcycle runs list breast-cancer" in out.stdout  # and how to browse it
    assert "every step was a cache hit" not in out.stdout

    client = mc.connect(home=home)
    project = client.project("breast-cancer")
    runs = project.search_runs("tags.demo = 'true'", order_by=["metrics.training_roc_auc desc"])
    assert sorted(r.name for r in runs) == ["logistic-regression", "random-forest"]
    for run in runs:
        assert run.status == "FINISHED"
        assert run.info.parent_run_id is not None  # a child of the pipeline's tracking run
        assert run.metrics["training_roc_auc"] > 0.9
        assert any(a.path == "model/model.skops" for a in run.artifacts())
    # versioned, validated and split data
    names = {d.name for d in project.datasets()}
    assert {"breast-cancer", "breast-cancer-train", "breast-cancer-validation", "breast-cancer-test"} <= names
    raw = project.dataset("breast-cancer")
    assert raw.version == 1 and raw.info.row_count == 569
    train = project.dataset("breast-cancer-train")
    assert train.info.parent_version_id == raw.id

    # the second invocation finds the same data versions and serves every step from the cache
    again = _mlcycle("demo", home=home)
    assert again.returncode == 0, again.stderr
    assert "every step was a cache hit" in again.stdout
    assert project.dataset("breast-cancer").version == 1  # identical content is not stored again
    assert len(project.search_runs("tags.demo = 'true'")) == 2  # nothing was retrained

    lifecycle = _mlcycle("lifecycle", "breast-cancer", "--json", home=home)
    assert lifecycle.returncode == 0, lifecycle.stderr
    events = {s["stage"]: s["events"] for s in json.loads(lifecycle.stdout)["stages"]}
    for stage in ("problem_definition", "data_collection", "data_preparation", "model_training", "model_evaluation"):
        assert events[stage] > 0, stage
    assert events["deployment"] == 0
