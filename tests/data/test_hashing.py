"""The content hash: what counts as identical (values, logical types, row order) and what does not (index,
chunking, slicing, bytes under nulls, string encodings)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlcycle.data.hashing import content_hash, logical_type
from mlcycle.data.sources import from_pandas

ROWS = st.integers(min_value=0, max_value=40)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """Frames with int, float (with NaN), string (with None), bool and datetime columns."""
    n = draw(ROWS)
    ints = draw(hnp.arrays(np.int64, n, elements=st.integers(-(2**40), 2**40)))
    # -0.0 becomes 0.0: the hash compares bits, so -0.0 and 0.0 differ, which pandas' equality would hide here
    floats = draw(hnp.arrays(np.float64, n, elements=st.floats(allow_nan=True).map(lambda x: x + 0.0)))
    strings = draw(st.lists(st.one_of(st.none(), st.text(max_size=5)), min_size=n, max_size=n))
    bools = draw(hnp.arrays(np.bool_, n))
    stamps = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2**40)))
    return pd.DataFrame(
        {
            "i": ints,
            "f": floats,
            "s": pd.Series(strings, dtype="str"),
            "b": bools,
            "t": pd.to_datetime(stamps, unit="ms"),
        }
    )


def h(df: pd.DataFrame) -> str:
    return content_hash(from_pandas(df))


def rechunk(table: pa.Table, cuts: list[int]) -> pa.Table:
    bounds = sorted({0, table.num_rows, *[c % (table.num_rows + 1) for c in cuts]})
    pieces = [table.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    return pa.concat_tables(pieces) if pieces else table


@settings(max_examples=60, deadline=None)
@given(frames(), st.data())
def test_the_index_does_not_count(df: pd.DataFrame, data: st.DataObject) -> None:
    labels = data.draw(st.permutations(list(range(len(df)))))
    assert h(df.set_axis(pd.Index(labels) * 3 + 11)) == h(df)
    assert h(df.set_axis([f"row{i}" for i in range(len(df))])) == h(df)


@settings(max_examples=60, deadline=None)
@given(frames(), st.lists(st.integers(0, 100), max_size=6))
def test_chunking_and_slicing_do_not_count(df: pd.DataFrame, cuts: list[int]) -> None:
    table = from_pandas(df)
    chunked = rechunk(table, cuts)
    assert chunked.column(0).num_chunks >= 1
    assert content_hash(chunked) == content_hash(table)
    if len(df) > 2:  # a slice with an offset hashes like a fresh copy of the same rows
        assert content_hash(table.slice(1, len(df) - 2)) == content_hash(from_pandas(df.iloc[1:-1].copy()))


@settings(max_examples=60, deadline=None)
@given(frames(), st.data())
def test_row_order_counts(df: pd.DataFrame, data: st.DataObject) -> None:
    order = data.draw(st.permutations(list(range(len(df)))))
    shuffled = df.iloc[order]
    rows_differ = not from_pandas(shuffled.reset_index(drop=True)).equals(from_pandas(df))
    assert (h(shuffled) != h(df)) == rows_differ


@settings(max_examples=60, deadline=None)
@given(frames(), st.data())
def test_any_changed_value_changes_the_hash(df: pd.DataFrame, data: st.DataObject) -> None:
    assume(len(df) > 0)
    row = data.draw(st.integers(0, len(df) - 1))
    changed = df.copy()
    changed.loc[row, "i"] = df.loc[row, "i"] + 1
    assert h(changed) != h(df)
    was_missing = bool(df["s"].isna().iloc[row])
    nulled = df.astype({"s": object})
    nulled.iloc[row, df.columns.get_loc("s")] = "x" if was_missing else None
    assert h(nulled) != h(df)


def test_names_types_and_column_order_count() -> None:
    df = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    assert h(df) != h(df.rename(columns={"a": "z"}))
    assert h(df) != h(df[["b", "a"]])
    assert h(df) != h(df.astype({"a": "int32"}))
    assert h(df) != h(df.astype({"a": "float64"}))


def test_string_encodings_are_one_logical_type() -> None:
    values = ["a", None, "ccc", ""]
    variants = [pa.array(values, t) for t in (pa.string(), pa.large_string(), pa.string_view())]
    hashes = {content_hash(pa.table({"s": v})) for v in variants}
    assert len(hashes) == 1
    assert logical_type(pa.large_binary()) == logical_type(pa.binary()) == "binary"


def test_categoricals_hash_their_values_whatever_their_codes() -> None:
    a = pd.DataFrame({"c": pd.Categorical(["x", "y", "x"], categories=["x", "y"])})
    b = pd.DataFrame({"c": pd.Categorical(["x", "y", "x"], categories=["y", "x", "unused"])})
    assert h(a) == h(b)
    assert h(a) != h(a.astype({"c": "str"}))  # a categorical column is not a string column
    wide = pa.table({"c": pa.array(["x", "y", "x"]).dictionary_encode()})  # int32 codes, not pandas' int8
    assert content_hash(wide) == h(a)


def test_bytes_under_nulls_do_not_count() -> None:
    validity = pa.py_buffer(np.packbits([1, 0, 1], bitorder="little").tobytes())
    a = pa.Array.from_buffers(pa.int64(), 3, [validity, pa.py_buffer(np.array([1, 7, 3]).tobytes())])
    b = pa.Array.from_buffers(pa.int64(), 3, [validity, pa.py_buffer(np.array([1, 9, 3]).tobytes())])
    assert content_hash(pa.table({"x": a})) == content_hash(pa.table({"x": b}))


@pytest.mark.parametrize(
    "column",
    [
        pa.array([[1, 2], None, [], [3]], pa.list_(pa.int64())),
        pa.array([{"k": 1}, {"k": None}, None, {"k": 4}], pa.struct([("k", pa.int64())])),
        pa.array([b"ab", None, b"", b"c"], pa.binary()),
        pa.array([True, None, False, True]),
        pa.array([None, None, None, None], pa.null()),
    ],
)
def test_other_types_hash_stably_across_chunks(column: pa.Array) -> None:
    table = pa.table({"c": column})
    assert content_hash(rechunk(table, [1, 3])) == content_hash(table)
    assert content_hash(table.slice(1)) != content_hash(table)
