"""Schedules and triggers: cron schedules on an injected clock, dataset triggers, atomic claims between
schedulers, failures that do not stop the scheduler, and the background loop."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

import mlcycle as mc
from mlcycle.artifacts import BlobStore
from mlcycle.cli.main import app
from mlcycle.core.config import load_settings
from mlcycle.core.errors import InvalidInput, NotFound
from mlcycle.data.service import DatasetService
from mlcycle.pipelines import PipelineService, SchedulerLoop, ScheduleService, start_background_scheduler
from mlcycle.pipelines.cron import check_cron, next_cron_time
from mlcycle.store import Store
from mlcycle.store.events import list_events
from mlcycle.store.schema import pipeline_runs, pipelines, schedules

from . import schedules_fixture as fx


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() * 1000)


T0 = ms(2024, 1, 1, 0, 2)


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def svc(clock: Clock) -> ScheduleService:
    return ScheduleService.from_settings(load_settings(), clock=clock)


def runs_with_trigger(service: ScheduleService, trigger: str) -> list[str]:
    with service.store.read() as conn:
        q = sa.select(pipeline_runs.c.id).where(pipeline_runs.c.trigger == trigger)
        return [r for (r,) in conn.execute(q)]


def schedule_events(service: ScheduleService, schedule_id: str) -> list[str]:
    with service.store.read() as conn:
        found = list_events(conn, entity_type="schedule", entity_id=schedule_id, newest_first=False)
    assert all(e.stage == "continuous_improvement" for e in found)
    return [e.action for e in found]


def log_rows(project: str, name: str, n: int) -> int:
    with mc.connect() as client:
        return client.project(project).log_dataset(name, pd.DataFrame({"x": range(n)})).info.version


# ---- cron ------------------------------------------------------------------------------------------------
def test_a_cron_schedule_fires_when_due_and_advances(svc: ScheduleService, clock: Clock) -> None:
    fx.nightly.run(project="p", progress=False)
    s = svc.create_schedule("p", "nightly", cron="*/5 * * * *", params={"n": 4})
    assert (s.kind, s.cron, s.params, s.enabled) == ("cron", "*/5 * * * *", {"n": 4}, True)
    assert s.target == "tests.pipelines.schedules_fixture:nightly" and s.project == "p"
    assert s.next_run_at == ms(2024, 1, 1, 0, 5) and s.last_run_at is None

    assert svc.due(ms(2024, 1, 1, 0, 4, 59)) == [] and svc.tick(ms(2024, 1, 1, 0, 4)) == []

    clock.now = ms(2024, 1, 1, 0, 5)
    [(due_schedule, due)] = svc.due()
    assert due_schedule.id == s.id and due.trigger == f"schedule:{s.id}" and due.next_run_at == ms(2024, 1, 1, 0, 10)
    [fired] = svc.tick()
    assert (fired.status, fired.trigger, fired.schedule_id, fired.error) == ("FINISHED", f"schedule:{s.id}", s.id, None)
    run = svc.pipelines.get_run(fired.pipeline_run_id or "")
    assert run.info.trigger == f"schedule:{s.id}" and run.params == {"n": 4} and run.output() == 8

    after = svc.get_schedule(s.id)
    assert after.next_run_at == ms(2024, 1, 1, 0, 10) and after.last_run_at == clock.now
    assert svc.tick() == []  # the same tick never fires twice
    assert schedule_events(svc, s.id) == ["created", "triggered"]


@given(st.integers(min_value=0, max_value=ms(2100, 1, 1)))
def test_the_next_cron_time_is_the_first_match_after(after: int) -> None:
    nxt = next_cron_time("*/5 * * * *", after)
    assert after < nxt <= after + 300_000 and nxt % 300_000 == 0
    assert check_cron("  0   3 * * * ") == "0 3 * * *"


def test_missed_ticks_collapse_into_one_run(svc: ScheduleService) -> None:
    fx.nightly.run(project="p", progress=False)
    s = svc.create_schedule("p", "nightly", cron="*/5 * * * *")
    fired = svc.tick(ms(2024, 1, 1, 1, 2))  # twelve ticks were missed while no scheduler ran
    assert [f.status for f in fired] == ["FINISHED"]
    assert svc.get_schedule(s.id).next_run_at == ms(2024, 1, 1, 1, 5)
    assert len(runs_with_trigger(svc, f"schedule:{s.id}")) == 1


def test_pause_resume_and_delete(svc: ScheduleService, clock: Clock) -> None:
    fx.nightly.run(project="p", progress=False)
    s = svc.create_schedule("p", "nightly", cron="0 * * * *")
    assert svc.pause_schedule(s.id).enabled is False
    assert svc.tick(ms(2024, 1, 1, 3, 0)) == []  # paused: nothing fires
    clock.now = ms(2024, 1, 1, 3, 30)
    resumed = svc.resume_schedule(s.id)
    assert resumed.enabled and resumed.next_run_at == ms(2024, 1, 1, 4, 0)  # re-armed from now, not from 01:00
    assert svc.tick() == []
    assert [x.id for x in svc.list_schedules("p")] == [s.id] and svc.list_schedules() == [resumed]
    assert svc.delete_schedule(s.id).id == s.id
    assert svc.list_schedules() == []
    with pytest.raises(NotFound, match="no schedule"):
        svc.get_schedule(s.id)
    assert schedule_events(svc, s.id) == ["created", "paused", "resumed", "deleted"]


def test_invalid_schedules_are_refused(svc: ScheduleService) -> None:
    fx.nightly.run(project="p", progress=False)
    log_rows("p", "raw", 3)
    for bad in ("61 * * * *", "every day", "* * *", ""):
        with pytest.raises(InvalidInput, match="invalid cron expression") as info:
            svc.create_schedule("p", "nightly", cron=bad)
        assert info.value.hint and "0 3 * * *" in info.value.hint
    with pytest.raises(InvalidInput, match="exactly one trigger"):
        svc.create_schedule("p", "nightly")
    with pytest.raises(InvalidInput, match="exactly one trigger"):
        svc.create_schedule("p", "nightly", cron="@daily", on_dataset="raw")
    with pytest.raises(InvalidInput, match="no parameter 'm'"):
        svc.create_schedule("p", "nightly", cron="@daily", params={"m": 1})
    with pytest.raises(NotFound, match="has no pipeline 'retrain'") as missing:
        svc.create_schedule("p", "retrain", cron="@daily")
    assert missing.value.hint == "run it once so mlcycle knows where its code lives"
    with pytest.raises(NotFound, match="has no pipeline 'nightlyy'") as typo:
        svc.create_schedule("p", "nightlyy", cron="@daily")
    assert typo.value.hint and "nightly" in typo.value.hint
    with pytest.raises(NotFound, match="has no dataset 'rwa'") as no_data:
        svc.create_schedule("p", "nightly", on_dataset="rwa")
    assert no_data.value.hint and "raw" in no_data.value.hint
    with pytest.raises(NotFound, match="no project"):
        svc.create_schedule("nope", "nightly", cron="@daily")
    assert svc.list_schedules() == []


# ---- dataset triggers ------------------------------------------------------------------------------------
def test_a_dataset_trigger_fires_once_per_new_version(svc: ScheduleService) -> None:
    fx.retrain.run(project="p", progress=False)
    fx.nightly.run(project="p", progress=False)
    log_rows("p", "raw", 3)
    s = svc.create_schedule("p", "retrain", on_dataset="raw")
    plain = svc.create_schedule("p", "nightly", on_dataset="raw")  # no dataset_version parameter: just runs
    assert s.last_seen_version == 1 and s.next_run_at is None
    assert svc.tick() == []  # only versions logged after the schedule was made count

    assert log_rows("p", "raw", 4) == 2
    fired = {f.schedule_id: f for f in svc.tick()}
    assert {k: (f.trigger, f.status) for k, f in fired.items()} == {
        s.id: ("dataset:raw@v2", "FINISHED"),
        plain.id: ("dataset:raw@v2", "FINISHED"),
    }
    run = svc.pipelines.get_run(fired[s.id].pipeline_run_id or "")
    assert run.params == {"dataset_version": 2} and run.output() == 2
    assert svc.pipelines.get_run(fired[plain.id].pipeline_run_id or "").params == {"n": 3}
    assert svc.get_schedule(s.id).last_seen_version == 2
    assert svc.tick() == []

    log_rows("p", "raw", 5)
    log_rows("p", "raw", 6)
    again = {f.schedule_id: f for f in svc.tick()}  # two new versions since the last tick: one run, the newest
    assert [f.trigger for f in again.values()] == ["dataset:raw@v4", "dataset:raw@v4"]
    assert svc.pipelines.get_run(again[s.id].pipeline_run_id or "").params == {"dataset_version": 4}
    with svc.store.read() as conn:
        [event] = list_events(conn, entity_type="schedule", entity_id=s.id, action="triggered", limit=1)
    assert event.payload["dataset_version_id"] and event.payload["trigger"] == "dataset:raw@v4"


def test_a_dataset_trigger_refuses_its_parameter(svc: ScheduleService) -> None:
    fx.retrain.run(project="p", progress=False)
    log_rows("p", "raw", 3)
    with pytest.raises(InvalidInput, match="set by the dataset trigger"):
        svc.create_schedule("p", "retrain", on_dataset="raw", params={"dataset_version": 1})


# ---- claims, failures, loops -----------------------------------------------------------------------------
def test_two_schedulers_run_a_due_tick_once(svc: ScheduleService) -> None:
    fx.nightly.run(project="p", progress=False)
    s = svc.create_schedule("p", "nightly", cron="*/5 * * * *")
    settings = load_settings()
    now = ms(2024, 1, 1, 0, 5)

    opened: list[Store] = []

    def other() -> ScheduleService:  # its own engine and pool, like a second process
        opened.append(Store(settings.resolved_store_url))
        return ScheduleService(opened[-1], BlobStore(settings.resolved_artifacts_url), "b")

    a, b = other(), other()
    [(sa_, due_a)], [(sb_, due_b)] = a.due(now), b.due(now)  # both saw the same due tick
    assert a.claim(sa_, due_a, now) is True and b.claim(sb_, due_b, now) is False

    later = ms(2024, 1, 1, 0, 10)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def tick(service: ScheduleService) -> None:
        barrier.wait()
        results.append(len(service.tick(later)))

    threads = [threading.Thread(target=tick, args=(x,)) for x in (other(), other())]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in opened:
        store.close()
    assert sorted(results) == [0, 1]
    assert len(runs_with_trigger(svc, f"schedule:{s.id}")) == 1  # the first claim ran nothing (no tick())


def test_failures_are_recorded_and_the_scheduler_goes_on(svc: ScheduleService, clock: Clock) -> None:
    with pytest.raises(mc.MlcycleError):
        fx.broken.run(project="p", progress=False)
    fx.nightly.run(project="p", progress=False)
    bad = svc.create_schedule("p", "broken", cron="*/5 * * * *")
    clock.now += 1  # schedules fire in the order they were made
    good = svc.create_schedule("p", "nightly", cron="*/5 * * * *")

    seen: list[str] = []
    loop = SchedulerLoop(svc, 0.01, on_run=lambda r: seen.append(r.status))
    svc.clock = Clock(ms(2024, 1, 1, 0, 5))
    fired = loop.run_once()
    assert [(f.schedule_id, f.status) for f in fired] == [(bad.id, "FAILED"), (good.id, "FINISHED")]
    assert seen == ["FAILED", "FINISHED"]
    failed = svc.pipelines.get_run(fired[0].pipeline_run_id or "")
    assert failed.status == "FAILED" and failed.info.trigger == f"schedule:{bad.id}"
    assert "boom" in (fired[0].error or "")

    with svc.store.write() as conn:  # the pipeline's module is gone: the firing fails, the next one still runs
        conn.execute(pipelines.update().where(pipelines.c.name == "broken").values(module="no_such_mod_x:broken"))
    svc.clock = Clock(ms(2024, 1, 1, 0, 10))
    fired = loop.run_once()
    assert [(f.schedule_id, f.status, f.pipeline_run_id) for f in fired[:1]] == [(bad.id, "ERROR", None)]
    assert "cannot import module 'no_such_mod_x'" in (fired[0].error or "") and fired[1].status == "FINISHED"
    assert schedule_events(svc, bad.id) == ["created", "triggered", "failed"]
    assert svc.get_schedule(bad.id).next_run_at == ms(2024, 1, 1, 0, 15)  # a failed tick is not retried


def test_loop_interval_must_be_positive(svc: ScheduleService) -> None:
    with pytest.raises(InvalidInput, match="positive"):
        SchedulerLoop(svc, 0)


def test_the_background_scheduler_runs_due_schedules(service: PipelineService) -> None:
    fx.nightly.run(project="p", progress=False)
    past = ScheduleService.from_settings(load_settings(), clock=lambda: int(time.time() * 1000) - 3_600_000)
    s = past.create_schedule("p", "nightly", cron="* * * * *")  # due since an hour ago
    thread, stop = start_background_scheduler(load_settings(), interval_s=0.05)
    try:
        deadline = time.monotonic() + 60
        while not runs_with_trigger(past, f"schedule:{s.id}") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive() and thread.name == "mlcycle-scheduler"
    [run_id] = runs_with_trigger(past, f"schedule:{s.id}")
    assert service.get_run(run_id).status == "FINISHED"  # the loop stops between ticks
    with past.store.read() as conn:
        next_run = conn.execute(sa.select(schedules.c.next_run_at).where(schedules.c.id == s.id)).scalar()
    assert next_run is not None and next_run > time.time() * 1000


# ---- CLI -------------------------------------------------------------------------------------------------
def mlcycle(*args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_cli_schedule_list_and_unschedule() -> None:
    fx.nightly.run(project="p", progress=False)
    log_rows("p", "raw", 3)
    made = mlcycle("pipelines", "schedule", "nightly", "--project", "p", "--cron", "0 3 * * *", "--param", "n=5")
    assert made.exit_code == 0 and "Scheduled pipeline nightly in project p: cron '0 3 * * *' in UTC" in made.stdout
    data = json.loads(
        mlcycle("pipelines", "schedule", "nightly", "--project", "p", "--on-dataset", "raw", "--json").stdout
    )
    assert (data["kind"], data["dataset"], data["last_seen_version"], data["params"]) == ("dataset", "raw", 1, {})

    listed = json.loads(mlcycle("pipelines", "schedules", "--json").stdout)
    assert [(s["kind"], s["params"]) for s in listed] == [("cron", {"n": 5}), ("dataset", {})]
    table = mlcycle("pipelines", "schedules", "--project", "p").stdout
    assert "cron 0 3 * * *" in table and "new version of raw" in table and "after v1" in table and "n=5" in table

    gone = json.loads(mlcycle("pipelines", "unschedule", data["id"], "--json").stdout)
    assert gone["id"] == data["id"]
    assert f"Deleted schedule {listed[0]['id']}" in mlcycle("pipelines", "unschedule", listed[0]["id"]).stdout
    assert json.loads(mlcycle("pipelines", "schedules", "--json").stdout) == []
    assert "No schedules." in mlcycle("pipelines", "schedules").stdout


def test_cli_pause_and_resume_a_schedule() -> None:
    fx.nightly.run(project="p", progress=False)
    made = json.loads(
        mlcycle("pipelines", "schedule", "nightly", "--project", "p", "--cron", "@hourly", "--json").stdout
    )
    paused = json.loads(mlcycle("pipelines", "pause-schedule", made["id"], "--json").stdout)
    assert (made["enabled"], paused["enabled"]) == (True, False)
    assert "Resumed schedule" in mlcycle("pipelines", "resume-schedule", made["id"]).stdout
    assert json.loads(mlcycle("pipelines", "schedules", "--json").stdout)[0]["enabled"] is True
    assert mlcycle("pipelines", "pause-schedule", "0" * 32).exit_code == 4


def test_cli_errors_become_exit_codes() -> None:
    fx.nightly.run(project="p", progress=False)
    bad = mlcycle("pipelines", "schedule", "nightly", "--project", "p", "--cron", "61 * * * *")
    assert bad.exit_code == 2 and "invalid cron expression" in bad.stderr
    unknown = mlcycle("pipelines", "schedule", "retrain", "--project", "p", "--cron", "@daily")
    assert unknown.exit_code == 4 and "run it once so mlcycle knows where its code lives" in unknown.stderr
    assert mlcycle("pipelines", "schedule", "nightly", "--project", "p", "--on-dataset", "raw").exit_code == 4
    assert mlcycle("pipelines", "schedule", "nightly", "--project", "p", "--param", "n").exit_code == 2
    assert mlcycle("pipelines", "unschedule", "0" * 32).exit_code == 4


def test_cli_scheduler_run_once() -> None:
    assert "Nothing is due." in mlcycle("scheduler", "run", "--once").stdout
    fx.nightly.run(project="p", progress=False)
    past = ScheduleService.from_settings(load_settings(), clock=lambda: int(time.time() * 1000) - 3_600_000)
    s = past.create_schedule("p", "nightly", cron="* * * * *")
    result = mlcycle("scheduler", "run", "--once")
    assert result.exit_code == 0
    assert "FINISHED" in result.stdout and f"schedule:{s.id}" in result.stdout and "pipeline run" in result.stdout
    assert mlcycle("scheduler", "run", "--once", "--json").stdout == ""  # nothing due any more

    past.create_schedule("p", "nightly", cron="* * * * *")
    [line] = mlcycle("scheduler", "run", "--once", "--json").stdout.splitlines()
    assert json.loads(line)["status"] == "FINISHED"


@pytest.mark.postgres
def test_claims_and_dataset_triggers_on_postgres(pg_url: str, tmp_path: Path) -> None:
    blobs = BlobStore(str(tmp_path / "artifacts"))
    first = ScheduleService(Store(pg_url), blobs, "a", clock=Clock(T0))
    second = ScheduleService(Store(pg_url), blobs, "b")
    try:
        fx.nightly.run(project="p", progress=False, service=first.pipelines)
        fx.retrain.run(project="p", progress=False, service=first.pipelines)
        s = first.create_schedule("p", "nightly", cron="*/5 * * * *")
        now = ms(2024, 1, 1, 0, 5)
        [(sa_, due_a)], [(sb_, due_b)] = first.due(now), second.due(now)
        assert first.claim(sa_, due_a, now) is True and second.claim(sb_, due_b, now) is False

        data = DatasetService(first.store, blobs, "a")
        long_name = "d" * 128
        data.log_dataset("p", long_name, pd.DataFrame({"x": [1]}))
        d = first.create_schedule("p", "retrain", on_dataset=long_name)
        data.log_dataset("p", long_name, pd.DataFrame({"x": [1, 2]}))
        [fired] = [f for f in second.tick(now) if f.schedule_id == d.id]
        assert fired.status == "FINISHED" and fired.trigger == f"dataset:{long_name}@v2"  # fits the trigger column
        assert second.pipelines.get_run(fired.pipeline_run_id or "").params == {"dataset_version": 2}
        assert runs_with_trigger(first, f"schedule:{s.id}") == []
    finally:
        first.store.close()
        second.store.close()
