"""The client's dataset handles: Project.log_dataset / dataset / datasets and Dataset's methods (embedded).

docs/examples/data_example.py runs in tests/test_docs_examples.py."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import mlcycle as mc


def test_project_and_dataset_handles(customers: pd.DataFrame) -> None:
    project = mc.connect().project("churn")
    with project.start_run(name="ingest", stage="data_collection") as run:
        ds = project.log_dataset("customers", customers, source="crm")
    assert ds.info.run_id == run.id and ds.info.source == "crm"
    assert (ds.name, ds.version, repr(ds)) == ("customers", 1, "<mlcycle.Dataset customers@v1 200 rows>")
    pd.testing.assert_frame_equal(ds.load(), customers)
    assert isinstance(ds.load(as_="arrow", columns=["id"]), pa.Table)

    v2 = project.log_dataset("customers", customers.head(10), stage="data_preparation")
    assert v2.info.stage == "data_preparation" and v2.info.run_id is None
    assert [d.version for d in v2.versions()] == [2, 1]
    assert ds.tag("golden").info.tags == ["golden"]
    assert project.dataset("customers", "golden").id == ds.id
    assert project.dataset("customers").id == v2.id
    assert [(d.name, d.versions, d.tags) for d in project.datasets()] == [("customers", 2, {"golden": 1})]
    assert ds.diff(v2).row_count.delta == -190
    assert ds.parent() is None

    suite = mc.data.infer_expectations(ds)
    assert ds.validate(suite).success
    with pytest.raises(mc.ValidationFailed, match=r"id (range|unique)"):
        project.log_dataset("customers", customers.assign(id=0)).validate(suite)
    parts = ds.split(method="time", time_column="id", fractions=(0.5, 0.5))
    assert parts["test"].parent().id == ds.id  # type: ignore[union-attr]
    assert parts["train"].load()["id"].max() < parts["test"].load()["id"].min()
