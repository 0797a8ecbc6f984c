"""The pipeline benchmark's workload through ZenML (run by benchmarks/pipelines.py).

python benchmarks/_zenml_workload.py REPEAT   -> prints one JSON line

ZenML runs offline: a fresh global config and repository in a temporary folder, the default local SQLite store and
local orchestrator, analytics off. Steps are cached by default. Only the pipeline runs are timed (not the import, the
``zenml init`` or the warm-up run, as for mlcycle).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HOME = Path(tempfile.mkdtemp(prefix="zenml-bench-"))
atexit.register(shutil.rmtree, HOME, ignore_errors=True)  # registered first, so it runs last
for _key in [k for k in os.environ if k.startswith("ZENML_STORE_") or k.startswith("ZENML_SERVER_")]:
    os.environ.pop(_key)
os.environ.update(
    {
        "ZENML_CONFIG_PATH": str(HOME / "config"),
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_DEBUG": "false",
        "ZENML_ENABLE_REPO_INIT_WARNINGS": "false",
        "AUTO_OPEN_DASHBOARD": "false",
        "DO_NOT_TRACK": "1",
    }
)

import numpy as np  # noqa: E402
from zenml import pipeline, step  # noqa: E402

STEPS = 10
ELEMENTS = 1024 * 1024 // 8  # float64: 1 MB
BODY_SECONDS: list[float] = []  # time spent inside step functions, for the overhead figure


@step(enable_cache=True)
def first(seed: int) -> np.ndarray:
    t = time.perf_counter()
    out = np.full(ELEMENTS, float(seed))
    BODY_SECONDS.append(time.perf_counter() - t)
    return out


@step(enable_cache=True)
def plus_one(arr: np.ndarray) -> np.ndarray:
    t = time.perf_counter()
    out = arr + 1.0
    BODY_SECONDS.append(time.perf_counter() - t)
    return out


@pipeline(enable_cache=True)
def chain10(seed: int) -> None:
    arr = first(seed)
    for _ in range(STEPS - 1):
        arr = plus_one(arr)


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    import zenml
    from zenml.client import Client
    from zenml.utils import source_utils

    os.chdir(HOME)
    Client.initialize(root=HOME)  # `zenml init`: the local SQLite store and the default stack
    source_utils.set_custom_source_root(str(Path(__file__).resolve().parent))  # the steps live in this file
    chain10(seed=-(10**6))  # warm-up: registers the pipeline, opens the store
    first_s, cached_s, overhead = [], [], []
    for i in range(repeat):
        seed = (i + 1) * 1000
        BODY_SECONDS.clear()
        t = time.perf_counter()
        chain10(seed=seed)
        wall = time.perf_counter() - t
        assert len(BODY_SECONDS) == STEPS, "the first run must execute every step"
        first_s.append(wall)
        overhead.append((wall - sum(BODY_SECONDS)) / STEPS)
        BODY_SECONDS.clear()
        t = time.perf_counter()
        chain10(seed=seed)
        cached_s.append(time.perf_counter() - t)
        assert not BODY_SECONDS, "the re-run must be fully cached"
    print(
        json.dumps(
            {
                "first_s": statistics.median(first_s),
                "cached_s": statistics.median(cached_s),
                "overhead_ms": statistics.median(overhead) * 1000,
                "version": zenml.__version__,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
