"""Lineage behaves the same embedded (SQLite, PostgreSQL) and remote (HTTP to `mlcycle server`).

Every test runs once per backend of ``client`` (see conftest.py) on a small scenario of its own: a dataset is
logged and split, and a run loads the train split and logs a model's bytes. On the remote backend the load is
recorded by the server, so the walks find the same graph.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from mlcycle.client.api import Client, Dataset, Project
from mlcycle.core.errors import InvalidInput, NotFound
from mlcycle.lineage import LineageEdge, LineageReport


@dataclass(frozen=True)
class Scenario:
    project: Project
    raw: Dataset
    parts: dict[str, Dataset]
    run_id: str
    model_digest: str


@pytest.fixture
def scenario(client: Client) -> Scenario:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=80), "label": rng.integers(0, 2, 80)})
    project = client.project(f"lineage-{uuid.uuid4().hex[:10]}")
    raw = project.log_dataset("points", frame)
    parts = raw.split(fractions=(0.75, 0.25), seed=0)
    with project.start_run("train", params={"C": 0.5, "max_iter": 100}) as run:
        assert len(parts["train"].load()) == 60
        # bytes of this test only: an artifact is its content, shared by every run that logs the same bytes
        model = run.log_bytes("model.bin", f"model {uuid.uuid4()}".encode())
    return Scenario(project, raw, parts, run.id, model.digest)


def _readers(client: Client, version_id: str) -> list[str]:
    """The runs one hop downstream of a version: the runs recorded as its readers."""
    return [n.id for n in client.lineage(version_id, direction="down", depth=1).graph.of_type("run")]


def _edge(src: str, dst: str, relation: str, implicit: bool = False) -> LineageEdge:
    return LineageEdge(src=src, dst=dst, relation=relation, implicit=implicit)


def test_upstream_from_the_model_reaches_the_data_and_the_run_with_its_params(scenario: Scenario) -> None:
    s = scenario
    report = s.project.client.lineage(f"{s.run_id}:model.bin")
    assert isinstance(report, LineageReport)
    assert (report.root.type, report.root.id, report.root.label) == ("artifact", s.model_digest, "model.bin")
    assert report.consumers is None
    p = report.provenance
    assert p is not None and p.complete
    assert [(d.id, d.ref, d.distance) for d in p.datasets] == [
        (s.parts["train"].id, "points-train@v1", 2),
        (s.raw.id, "points@v1", 3),
    ]
    assert [(r.id, r.name, r.status, r.params) for r in p.runs] == [
        (s.run_id, "train", "FINISHED", {"C": "0.5", "max_iter": "100"})
    ]
    assert p.pipeline_runs == []
    g = report.graph
    assert (g.root, g.direction, g.depth, g.truncated) == (f"artifact:{s.model_digest}", "up", 10, False)
    assert g.edges == [
        _edge(f"run:{s.run_id}", f"artifact:{s.model_digest}", "output", implicit=True),
        _edge(f"dataset_version:{s.parts['train'].id}", f"run:{s.run_id}", "input"),  # the recorded read
        _edge(f"dataset_version:{s.raw.id}", f"dataset_version:{s.parts['train'].id}", "derived"),
    ]


def test_downstream_from_the_raw_version_reaches_the_splits_the_run_and_the_model(scenario: Scenario) -> None:
    s = scenario
    client = s.project.client
    report = client.lineage(f"{s.project.name}/points@v1", direction="down")
    assert report.root.key == f"dataset_version:{s.raw.id}"
    assert report.provenance is None
    c = report.consumers
    assert c is not None and c.complete
    assert {(d.id, d.ref, d.parent_version_id) for d in c.datasets} == {
        (s.parts["train"].id, "points-train@v1", s.raw.id),
        (s.parts["test"].id, "points-test@v1", s.raw.id),
    }
    assert [(r.id, r.distance) for r in c.runs] == [(s.run_id, 2)]
    assert [(a.digest, a.distance) for a in c.artifacts] == [(s.model_digest, 3)]
    assert [(p.run_id, p.path) for p in c.artifacts[0].paths] == [(s.run_id, "model.bin")]
    assert c.models == []  # .bin is not a model file name
    shallow = client.lineage(s.raw.id, direction="both", depth=1)
    assert shallow.graph.truncated and shallow.provenance is not None and shallow.consumers is not None
    assert {n.key for n in shallow.graph.nodes} == {
        f"dataset_version:{s.raw.id}",
        f"dataset_version:{s.parts['train'].id}",
        f"dataset_version:{s.parts['test'].id}",
    }


def test_unknown_references_are_not_found_with_a_hint(scenario: Scenario) -> None:
    s = scenario
    client = s.project.client
    with pytest.raises(NotFound, match="nothing has the id or digest") as err:
        client.lineage("f" * 32)
    assert err.value.hint is not None and "mlcycle runs list" in err.value.hint
    with pytest.raises(NotFound, match="has no dataset 'pionts'") as err:
        client.lineage(f"{s.project.name}/pionts")
    assert err.value.hint == "did you mean 'points'?"
    with pytest.raises(NotFound, match=r"has no artifact 'model\.bn'") as err:
        client.lineage(f"{s.run_id}:model.bn")
    assert err.value.hint == "did you mean 'model.bin'?"
    with pytest.raises(NotFound, match="no version"):
        client.lineage(f"{s.project.name}/points@v7")


@pytest.mark.parametrize(
    ("ref", "direction", "depth", "message"),
    [
        ("", "up", 10, "empty lineage reference"),
        ("abc", "up", 10, "'abc' is too short to name an object"),
        ("not a ref!", "up", 10, "cannot read 'not a ref!' as a lineage reference"),
        ("a/b/c", "up", 10, r"cannot read 'a/b/c' as PROJECT/DATASET\[@VERSION\|@TAG\]"),
        ("sha256:xyz", "up", 10, "'xyz' is not a hex id or digest"),
        ("PROJECT/points", "sideways", 10, "invalid direction 'sideways'"),
        ("PROJECT/points", "down", 101, "invalid depth 101"),
        ("PROJECT/points", "up", -1, "invalid depth -1"),
    ],
)
def test_malformed_references_and_options_are_invalid_input(
    scenario: Scenario, ref: str, direction: str, depth: int, message: str
) -> None:
    client = scenario.project.client
    with pytest.raises(InvalidInput, match=message) as err:
        client.lineage(ref.replace("PROJECT", scenario.project.name), direction=direction, depth=depth)
    assert err.value.hint


def test_reads_are_recorded_by_the_backend_that_serves_the_rows(scenario: Scenario) -> None:
    s = scenario
    client = s.project.client
    test_split = s.parts["test"]
    test_split.load()  # outside a run: nothing to record
    assert _readers(client, test_split.id) == []
    with s.project.start_run("evaluate") as run:
        test_split.load(as_="arrow", columns=["x"])
        test_split.load()  # twice: one edge
    edges = client.lineage(test_split.id, direction="down", depth=1).graph.edges
    assert edges == [_edge(f"dataset_version:{test_split.id}", f"run:{run.id}", "input")]

    backend = client.backend
    late = s.project.start_run("late")
    backend.load_dataset(s.raw.id, run_id=late.id)  # what Dataset.load passes inside a run
    late.end()
    assert _readers(client, s.raw.id) == [late.id]
    with pytest.raises(NotFound, match="no run"):
        backend.load_dataset(s.raw.id, run_id="0" * 32)
    with pytest.raises(NotFound, match="no dataset version"):
        backend.load_dataset("0" * 32, run_id=late.id)
