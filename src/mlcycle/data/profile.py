"""Schema inference and the statistical profile of a table, vectorised with numpy and Arrow compute.

Per column the profile holds the count of present values and of missing ones (null, or NaN in a float column),
and by kind:

- integer and float: min, max, mean, sample std (ddof=1), quantiles p5/p25/p50/p75/p95 (linear interpolation,
  as :func:`numpy.quantile`) and the number of distinct values, all from one sort of the present values;
- datetime and date: min, max (ISO 8601) and the number of distinct values;
- string, categorical and boolean: the number of distinct values and the :data:`TOP_K` most frequent ones.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlcycle.data.models import ColumnKind, ColumnProfile, ColumnSchema, ValueCount

QUANTILES: dict[str, float] = {"p5": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}
TOP_K = 20


def column_kind(t: pa.DataType) -> ColumnKind:
    """The coarse kind of an Arrow type, the vocabulary of :class:`~mlcycle.data.validation.ColumnTypes`."""
    if pa.types.is_dictionary(t):
        return "categorical"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_timestamp(t):
        return "datetime"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view":
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return "binary"
    return "other"


def infer_schema(table: pa.Table, profile: dict[str, ColumnProfile]) -> list[ColumnSchema]:
    """Column names, Arrow types, kinds and observed nullability (from the profile's missing counts)."""
    return [
        ColumnSchema(name=f.name, type=str(f.type), kind=column_kind(f.type), nullable=profile[f.name].null_count > 0)
        for f in table.schema
    ]


def profile_table(table: pa.Table) -> dict[str, ColumnProfile]:
    """The profile of every column, keyed by column name."""
    return {f.name: profile_column(table.column(i)) for i, f in enumerate(table.schema)}


def profile_column(column: pa.ChunkedArray) -> ColumnProfile:
    kind = column_kind(column.type)
    present = pc.drop_null(column) if column.null_count else column
    if kind in ("integer", "float"):
        return _numeric(present, len(column))
    if kind in ("datetime", "date"):
        return _temporal(present, len(column))
    if kind in ("string", "categorical", "boolean"):
        return _categorical(present, len(column))
    return ColumnProfile(count=len(present), null_count=len(column) - len(present))


def _numeric(present: pa.ChunkedArray, total: int) -> ColumnProfile:
    if pa.types.is_decimal(present.type):
        present = present.cast(pa.float64())
    values = _to_numpy(present)
    if values.dtype.kind == "f":
        values = values[~np.isnan(values)]
    n = int(values.size)
    if n == 0:
        return ColumnProfile(count=0, null_count=total, n_unique=0)
    ordered = np.sort(values)
    as_float = ordered.astype(np.float64, copy=False)
    std = float(np.std(values, ddof=1)) if n > 1 else None
    return ColumnProfile(
        count=n,
        null_count=total - n,
        n_unique=_distinct_sorted(ordered),
        min=_num(ordered[0]),
        max=_num(ordered[-1]),
        mean=float(np.mean(values, dtype=np.float64)),
        std=std,
        quantiles={name: sorted_quantile(as_float, q) for name, q in QUANTILES.items()},
    )


def _temporal(present: pa.ChunkedArray, total: int) -> ColumnProfile:
    n = len(present)
    if n == 0:
        return ColumnProfile(count=0, null_count=total, n_unique=0)
    width = present.type.bit_width
    ints = _to_numpy(present.cast(pa.int64() if width == 64 else pa.int32()))
    ordered = np.sort(ints)
    bounds = pc.min_max(present)
    return ColumnProfile(
        count=n,
        null_count=total - n,
        n_unique=_distinct_sorted(ordered),
        min=_iso(bounds["min"].as_py()),
        max=_iso(bounds["max"].as_py()),
    )


def _categorical(present: pa.ChunkedArray, total: int) -> ColumnProfile:
    n = len(present)
    if n == 0:
        return ColumnProfile(count=0, null_count=total, n_unique=0, top=[])
    if pa.types.is_dictionary(present.type):
        present = present.cast(present.type.value_type)
    counts = pc.value_counts(present)
    freq = counts.field("counts").to_numpy(zero_copy_only=False)
    order = np.argsort(-freq, kind="stable")[:TOP_K]
    values = counts.field("values").take(pa.array(order)).to_pylist()
    top = [ValueCount(value=v, count=int(freq[i])) for v, i in zip(values, order, strict=True)]
    return ColumnProfile(count=n, null_count=total - n, n_unique=len(counts), top=top)


def sorted_quantile(ordered: np.ndarray[Any, np.dtype[np.float64]], q: float) -> float:
    """The ``q`` quantile of ascending values by linear interpolation (numpy's default method)."""
    pos = q * (ordered.size - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, ordered.size - 1)
    a, b, frac = float(ordered[lo]), float(ordered[hi]), pos - lo
    if frac == 0 or a == b:
        return a
    return a + (b - a) * frac if frac < 0.5 else b - (b - a) * (1 - frac)


def _to_numpy(arr: pa.ChunkedArray) -> np.ndarray[Any, Any]:
    """Values of a null-free array; one chunk is viewed without copying, several are concatenated."""
    if arr.num_chunks == 1:
        return np.asarray(arr.chunk(0).to_numpy(zero_copy_only=False))
    return np.asarray(arr.to_numpy())


def _distinct_sorted(ordered: np.ndarray[Any, Any]) -> int:
    if ordered.size == 0:
        return 0
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1


def _num(value: Any) -> int | float:
    """A numpy scalar as a Python number; integers stay exact."""
    return int(value) if isinstance(value, np.integer) else float(value)


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if value is None else str(value)


__all__ = [
    "QUANTILES",
    "TOP_K",
    "column_kind",
    "infer_schema",
    "profile_column",
    "profile_table",
    "sorted_quantile",
]
