"""The pipeline benchmark's workload through Prefect (run by benchmarks/pipelines.py).

python benchmarks/_prefect_workload.py REPEAT   -> prints one JSON line

Prefect runs offline: no API URL, so it starts its ephemeral local server on a fresh SQLite database under a
temporary PREFECT_HOME; analytics off. Tasks are cached on their inputs and source, with results persisted to local
storage. Only the flow runs are timed (not the import or the warm-up run that starts the server, as for mlcycle).
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
from typing import Any

HOME = Path(tempfile.mkdtemp(prefix="prefect-bench-"))
atexit.register(shutil.rmtree, HOME, ignore_errors=True)  # registered first, so it runs last
for _key in ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILES_PATH", "PREFECT_PROFILE"):
    os.environ.pop(_key, None)
os.environ.update(
    {
        "PREFECT_HOME": str(HOME),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
        # the local server can take longer than the default 20 s to start on a busy 2-core machine
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "DO_NOT_TRACK": "1",
    }
)

import numpy as np  # noqa: E402
from prefect import flow, task  # noqa: E402

try:
    from prefect.cache_policies import INPUTS, TASK_SOURCE

    OPTIONS: dict[str, Any] = {"cache_policy": INPUTS + TASK_SOURCE, "persist_result": True}
except ImportError:  # Prefect 2
    from prefect.tasks import task_input_hash

    OPTIONS = {"cache_key_fn": task_input_hash, "persist_result": True}

STEPS = 10
ELEMENTS = 1024 * 1024 // 8  # float64: 1 MB
BODY_SECONDS: list[float] = []  # time spent inside task functions, for the overhead figure


@task(**OPTIONS)
def first(seed: int) -> np.ndarray:
    t = time.perf_counter()
    out = np.full(ELEMENTS, float(seed))
    BODY_SECONDS.append(time.perf_counter() - t)
    return out


@task(**OPTIONS)
def plus_one(arr: np.ndarray) -> np.ndarray:
    t = time.perf_counter()
    out = arr + 1.0
    BODY_SECONDS.append(time.perf_counter() - t)
    return out


@flow
def chain10(seed: int) -> np.ndarray:
    arr = first(seed)
    for _ in range(STEPS - 1):
        arr = plus_one(arr)
    return arr


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    import prefect

    os.chdir(HOME)
    chain10(-(10**6))  # warm-up: starts the ephemeral server, creates the database
    first_s, cached_s, overhead = [], [], []
    for i in range(repeat):
        seed = (i + 1) * 1000
        BODY_SECONDS.clear()
        t = time.perf_counter()
        out = chain10(seed)
        wall = time.perf_counter() - t
        assert len(BODY_SECONDS) == STEPS, "the first run must execute every task"
        first_s.append(wall)
        overhead.append((wall - sum(BODY_SECONDS)) / STEPS)
        BODY_SECONDS.clear()
        t = time.perf_counter()
        again = chain10(seed)
        cached_s.append(time.perf_counter() - t)
        assert not BODY_SECONDS, "the re-run must be fully cached"
        assert float(again[0]) == float(out[0]) == seed + STEPS - 1
    print(
        json.dumps(
            {
                "first_s": statistics.median(first_s),
                "cached_s": statistics.median(cached_s),
                "overhead_ms": statistics.median(overhead) * 1000,
                "version": prefect.__version__,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
