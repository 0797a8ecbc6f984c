"""Datasets behave the same embedded (SQLite, PostgreSQL) and remote (HTTP to `mlcycle server`).

Every test runs once per backend of ``client`` (see conftest.py) and works in a project of its own. Hashes and
split parts are also compared with what the data package computes in this process, so the three backends agree
with each other, not just with themselves.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import mlcycle as mc
from mlcycle.client.api import Client, Project
from mlcycle.core.errors import InvalidInput, NotFound, ValidationFailed
from mlcycle.data import AllowedValues, Custom, ExpectationSuite, NotNull, Range, Unique, content_hash, split_table
from mlcycle.data.sources import from_pandas

from .conftest import EMBEDDED_USER, REMOTE_USER


@pytest.fixture
def project(client: Client) -> Project:
    return client.project(f"contract-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def frame() -> pd.DataFrame:
    """Integers, floats with missing values, strings, a categorical, booleans and timestamps."""
    rng = np.random.default_rng(11)
    n = 120
    age = rng.integers(18, 90, n).astype(float)
    age[::13] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": age,
            "plan": rng.choice(["free", "pro", "team"], n, p=[0.6, 0.3, 0.1]),
            "tier": pd.Categorical(rng.choice(["a", "b"], n)),
            "churned": rng.random(n) < 0.25,
            "signup": pd.date_range("2024-01-01", periods=n, freq="D"),
        }
    )


def _user(client: Client) -> str:
    return REMOTE_USER if client.is_remote else EMBEDDED_USER


# ---- versions ---------------------------------------------------------------------------------------------
def test_log_records_schema_profile_and_the_same_content_hash(project: Project, frame: pd.DataFrame) -> None:
    ds = project.log_dataset("customers", frame, source="crm export")
    info = ds.info
    assert (info.dataset, info.version, info.row_count, info.stage) == ("customers", 1, 120, "data_collection")
    assert (info.source, info.source_kind, info.created_by) == ("crm export", "dataframe", _user(project.client))
    assert info.content_hash == content_hash(from_pandas(frame))  # computed as embedded, on every backend
    assert [(c.name, c.kind) for c in info.columns] == [
        ("id", "integer"),
        ("age", "float"),
        ("plan", "string"),
        ("tier", "categorical"),
        ("churned", "boolean"),
        ("signup", "datetime"),
    ]
    assert next(c for c in info.columns if c.name == "tier").type == str(from_pandas(frame).schema.field("tier").type)
    assert (info.profile["age"].null_count, info.profile["age"].count) == (10, 110)
    assert info.profile["id"].max == 119 and info.profile["plan"].top is not None
    assert project.log_dataset("plain", frame[["id"]]).info.source == ""


def test_equal_content_returns_the_existing_version(project: Project, frame: pd.DataFrame) -> None:
    first = project.log_dataset("customers", frame)
    again = project.log_dataset("customers", frame.copy())
    assert again.id == first.id and again.version == 1
    as_arrow = project.log_dataset("customers", from_pandas(frame))  # the same content as a Table
    assert as_arrow.id == first.id
    changed = project.log_dataset("customers", frame.head(50))
    assert changed.version == 2
    assert [d.version for d in first.versions()] == [2, 1]
    elsewhere = project.log_dataset("copy", frame)  # equal content in another dataset: its own version 1
    assert (elsewhere.version, elsewhere.info.content_hash) == (1, first.info.content_hash)


def test_load_round_trips_as_pandas_and_arrow(project: Project, frame: pd.DataFrame) -> None:
    ds = project.log_dataset("customers", frame)
    pd.testing.assert_frame_equal(ds.load(), frame)
    table = ds.load(as_="arrow")
    assert isinstance(table, pa.Table)
    assert content_hash(table) == ds.info.content_hash
    assert table.schema.field("tier").type == from_pandas(frame).schema.field("tier").type
    pd.testing.assert_frame_equal(ds.load(columns=["plan", "id"]), frame[["plan", "id"]])
    assert ds.load(as_="arrow", columns=["age"]).column_names == ["age"]
    with pytest.raises(InvalidInput, match=r"customers@v1 has no columns \['nope'\]"):
        ds.load(columns=["id", "nope"])
    with pytest.raises(InvalidInput, match="cannot load a dataset as 'polars'"):
        ds.load(as_="polars")


def test_files_are_read_where_the_client_runs(project: Project, frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    frame[["id", "age", "plan"]].to_csv(path, index=False)
    ds = project.log_dataset("from-csv", path)
    assert (ds.info.source, ds.info.source_kind, ds.info.row_count) == (str(path), "file", 120)
    assert ds.load()["plan"].tolist() == frame["plan"].tolist()
    described = project.log_dataset("described", frame[["id"]], source=str(path))  # a source that is a file
    assert described.info.source_kind == "file"


def test_missing_file_is_invalid_input_naming_the_path(project: Project, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(InvalidInput, match=re.escape(str(missing))):
        project.log_dataset("d", missing)
    garbage = tmp_path / "broken.parquet"
    garbage.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match=re.escape(str(garbage))):
        project.log_dataset("d", garbage)
    assert project.datasets() == []


def test_bad_names_stages_and_references(project: Project, frame: pd.DataFrame) -> None:
    backend = project.client.backend
    with pytest.raises(InvalidInput, match="invalid dataset name"):
        project.log_dataset("../etc", frame)
    with pytest.raises(InvalidInput, match="unknown lifecycle stage") as err:
        project.log_dataset("d", frame, stage="data_colection")
    assert err.value.hint == "did you mean 'data_collection'?"
    with pytest.raises(InvalidInput, match="source_kind"):
        backend.log_dataset(project.name, "d", frame, source_kind="ftp")
    with pytest.raises(NotFound, match="no run"):
        backend.log_dataset(project.name, "d", frame, run_id="0" * 32)
    with pytest.raises(NotFound, match="derive"):
        backend.log_dataset(project.name, "d", frame, parent_version_id="0" * 32)
    with pytest.raises(NotFound, match="no project"):
        backend.log_dataset(f"missing-{uuid.uuid4().hex[:8]}", "d", frame)
    assert project.datasets() == []


def test_versions_latest_and_tags(project: Project, frame: pd.DataFrame) -> None:
    v1 = project.log_dataset("customers", frame)
    v2 = project.log_dataset("customers", frame.head(10), stage="data_preparation")
    assert project.dataset("customers").id == v2.id
    assert project.dataset("customers", "latest").id == v2.id
    assert project.dataset("customers", 1).id == v1.id
    assert project.dataset("customers", "v1").id == v1.id
    assert project.dataset("customers", "2").id == v2.id
    assert v1.tag("golden").info.tags == ["golden"]
    assert project.dataset("customers", "golden").id == v1.id
    v2.tag("golden")  # a tag moves
    assert project.dataset("customers", "golden").id == v2.id
    assert project.client.backend.dataset_version_by_id(v1.id).tags == []
    infos = project.datasets()
    assert [(d.name, d.versions, d.latest_version, d.latest_row_count, d.tags) for d in infos] == [
        ("customers", 2, 2, 10, {"golden": 2})
    ]
    assert infos[0].created_by == _user(project.client)
    for reserved in ("latest", "3", "v2"):
        with pytest.raises(InvalidInput, match="cannot be a tag"):
            v1.tag(reserved)
    with pytest.raises(InvalidInput, match="invalid tag"):
        v1.tag("not a tag")
    with pytest.raises(NotFound, match="no version 'v9'"):
        project.dataset("customers", "v9")
    with pytest.raises(NotFound, match="no version 7"):
        project.dataset("customers", 7)
    tagged = [e for e in project.client.events(project.name) if e.action == "tagged"]
    assert [e.payload["tag"] for e in tagged] == ["golden", "golden"]
    assert {e.user for e in tagged} == {_user(project.client)}


def test_unknown_dataset_is_not_found(project: Project, frame: pd.DataFrame) -> None:
    project.log_dataset("customers", frame)
    with pytest.raises(NotFound, match="has no dataset 'customer'") as err:
        project.dataset("customer")
    assert err.value.hint == "did you mean 'customers'?"
    with pytest.raises(NotFound, match="has no dataset"):
        project.client.backend.list_dataset_versions(project.name, "nothing-like-it")
    backend = project.client.backend
    for call in (backend.dataset_version_by_id, backend.load_dataset):
        with pytest.raises(NotFound, match="no dataset version"):
            call("0" * 32)
    with pytest.raises(NotFound, match="no project"):
        backend.list_datasets(f"missing-{uuid.uuid4().hex[:8]}")


def test_diff(project: Project, frame: pd.DataFrame) -> None:
    a = project.log_dataset("customers", frame)
    b = project.log_dataset("customers", frame.drop(columns=["churned"]).assign(score=1.0).head(100))
    diff = a.diff(b)
    assert (diff.a, diff.b, diff.same_content) == ("customers@v1", "customers@v2", False)
    assert [c.name for c in diff.added] == ["score"] and [c.name for c in diff.removed] == ["churned"]
    assert (diff.row_count.before, diff.row_count.after, diff.row_count.delta) == (120, 100, -20)
    assert "id" in diff.profile and diff.profile["id"]["max"].after == 99
    assert a.diff(a).same_content


# ---- validation -------------------------------------------------------------------------------------------
def test_validation_passes_and_stores_the_report(project: Project, frame: pd.DataFrame) -> None:
    ds = project.log_dataset("customers", frame)
    suite = mc.data.infer_expectations(ds)
    with project.start_run("check") as run:
        report = ds.validate(suite)
    assert report.success and report.row_count == 120
    assert (report.version_id, report.dataset, report.run_id) == (ds.id, "customers@v1", run.id)
    assert report.id and report.created_by == _user(project.client)
    assert {r.rule for r in report.results} >= {"column_types", "not_null", "range", "unique", "row_count"}
    event = next(e for e in project.client.events(project.name) if e.action == "validated")
    assert (event.entity_id, event.stage, event.payload["report_id"]) == (ds.id, "data_preparation", report.id)
    assert event.payload["success"] is True and event.user == _user(project.client)


def test_validation_failure_names_columns_rules_and_samples(project: Project, frame: pd.DataFrame) -> None:
    reference = project.log_dataset("customers", frame)
    suite = ExpectationSuite(
        [NotNull(column="plan"), Range(column="age", min=18, max=90), AllowedValues(column="plan", values=["free"])]
    )
    suite.add(Unique(column="id"))
    bad = project.log_dataset("customers", frame.assign(age=frame["age"].where(frame["id"] != 5, 150.0)))
    with pytest.raises(ValidationFailed) as err:
        bad.validate(suite)
    failures = {(f["column"], f["rule"]): f for f in err.value.details["failures"]}
    assert set(failures) == {("age", "range"), ("plan", "allowed_values")}
    assert failures["age", "range"]["failed_count"] == 1
    assert failures["age", "range"]["sample_values"] == [150.0]
    assert sorted(failures["plan", "allowed_values"]["sample_values"]) == ["pro", "team"]
    assert err.value.details["dataset"] == "customers@v2" and err.value.details["report_id"]
    assert "age range (1 row, e.g. 150.0)" in err.value.message
    assert err.value.http_status == 422 and isinstance(err.value, InvalidInput)

    report = bad.validate(suite, raise_on_failure=False)
    assert not report.success and report.id != err.value.details["report_id"]
    assert [r.sample_rows for r in report.failures if r.rule == "range"] == [[5]]
    assert reference.validate(ExpectationSuite([NotNull(column="id")])).success
    validated = [e for e in project.client.events(project.name) if e.action == "validated"]
    assert [e.payload["success"] for e in validated] == [True, False, False]  # newest first; failures stored too


def test_custom_rules_run_on_every_backend(project: Project, frame: pd.DataFrame) -> None:
    """A custom rule is Python: remotely, the client checks the suite on the downloaded rows and the server
    stores the report, so the outcome, the stored report and the error are the same as embedded."""
    ds = project.log_dataset("customers", frame)
    adults = Custom("adults", lambda df: df["age"].isna() | (df["age"] >= 18), column="age")
    suite = ExpectationSuite([NotNull(column="id"), adults])
    report = ds.validate(suite)
    assert report.success and [r.rule for r in report.results] == ["not_null", "custom:adults"]
    assert report.id and report.created_by == _user(project.client)
    assert report.suite["expectations"][1] == {"rule": "custom", "name": "adults", "column": "age"}

    seniors = Custom("seniors", lambda df: df["age"].fillna(99) >= 65, column="age")
    with pytest.raises(ValidationFailed, match="age custom:seniors") as err:
        ds.validate(ExpectationSuite([seniors]))
    (failure,) = err.value.details["failures"]
    assert failure["rule"] == "custom:seniors" and failure["failed_count"] > 0
    assert all(v < 65 for v in failure["sample_values"])
    unbound = ds.validate(ExpectationSuite([Custom("unbound")]), raise_on_failure=False)
    assert not unbound.success and "has no function" in unbound.results[0].message
    validated = [e for e in project.client.events(project.name) if e.action == "validated"]
    assert [e.payload["success"] for e in validated] == [False, False, True]
    assert validated[1].payload["failures"][0]["rule"] == "custom:seniors"


# ---- splits -----------------------------------------------------------------------------------------------
def test_split_is_deterministic_and_derived_from_its_parent(project: Project, frame: pd.DataFrame) -> None:
    ds = project.log_dataset("customers", frame)
    options = {"method": "stratified", "stratify_by": "plan", "fractions": (0.6, 0.2, 0.2), "seed": 42}
    with project.start_run("split") as run:
        parts = ds.split(**options)  # type: ignore[arg-type]
    assert list(parts) == ["train", "validation", "test"]
    expected = split_table(from_pandas(frame), **options)  # the same parts as computed in this process
    for part, version in parts.items():
        info = version.info
        assert info.dataset == f"customers-{part}" and info.content_hash == content_hash(expected[part])
        assert (info.parent_version_id, info.source_kind, info.stage) == (ds.id, "split", "data_preparation")
        assert info.run_id == run.id and "seed=42" in info.source
        assert version.parent() is not None and version.parent().id == ds.id  # type: ignore[union-attr]
    assert sum(p.info.row_count for p in parts.values()) == 120
    again = ds.split(**options)  # type: ignore[arg-type]
    assert {k: v.id for k, v in again.items()} == {k: v.id for k, v in parts.items()}
    reseeded = ds.split(**{**options, "seed": 7})  # type: ignore[arg-type]
    assert reseeded["train"].info.content_hash != parts["train"].info.content_hash
    assert reseeded["train"].version == 2

    timed = ds.split(method="time", time_column="signup", fractions=(0.75, 0.25))
    assert list(timed) == ["train", "test"]
    assert timed["train"].load()["signup"].max() < timed["test"].load()["signup"].min()
    with pytest.raises(InvalidInput, match="stratify_by column 'nope'"):
        ds.split(method="stratified", stratify_by="nope")
    with pytest.raises(InvalidInput, match="add up to 1"):
        ds.split(fractions=(0.5, 0.6))
    with pytest.raises(NotFound, match="no dataset version"):
        project.client.backend.split_dataset("0" * 32)
