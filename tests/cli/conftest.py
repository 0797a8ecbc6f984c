"""Fixtures for CLI tests: a runner with a wide, colourless terminal and a seeded embedded store."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from mlcycle.cli.main import app

Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """Run ``mlcycle ARGS...`` in-process; unexpected exceptions propagate so bugs show their traceback."""
    runner = CliRunner(env={"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"})

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def strict_json(text: str) -> Any:
    """Parse JSON the way strict consumers do: NaN and Infinity literals are errors."""

    def reject(name: str) -> Any:
        raise ValueError(f"invalid JSON constant {name}")

    return json.loads(text, parse_constant=reject)


@dataclass
class Seeded:
    project: str
    baseline: str
    smaller: str


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> Seeded:
    """Project 'churn' with two finished runs by alice: they share one param and differ in others."""
    import mlcycle

    monkeypatch.setenv("MLCYCLE_USER", "alice")
    project = mlcycle.connect().project("churn")
    with project.start_run("baseline", params={"C": 1.0, "penalty": "l2"}, tags={"team": "risk"}) as a:
        a.log_metrics({"auc": 0.91, "loss": math.nan})
        a.log_text("notes.txt", "hello")
    with project.start_run("smaller-C", params={"C": 0.5, "penalty": "l2"}) as b:
        b.log_metrics({"auc": 0.87, "loss": math.inf})
    return Seeded(project="churn", baseline=a.id, smaller=b.id)
