from __future__ import annotations

from .conftest import Invoke, Seeded, strict_json


def test_no_projects(invoke: Invoke) -> None:
    result = invoke("projects", "list")
    assert result.exit_code == 0
    assert "No projects yet" in result.stdout
    assert strict_json(invoke("projects", "list", "--json").stdout) == []


def test_list(invoke: Invoke, seeded: Seeded) -> None:
    import mlcycle

    mlcycle.connect().project("assistant", kind="llm", description="support bot")
    result = invoke("projects", "list")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert rows["churn"][1] == "ml"
    assert rows["assistant"][1] == "llm"
    assert "support bot" in result.stdout and "alice" in result.stdout

    data = strict_json(invoke("projects", "list", "--json").stdout)
    assert {p["name"]: p["kind"] for p in data} == {"churn": "ml", "assistant": "llm"}
    assert all(len(p["id"]) == 32 for p in data)
