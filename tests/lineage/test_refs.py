"""Resolving references: ids, prefixes, digests, RUN:path and PROJECT/DATASET@VERSION, with helpful errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlcycle.core.errors import InvalidInput, NotFound
from mlcycle.lineage import resolve
from mlcycle.store import Store
from mlcycle.store.lineage import Edge, add_edges

from .scenario import Scenario


def test_ids_and_prefixes(scenario: Scenario) -> None:
    s = scenario.store
    for node_type, node_id in [
        ("run", scenario.fit_run),
        ("pipeline_run", scenario.pipeline_run),
        ("step_run", scenario.train_step),
        ("dataset_version", scenario.raw),
        ("artifact", scenario.model_digest),
    ]:
        for ref in (node_id, node_id[:12], node_id.upper(), f"  {node_id}  "):
            node = resolve(s, ref)
            assert (node.type, node.id, node.distance) == (node_type, node_id, 0)


@pytest.mark.parametrize("version", ["", "@1", "@v1", "@latest", "@golden"])
def test_dataset_references(scenario: Scenario, version: str) -> None:
    node = resolve(scenario.store, f"lineage/points{version}")
    assert (node.type, node.id, node.label) == ("dataset_version", scenario.raw, "points@v1")
    assert node.details["project"] == "lineage" and node.details["tags"] == ["golden"]
    assert node.details["row_count"] == 200


def test_details_of_runs_and_pipeline_runs(scenario: Scenario) -> None:
    run = resolve(scenario.store, scenario.pipeline_tracking_run)
    assert run.details["git_commit"] == scenario.commit and run.details["status"] == "FINISHED"
    prun = resolve(scenario.store, scenario.pipeline_run)
    assert prun.details["params"]["C"] == 0.5 and prun.details["run_id"] == scenario.pipeline_tracking_run


@pytest.mark.parametrize(
    ("ref", "error", "message", "hint"),
    [
        ("", InvalidInput, "empty", "RUN_ID:path"),
        ("not a ref!", InvalidInput, "cannot read", "PROJECT/DATASET"),
        ("abc123", InvalidInput, "too short", "at least 8"),
        ("0123456789abcdef", NotFound, "nothing has", "mlcycle runs list"),
        ("sha256:xyz", InvalidInput, "not a hex", None),
        ("nope/points", NotFound, "no project 'nope'", "mlcycle projects list"),
        ("lineage/pionts", NotFound, "no dataset 'pionts'", "did you mean 'points'"),
        ("lineage/points@v9", NotFound, "no version 'v9'", "mlcycle datasets show lineage points"),
        ("lineage/points@silver", NotFound, "no version 'silver'", None),
        ("lineage/points/x", InvalidInput, "cannot read", None),
    ],
)
def test_errors(scenario: Scenario, ref: str, error: type[Exception], message: str, hint: str | None) -> None:
    with pytest.raises(error, match=message) as info:
        resolve(scenario.store, ref)
    if hint is not None:
        assert hint in (getattr(info.value, "hint", None) or "")


def test_unknown_artifact_path_names_the_run_and_suggests(scenario: Scenario) -> None:
    with pytest.raises(NotFound, match=r"has no artifact 'model/model\.skop'") as info:
        resolve(scenario.store, f"{scenario.fit_run}:model/model.skop")
    assert info.value.hint == "did you mean 'model/model.skops'?"
    with pytest.raises(NotFound, match="nothing has"):
        resolve(scenario.store, f"{'9' * 32}:model/model.skops")


def test_ambiguous_prefix_lists_the_candidates(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'refs.db'}")
    one, two = "deadbeef" + "0" * 56, "deadbeef" + "1" * 56
    with store.write() as conn:
        add_edges(
            conn,
            [
                Edge("artifact", one, "step_run", "s" * 32, "input"),
                Edge("step_run", "s" * 32, "artifact", two, "output"),
            ],
        )
    with pytest.raises(InvalidInput, match="ambiguous") as info:
        resolve(store, "deadbeef")
    assert info.value.details["candidates"] == [{"type": "artifact", "id": one}, {"type": "artifact", "id": two}]
    assert resolve(store, "deadbeef1").id == two  # known only from an edge: still an artifact
    assert resolve(store, "deadbeef1").label == "sha256:deadbeef1111"
