"""Tracking benchmark: metric ingestion, run creation and search, embedded and remote, with the floor and MLflow.

    python benchmarks/tracking.py [--points-keys 10] [--points-steps 10000] [--runs 10000] [--quick]

Prints one table. Ratios are against the physical floor (raw SQLite ``executemany`` of the same rows in one
transaction) and, where MLflow can be run (importable here, or installed in ``.venv-bench`` by
``make bench-mlflow``), against MLflow on SQLite with the same workload.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FILTER = "metrics.auc > 0.9 and params.penalty = 'l2'"
ORDER = ["metrics.auc desc"]


def floor_executemany(keys: int, steps: int) -> float:
    """Points/s of raw sqlite3 executemany into the same table shape, one transaction."""
    with tempfile.TemporaryDirectory() as d:
        con = sqlite3.connect(Path(d) / "floor.db", isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(
            "CREATE TABLE metric_points (id INTEGER PRIMARY KEY, run_id VARCHAR(32), key VARCHAR(250),"
            " value FLOAT, step BIGINT, timestamp BIGINT)"
        )
        con.execute("CREATE INDEX ix ON metric_points (run_id, key, step)")
        rows = [("r" * 32, f"k{k}", float(s), s, 1) for k in range(keys) for s in range(steps)]
        t = time.perf_counter()
        con.execute("BEGIN")
        con.executemany("INSERT INTO metric_points (run_id, key, value, step, timestamp) VALUES (?,?,?,?,?)", rows)
        con.execute("COMMIT")
        return len(rows) / (time.perf_counter() - t)


def ingest(client: Any, keys: int, steps: int) -> dict[str, float]:
    project = client.project("bench-ingest")
    out = {}
    run = project.start_run(name="series")
    t = time.perf_counter()
    for k in range(keys):
        run.log_metric_series(f"k{k}", values=[float(s) for s in range(steps)], steps=list(range(steps)))
    out["series_pts_s"] = keys * steps / (time.perf_counter() - t)
    run.end()
    run = project.start_run(name="batched")
    batch = 1000  # points per call
    t = time.perf_counter()
    for s0 in range(0, steps, batch // keys):
        points = [(f"k{k}", float(s), s, 0) for s in range(s0, min(steps, s0 + batch // keys)) for k in range(keys)]
        run.log_batch(points)
    out["batch_pts_s"] = keys * steps / (time.perf_counter() - t)
    run.end()
    run = project.start_run(name="single")
    t = time.perf_counter()
    n = 300
    for i in range(n):
        run.log_metric("one", float(i), step=i)
    out["single_log_metric_ms"] = (time.perf_counter() - t) / n * 1000
    t = time.perf_counter()
    m = 300
    for i in range(m):
        r = project.start_run(name=f"c{i}")
        r.log_params({f"p{j}": j for j in range(5)})
        r.log_metrics({f"m{j}": j for j in range(5)})
    out["run_5p5m_ms"] = (time.perf_counter() - t) / m * 1000
    t = time.perf_counter()
    for i in range(m):
        project.start_run(name=f"bare{i}")
    out["run_create_ms"] = (time.perf_counter() - t) / m * 1000
    return out


def seed_search(client: Any, n_runs: int) -> None:
    """n_runs runs x 5 params x 5 metrics, written through the service's batch path (embedded)."""
    rnd = random.Random(0)
    project = client.project("bench-search")
    for i in range(n_runs):
        run = project.start_run(
            name=f"r{i}",
            params={
                "penalty": rnd.choice(["l1", "l2"]),
                "C": rnd.random(),
                "solver": rnd.choice(["lbfgs", "saga"]),
                "seed": i,
                "fold": i % 5,
            },
        )
        run.log_metrics({"auc": rnd.random(), "loss": rnd.random(), "f1": rnd.random(), "acc": rnd.random(), "n": i})


def search_latency(client: Any, repeats: int = 15) -> dict[str, float]:
    project = client.project("bench-search")
    times = []
    hits = 0
    for _ in range(repeats):
        t = time.perf_counter()
        hits = len(project.search_runs(FILTER, order_by=ORDER, limit=1000))
        times.append(time.perf_counter() - t)
    return {"search_median_ms": statistics.median(times) * 1000, "search_hits": hits}


def import_time() -> float:
    code = "import time; t=time.perf_counter(); import mlcycle; print(time.perf_counter()-t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def help_time() -> float:
    exe = Path(sys.executable).with_name("mlcycle")
    t = time.perf_counter()
    subprocess.run([str(exe), "--help"], capture_output=True, check=True)
    return time.perf_counter() - t


def start_server(home: Path) -> tuple[str, Any]:
    import uvicorn

    from mlcycle.core.config import load_settings
    from mlcycle.server.app import create_app

    settings = load_settings(home=home)
    app = create_app(settings, auth=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def run_mlflow(keys: int, steps: int, n_runs: int) -> dict[str, float] | None:
    """The same workloads through MLflow, here or in .venv-bench; None when MLflow is not available."""
    script = ROOT / "benchmarks" / "_mlflow_workload.py"
    candidates = [sys.executable, str(ROOT / ".venv-bench" / "bin" / "python")]
    for py in candidates:
        if not Path(py).exists():
            continue
        probe = subprocess.run([py, "-c", "import mlflow"], capture_output=True)
        if probe.returncode != 0:
            continue
        out = subprocess.run(
            [py, str(script), str(keys), str(steps), str(n_runs)], capture_output=True, text=True, timeout=3600
        )
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            return None
        result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
        return result
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=10)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--no-mlflow", action="store_true")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    if args.quick:
        args.keys, args.steps, args.runs = 10, 1000, 500

    import mlcycle as mc

    results: dict[str, dict[str, float]] = {}
    floor = floor_executemany(args.keys, args.steps)
    with tempfile.TemporaryDirectory() as d:
        os.environ["MLCYCLE_HOME"] = str(Path(d) / "embedded")
        client = mc.connect(home=Path(d) / "embedded")
        results["embedded"] = ingest(client, args.keys, args.steps)
        seed_search(client, args.runs)
        results["embedded"].update(search_latency(client))

        url, server = start_server(Path(d) / "remote")
        remote = mc.connect(server_url=url, home=Path(d) / "remote")
        results["remote"] = ingest(remote, args.keys, args.steps)
        seed_search(mc.connect(home=Path(d) / "remote"), args.runs)
        results["remote"].update(search_latency(remote))
        server.should_exit = True

    mlflow = None if args.no_mlflow else run_mlflow(args.keys, args.steps, args.runs)
    report(args, floor, results, mlflow)


def report(args: Any, floor: float, res: dict[str, dict[str, float]], mlflow: dict[str, float] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    emb, rem = res["embedded"], res["remote"]
    table = Table(title=f"mlcycle tracking benchmark ({args.keys} keys x {args.steps} steps; {args.runs} runs)")
    for col in ("measure", "embedded", "remote", "MLflow (in-proc / HTTP)", "vs MLflow", "target"):
        table.add_column(col, justify="right" if col != "measure" else "left")

    def ratio(ours: float, theirs: float | None, higher_is_better: bool = True) -> str:
        if not theirs:
            return "n/a"
        return f"{(ours / theirs if higher_is_better else theirs / ours):,.0f}x"

    mf = mlflow or {}
    table.add_row("floor: raw sqlite executemany", f"{floor:,.0f} pts/s", "", "", "", "")
    table.add_row(
        "log_metric_series",
        f"{emb['series_pts_s']:,.0f} pts/s ({floor / emb['series_pts_s']:.1f}x floor)",
        f"{rem['series_pts_s']:,.0f} pts/s",
        f"{mf.get('batch_pts_s', 0):,.0f} pts/s" if mf else "n/a",
        f"{ratio(emb['series_pts_s'], mf.get('batch_pts_s'))} / {ratio(rem['series_pts_s'], mf.get('batch_pts_s'))}",
        ">=100x emb, <=3x floor; >=30x remote",
    )
    table.add_row(
        "batched log_metrics (1000 pts/call)",
        f"{emb['batch_pts_s']:,.0f} pts/s ({floor / emb['batch_pts_s']:.1f}x floor)",
        f"{rem['batch_pts_s']:,.0f} pts/s",
        f"{mf.get('batch_pts_s', 0):,.0f} pts/s" if mf else "n/a",
        f"{ratio(emb['batch_pts_s'], mf.get('batch_pts_s'))} / {ratio(rem['batch_pts_s'], mf.get('batch_pts_s'))}",
        "",
    )
    table.add_row(
        "single log_metric",
        f"{emb['single_log_metric_ms']:.3f} ms",
        f"{rem['single_log_metric_ms']:.3f} ms",
        f"{mf.get('single_log_metric_ms', 0):.1f} ms" if mf else "n/a",
        ratio(emb["single_log_metric_ms"], mf.get("single_log_metric_ms"), higher_is_better=False),
        "",
    )
    table.add_row(
        "create run",
        f"{emb['run_create_ms']:.3f} ms",
        f"{rem['run_create_ms']:.3f} ms",
        f"{mf.get('run_create_ms', 0):.1f} ms" if mf else "n/a",
        ratio(emb["run_create_ms"], mf.get("run_create_ms"), higher_is_better=False),
        "< 1 ms",
    )
    table.add_row(
        "create run + 5 params + 5 metrics",
        f"{emb['run_5p5m_ms']:.3f} ms",
        f"{rem['run_5p5m_ms']:.3f} ms",
        f"{mf.get('run_5p5m_ms', 0):.1f} ms" if mf else "n/a",
        ratio(emb["run_5p5m_ms"], mf.get("run_5p5m_ms"), higher_is_better=False),
        "",
    )
    table.add_row(
        f"search, limit 1000 ({int(emb['search_hits'])} hits)",
        f"{emb['search_median_ms']:.1f} ms",
        f"{rem['search_median_ms']:.1f} ms",
        f"{mf.get('search_median_ms', 0):.0f} ms" if mf else "n/a",
        ratio(emb["search_median_ms"], mf.get("search_median_ms"), higher_is_better=False),
        "< 50 ms median",
    )
    table.add_row(
        "import mlcycle",
        f"{import_time() * 1000:.0f} ms",
        "",
        f"{mf.get('import_s', 0):.2f} s" if mf else "",
        "",
        "< 300 ms",
    )
    table.add_row("mlcycle --help", f"{help_time() * 1000:.0f} ms", "", "", "", "< 500 ms")
    Console(width=200).print(table)
    if not mlflow:
        print("MLflow not available: run `make bench-mlflow` to install it in .venv-bench for the side-by-side.")


if __name__ == "__main__":
    main()
