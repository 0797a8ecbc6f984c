"""Importable steps and pipelines for the pipeline tests (process-pool and Ray workers import them by name)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import mlcycle as mc

# ---- a small ML pipeline ----------------------------------------------------------------------------------


def _label(df: pd.DataFrame) -> pd.Series:  # an in-project helper: its source is part of load's cache key
    return (df["x"] + df["y"] > 0).astype(int)


@mc.step(stage="data_preparation")
def load(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    df["label"] = _label(df)
    return df


@mc.step(deps=["scikit-learn"])
def train(df: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    run = mc.active_run()  # inside a pipeline step: the pipeline run's tracking run
    if run is not None:
        run.log_params({"train.C": C})
    return LogisticRegression(C=C).fit(df[["x", "y"]], df["label"])


@mc.step(stage="model_evaluation")
def evaluate(model: LogisticRegression, df: pd.DataFrame) -> dict[str, float]:
    accuracy = float(model.score(df[["x", "y"]], df["label"]))
    run = mc.active_run()
    if run is not None:
        run.log_metrics({"accuracy": accuracy})
    return {"accuracy": accuracy}


@mc.pipeline
def training(n: int = 200, C: float = 1.0) -> tuple[LogisticRegression, dict[str, float]]:
    df = load(n)
    model = train(df, C=C)
    return model, evaluate(model, df)


# ---- arrays: a chain, with a side branch ------------------------------------------------------------------


@mc.step
def make(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64)


@mc.step
def add(arr: np.ndarray, k: float = 1.0) -> np.ndarray:
    return arr + k


@mc.step
def total(arr: np.ndarray) -> float:
    return float(arr.sum())


@mc.pipeline
def chain(n: int = 5, k: float = 1.0) -> tuple[float, float]:
    base = make(n)
    shifted = add(base, k=k)
    side = total(base)  # depends on make only
    return total(add(shifted, k=2.0)), side


# ---- failure and resume: a step that fails while a flag file exists --------------------------------------


@mc.step
def check_flag(arr: np.ndarray, flag: str) -> np.ndarray:
    if Path(flag).exists():
        raise RuntimeError(f"flag {flag} is set")
    return arr * 2


@mc.pipeline
def flaky(flag: str, n: int = 4) -> float:
    uncached = add.with_options(cache=False)  # never a cache hit, but reused when the run is resumed
    return total(check_flag(uncached(make(n)), flag))


# ---- concurrency: two steps that can only finish if they run at the same time -----------------------------


@mc.step
def rendezvous(me: str, peer: str, folder: str) -> dict[str, Any]:
    """Announce this step, then wait for the peer's announcement (fails after 60 s if run sequentially)."""
    start = time.time()
    Path(folder, f"{me}.started").write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while not Path(folder, f"{peer}.started").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{peer} never started while {me} was running")
        time.sleep(0.01)
    return {"start": start, "end": time.time(), "pid": os.getpid()}


@mc.step
def both(a: dict[str, Any], b: dict[str, Any]) -> list[int]:
    return [a["pid"], b["pid"]]


@mc.pipeline
def parallel(folder: str) -> list[int]:
    return both(rendezvous("a", "b", folder), rendezvous("b", "a", folder))


# ---- kill: a step that announces itself and then hangs ----------------------------------------------------


@mc.step
def hang(arr: np.ndarray, marker: str) -> np.ndarray:
    Path(marker).write_text(str(os.getpid()))
    if os.environ.get("MLCYCLE_TEST_HANG") == "1":
        time.sleep(600)
    return arr


@mc.pipeline
def killable(marker: str, n: int = 3) -> float:
    return total(hang(make(n), marker))


# ---- tracking from workers: two independent steps log metrics to the pipeline's run -----------------------


@mc.step
def log_value(name: str, value: float) -> int:
    run = mc.active_run()
    assert run is not None, "inside a step, active_run() is the pipeline's tracking run"
    run.log_metrics({name: value})
    return os.getpid()


@mc.pipeline
def fan() -> tuple[int, int]:
    return log_value("first", 1.0), log_value("second", 2.0)


# ---- a worker process that dies mid-step ------------------------------------------------------------------


@mc.step
def die_if(flag: str) -> int:
    if Path(flag).exists():
        os.kill(os.getpid(), signal.SIGKILL)
    return 1


@mc.pipeline
def crashing(flag: str) -> tuple[int, float]:
    return die_if(flag), total(make(3))
