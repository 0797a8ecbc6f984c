from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from mlcycle.cli import output as out

from .conftest import strict_json


@dataclass
class _Point:
    value: float


def test_json_spells_nan_and_infinities_as_strings() -> None:
    data = {"m": [math.nan, math.inf, -math.inf, 1.5], "p": _Point(math.nan), "t": (1, None, True)}
    parsed = strict_json(out.dumps(data))
    assert parsed == {"m": ["NaN", "Infinity", "-Infinity", 1.5], "p": {"value": "NaN"}, "t": [1, None, True]}


def test_json_of_models() -> None:
    from mlcycle.tracking.models import RunInfo

    info = RunInfo(
        id="r",
        project_id="p",
        name="n",
        stage="model_training",
        status="FINISHED",
        start_time=0,
        end_time=1,
        parent_run_id=None,
        git_commit=None,
        user="u",
        metrics={"loss": math.inf},
    )
    assert strict_json(out.dumps(info))["metrics"] == {"loss": "Infinity"}


@pytest.mark.parametrize(
    ("value", "text"),
    [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"), (0.1, "0.1"), (1e-9, "1e-09")],
)
def test_format_float(value: float, text: str) -> None:
    assert out.format_float(value) == text


def test_format_metric_short_and_missing() -> None:
    assert out.format_metric(None) == out.MISSING
    assert out.format_metric(0.123456789, short=True) == "0.123457"
    assert out.format_metric(math.nan, short=True) == "NaN"


@pytest.mark.parametrize(
    ("ago_ms", "text"),
    [(0, "just now"), (5_000, "5s ago"), (125_000, "2m ago"), (2 * 3_600_000, "2h ago"), (3 * 86_400_000, "3d ago")],
)
def test_relative_time(ago_ms: int, text: str) -> None:
    assert out.relative_time(1_000_000_000_000 - ago_ms, now_ms=1_000_000_000_000) == text


def test_format_duration() -> None:
    assert out.format_duration(0, 250) == "250ms"
    assert out.format_duration(0, 90_000) == "1m"
    assert out.format_duration(0, None) == out.MISSING
