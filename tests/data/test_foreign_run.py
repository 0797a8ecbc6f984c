"""A run of one store is never sent to another store (or server) as the owner of a dataset write or read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import mlcycle as mc


def test_a_run_elsewhere_is_not_linked(tmp_path: Path) -> None:
    here = mc.connect(home=tmp_path / "here")
    there = mc.connect(home=tmp_path / "there")
    frame = pd.DataFrame({"x": [1, 2, 3]})
    with here.project("p").start_run() as run:
        version = there.project("q").log_dataset("d", frame)  # would be NotFound if `run` were sent along
        assert version.load().equals(frame)
        child = there.project("q").start_run()  # not a child of a run the other store does not have
        child.end()
        local = here.project("p").log_dataset("d", frame)  # the run's own store links it
    assert child.info.parent_run_id is None
    assert there.lineage(version.id).provenance.runs == []
    assert [r.id for r in here.lineage(local.id).provenance.runs] == [run.id]
