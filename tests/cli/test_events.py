from __future__ import annotations

import pytest

from mlcycle.cli import events as events_cmd

from .conftest import Invoke, Seeded, strict_json


def test_events_show_writes_with_users_oldest_first(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("events")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 6
    assert all("alice" in line and "churn" in line for line in lines)
    first = lines[0].split()
    assert first[3:6] == ["alice", "churn", "problem_definition"]
    assert "created" in first
    assert f"run:{seeded.baseline[:12]}" in lines[1]
    assert "name=baseline" in lines[1]
    assert "artifact_logged" in lines[2] and "path=notes.txt" in lines[2]
    assert lines[-1].split()[-2:] == ["finished", "metrics=auc,loss"]


def test_events_json_limit_and_filters(invoke: Invoke, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlcycle

    monkeypatch.setenv("MLCYCLE_USER", "bob")
    mlcycle.connect().project("other")

    data = strict_json(invoke("events", "--json").stdout)
    assert [e["id"] for e in data] == sorted(e["id"] for e in data)
    assert data[-1]["user"] == "bob" and data[-1]["project"] == "other"

    latest = strict_json(invoke("events", "--json", "--limit", "2").stdout)
    assert [e["id"] for e in latest] == [e["id"] for e in data[-2:]]

    churn = strict_json(invoke("events", "--project", "churn", "--json").stdout)
    assert {e["project"] for e in churn} == {"churn"} and len(churn) == 6

    staged = strict_json(invoke("events", "--stage", "problem_definition", "--json").stdout)
    assert [(e["project"], e["action"]) for e in staged] == [("churn", "created"), ("other", "created")]


def test_no_events(invoke: Invoke) -> None:
    result = invoke("events")
    assert result.exit_code == 0
    assert result.stdout.strip() == "No events."


def test_unknown_stage_suggests_the_closest(invoke: Invoke) -> None:
    result = invoke("events", "--stage", "model_trainig")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: unknown lifecycle stage 'model_trainig'",
        "hint: did you mean 'model_training'?",
    ]


def test_unknown_project_exits_4(invoke: Invoke) -> None:
    assert invoke("events", "--project", "nope").exit_code == 4


def test_follow_prints_new_events_until_interrupted(
    invoke: Invoke, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlcycle

    polls: list[float] = []

    def fake_sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            monkeypatch.setenv("MLCYCLE_USER", "bob")
            mlcycle.connect().get_run(seeded.baseline).set_tag("reviewed", "yes")
        elif len(polls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(events_cmd, "_sleep", fake_sleep)
    result = invoke("events", "--follow", "--limit", "1", "--json")
    assert result.exit_code == 0, result.output
    lines = [strict_json(line) for line in result.stdout.splitlines()]
    assert [e["action"] for e in lines] == ["finished", "tags_set"]
    assert lines[1]["user"] == "bob" and lines[1]["payload"] == {"tags": {"reviewed": "yes"}}
    assert polls == [1.0, 1.0, 1.0]


def test_follow_plain_lines(invoke: Invoke, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(events_cmd, "_sleep", interrupt)
    result = invoke("events", "-F", "-n", "2")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2
