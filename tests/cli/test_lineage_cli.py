"""``mlcycle lineage REF``: a tree and a provenance summary for people, strict JSON for scripts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlcycle.auth import create_token
from mlcycle.core.config import Settings
from tests.contract.conftest import serve
from tests.lineage.scenario import Scenario, build

from .conftest import Invoke, strict_json


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build(tmp_path_factory.mktemp("lineage-cli"))


@pytest.fixture
def home(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> Scenario:
    monkeypatch.setenv("MLCYCLE_HOME", str(scenario.home))
    return scenario


def test_model_provenance_table(invoke: Invoke, home: Scenario) -> None:
    result = invoke("lineage", f"{home.pipeline_tracking_run}:{home.model_path}")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0].startswith(f"artifact {home.model_path} {home.model_digest[:12]} model")
    assert "├── produced by step_run training.train" in out or "└── produced by step_run training.train" in out
    assert "derived from dataset_version points@v1" in out
    assert "(shown in another branch)" in out  # the DAG is a tree with repeats named, not re-expanded
    summary = out[out.index("Provenance") :]
    assert "lineage/points-train@v1  150 rows" in summary and "lineage/points@v1  200 rows" in summary
    assert f"pipeline run  training FINISHED  {home.pipeline_run}" in summary
    assert f"code commit   {home.commit}" in summary
    assert "parameters    C=0.5  data_project=lineage  dataset=points-train  version=1" in summary
    assert "Consumers" not in out


def test_dataset_consumers_table(invoke: Invoke, home: Scenario) -> None:
    result = invoke("lineage", "lineage/points", "--down")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("dataset_version points@v1")
    assert "derived dataset_version points-train@v1" in out and "read by run training-" in out
    summary = out[out.index("Consumers") :]
    assert "\nmodels " in summary and f"{home.pipeline_tracking_run}:{home.model_path}" in summary
    assert f"{home.fit_run}:model/model.skops" in summary
    assert f"pipeline runs  training FINISHED  {home.pipeline_run}" in summary
    assert "Provenance" not in out


def test_json(invoke: Invoke, home: Scenario) -> None:
    result = invoke("lineage", home.model_digest[:10], "--json")
    assert result.exit_code == 0, result.output
    data = strict_json(result.stdout)
    assert data["root"]["type"] == "artifact" and data["root"]["id"] == home.model_digest
    assert data["graph"]["direction"] == "up" and data["graph"]["depth"] == 10
    assert data["provenance"]["commits"] == [home.commit]
    assert [d["ref"] for d in data["provenance"]["datasets"]] == ["points-train@v1", "points@v1"]
    assert data["provenance"]["pipeline_runs"][0]["params"]["C"] == 0.5
    assert data["consumers"] is None
    both = strict_json(invoke("lineage", "lineage/points-train", "--both", "--json").stdout)
    assert both["graph"]["direction"] == "both" and both["provenance"] and both["consumers"]


def test_depth(invoke: Invoke, home: Scenario) -> None:
    result = invoke("lineage", "lineage/points-train", "--both", "--depth", "1")
    assert result.exit_code == 0, result.output
    assert "upstream" in result.stdout and "downstream" in result.stdout
    assert "(more lineage lies beyond 1 hop; use --depth)" in result.stdout
    assert "artifact" not in result.stdout.split("Provenance")[0]  # artifacts are 2+ hops away
    bad = invoke("lineage", "lineage/points", "--depth", "-1")
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    ("ref", "code", "message"),
    [
        ("lineage/pionts", 4, "hint: did you mean 'points'?"),
        ("0123456789abcdef", 4, "error: nothing has the id or digest"),
        ("abc", 2, "error: 'abc' is too short"),
    ],
)
def test_errors(invoke: Invoke, home: Scenario, ref: str, code: int, message: str) -> None:
    result = invoke("lineage", ref)
    assert result.exit_code == code
    assert message in result.stderr


@pytest.fixture(scope="module")
def server_url(scenario: Scenario) -> Iterator[str]:
    """`mlcycle server` over the scenario's store, with authentication on."""
    from mlcycle.server import create_app

    with serve(create_app(Settings(home=scenario.home), auth=True)) as url:
        yield url


@pytest.fixture
def remote(home: Scenario, server_url: str, monkeypatch: pytest.MonkeyPatch) -> Scenario:
    """The CLI talking to the server with a viewer's token: reading lineage needs no writing role."""
    _, secret = create_token(home.store, user="reader", role="viewer", actor="pytest")
    monkeypatch.setenv("MLCYCLE_SERVER_URL", server_url)
    monkeypatch.setenv("MLCYCLE_TOKEN", secret)
    return home


@pytest.mark.parametrize(
    "args",
    [
        ("lineage/points", "--down"),
        ("lineage/points-train", "--both", "--depth", "2"),
        ("MODEL",),
    ],
)
def test_a_server_serves_the_same_lineage(invoke: Invoke, remote: Scenario, args: tuple[str, ...]) -> None:
    args = tuple(f"{remote.pipeline_tracking_run}:{remote.model_path}" if a == "MODEL" else a for a in args)
    remotely = invoke("lineage", *args)
    assert remotely.exit_code == 0, remotely.output
    as_json = strict_json(invoke("lineage", *args, "--json").stdout)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLCYCLE_SERVER_URL")
        assert invoke("lineage", *args).stdout == remotely.stdout
        assert strict_json(invoke("lineage", *args, "--json").stdout) == as_json


def test_a_server_answers_errors_as_embedded(invoke: Invoke, remote: Scenario) -> None:
    result = invoke("lineage", "lineage/pionts")
    assert result.exit_code == 4
    assert "hint: did you mean 'points'?" in result.stderr
    assert invoke("lineage", "abc").exit_code == 2
