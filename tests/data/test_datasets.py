"""Dataset versions: logging, dedup by content, reading, tags, diffs, lineage and events (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlcycle.core.errors import IntegrityError, InvalidInput, NotFound
from mlcycle.data import DatasetService
from mlcycle.store.events import list_events
from mlcycle.store.lineage import edges_from, edges_to
from mlcycle.tracking.service import TrackingService

from .conftest import PROJECT, blob_files


def events(svc: DatasetService, action: str) -> list[object]:
    with svc.store.read() as conn:
        return list(list_events(conn, entity_type="dataset_version", action=action))


def test_log_dataframe_records_schema_profile_and_event(svc: DatasetService, customers: pd.DataFrame) -> None:
    v = svc.log_dataset(PROJECT, "customers", customers, source="warehouse.customers")
    assert (v.dataset, v.version, v.row_count, v.stage) == ("customers", 1, 200, "data_collection")
    assert v.source == "warehouse.customers" and v.source_kind == "dataframe" and v.created_by == "alice"
    assert [(c.name, c.kind, c.nullable) for c in v.columns] == [
        ("id", "integer", False),
        ("age", "float", True),
        ("plan", "string", False),
        ("churned", "boolean", False),
    ]
    assert v.profile["age"].null_count == int(customers["age"].isna().sum())
    assert v.profile["plan"].n_unique == 3
    assert len(v.content_hash) == 64 and svc.blobs.exists(v.blob_digest)
    [created] = events(svc, "created")
    assert created.entity_id == v.id and created.stage == "data_collection"  # type: ignore[attr-defined]
    assert created.payload["dataset"] == "customers" and created.payload["version"] == 1  # type: ignore[attr-defined]


def test_identical_content_returns_the_existing_version_and_stores_nothing(
    svc: DatasetService, customers: pd.DataFrame
) -> None:
    first = svc.log_dataset(PROJECT, "customers", customers)
    files = blob_files(svc)
    reindexed = customers.set_axis(np.arange(1000, 1000 + len(customers))[::-1])  # another index, same rows
    again = svc.log_dataset(PROJECT, "customers", reindexed)
    assert again.id == first.id and again.version == 1
    assert blob_files(svc) == files
    assert len(svc.list_versions(PROJECT, "customers")) == 1
    assert len(events(svc, "created")) == 1


def test_named_index_levels_are_kept_as_columns(svc: DatasetService, customers: pd.DataFrame) -> None:
    v = svc.log_dataset(PROJECT, "customers", customers.set_index("id"))
    assert [c.name for c in v.columns] == ["id", "age", "plan", "churned"]
    assert svc.log_dataset(PROJECT, "customers", customers).id == v.id
    with pytest.raises(InvalidInput, match="index cannot become columns"):
        svc.log_dataset(PROJECT, "customers", customers.set_index(customers["id"].rename("age")))


def test_changed_content_is_the_next_version(svc: DatasetService, customers: pd.DataFrame) -> None:
    v1 = svc.log_dataset(PROJECT, "customers", customers)
    v2 = svc.log_dataset(PROJECT, "customers", customers.iloc[::-1])  # row order is content
    v3 = svc.log_dataset(PROJECT, "customers", customers.assign(age=customers["age"] + 1))
    assert [v.version for v in (v1, v2, v3)] == [1, 2, 3]
    assert len({v.content_hash for v in (v1, v2, v3)}) == 3
    assert [v.version for v in svc.list_versions(PROJECT, "customers")] == [3, 2, 1]
    [info] = svc.list_datasets(PROJECT)
    assert (info.name, info.versions, info.latest_version, info.latest_row_count) == ("customers", 3, 3, 200)


def test_same_content_in_another_dataset_reuses_the_blob(svc: DatasetService, customers: pd.DataFrame) -> None:
    a = svc.log_dataset(PROJECT, "customers", customers)
    files = blob_files(svc)
    b = svc.log_dataset(PROJECT, "customers-copy", customers)
    assert b.id != a.id and b.blob_digest == a.blob_digest and b.profile == a.profile
    assert blob_files(svc) == files


def test_load_round_trips_as_pandas_and_arrow(svc: DatasetService, customers: pd.DataFrame) -> None:
    v = svc.log_dataset(PROJECT, "customers", customers.set_axis(range(5, 205)))
    df = svc.load(v)
    assert isinstance(df, pd.DataFrame)
    pd.testing.assert_frame_equal(df, customers)
    table = svc.load(v.id, as_="arrow", columns=["plan", "id"])
    assert isinstance(table, pa.Table) and table.column_names == ["plan", "id"]
    assert svc.log_dataset(PROJECT, "customers", df).id == v.id  # what comes out hashes like what went in
    with pytest.raises(InvalidInput, match="no columns"):
        svc.load(v, columns=["nope"])
    with pytest.raises(InvalidInput, match="cannot load"):
        svc.load(v, as_="polars")  # type: ignore[arg-type]


def test_files_of_each_format_are_read_and_named(svc: DatasetService, tmp_path: Path) -> None:
    df = pd.DataFrame({"x": [1, 2, 3], "y": [0.5, None, 2.5], "s": ["a", "b", None]})
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_parquet(tmp_path / "d.parquet", index=False)
    df.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    from_frame = svc.log_dataset(PROJECT, "frame", df)
    for name in ("d.csv", "d.parquet", "d.jsonl"):
        v = svc.log_dataset(PROJECT, f"file-{name[2:]}", tmp_path / name)
        assert v.source == str(tmp_path / name) and v.source_kind == "file"
        assert v.content_hash == from_frame.content_hash, name  # same values and logical types
        pd.testing.assert_frame_equal(svc.load(v), df, check_dtype=False)


def test_url_sources_go_through_fsspec(svc: DatasetService) -> None:
    import fsspec

    with fsspec.open("memory://bucket/data.csv", "w") as f:
        f.write("a,b\n1,x\n2,y\n")
    v = svc.log_dataset(PROJECT, "remote", "memory://bucket/data.csv")
    assert (v.source, v.source_kind, v.row_count) == ("memory://bucket/data.csv", "url", 2)
    with pytest.raises(InvalidInput, match=re.escape("memory://bucket/missing.csv")):
        svc.log_dataset(PROJECT, "remote", "memory://bucket/missing.csv")


def test_missing_or_unreadable_files_are_invalid_input_naming_the_path(svc: DatasetService, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(InvalidInput, match=re.escape(str(missing))):
        svc.log_dataset(PROJECT, "d", missing)
    garbage = tmp_path / "broken.parquet"
    garbage.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match=re.escape(str(garbage))):
        svc.log_dataset(PROJECT, "d", garbage)
    odd = tmp_path / "data.xlsx"
    odd.write_bytes(b"x")
    with pytest.raises(InvalidInput, match=re.escape(str(odd))):
        svc.log_dataset(PROJECT, "d", odd)
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.csv"
        locked.write_text("a\n1\n")
        locked.chmod(0)
        with pytest.raises(InvalidInput, match=re.escape(str(locked))):
            svc.log_dataset(PROJECT, "d", locked)
    with pytest.raises(InvalidInput, match="cannot log a list"):
        svc.log_dataset(PROJECT, "d", [1, 2, 3])
    assert svc.list_datasets(PROJECT) == []


def test_bad_names_stages_and_references(backends: tuple[DatasetService, TrackingService]) -> None:
    svc, tracking = backends
    df = pd.DataFrame({"a": [1]})
    with pytest.raises(InvalidInput, match="dataset name"):
        svc.log_dataset(PROJECT, "../etc", df)
    with pytest.raises(InvalidInput, match="lifecycle stage"):
        svc.log_dataset(PROJECT, "d", df, stage="data_colection")
    with pytest.raises(InvalidInput, match="source_kind"):
        svc.log_dataset(PROJECT, "d", df, source_kind="ftp")
    with pytest.raises(NotFound, match="no project"):
        svc.log_dataset("nope", "d", df)
    with pytest.raises(NotFound, match="no run"):
        svc.log_dataset(PROJECT, "d", df, run_id="0" * 32)
    with pytest.raises(NotFound, match="derive"):
        svc.log_dataset(PROJECT, "d", df, parent_version_id="0" * 32)
    with pytest.raises(InvalidInput, match="duplicate column"):
        svc.log_dataset(PROJECT, "d", pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(InvalidInput, match="cannot be stored"):
        svc.log_dataset(PROJECT, "d", pd.DataFrame({"a": [1, "x", 2.5]}, dtype=object))
    assert tracking.project(PROJECT).name == PROJECT


def test_versions_by_number_latest_and_tag(svc: DatasetService, customers: pd.DataFrame) -> None:
    v1 = svc.log_dataset(PROJECT, "customers", customers)
    v2 = svc.log_dataset(PROJECT, "customers", customers.head(50))
    assert svc.get_version(PROJECT, "customers").id == v2.id
    assert svc.get_version(PROJECT, "customers", 1).id == v1.id
    assert svc.get_version(PROJECT, "customers", "v1").id == v1.id
    assert svc.get_version(PROJECT, "customers", "2").id == v2.id
    tagged = svc.tag(PROJECT, "customers", 1, "golden")
    assert tagged.tags == ["golden"]
    assert svc.get_version(PROJECT, "customers", "golden").id == v1.id
    svc.tag(PROJECT, "customers", "latest", "golden")  # a tag moves
    svc.tag(PROJECT, "customers", "latest", "golden")  # ... and pointing it where it is changes nothing
    assert svc.get_version(PROJECT, "customers", "golden").id == v2.id
    assert svc.get_version_by_id(v1.id).tags == []
    assert svc.list_datasets(PROJECT)[0].tags == {"golden": 2}
    tag_events = events(svc, "tagged")
    assert len(tag_events) == 2
    for reserved in ("latest", "3", "v2"):
        with pytest.raises(InvalidInput, match="cannot be a tag"):
            svc.tag(PROJECT, "customers", 1, reserved)
    with pytest.raises(NotFound, match="no version 'v9'"):
        svc.get_version(PROJECT, "customers", "v9")
    with pytest.raises(NotFound) as err:
        svc.get_version(PROJECT, "customer")
    assert err.value.hint == "did you mean 'customers'?"


def test_diff_names_schema_row_and_profile_changes(svc: DatasetService, customers: pd.DataFrame) -> None:
    a = svc.log_dataset(PROJECT, "customers", customers)
    changed = customers.drop(columns=["churned"]).assign(
        id=customers["id"].astype(float), score=1.0, plan=customers["plan"].where(customers.index > 0)
    )
    b = svc.log_dataset(PROJECT, "customers", changed.head(150))
    d = svc.diff(a, b)
    assert (d.a, d.b, d.same_content) == ("customers@v1", "customers@v2", False)
    assert [c.name for c in d.added] == ["score"] and [c.name for c in d.removed] == ["churned"]
    assert d.type_changed["id"].before == "int64" and d.type_changed["id"].after == "double"
    assert d.nullability_changed["plan"].before is False and d.nullability_changed["plan"].after is True
    assert (d.row_count.before, d.row_count.after, d.row_count.delta) == (200, 150, -50.0)
    assert d.profile["id"]["max"].delta == -50.0
    assert d.profile["plan"]["null_count"].after == 1
    assert d.schema_changed
    same = svc.diff(a, a)
    assert same.same_content and not same.schema_changed and same.profile == {}
    as_arrow = pa.Table.from_pandas(customers.assign(id=customers["id"] + 1), preserve_index=False)
    narrow = as_arrow.set_column(2, "plan", as_arrow.column("plan").cast(pa.string()))
    c = svc.log_dataset(PROJECT, "narrow", narrow)
    assert (c.columns[2].type, a.columns[2].type) == ("string", "large_string")
    assert svc.diff(a, c).type_changed == {}  # string and large_string hold the same kind of values


def test_runs_and_parents_become_lineage_edges(backends: tuple[DatasetService, TrackingService]) -> None:
    svc, tracking = backends
    run = tracking.create_run(PROJECT, name="ingest", stage="data_collection")
    parent = svc.log_dataset(PROJECT, "raw", pd.DataFrame({"a": [1, 2, 3]}), run_id=run.id)
    child = svc.log_dataset(
        PROJECT, "clean", pd.DataFrame({"a": [1, 2]}), stage="data_preparation", parent_version_id=parent.id
    )
    assert parent.run_id == run.id and child.parent_version_id == parent.id and child.stage == "data_preparation"
    with svc.store.read() as conn:
        assert [(e.dst_id, e.relation) for e in edges_from(conn, "run", run.id)] == [(parent.id, "output")]
        assert [(e.src_id, e.relation) for e in edges_to(conn, "dataset_version", child.id)] == [(parent.id, "derived")]
    other = tracking.create_run(PROJECT, name="again")
    assert svc.log_dataset(PROJECT, "raw", pd.DataFrame({"a": [1, 2, 3]}), run_id=other.id).id == parent.id
    with svc.store.read() as conn:  # logging known content from another run links that run too
        assert [e.dst_id for e in edges_from(conn, "run", other.id)] == [parent.id]


def test_concurrent_writers_get_one_version_per_content(svc: DatasetService) -> None:
    frames = [pd.DataFrame({"a": [i, i + 1]}) for i in range(4)]
    results: list[str] = []
    errors: list[BaseException] = []

    def log(df: pd.DataFrame) -> None:
        try:
            results.append(svc.log_dataset(PROJECT, "shared", df).id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=log, args=(frames[i % 4],)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = svc.list_versions(PROJECT, "shared")
    assert sorted(v.version for v in versions) == [1, 2, 3, 4]
    assert set(results) == {v.id for v in versions}


def test_corrupt_parquet_blob_is_an_integrity_error(svc: DatasetService, customers: pd.DataFrame) -> None:
    v = svc.log_dataset(PROJECT, "customers", customers)
    path = svc.blobs.local_path(v.blob_digest)
    assert path is not None
    pq.write_table(pa.table({"x": [1]}), path)
    with pytest.raises(IntegrityError, match=v.blob_digest):
        svc.load(v)
