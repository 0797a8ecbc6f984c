"""``mlcycle datasets list|show|diff``: tables for people, strict JSON for scripts, errors with exit codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from mlcycle.cli import datasets
from mlcycle.cli.errors import MlcycleGroup

from .conftest import Invoke, strict_json


@pytest.fixture
def invoke_ds() -> Invoke:
    """``mlcycle datasets ...`` through a root group registered the way cli/main.py registers sub-apps."""
    root = typer.Typer(cls=MlcycleGroup, no_args_is_help=True)
    root.callback()(lambda: None)
    root.add_typer(datasets.app, name="datasets")
    runner = CliRunner(env={"COLUMNS": "220", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"})

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(root, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def seeded_datasets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Project 'churn' with dataset 'customers' v1 (tagged golden), v2 (changed), and its split."""
    import mlcycle

    monkeypatch.setenv("MLCYCLE_USER", "alice")
    project = mlcycle.connect().project("churn")
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"id": np.arange(100), "age": rng.integers(18, 80, 100), "plan": rng.choice(["a", "b"], 100)})
    v1 = project.log_dataset("customers", df, source="crm").tag("golden")
    v2 = project.log_dataset("customers", df.drop(columns="plan").assign(age=df["age"] * 2.0, score=1.0))
    v1.split(fractions=(0.5, 0.5))
    return {"v1": v1.id, "v2": v2.id}


def test_list(invoke_ds: Invoke, seeded_datasets: dict[str, str]) -> None:
    result = invoke_ds("datasets", "list", "churn")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert set(rows) == {"customers", "customers-train", "customers-test"}
    assert rows["customers"][1:4] == ["2", "v2", "100"] and "golden=v1" in rows["customers"]
    data = strict_json(invoke_ds("datasets", "list", "churn", "--json").stdout)
    assert {d["name"]: d["versions"] for d in data} == {"customers": 2, "customers-test": 1, "customers-train": 1}


def test_list_of_a_project_without_datasets(invoke_ds: Invoke) -> None:
    import mlcycle

    mlcycle.connect().project("empty")
    result = invoke_ds("datasets", "list", "empty")
    assert result.exit_code == 0 and "No datasets" in result.stdout


def test_show_prints_provenance_schema_profile_and_versions(invoke_ds: Invoke, seeded_datasets: dict[str, str]) -> None:
    result = invoke_ds("datasets", "show", "churn", "customers", "--version", "golden")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "customers@v1" in out and seeded_datasets["v1"] in out
    assert "crm" in out and "golden" in out and "alice" in out
    (age,) = [line for line in out.splitlines() if line.startswith("age ")]
    assert age.split()[:6] == ["age", "int64", "integer", "no", "100", "0"]
    assert "v1 (shown)" in out and "v2" in out
    split = invoke_ds("datasets", "show", "churn", "customers-train")
    assert "customers@v1" in split.stdout  # derived from


def test_show_json(invoke_ds: Invoke, seeded_datasets: dict[str, str]) -> None:
    data = strict_json(invoke_ds("datasets", "show", "churn", "customers", "--json").stdout)
    assert data["id"] == seeded_datasets["v2"] and data["version"] == 2 and data["parent"] is None
    assert [c["name"] for c in data["columns"]] == ["id", "age", "score"]
    assert data["profile"]["age"]["count"] == 100
    assert [v["version"] for v in data["versions"]] == [2, 1]
    child = strict_json(invoke_ds("datasets", "show", "churn", "customers-test", "--json").stdout)
    assert child["parent"] == "customers@v1" and child["source_kind"] == "split"


def test_diff(invoke_ds: Invoke, seeded_datasets: dict[str, str]) -> None:
    result = invoke_ds("datasets", "diff", "churn", "customers", "1", "latest")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "customers@v1 → customers@v2: content differs" in out
    assert "+ score" in out and "- plan" in out and "~ age type int64 → double" in out
    assert any(line.split()[:2] == ["age", "mean"] for line in out.splitlines())
    data = strict_json(invoke_ds("datasets", "diff", "churn", "customers", "golden", "2", "--json").stdout)
    assert [c["name"] for c in data["added"]] == ["score"]
    assert data["type_changed"]["age"] == {"before": "int64", "after": "double", "delta": None}
    same = invoke_ds("datasets", "diff", "churn", "customers", "1", "1")
    assert "same content" in same.stdout and "schema: unchanged" in same.stdout


def test_unknown_names_exit_4_with_a_hint(invoke_ds: Invoke, seeded_datasets: dict[str, str]) -> None:
    result = invoke_ds("datasets", "show", "churn", "customer")
    assert result.exit_code == 4 and result.stdout == ""
    assert "no dataset 'customer'" in result.stderr and "did you mean 'customers'?" in result.stderr
    missing = invoke_ds("datasets", "diff", "churn", "customers", "1", "9")
    assert missing.exit_code == 4 and "no version '9'" in missing.stderr
    assert invoke_ds("datasets", "list", "nope").exit_code == 4
