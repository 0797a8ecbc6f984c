"""A real lineage scenario on a fresh embedded store, built once per test module.

In a git repository (so runs record a commit): dataset ``points`` v1 (tagged ``golden``), split into
``points-train`` and ``points-test``; the pipeline in :mod:`tests.lineage.flow` reads the train split through
the client API and trains a model; a plain run reads the test split and autologs a model of its own.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlcycle.store import Store


@dataclass(frozen=True)
class Scenario:
    home: Path
    repo: Path
    store: Store
    commit: str
    raw: str  # dataset version ids
    train: str
    test: str
    pipeline_run: str
    pipeline_tracking_run: str
    prepare_step: str  # step run ids
    train_step: str
    model_digest: str  # the pipeline's model
    model_path: str
    fit_run: str  # the autologged run
    fit_model_digest: str


def git_repo(folder: Path) -> str:
    """A new repository with one commit; returns the commit id."""
    folder.mkdir(parents=True)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(folder)}

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True, text=True)
        return done.stdout.strip()

    git("init", "-q")
    git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-q", "--allow-empty", "-m", "init")
    return git("rev-parse", "HEAD")


def points(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    df["label"] = (df["x"] + df["y"] > 0).astype(int)
    return df


def build(folder: Path) -> Scenario:
    """Build the scenario under ``folder`` (MLCYCLE_HOME and the working directory are set while it runs)."""
    from sklearn.linear_model import LogisticRegression

    import mlcycle as mc
    from mlcycle.core.config import load_settings
    from tests.lineage.flow import training

    home = folder / "home"
    repo = folder / "repo"
    commit = git_repo(repo)
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("MLCYCLE_")]:
            mp.delenv(key)
        mp.setenv("MLCYCLE_HOME", str(home))
        mp.chdir(repo)
        client = mc.connect()
        project = client.project("lineage")
        raw = project.log_dataset("points", points()).tag("golden")
        parts = raw.split(fractions=(0.75, 0.25), seed=0)
        prun = training.run(project="lineage", C=0.5, progress=False)
        assert prun.status == "FINISHED" and prun.run_id is not None
        mc.sklearn.autolog(project="lineage", client=client)
        try:
            with project.start_run("fit") as fit:
                df = parts["test"].load()
                LogisticRegression().fit(df[["x", "y"]], df["label"])
        finally:
            mc.sklearn.autolog(disable=True)
        model = next(a for a in client.get_run(prun.run_id).artifacts() if a.path.endswith(".skops"))
        fit_model = next(a for a in fit.artifacts() if a.path == "model/model.skops")
        store = Store.open(load_settings().resolved_store_url)
    return Scenario(
        home=home,
        repo=repo,
        store=store,
        commit=commit,
        raw=raw.id,
        train=parts["train"].id,
        test=parts["test"].id,
        pipeline_run=prun.id,
        pipeline_tracking_run=prun.run_id,
        prepare_step=prun.step("prepare").id,
        train_step=prun.step("train").id,
        model_digest=model.digest,
        model_path=model.path,
        fit_run=fit.id,
        fit_model_digest=fit_model.digest,
    )
