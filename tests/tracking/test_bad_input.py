"""Bad input gets a clear InvalidInput (never a 500 or a silently wrapped number), and nothing half-done."""

from __future__ import annotations

import pytest

import mlcycle as mc


@pytest.fixture
def run() -> mc.Run:
    return mc.connect().project("bad").start_run()


def test_a_failing_batch_writes_nothing(run: mc.Run) -> None:
    with pytest.raises(mc.InvalidInput):
        run.log_batch([("m", 1.0, -1, 0)], params={"lr": "0.1"}, tags={"t": "x"})  # a negative step
    with pytest.raises(mc.Conflict):
        run.log_params({"p": 1})
        run.log_batch([("m", 1.0, 0, 0)], params={"p": 2}, tags={"t": "x"})  # p conflicts
    info = run.refresh().info
    assert info.params == {"p": "1"} and info.tags == {} and info.metrics == {}


@pytest.mark.parametrize("timestamp", [-1, 10**20])
def test_timestamps_are_range_checked(run: mc.Run, timestamp: int) -> None:
    with pytest.raises(mc.InvalidInput, match="timestamp"):
        run.log_metrics({"a": 1.0}, timestamp=timestamp)
    with pytest.raises(mc.InvalidInput, match="timestamps"):
        run.log_metric_series("b", values=[1.0], timestamps=[timestamp])


def test_unsigned_timestamps_do_not_wrap(run: mc.Run) -> None:
    import numpy as np

    with pytest.raises(mc.InvalidInput):
        run.log_metric_series("b", values=[1.0], timestamps=np.array([10**19], dtype=np.uint64))


def test_a_metric_too_large_for_a_float_is_invalid(run: mc.Run) -> None:
    with pytest.raises(mc.InvalidInput, match="too large"):
        run.log_metrics({"a": 10**400})


@pytest.mark.parametrize("limit", [0, -1, 10**20])
def test_event_limits_are_checked(limit: int) -> None:
    with pytest.raises(mc.InvalidInput, match="limit"):
        mc.connect().events(limit=limit)


def test_artifact_prefixes_are_literal(run: mc.Run) -> None:
    run.log_text("mXdel/w.txt", "a")
    run.log_text("m_del/w.txt", "b")
    assert [a.path for a in run.artifacts("m_del")] == ["m_del/w.txt"]
    assert run.artifacts("%") == []


def test_huge_dataset_version_numbers_are_not_found() -> None:
    import pandas as pd

    project = mc.connect().project("bad")
    project.log_dataset("d", pd.DataFrame({"x": [1]}))
    for ref in (10**30, "v" + "9" * 30):
        with pytest.raises(mc.NotFound):
            project.dataset("d", ref)
