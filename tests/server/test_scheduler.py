"""`mlcycle server` runs due schedules: a dataset trigger fires while a real server is up."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import uvicorn

import mlcycle as mc
from mlcycle.core.config import load_settings
from mlcycle.pipelines import ScheduleService
from mlcycle.server.app import create_app
from mlcycle.store.schema import pipeline_runs
from tests.pipelines import schedules_fixture as fx


def _serve_with_lifespan(home: Path, **settings: object) -> tuple[uvicorn.Server, threading.Thread]:
    app = create_app(load_settings(home=home, **settings), auth=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started
    return server, thread


def _triggered(service: ScheduleService, trigger: str) -> list[str]:
    with service.store.read() as conn:
        q = sa.select(pipeline_runs.c.status).where(pipeline_runs.c.trigger == trigger)
        return [s for (s,) in conn.execute(q)]


def test_server_runs_a_dataset_trigger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("MLCYCLE_HOME", str(home))
    fx.retrain.run(project="p", progress=False)  # registers the pipeline and where its code lives
    with mc.connect() as client:
        client.project("p").log_dataset("raw", pd.DataFrame({"x": [1, 2]}))
    service = ScheduleService.from_settings(load_settings())
    service.create_schedule("p", "retrain", on_dataset="raw")

    server, thread = _serve_with_lifespan(home, scheduler_interval=0.1)
    try:
        with mc.connect() as client:
            client.project("p").log_dataset("raw", pd.DataFrame({"x": [1, 2, 3]}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _triggered(service, "dataset:raw@v2") in ([], ["RUNNING"]):
            time.sleep(0.1)  # the run appears RUNNING first, then ends
        assert _triggered(service, "dataset:raw@v2") == ["FINISHED"]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert _scheduler_threads() == []


def _scheduler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mlcycle-scheduler" and t.is_alive()]


def test_scheduler_runs_only_when_switched_on(tmp_path: Path) -> None:
    for enabled in (False, True):
        server, thread = _serve_with_lifespan(tmp_path / str(enabled), scheduler=enabled)
        try:
            assert len(_scheduler_threads()) == int(enabled)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
        assert _scheduler_threads() == []
