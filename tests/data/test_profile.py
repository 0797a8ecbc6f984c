"""Schema inference and profiles: every statistic matches numpy or pandas computed the plain way."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlcycle.data.profile import QUANTILES, TOP_K, column_kind, infer_schema, profile_column, profile_table
from mlcycle.data.sources import from_pandas


def close(a: float | None, b: float) -> bool:
    assert a is not None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isinf(b) and a == b)


FINITE = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(0, 60), elements=st.one_of(FINITE, st.just(np.nan))),
    st.lists(st.integers(0, 59), max_size=10),
)
def test_float_profile_matches_numpy(values: np.ndarray, null_at: list[int]) -> None:
    mask = np.zeros(len(values), dtype=bool)
    mask[[i for i in null_at if i < len(values)]] = True
    arr = pa.array(values, mask=mask, from_pandas=False)  # NaN stays NaN; masked slots are null
    p = profile_column(pa.chunked_array([arr]))
    present = values[~mask & ~np.isnan(values)]
    assert (p.count, p.null_count) == (present.size, len(values) - present.size)
    if present.size == 0:
        assert p.min is None and p.mean is None and p.n_unique == 0
        return
    assert p.min == present.min() and p.max == present.max()
    assert p.n_unique == np.unique(present).size
    assert close(p.mean, float(np.mean(present)))
    if present.size > 1:
        assert close(p.std, float(np.std(present, ddof=1)))
    else:
        assert p.std is None
    assert p.quantiles is not None
    for name, q in QUANTILES.items():
        assert close(p.quantiles[name], float(np.quantile(present, q)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62)), max_size=50), st.integers(1, 4))
def test_integer_profile_is_exact_and_chunking_does_not_matter(values: list[int | None], chunks: int) -> None:
    arr = pa.array(values, pa.int64())
    step = max(1, math.ceil(len(values) / chunks))
    chunked = pa.chunked_array([arr.slice(i, step) for i in range(0, len(values), step)] or [arr])
    p = profile_column(chunked)
    assert p == profile_column(pa.chunked_array([arr]))
    present = [v for v in values if v is not None]
    assert p.count == len(present) and p.null_count == len(values) - len(present)
    if present:
        assert (p.min, p.max) == (min(present), max(present))  # ints stay exact, even past 2**53
        assert isinstance(p.min, int)
        assert p.n_unique == len(set(present))
        assert close(p.mean, float(np.mean(np.array(present, dtype=np.float64))))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "dd", ""])), max_size=60))
def test_string_profile_matches_value_counts(values: list[str | None]) -> None:
    p = profile_column(pa.chunked_array([pa.array(values, pa.string())]))
    counts = pd.Series(values, dtype=object).value_counts(dropna=True)
    assert p.count == int(counts.sum()) and p.null_count == values.count(None)
    assert p.n_unique == len(counts)
    assert {v.value: v.count for v in p.top or []} == {str(k): int(c) for k, c in counts.items()}
    freqs = [v.count for v in p.top or []]
    assert freqs == sorted(freqs, reverse=True)


def test_top_values_are_capped_and_categoricals_are_profiled_like_strings() -> None:
    many = pa.chunked_array([pa.array([f"v{i % 50}" for i in range(500)])])
    p = profile_column(many)
    assert p.n_unique == 50 and len(p.top or []) == TOP_K
    cat = from_pandas(pd.DataFrame({"c": pd.Categorical(["x", "y", "x", None])})).column("c")
    pc_ = profile_column(cat)
    assert (pc_.n_unique, pc_.null_count) == (2, 1)
    assert [(v.value, v.count) for v in pc_.top or []] == [("x", 2), ("y", 1)]


def test_booleans_datetimes_and_others() -> None:
    df = pd.DataFrame(
        {
            "flag": [True, False, True, True],
            "when": pd.to_datetime(["2024-01-02 00:00:00", None, "2023-05-06 07:08:09", "2024-01-02 00:00:00"]),
            "day": [dt.date(2024, 1, 1), dt.date(2020, 2, 2), None, dt.date(2020, 2, 2)],
            "blob": [b"a", b"b", None, b"a"],
            "items": [[1], [], None, [2, 3]],
        }
    )
    table = from_pandas(df)
    prof = profile_table(table)
    assert [(v.value, v.count) for v in prof["flag"].top or []] == [(True, 3), (False, 1)]
    assert (prof["when"].min, prof["when"].max, prof["when"].n_unique) == (
        "2023-05-06T07:08:09",
        "2024-01-02T00:00:00",
        2,
    )
    assert (prof["day"].min, prof["day"].max, prof["day"].null_count) == ("2020-02-02", "2024-01-01", 1)
    assert (prof["blob"].count, prof["blob"].null_count, prof["blob"].top) == (3, 1, None)
    assert (prof["items"].count, prof["items"].null_count) == (3, 1)
    kinds = {c.name: (c.kind, c.nullable) for c in infer_schema(table, prof)}
    assert kinds == {
        "flag": ("boolean", False),
        "when": ("datetime", True),
        "day": ("date", True),
        "blob": ("binary", True),
        "items": ("other", True),
    }


@pytest.mark.parametrize(
    ("t", "kind"),
    [
        (pa.int8(), "integer"),
        (pa.uint64(), "integer"),
        (pa.float32(), "float"),
        (pa.decimal128(10, 2), "float"),
        (pa.large_string(), "string"),
        (pa.dictionary(pa.int8(), pa.string()), "categorical"),
        (pa.timestamp("ns", tz="UTC"), "datetime"),
        (pa.date32(), "date"),
        (pa.binary(), "binary"),
        (pa.duration("s"), "other"),
    ],
)
def test_column_kinds(t: pa.DataType, kind: str) -> None:
    assert column_kind(t) == kind


def test_empty_and_all_missing_columns() -> None:
    table = pa.table({"x": pa.array([None, None], pa.float64()), "s": pa.array([None, None], pa.string())})
    prof = profile_table(table)
    assert (prof["x"].count, prof["x"].null_count, prof["x"].quantiles) == (0, 2, None)
    assert (prof["s"].count, prof["s"].top) == (0, [])
    empty = profile_table(table.slice(0, 0))
    assert empty["x"].count == 0 and empty["x"].null_count == 0


def test_decimals_are_profiled_as_numbers() -> None:
    import decimal

    arr = pa.chunked_array([pa.array([decimal.Decimal("1.50"), decimal.Decimal("2.25"), None])])
    p = profile_column(arr)
    assert (p.min, p.max, p.mean) == (1.5, 2.25, 1.875)
