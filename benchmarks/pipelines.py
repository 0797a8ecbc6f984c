"""Pipeline benchmark: 10 sequential trivial steps, each passing a 1 MB NumPy array, on embedded SQLite with full
tracking and lineage (a tracking run, step rows, events, lineage edges, artifacts).

    python benchmarks/pipelines.py [--repeat 5]

Prints, as medians over ``--repeat`` runs: the first run (every step executes), the fully cached re-run, and the
per-step overhead (wall time minus the time spent inside the step functions, divided by the number of steps).
ZenML and Prefect run the same workload when they can be: importable here, or installed in ``.venv-anchors`` by
``make bench-anchors`` (see benchmarks/_zenml_workload.py and benchmarks/_prefect_workload.py); their figures are
printed alongside, with the ratios to mlcycle's.
Targets: first run < 0.5 s, cached re-run < 0.2 s, overhead < 10 ms per step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
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


ANCHORS = {"zenml": "_zenml_workload.py", "prefect": "_prefect_workload.py"}  # import name -> workload script
ANCHOR_VENVS = (".venv-anchors", ".venv-zenml", ".venv-prefect")  # `make bench-anchors` creates the first


def anchor_interpreter(module: str) -> str | None:
    """This interpreter when ``module`` is importable here, else the first anchor venv's that can import it."""
    candidates = [sys.executable] + [str(ROOT / venv / "bin" / "python") for venv in ANCHOR_VENVS]
    for py in candidates:
        if not Path(py).exists():
            continue
        if subprocess.run([py, "-c", f"import {module}"], capture_output=True).returncode == 0:
            return py
    return None


def bench_anchor(module: str, repeat: int) -> dict[str, Any] | str:
    """The same workload through ZenML or Prefect, run by its workload script in a separate process (each tool
    needs its own environment variables, home and working directory before it is imported); the script times only
    the pipeline runs and prints one JSON line. Returns the figures, or why there are none."""
    py = anchor_interpreter(module)
    if py is None:
        return "not installed (make bench-anchors)"
    script = ROOT / "benchmarks" / ANCHORS[module]
    try:
        out = subprocess.run(
            [py, str(script), str(repeat)], capture_output=True, text=True, timeout=3600, cwd=tempfile.gettempdir()
        )
    except subprocess.TimeoutExpired:
        return "failed: timed out after 3600 s"
    for line in reversed(out.stdout.strip().splitlines()):
        if line.startswith("{") and '"first_s"' in line:
            r = json.loads(line)
            where = "here" if py == sys.executable else str(Path(py).parents[1].relative_to(ROOT))
            return {
                "first": r["first_s"],
                "cached": r["cached_s"],
                "overhead": r["overhead_ms"] / 1000,
                "label": f"{module} {r['version']} ({where})",
            }
    print(out.stderr[-3000:], file=sys.stderr)  # a third-party tool failing must not hide mlcycle's figures
    last = (out.stderr.strip().splitlines() or [f"exit code {out.returncode}"])[-1]
    return f"failed ({Path(py).parents[1].name}): {last.strip()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["MLCYCLE_HOME"] = str(Path(home) / "mlcycle")
        for key in ("MLCYCLE_STORE_URL", "MLCYCLE_ARTIFACTS_URL", "MLCYCLE_SERVER_URL", "MLCYCLE_RUNNER"):
            os.environ.pop(key, None)
        results: dict[str, dict[str, Any] | str] = {"mlcycle": bench_mlcycle(args.repeat)}
    for module in ANCHORS:
        results[module] = bench_anchor(module, args.repeat)

    print(f"{STEPS} sequential steps, 1 MB numpy array between each; median of {args.repeat} runs")
    print(f"{'tool':32} {'first run':>12} {'cached re-run':>15} {'overhead/step':>15}")
    for tool, r in results.items():
        if isinstance(r, str):
            print(f"{tool:32} {r}")
        else:
            label = r.get("label", tool)
            print(f"{label:32} {r['first']:>10.3f} s {r['cached']:>13.3f} s {r['overhead'] * 1000:>12.2f} ms")
    mine = results["mlcycle"]
    assert isinstance(mine, dict)
    for tool, r in results.items():
        if tool != "mlcycle" and isinstance(r, dict):
            print(
                f"{tool} / mlcycle: first run {r['first'] / mine['first']:.1f}x,"
                f" cached re-run {r['cached'] / mine['cached']:.1f}x"
            )
    met = mine["first"] < 0.5 and mine["cached"] < 0.2 and mine["overhead"] < 0.010
    print("targets (first < 0.5 s, cached < 0.2 s, overhead < 10 ms): " + ("met" if met else "NOT met"))
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
