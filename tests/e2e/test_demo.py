"""The main job, end to end, as a user runs it: `mlcycle demo` on a fresh embedded store."""

from __future__ import annotations

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

    client = mc.connect(home=home)
    runs = client.project("breast-cancer").search_runs("tags.demo = 'true'", order_by=["metrics.test_roc_auc desc"])
    assert len(runs) >= 2
    for run in runs:
        assert run.status == "FINISHED"
        assert run.metrics["test_roc_auc"] > 0.9
        assert any(a.path == "model/model.skops" for a in run.artifacts())

    lifecycle = _mlcycle("lifecycle", "breast-cancer", "--json", home=home)
    assert lifecycle.returncode == 0, lifecycle.stderr
    assert '"model_training"' in lifecycle.stdout
