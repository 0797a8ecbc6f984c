"""The tracking benchmark's workloads through MLflow on SQLite (run by benchmarks/tracking.py).

python benchmarks/_mlflow_workload.py KEYS STEPS RUNS   -> prints one JSON line
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time

METRIC_KEYS = ("auc", "loss", "f1", "acc", "n")


def main() -> None:
    keys, steps, n_runs = (int(a) for a in sys.argv[1:4])
    t = time.perf_counter()
    import mlflow
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    out = {"import_s": time.perf_counter() - t}
    d = tempfile.mkdtemp()
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{d}/mlflow.db"
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    client = MlflowClient()
    exp = client.create_experiment("bench", artifact_location=f"{d}/artifacts")

    run = client.create_run(exp)
    rid = run.info.run_id
    t = time.perf_counter()
    ts = int(time.time() * 1000)
    per_call = 1000
    points = [Metric(f"k{k}", float(s), ts, s) for k in range(keys) for s in range(steps)]
    for i in range(0, len(points), per_call):
        client.log_batch(rid, metrics=points[i : i + per_call])
    out["batch_pts_s"] = len(points) / (time.perf_counter() - t)

    n = 100
    t = time.perf_counter()
    for i in range(n):
        client.log_metric(rid, "one", float(i), step=i)
    out["single_log_metric_ms"] = (time.perf_counter() - t) / n * 1000

    m = 100
    t = time.perf_counter()
    for _ in range(m):
        client.create_run(exp)
    out["run_create_ms"] = (time.perf_counter() - t) / m * 1000
    t = time.perf_counter()
    for _ in range(m):
        r = client.create_run(exp)
        client.log_batch(
            r.info.run_id,
            params=[Param(f"p{j}", str(j)) for j in range(5)],
            metrics=[Metric(f"m{j}", float(j), ts, 0) for j in range(5)],
        )
    out["run_5p5m_ms"] = (time.perf_counter() - t) / m * 1000

    exp2 = client.create_experiment("search", artifact_location=f"{d}/artifacts2")
    rnd = random.Random(0)
    for i in range(n_runs):
        r = client.create_run(exp2)
        client.log_batch(
            r.info.run_id,
            params=[
                Param("penalty", rnd.choice(["l1", "l2"])),
                Param("C", str(rnd.random())),
                Param("solver", rnd.choice(["lbfgs", "saga"])),
                Param("seed", str(i)),
                Param("fold", str(i % 5)),
            ],
            metrics=[
                Metric(k, rnd.random() if k != "n" else float(i), ts, 0) for k in ("auc", "loss", "f1", "acc", "n")
            ],
        )
    times = []
    for _ in range(5):
        t = time.perf_counter()
        client.search_runs(
            [exp2], "metrics.auc > 0.9 and params.penalty = 'l2'", order_by=["metrics.auc DESC"], max_results=1000
        )
        times.append(time.perf_counter() - t)
    out["search_median_ms"] = statistics.median(times) * 1000
    print(json.dumps(out))


if __name__ == "__main__":
    main()
