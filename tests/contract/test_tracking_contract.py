"""The tracking API behaves the same embedded (SQLite, PostgreSQL) and remote (HTTP to `mlcycle server`).

Every test runs once per backend of ``client`` (see conftest.py) and works in a project of its own.
"""

from __future__ import annotations

import math
import socket
import uuid
from pathlib import Path

import numpy as np
import pytest

from mlcycle.client.api import Client, Project
from mlcycle.client.remote import RemoteBackend
from mlcycle.core.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable

from .conftest import EMBEDDED_USER, REMOTE_USER

NAN, INF = math.nan, math.inf


@pytest.fixture
def project(client: Client) -> Project:
    return client.project(f"contract-{uuid.uuid4().hex[:10]}")


def _same_floats(actual: list[float], expected: list[float]) -> bool:
    """Equal element by element, where NaN equals NaN."""
    return len(actual) == len(expected) and all(
        (math.isnan(a) and math.isnan(e)) or a == e for a, e in zip(actual, expected, strict=True)
    )


# ---- projects ---------------------------------------------------------------------------------------------
def test_project_is_got_or_created(client: Client) -> None:
    name = f"contract-{uuid.uuid4().hex[:10]}"
    created = client.project(name, kind="llm", description="chat bot")
    again = client.project(name)
    assert again.id == created.id
    assert (again.kind, again.info.description) == ("llm", "chat bot")
    assert client.get_project(name).id == created.id
    assert client.get_project(created.id).name == name
    assert name in [p.name for p in client.projects()]
    assert client.backend.project(f"{name}-ml").kind == "ml"  # the default kind


def test_project_kind_conflict(client: Client) -> None:
    name = f"contract-{uuid.uuid4().hex[:10]}"
    client.project(name, kind="ml")
    with pytest.raises(Conflict, match="kind 'ml'"):
        client.project(name, kind="llm")


def test_project_bad_name_and_kind_are_invalid_input(client: Client) -> None:
    with pytest.raises(InvalidInput, match="invalid project name"):
        client.project("no spaces allowed")
    with pytest.raises(InvalidInput, match="kind"):
        client.project(f"contract-{uuid.uuid4().hex[:10]}", kind="deep")


def test_unknown_project_is_not_found(client: Client) -> None:
    with pytest.raises(NotFound) as err:
        client.get_project(f"missing-{uuid.uuid4().hex[:10]}")
    assert err.value.hint and "mlcycle projects list" in err.value.hint


# ---- runs -------------------------------------------------------------------------------------------------
def test_run_context_manager_ends_finished(project: Project) -> None:
    with project.start_run("baseline", params={"C": 1.0}, tags={"team": "risk"}) as run:
        assert run.status == "RUNNING"
        assert (run.name, run.params, run.tags) == ("baseline", {"C": "1.0"}, {"team": "risk"})
    assert run.status == "FINISHED"
    stored = run.refresh().info
    assert stored.status == "FINISHED" and stored.end_time is not None
    assert stored.stage == "model_training"


def test_run_context_manager_fails_and_reraises(project: Project) -> None:
    with pytest.raises(RuntimeError, match="boom"), project.start_run() as run:
        raise RuntimeError("boom")
    assert run.refresh().status == "FAILED"


def test_nested_run_is_a_child(project: Project) -> None:
    with project.start_run("parent") as parent, project.start_run("child") as child:
        pass
    assert child.info.parent_run_id == parent.id
    assert parent.info.parent_run_id is None


def test_ended_run_takes_no_more_data(project: Project) -> None:
    with project.start_run() as run:
        pass
    with pytest.raises(Conflict, match="FINISHED"):
        run.log_metric("auc", 0.5)


def test_unknown_run_is_not_found_with_a_hint(client: Client) -> None:
    with pytest.raises(NotFound) as err:
        client.get_run("0" * 32)
    assert err.value.hint and "mlcycle runs list" in err.value.hint
    with pytest.raises(NotFound):
        client.backend.log_metrics("0" * 32, {"auc": 0.5})


def test_unknown_stage_is_invalid_input_with_did_you_mean(project: Project) -> None:
    with pytest.raises(InvalidInput, match="model_trainig") as err:
        project.start_run(stage="model_trainig")
    assert err.value.hint == "did you mean 'model_training'?"


# ---- params, metrics, tags --------------------------------------------------------------------------------
def test_params_are_immutable(project: Project) -> None:
    with project.start_run() as run:
        run.log_params({"C": 1.0, "penalty": "l2"})
        run.log_param("C", 1.0)  # the same value again is fine
        with pytest.raises(Conflict, match=r"already '1\.0'") as err:
            run.log_param("C", 2.0)
        assert err.value.details == {"changed": ["C"]}
    assert run.refresh().params == {"C": "1.0", "penalty": "l2"}


def test_metrics_and_history(project: Project) -> None:
    with project.start_run() as run:
        run.log_metrics({"loss": 0.9, "acc": 0.5}, step=0, timestamp=1_000)
        run.log_metrics({"loss": 0.4, "acc": 0.8}, step=1, timestamp=2_000)
        run.log_metric("loss", 0.2, step=2)
    assert run.refresh().metrics == {"loss": 0.2, "acc": 0.8}
    history = run.metrics_history("loss")
    assert (history.key, history.steps, history.values) == ("loss", [0, 1, 2], [0.9, 0.4, 0.2])
    assert history.timestamps[:2] == [1_000, 2_000]
    assert [p.value for p in history] == [0.9, 0.4, 0.2]
    with pytest.raises(NotFound):
        run.metrics_history("missing")


def test_metric_series(project: Project) -> None:
    values = [1.0 / (i + 1) for i in range(2_000)]
    with project.start_run() as run:
        run.log_metric_series("loss", values)
        run.log_metric_series("lr", np.array([0.1, 0.01]), steps=np.array([10, 20]), timestamps=[5, 6])
    loss = run.metrics_history("loss")
    assert loss.steps == list(range(2_000)) and loss.values == values
    lr = run.metrics_history("lr")
    assert (lr.steps, lr.values, lr.timestamps) == ([10, 20], [0.1, 0.01], [5, 6])
    assert run.refresh().metrics["lr"] == 0.01
    with pytest.raises(InvalidInput, match="steps"):
        run.log_metric_series("x", [1.0, 2.0], steps=[0])


def test_nan_and_infinities_are_stored_faithfully(project: Project) -> None:
    with project.start_run("special") as run:
        run.log_metrics({"nan": NAN, "inf": INF, "neg_inf": -INF, "numpy": np.float32(0.5)})
        run.log_metric_series("curve", [1.0, NAN, INF, -INF, 0.0])
    with project.start_run("plain") as other:
        other.log_metrics({"nan": 1.0, "inf": 1.0, "neg_inf": 1.0})
    metrics = run.refresh().metrics
    assert math.isnan(metrics["nan"]) and metrics["inf"] == INF and metrics["neg_inf"] == -INF
    assert metrics["numpy"] == 0.5 and metrics["curve"] == 0.0
    assert _same_floats(run.metrics_history("curve").values, [1.0, NAN, INF, -INF, 0.0])
    assert math.isnan(run.metrics_history("nan").values[0])
    for query in ("metrics.nan = nan", "metrics.inf = inf", "metrics.neg_inf = -inf"):
        assert [r.id for r in project.search_runs(query)] == [run.id], query
    assert [r.id for r in project.search_runs("metrics.nan != nan")] == [other.id]


@pytest.mark.parametrize("key", ["", "/abs", "a..b", "bad\nkey", "x" * 251])
def test_invalid_keys_are_invalid_input(project: Project, key: str) -> None:
    with project.start_run() as run:
        with pytest.raises(InvalidInput, match="invalid metric key"):
            run.log_metrics({key: 1.0})
        with pytest.raises(InvalidInput, match="invalid metric key"):
            run.log_metric_series(key, [1.0])
        with pytest.raises(InvalidInput, match="invalid param key"):
            run.log_params({key: 1})
        with pytest.raises(InvalidInput, match="invalid tag key"):
            run.set_tags({key: "v"})
    assert run.refresh().metrics == {} and run.params == {} and run.tags == {}


def test_non_string_keys_and_non_numbers_are_invalid_input(project: Project) -> None:
    with project.start_run() as run:
        with pytest.raises(InvalidInput):
            run.log_metrics({1: 1.0})  # type: ignore[dict-item]
        with pytest.raises(InvalidInput, match="must be a number"):
            run.log_metrics({"auc": "high"})
        with pytest.raises(InvalidInput, match="must be a number"):
            run.log_metrics({"auc": True})


def test_log_batch(project: Project) -> None:
    with project.start_run() as run:
        run.log_batch(
            metrics=[("auc", 0.7, 0, 100), ("auc", 0.8, 1, 200), ("loss", NAN, 1, 200)],
            params={"depth": 3},
            tags={"kind": "tree"},
        )
    info = run.refresh().info
    assert info.params == {"depth": "3"} and info.tags == {"kind": "tree"}
    assert info.metrics["auc"] == 0.8 and math.isnan(info.metrics["loss"])
    assert run.metrics_history("auc").steps == [0, 1]


def test_tags_can_change(project: Project) -> None:
    with project.start_run() as run:
        run.set_tag("owner", "alice")
        run.set_tags({"owner": "bob", "team": "risk", "n": 3})
    assert run.refresh().tags == {"owner": "bob", "team": "risk", "n": "3"}


# ---- artifacts --------------------------------------------------------------------------------------------
def test_artifact_round_trip(project: Project, tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(bytes(range(256)) * 1000)
    (tmp_path / "model" / "conf").mkdir()
    (tmp_path / "model" / "conf" / "a.yaml").write_text("a: 1\n")
    (tmp_path / "notes.md").write_text("# notes\n")
    with project.start_run() as run:
        text = run.log_text("report/summary.txt", "all good")
        run.log_artifact(tmp_path / "notes.md")
        logged = run.log_artifact(tmp_path / "model")
    assert text.size == 8 and len(text.digest) == 64
    assert sorted(a.path for a in logged) == ["model/conf/a.yaml", "model/weights.bin"]
    assert [a.path for a in run.artifacts()] == [
        "model/conf/a.yaml",
        "model/weights.bin",
        "notes.md",
        "report/summary.txt",
    ]
    assert [a.path for a in run.artifacts("model")] == ["model/conf/a.yaml", "model/weights.bin"]
    assert run.read_artifact("report/summary.txt") == b"all good"
    assert b"".join(run.stream_artifact("model/weights.bin")) == bytes(range(256)) * 1000
    dest = run.download_artifact("model/conf/a.yaml", tmp_path / "out" / "a.yaml")
    assert dest.read_text() == "a: 1\n"
    assert [p.name for p in dest.parent.iterdir()] == ["a.yaml"]  # no temp file left behind


def test_artifacts_are_deduplicated(project: Project) -> None:
    with project.start_run() as run:
        first = run.log_bytes("a.txt", b"same bytes")
        again = run.log_bytes("a.txt", b"same bytes")
        other = run.log_bytes("b.txt", b"same bytes")
    assert again == first
    assert other.digest == first.digest
    logged = [e for e in project.client.events(project.name) if e.action == "artifact_logged"]
    assert sorted(e.payload["path"] for e in logged) == ["a.txt", "b.txt"]


def test_artifact_with_other_content_under_the_same_name_is_a_conflict(project: Project) -> None:
    with project.start_run() as run:
        run.log_bytes("model.bin", b"v1")
        with pytest.raises(Conflict, match=r"model\.bin"):
            run.log_bytes("model.bin", b"v2")
    assert run.read_artifact("model.bin") == b"v1"


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/passwd", "a\\b.txt", "", "..", "x\x00y"])
def test_unsafe_artifact_names_are_invalid_input(project: Project, name: str) -> None:
    with project.start_run() as run, pytest.raises(InvalidInput, match="invalid artifact name"):
        run.log_bytes(name, b"payload")
    assert run.artifacts() == []


def test_unknown_artifact_is_not_found(project: Project, tmp_path: Path) -> None:
    with project.start_run() as run:
        pass
    with pytest.raises(NotFound):
        run.read_artifact("missing.txt")
    with pytest.raises(NotFound):
        run.download_artifact("missing.txt", tmp_path / "missing.txt")
    assert not (tmp_path / "missing.txt").exists()


# ---- search -----------------------------------------------------------------------------------------------
def test_search_with_filter_order_and_limit(project: Project) -> None:
    ids = {}
    for name, auc, penalty in [("a", 0.95, "l2"), ("b", 0.92, "l2"), ("c", 0.97, "l1"), ("d", 0.85, "l2")]:
        with project.start_run(name, params={"penalty": penalty}) as run:
            run.log_metric("auc", auc)
        ids[name] = run.id
    found = project.search_runs("metrics.auc > 0.9 and params.penalty = 'l2'", order_by=["metrics.auc desc"])
    assert [r.name for r in found] == ["a", "b"]
    assert [r.name for r in project.search_runs(order_by=["metrics.auc desc"], limit=2)] == ["c", "a"]
    assert [r.name for r in project.search_runs(order_by=["metrics.auc desc"], limit=2, offset=2)] == ["b", "d"]
    everywhere = project.client.search_runs(f"attributes.run_id = '{ids['d']}'")
    assert [r.id for r in everywhere] == [ids["d"]]


def test_invalid_filter_points_at_the_token(project: Project) -> None:
    with pytest.raises(InvalidInput) as err:
        project.search_runs("metrics.auc > 0.9 andd params.penalty = 'l2'")
    assert err.value.details["position"] == 18
    assert err.value.details["token"] == "andd"
    assert "^" in err.value.message


# ---- events and lifecycle ---------------------------------------------------------------------------------
def test_events_record_the_user(project: Project) -> None:
    client = project.client
    with project.start_run(stage="data_preparation") as run:
        run.log_params({"rows": 10})
        run.set_tag("source", "csv")
        run.log_text("sample.csv", "a,b\n")
    events = client.events(project.name)
    assert {e.user for e in events} == {client.backend.user}
    assert [e.action for e in reversed(events)] == [
        "created",
        "created",
        "params_logged",
        "tags_set",
        "artifact_logged",
        "finished",
    ]
    assert len(client.events(project.name, stage="data_preparation")) == 5  # all but the project's creation
    following = client.events(project.name, after_id=events[-1].id, limit=2)
    assert [e.id for e in following] == [events[-2].id, events[-3].id]
    with pytest.raises(InvalidInput, match="did you mean"):
        client.events(project.name, stage="deploymnt")


def test_lifecycle_view_counts_events_per_stage(project: Project) -> None:
    with project.start_run(stage="data_collection") as run:
        run.log_params({"source": "s3"})
    with project.start_run() as run:
        run.log_metric("auc", 0.9)
    view = project.client.lifecycle(project.name)
    counts = {s.stage: s.events for s in view.stages}
    assert (view.project, view.kind) == (project.name, "ml")
    assert counts["problem_definition"] == 1  # the project was created
    assert counts["data_collection"] == 3  # run created, params logged, run finished
    assert counts["model_training"] == 2  # run created, run finished
    assert set(view.touched) == {"problem_definition", "data_collection", "model_training"}
    last = next(s for s in view.stages if s.stage == "data_collection").last_event
    assert last is not None and last.action == "finished" and last.user == project.client.backend.user


def test_backend_user_is_the_token_owner_or_the_configured_user(client: Client) -> None:
    assert client.backend.user == (REMOTE_USER if client.is_remote else EMBEDDED_USER)


def test_unreachable_server_is_service_unavailable() -> None:
    with socket.socket() as sock:  # a port nobody listens on once this block ends
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with RemoteBackend(url, timeout=2) as backend, pytest.raises(ServiceUnavailable) as err:
        backend.list_projects()
    assert url in err.value.message
    assert err.value.hint and "mlcycle server" in err.value.hint
