from __future__ import annotations

from mlcycle.core.catalog import stages_in_flow_order

from .conftest import Invoke, Seeded, strict_json


def test_stages_in_flow_order_with_counts(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("lifecycle", seeded.project)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "churn (ml project)"

    def row(stage: str) -> list[str]:
        (line,) = [ln for ln in lines if stage in ln.split()]
        return line.split()

    positions = [next(i for i, ln in enumerate(lines) if s.id in ln.split()) for s in stages_in_flow_order()]
    assert positions == sorted(positions)
    groups = [
        next(i for i, ln in enumerate(lines) if ln.strip() == g)
        for g in ("Shared entry", "ML branch", "LLM branch", "Shared exit", "Governance")
    ]
    assert groups == sorted(groups)

    assert row("problem_definition")[:3] == ["✓", "problem_definition", "1"]
    training = row("model_training")
    assert training[:3] == ["✓", "model_training", "5"]
    assert training[3:5] == ["finished", f"run:{seeded.smaller[:8]}"] and "alice" in training
    assert row("model_registry")[:3] == ["·", "model_registry", "0"]
    total = len(stages_in_flow_order())
    assert lines[-1] == f"2 of {total} stages have evidence."


def test_json(invoke: Invoke, seeded: Seeded) -> None:
    data = strict_json(invoke("lifecycle", seeded.project, "--json").stdout)
    assert [s["stage"] for s in data["stages"]] == [s.id for s in stages_in_flow_order()]
    counts = {s["stage"]: s["events"] for s in data["stages"]}
    assert counts["problem_definition"] == 1 and counts["model_training"] == 5 and counts["deployment"] == 0
    assert data["touched"] == ["problem_definition", "model_training"]
    assert data["summary"] == {"touched": 2, "total": len(data["stages"])}
    last = next(s for s in data["stages"] if s["stage"] == "model_training")["last_event"]
    assert last["user"] == "alice" and last["action"] == "finished"


def test_catalog_stages_without_a_project(invoke: Invoke) -> None:
    result = invoke("lifecycle", "--stages")
    assert result.exit_code == 0
    text = result.stdout
    for stage in stages_in_flow_order():
        assert stage.id in text
    data = strict_json(invoke("lifecycle", "--stages", "--json").stdout)
    assert [s["id"] for s in data] == [s.id for s in stages_in_flow_order()]
    assert data[-1]["segment"] == "cross_cutting"


def test_project_is_required_without_stages(invoke: Invoke) -> None:
    result = invoke("lifecycle")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: give a PROJECT, or --stages")


def test_unknown_project(invoke: Invoke) -> None:
    result = invoke("lifecycle", "nope")
    assert result.exit_code == 4
    assert "hint: run `mlcycle projects list`" in result.stderr
