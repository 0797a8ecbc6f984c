"""From a model back to its data, pipeline run, parameters and commit; from a dataset forward to its models."""

from __future__ import annotations

import pytest

from mlcycle.artifacts import BlobStore
from mlcycle.client.local import LocalBackend
from mlcycle.core.errors import InvalidInput
from mlcycle.lineage import consumers, lineage, provenance, resolve
from mlcycle.store.lineage import edges_from

from .scenario import Scenario


def test_model_walks_back_to_data_pipeline_params_and_commit(scenario: Scenario) -> None:
    model = resolve(scenario.store, scenario.model_digest)
    assert model.type == "artifact" and model.details["model"] is True
    p = provenance(scenario.store, model)
    assert [d.id for d in p.datasets] == [scenario.train, scenario.raw]  # the split read, then its parent
    assert [d.ref for d in p.datasets] == ["points-train@v1", "points@v1"]
    assert p.datasets[0].parent_version_id == scenario.raw and p.datasets[0].source_kind == "split"
    assert len(p.datasets[0].content_hash) == 64
    [prun] = p.pipeline_runs
    assert (prun.id, prun.pipeline, prun.status) == (scenario.pipeline_run, "training", "FINISHED")
    assert prun.params == {"C": 0.5, "data_project": "lineage", "dataset": "points-train", "version": 1}
    [run] = p.runs
    assert run.id == scenario.pipeline_tracking_run and run.git_commit == scenario.commit
    assert run.params["C"] == "0.5"
    assert p.commits == [scenario.commit]
    assert p.complete


def test_a_model_named_by_run_and_path_is_the_same_node(scenario: Scenario) -> None:
    by_path = resolve(scenario.store, f"{scenario.pipeline_tracking_run}:{scenario.model_path}")
    assert by_path.id == scenario.model_digest
    assert resolve(scenario.store, scenario.model_digest[:12]) == by_path
    assert resolve(scenario.store, f"sha256:{scenario.model_digest}") == by_path


def test_an_autologged_model_walks_back_to_the_data_its_run_read(scenario: Scenario) -> None:
    model = resolve(scenario.store, f"{scenario.fit_run}:model/model.skops")
    assert model.id == scenario.fit_model_digest
    p = provenance(scenario.store, model)
    assert [d.ref for d in p.datasets] == ["points-test@v1", "points@v1"]
    assert [r.id for r in p.runs] == [scenario.fit_run] and p.pipeline_runs == []
    assert p.runs[0].params["C"] == "1.0"  # autologged estimator params
    assert p.commits == [scenario.commit]


def test_reads_are_recorded_for_the_run_and_the_pipeline_step(scenario: Scenario) -> None:
    with scenario.store.read() as conn:
        read_train = {(e.dst_type, e.dst_id, e.relation) for e in edges_from(conn, "dataset_version", scenario.train)}
        read_test = {(e.dst_type, e.dst_id, e.relation) for e in edges_from(conn, "dataset_version", scenario.test)}
    assert read_train == {
        ("run", scenario.pipeline_tracking_run, "input"),
        ("step_run", scenario.prepare_step, "input"),
    }
    assert read_test == {("run", scenario.fit_run, "input")}


def test_raw_dataset_reaches_its_splits_runs_and_models(scenario: Scenario) -> None:
    cs = consumers(scenario.store, resolve(scenario.store, "lineage/points@golden"))
    assert {d.ref for d in cs.datasets} == {"points-train@v1", "points-test@v1"}
    assert {r.id for r in cs.runs} == {scenario.pipeline_tracking_run, scenario.fit_run}
    assert [p.id for p in cs.pipeline_runs] == [scenario.pipeline_run]
    assert {m.digest for m in cs.models} == {scenario.model_digest, scenario.fit_model_digest}
    assert {a.digest for a in cs.artifacts} > {m.digest for m in cs.models}  # also data and metadata
    assert cs.complete


def test_a_split_is_consumed_only_by_what_read_it(scenario: Scenario) -> None:
    cs = consumers(scenario.store, resolve(scenario.store, "lineage/points-test"))
    assert cs.datasets == [] and cs.pipeline_runs == []
    assert [r.id for r in cs.runs] == [scenario.fit_run]
    assert [m.digest for m in cs.models] == [scenario.fit_model_digest]


def test_report_directions(scenario: Scenario) -> None:
    up = lineage(scenario.store, scenario.model_digest)
    assert up.provenance is not None and up.consumers is None
    assert up.root.id == scenario.model_digest and up.graph.direction == "up"
    down = lineage(scenario.store, scenario.raw, "down")
    assert down.provenance is None and down.consumers is not None
    both = lineage(scenario.store, scenario.train, "both", depth=1)
    assert both.provenance is not None and both.consumers is not None
    assert {n.id for n in both.graph.nodes} == {
        scenario.train,
        scenario.raw,
        scenario.pipeline_tracking_run,
        scenario.prepare_step,
    }
    with pytest.raises(InvalidInput, match="direction"):
        lineage(scenario.store, scenario.raw, "sideways")


def test_the_report_is_plain_json(scenario: Scenario) -> None:
    report = lineage(scenario.store, scenario.model_digest, "both")
    again = type(report).model_validate_json(report.model_dump_json())
    assert again == report


def test_local_backend_serves_lineage(scenario: Scenario) -> None:
    backend = LocalBackend(scenario.store, BlobStore(scenario.home / "artifacts"), "tester")
    report = backend.lineage(f"{scenario.pipeline_tracking_run}:{scenario.model_path}")
    assert report.provenance is not None
    assert [p.id for p in report.provenance.pipeline_runs] == [scenario.pipeline_run]
