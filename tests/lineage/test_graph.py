"""Walking the graph: stored and implicit edges, the depth limit, and cycles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlcycle.core.errors import InvalidInput
from mlcycle.lineage import MAX_DEPTH, downstream, resolve, upstream
from mlcycle.lineage.graph import graph
from mlcycle.store import Store
from mlcycle.store.lineage import Edge, add_edges

from .scenario import Scenario


def test_upstream_of_the_model(scenario: Scenario) -> None:
    g = upstream(scenario.store, resolve(scenario.store, scenario.model_digest))
    keys = {n.key for n in g.nodes}
    assert {
        f"step_run:{scenario.train_step}",
        f"step_run:{scenario.prepare_step}",
        f"pipeline_run:{scenario.pipeline_run}",
        f"run:{scenario.pipeline_tracking_run}",
        f"dataset_version:{scenario.train}",
        f"dataset_version:{scenario.raw}",
    } < keys
    assert f"dataset_version:{scenario.test}" not in keys  # the pipeline never read the test split
    edges = {(e.src, e.dst, e.relation): e.implicit for e in g.edges}
    assert edges[f"step_run:{scenario.train_step}", g.root, "output"] is False  # stored by the pipeline service
    assert edges[f"run:{scenario.pipeline_tracking_run}", g.root, "output"] is True  # the run lists it
    assert edges[f"pipeline_run:{scenario.pipeline_run}", f"step_run:{scenario.train_step}", "contains"] is True
    assert edges[f"dataset_version:{scenario.raw}", f"dataset_version:{scenario.train}", "derived"] is False
    assert not g.truncated
    assert g.node(g.root).distance == 0 and g.node(f"dataset_version:{scenario.raw}").distance == 3
    labels = {n.type: n.label for n in g.nodes}
    assert labels["pipeline_run"] == "training"
    assert g.node(f"step_run:{scenario.train_step}").label == "training.train"


def test_downstream_of_the_pipeline_run_contains_its_steps_run_and_outputs(scenario: Scenario) -> None:
    g = downstream(scenario.store, resolve(scenario.store, scenario.pipeline_run), depth=2)
    assert {n.id for n in g.of_type("step_run")} == {scenario.prepare_step, scenario.train_step}
    assert [n.id for n in g.of_type("run")] == [scenario.pipeline_tracking_run]
    assert scenario.model_digest in {n.id for n in g.of_type("artifact")}


def test_depth_limits_the_walk(scenario: Scenario) -> None:
    model = resolve(scenario.store, scenario.model_digest)
    zero = upstream(scenario.store, model, depth=0)
    assert [n.key for n in zero.nodes] == [zero.root] and zero.edges == [] and zero.truncated
    one = upstream(scenario.store, model, depth=1)
    assert {n.type for n in one.nodes} == {"artifact", "run", "step_run"}
    assert max(n.distance for n in one.nodes) == 1 and one.truncated
    for bad in (-1, MAX_DEPTH + 1):
        with pytest.raises(InvalidInput, match="depth"):
            upstream(scenario.store, model, depth=bad)


def test_cycles_end(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'cycle.db'}")
    a, b, r = "a" * 32, "b" * 32, "c" * 32
    with store.write() as conn:
        add_edges(
            conn,
            [
                Edge("dataset_version", a, "dataset_version", b, "derived"),
                Edge("dataset_version", b, "dataset_version", a, "derived"),
                Edge("dataset_version", b, "run", r, "input"),
                Edge("run", r, "dataset_version", a, "output"),
            ],
        )
    for direction in ("up", "down", "both"):
        g = graph(store, ("dataset_version", a), direction, MAX_DEPTH)  # type: ignore[arg-type]
        assert {n.id for n in g.nodes} == {a, b, r}
        assert len(g.edges) == 4 and not g.truncated
        assert all(n.details == {"missing": True} and n.label == n.id for n in g.nodes)  # objects not stored


def test_loading_outside_a_run_records_nothing(tmp_path: Path) -> None:
    import mlcycle as mc
    from mlcycle.core.config import load_settings

    project = mc.connect().project("quiet")
    ds = project.log_dataset("d", pd.DataFrame({"x": [1, 2, 3]}))
    ds.load()
    store = Store.open(load_settings().resolved_store_url)
    assert downstream(store, resolve(store, ds.id)).edges == []
    with project.start_run("reader") as run:
        ds.load(columns=["x"])
    assert [e.dst for e in downstream(store, resolve(store, ds.id)).edges] == [f"run:{run.id}"]
