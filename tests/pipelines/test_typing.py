"""``@step`` keeps the function's signature for type checkers (checked with mypy itself)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SNIPPET = """
import pandas as pd
from mlcycle.pipelines import pipeline, step, PipelineRun

@step
def load(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": range(n)})

@step(cache=False)
def rows(df: pd.DataFrame, scale: float = 1.0) -> int:
    return len(df)

@pipeline
def flow(n: int = 3) -> int:
    return rows(load(n), scale=2.0)

reveal_type(load)
reveal_type(rows(load(3)))
prun: PipelineRun = flow.run(project="p", n=5)
rows(load("three"))
"""


@pytest.mark.slow
def test_step_signatures_survive_for_mypy(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    path = tmp_path / "snippet.py"
    path.write_text(textwrap.dedent(SNIPPET))
    stdout, _, _ = api.run([str(path), "--strict", "--cache-dir", str(tmp_path / ".mypy_cache"), "--no-incremental"])
    lines = [line.split(": ", 1)[1] for line in stdout.splitlines() if line.startswith(str(path))]
    assert 'note: Revealed type is "mlcycle.pipelines.decorators.Step[[n: int], pandas.core.frame.DataFrame]"' in lines
    assert 'note: Revealed type is "int"' in lines
    errors = [line for line in lines if line.startswith("error")]
    assert len(errors) == 1 and 'incompatible type "str"; expected "int"' in errors[0]
