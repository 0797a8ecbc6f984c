"""Pipeline benchmark: 10 sequential trivial steps, each passing a 1 MB NumPy array, on embedded SQLite with full
tracking and lineage (a tracking run, step rows, events, lineage edges, artifacts).

    python benchmarks/pipelines.py [--repeat 5]

Prints, as medians over ``--repeat`` runs: the first run (every step executes), the fully cached re-run, and the
per-step overhead (wall time minus the time spent inside the step functions, divided by the number of steps).
ZenML and Prefect run the same workload when they are importable here.
Targets: first run < 0.5 s, cached re-run < 0.2 s, overhead < 10 ms per step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

STEPS = 10
ELEMENTS = 1024 * 1024 // 8  # float64: 1 MB
BODY_SECONDS: list[float] = []  # time spent inside step functions, for the overhead figure


def _timed(fn: Callable[[], np.ndarray]) -> np.ndarray:
    t = time.perf_counter()
    out = fn()
    BODY_SECONDS.append(time.perf_counter() - t)
    return out


def make_mlcycle_pipeline() -> Any:
    import mlcycle as mc

    @mc.step
    def first(seed: int) -> np.ndarray:
        return _timed(lambda: np.full(ELEMENTS, float(seed)))

    @mc.step
    def plus_one(arr: np.ndarray) -> np.ndarray:
        return _timed(lambda: arr + 1.0)

    @mc.pipeline
    def chain10(seed: int = 0) -> np.ndarray:
        arr = first(seed)
        for _ in range(STEPS - 1):
            arr = plus_one(arr)
        return arr

    return chain10


def bench_mlcycle(repeat: int) -> dict[str, float]:
    from mlcycle.core.config import load_settings
    from mlcycle.pipelines import PipelineService

    PipelineService.from_settings(load_settings())  # create the store (migrations) outside the timings
    pipeline = make_mlcycle_pipeline()
    pipeline.run(project="bench", seed=-(10**6), progress=False)  # warm up imports and connections
    first, cached, overhead = [], [], []
    for i in range(repeat):
        BODY_SECONDS.clear()
        t = time.perf_counter()
        seed = (i + 1) * 1000  # far apart: arrays of different runs never coincide (that would be a cache hit)
        prun = pipeline.run(project="bench", seed=seed, progress=False)
        wall = time.perf_counter() - t
        assert prun.status == "FINISHED" and not prun.cached_steps, "the first run must execute every step"
        first.append(wall)
        overhead.append((wall - sum(BODY_SECONDS)) / STEPS)
        t = time.perf_counter()
        again = pipeline.run(project="bench", seed=seed, progress=False)
        cached.append(time.perf_counter() - t)
        assert len(again.cached_steps) == STEPS, "the re-run must be fully cached"
    assert float(prun.output()[0]) == repeat * 1000 + STEPS - 1
    return {
        "first": statistics.median(first),
        "cached": statistics.median(cached),
        "overhead": statistics.median(overhead),
    }


def bench_prefect(repeat: int) -> dict[str, float] | str:
    try:
        from prefect import flow, task
    except ImportError:
        return "not installed"
    try:
        from prefect.cache_policies import INPUTS, TASK_SOURCE

        options: dict[str, Any] = {"cache_policy": INPUTS + TASK_SOURCE, "persist_result": True}
    except ImportError:  # Prefect 2
        from prefect.tasks import task_input_hash

        options = {"cache_key_fn": task_input_hash, "persist_result": True}

    @task(**options)
    def first(seed: int) -> np.ndarray:
        return _timed(lambda: np.full(ELEMENTS, float(seed)))

    @task(**options)
    def plus_one(arr: np.ndarray) -> np.ndarray:
        return _timed(lambda: arr + 1.0)

    @flow
    def chain10(seed: int) -> np.ndarray:
        arr = first(seed)
        for _ in range(STEPS - 1):
            arr = plus_one(arr)
        return arr

    return _bench_callable(lambda seed: chain10(seed), repeat)


def bench_zenml(repeat: int) -> dict[str, float] | str:
    try:
        from zenml import pipeline, step
    except ImportError:
        return "not installed"

    @step(enable_cache=True)
    def first(seed: int) -> np.ndarray:
        return _timed(lambda: np.full(ELEMENTS, float(seed)))

    @step(enable_cache=True)
    def plus_one(arr: np.ndarray) -> np.ndarray:
        return _timed(lambda: arr + 1.0)

    @pipeline(enable_cache=True)
    def chain10(seed: int) -> None:
        arr = first(seed)
        for _ in range(STEPS - 1):
            arr = plus_one(arr)

    return _bench_callable(lambda seed: chain10(seed=seed), repeat)


def _bench_callable(run: Callable[[int], Any], repeat: int) -> dict[str, float] | str:
    try:
        first, cached, overhead = [], [], []
        for i in range(repeat):
            BODY_SECONDS.clear()
            t = time.perf_counter()
            run((i + 1) * 1000)
            wall = time.perf_counter() - t
            first.append(wall)
            overhead.append((wall - sum(BODY_SECONDS)) / STEPS)
            t = time.perf_counter()
            run((i + 1) * 1000)
            cached.append(time.perf_counter() - t)
    except Exception as exc:  # a third-party tool failing here must not hide mlcycle's figures
        return f"failed: {type(exc).__name__}: {exc}"
    return {
        "first": statistics.median(first),
        "cached": statistics.median(cached),
        "overhead": statistics.median(overhead),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["MLCYCLE_HOME"] = str(Path(home) / "mlcycle")
        for key in ("MLCYCLE_STORE_URL", "MLCYCLE_ARTIFACTS_URL", "MLCYCLE_SERVER_URL", "MLCYCLE_RUNNER"):
            os.environ.pop(key, None)
        results: dict[str, dict[str, float] | str] = {"mlcycle": bench_mlcycle(args.repeat)}
        os.chdir(home)  # ZenML and Prefect keep their state under the working directory or their home
        results["zenml"] = bench_zenml(args.repeat)
        results["prefect"] = bench_prefect(args.repeat)

    print(f"{STEPS} sequential steps, 1 MB numpy array between each; median of {args.repeat} runs")
    print(f"{'tool':10} {'first run':>12} {'cached re-run':>15} {'overhead/step':>15}")
    for tool, r in results.items():
        if isinstance(r, str):
            print(f"{tool:10} {r}")
        else:
            print(f"{tool:10} {r['first']:>10.3f} s {r['cached']:>13.3f} s {r['overhead'] * 1000:>12.2f} ms")
    mine = results["mlcycle"]
    assert isinstance(mine, dict)
    met = mine["first"] < 0.5 and mine["cached"] < 0.2 and mine["overhead"] < 0.010
    print("targets (first < 0.5 s, cached < 0.2 s, overhead < 10 ms): " + ("met" if met else "NOT met"))
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
