"""Parquet files of versions: every column type is written, and a file reads back with its writer's Arrow types."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlcycle.core.errors import InvalidInput
from mlcycle.data import DatasetService, content_hash, profile_table
from mlcycle.data.parquet import dictionary_columns, read_table, write_parquet
from mlcycle.data.profile import infer_schema
from mlcycle.data.sources import from_pandas, from_parquet

from .conftest import PROJECT

# Types that plain Parquet reads back as close relatives (date32, time32[ms], other field names, plain strings).
CHANGED_BY_PARQUET = pa.table(
    {
        "date64": pa.array([datetime.date(2024, 1, 1), None], pa.date64()),
        "seconds": pa.array([1, 2], pa.time32("s")),
        "tags": pa.array([[1], None], pa.large_list(pa.int64())),
        "attrs": pa.array([[("a", 1)], None], pa.map_(pa.string(), pa.int64())),
        "category": pa.array(["x", "y"], pa.large_string()).dictionary_encode(),
    }
)


def _round_trip(table: pa.Table, tmp_path: Path) -> pa.Table:
    path = tmp_path / "t.parquet"
    write_parquet(table, path)
    return read_table(path)


def test_a_file_reads_back_with_the_writers_types(tmp_path: Path) -> None:
    plain = pq.read_table(io.BytesIO(_bytes(CHANGED_BY_PARQUET)))
    assert not plain.schema.equals(CHANGED_BY_PARQUET.schema)  # what this module is for
    back = _round_trip(CHANGED_BY_PARQUET, tmp_path)
    assert back.schema.equals(CHANGED_BY_PARQUET.schema)
    assert back.equals(CHANGED_BY_PARQUET)
    assert content_hash(back) == content_hash(CHANGED_BY_PARQUET)
    profile = profile_table(back)
    assert infer_schema(back, profile) == infer_schema(CHANGED_BY_PARQUET, profile_table(CHANGED_BY_PARQUET))
    only = read_table(tmp_path / "t.parquet", columns=["seconds"])
    assert only.schema.field("seconds").type == pa.time32("s")


def test_files_without_a_recorded_schema_read_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "bare.parquet"
    pq.write_table(CHANGED_BY_PARQUET, path, store_schema=False)
    assert read_table(path).schema.field("date64").type == pa.date32()


def test_categorical_and_null_columns_are_written(tmp_path: Path) -> None:
    table = pa.table({"c": pa.array(["a", "b", "a"]).dictionary_encode(), "n": pa.array([None] * 3), "v": [1, 2, 3]})
    assert dictionary_columns(table) == ["c"]
    assert _round_trip(table, tmp_path).equals(table)


def test_a_categorical_frame_is_versioned_and_loaded_back(local_svc: DatasetService) -> None:
    df = pd.DataFrame({"plan": pd.Categorical(["free", "pro", "free"]), "n": [1, 2, 3]})
    v = local_svc.log_dataset(PROJECT, "plans", df)
    assert v.column("plan") is not None and v.column("plan").kind == "categorical"  # type: ignore[union-attr]
    assert v.content_hash == content_hash(from_pandas(df))
    pd.testing.assert_frame_equal(local_svc.load(v), df)


def test_an_upload_that_is_not_parquet_is_invalid_input() -> None:
    assert from_parquet(io.BytesIO(_bytes(CHANGED_BY_PARQUET))).equals(CHANGED_BY_PARQUET)
    with pytest.raises(InvalidInput, match="the upload cannot be read as parquet"):
        from_parquet(io.BytesIO(b"a,b\n1,2\n"), "the upload")


def _bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()
