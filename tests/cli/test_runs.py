from __future__ import annotations

import pytest

from .conftest import Invoke, Seeded, strict_json


def test_list_table_shows_runs_and_metrics(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "list", seeded.project)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "metrics.auc" in lines[0] and "metrics.loss" in lines[0]
    (baseline,) = [line for line in lines if seeded.baseline in line]
    (smaller,) = [line for line in lines if seeded.smaller in line]
    assert baseline.split()[1:3] == ["baseline", "FINISHED"]
    assert "alice" in baseline and "model_training" in baseline
    assert baseline.split()[-2:] == ["0.91", "NaN"]
    assert smaller.split()[-2:] == ["0.87", "Infinity"]
    assert lines.index(smaller) < lines.index(baseline)  # newest first


def test_list_json_is_valid_and_complete(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "list", seeded.project, "--json")
    assert result.exit_code == 0
    runs = {r["id"]: r for r in strict_json(result.stdout)}
    assert set(runs) == {seeded.baseline, seeded.smaller}
    base = runs[seeded.baseline]
    assert base["name"] == "baseline"
    assert base["params"] == {"C": "1.0", "penalty": "l2"}
    assert base["metrics"] == {"auc": 0.91, "loss": "NaN"}
    assert base["tags"] == {"team": "risk"}
    assert runs[seeded.smaller]["metrics"]["loss"] == "Infinity"


def test_list_filter_order_and_limit(invoke: Invoke, seeded: Seeded) -> None:
    def ids(*args: str) -> list[str]:
        result = invoke("runs", "list", seeded.project, "--json", *args)
        assert result.exit_code == 0, result.output
        return [r["id"] for r in strict_json(result.stdout)]

    assert ids("--filter", "metrics.auc > 0.9") == [seeded.baseline]
    assert ids("--filter", "params.C = '0.5'") == [seeded.smaller]
    assert ids("--order-by", "metrics.auc ASC") == [seeded.smaller, seeded.baseline]
    assert ids("--order-by", "metrics.auc DESC", "--limit", "1") == [seeded.baseline]


def test_list_of_an_empty_project(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "list", seeded.project, "--filter", "metrics.auc > 2")
    assert result.exit_code == 0
    assert "No runs" in result.stdout


def test_invalid_filter_exits_2_with_the_position(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "list", seeded.project, "--filter", "metrics.auc >> 1")
    assert result.exit_code == 2
    assert result.stdout == ""
    first, *rest = result.stderr.splitlines()
    assert first.startswith("error: invalid filter")
    assert any(line.strip() == "^" for line in rest)


def test_unknown_project_exits_4(invoke: Invoke) -> None:
    result = invoke("runs", "list", "nope")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[0] == "error: no project 'nope'"


def test_show_table(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "show", seeded.baseline)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (seeded.baseline, "churn", "FINISHED", "model_training", "alice", "notes.txt", "team"):
        assert expected in out
    rows = {tuple(line.split()) for line in out.splitlines()}
    assert ("C", "1.0") in rows
    assert ("penalty", "l2") in rows
    assert ("auc", "0.91") in rows
    assert ("loss", "NaN") in rows
    assert ("team", "risk") in rows


def test_show_json(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "show", seeded.smaller, "--json")
    data = strict_json(result.stdout)
    assert data["id"] == seeded.smaller
    assert data["project"] == "churn"
    assert data["metrics"] == {"auc": 0.87, "loss": "Infinity"}
    assert data["artifacts"] == []
    base = strict_json(invoke("runs", "show", seeded.baseline, "--json").stdout)
    (art,) = base["artifacts"]
    assert art["path"] == "notes.txt" and art["size"] == 5 and len(art["digest"]) == 64


def test_show_unknown_run_exits_4_with_hint(invoke: Invoke) -> None:
    result = invoke("runs", "show", "0" * 32)
    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        f"error: no run '{'0' * 32}'",
        "hint: run `mlcycle runs list PROJECT` to see run ids",
    ]


def test_compare_marks_the_rows_that_differ(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "compare", seeded.baseline, seeded.smaller)
    assert result.exit_code == 0, result.output
    rows = {line.split()[1] if line.startswith("≠") else line.split()[0]: line for line in result.stdout.splitlines()}
    assert rows["params.C"].startswith("≠") and rows["params.C"].split()[2:] == ["1.0", "0.5"]
    assert not rows["params.penalty"].startswith("≠")
    assert rows["metrics.auc"].startswith("≠")
    assert rows["metrics.loss"].split()[2:] == ["NaN", "Infinity"]
    assert "3 of 6 rows differ" in result.stdout


def test_compare_json(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "compare", seeded.baseline, seeded.smaller, "--json")
    data = strict_json(result.stdout)
    assert [r["id"] for r in data["runs"]] == [seeded.baseline, seeded.smaller]
    assert data["params"] == {"C": ["1.0", "0.5"], "penalty": ["l2", "l2"]}
    assert data["metrics"] == {"auc": [0.91, 0.87], "loss": ["NaN", "Infinity"]}
    assert data["differences"] == {"params": ["C"], "metrics": ["auc", "loss"]}


def test_compare_treats_nan_as_equal_and_missing_as_different(invoke: Invoke, seeded: Seeded) -> None:
    import math

    import mlcycle

    project = mlcycle.connect().get_project(seeded.project)
    with project.start_run("nan-too", params={"C": 1.0}) as run:
        run.log_metrics({"loss": math.nan, "auc": 0.91})
    data = strict_json(invoke("runs", "compare", seeded.baseline, run.id, "--json").stdout)
    assert data["params"]["penalty"] == ["l2", None]
    assert data["differences"] == {"params": ["penalty"], "metrics": []}


@pytest.mark.parametrize("args", [["one"], ["same", "same"]])
def test_compare_needs_two_runs(invoke: Invoke, args: list[str]) -> None:
    result = invoke("runs", "compare", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: compare needs at least two different run ids")


def test_compare_unknown_run_exits_4(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "compare", seeded.baseline, "nope")
    assert result.exit_code == 4


def test_list_shows_the_most_relevant_metric_columns(invoke: Invoke, seeded: Seeded) -> None:
    import mlcycle

    project = mlcycle.connect().get_project(seeded.project)
    with project.start_run("wide") as run:
        run.log_metrics({f"a{i}": float(i) for i in range(8)})
    header = invoke("runs", "list", seeded.project).stdout.splitlines()[0].split()
    assert header[-6:] == ["metrics.auc", "metrics.loss", "metrics.a0", "metrics.a1", "metrics.a2", "metrics.a3"]
    header = invoke("runs", "list", seeded.project, "--order-by", "metrics.a7 DESC").stdout.splitlines()[0].split()
    assert header[-6] == "metrics.a7"
    assert "(4 more metrics" in invoke("runs", "list", seeded.project).stdout
