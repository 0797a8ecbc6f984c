"""Deterministic train/validation/test splits of a table: random, stratified or time-based.

Part sizes come from ``fractions`` by the largest-remainder method, so they always add up to the row count
(three fractions name the parts train, validation and test; two name train and test). Given the same table,
method, fractions and seed, the parts are the same on every machine and Python version (numpy's PCG64
generator). Within each part, rows keep their order in the parent table.

- ``random``: one seeded permutation of the rows, cut into the parts.
- ``stratified``: the same per class of ``stratify_by`` (classes in sorted order, missing values as one more
  class), so each part holds each class in the parent's proportion, up to one row per class and part.
- ``time``: rows ordered by ``time_column`` (stable, so ties keep their order) and cut in that order: train
  holds the earliest rows and test the latest. The seed is not used.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlcycle.core.errors import InvalidInput

Method = Literal["random", "stratified", "time"]
METHODS: tuple[str, ...] = ("random", "stratified", "time")
Indices = np.ndarray[Any, np.dtype[np.int64]]


def part_names(fractions: Sequence[float]) -> tuple[str, ...]:
    if len(fractions) == 3:
        return ("train", "validation", "test")
    if len(fractions) == 2:
        return ("train", "test")
    raise InvalidInput(f"give 2 or 3 split fractions, got {len(fractions)}", hint="e.g. (0.8, 0.1, 0.1) or (0.8, 0.2)")


def part_sizes(n: int, fractions: Sequence[float]) -> list[int]:
    """Row counts per part that add up to ``n`` (largest remainder; ties go to the earlier part)."""
    fr = np.asarray(fractions, dtype=np.float64)
    if np.any(~np.isfinite(fr)) or np.any(fr < 0) or not np.isclose(fr.sum(), 1.0, rtol=0, atol=1e-9):
        raise InvalidInput(f"split fractions must be non-negative and add up to 1, got {tuple(fractions)}")
    exact = fr * n
    sizes = np.floor(exact).astype(np.int64)
    left = n - int(sizes.sum())
    if left:
        order = np.argsort(-(exact - sizes), kind="stable")
        sizes[order[:left]] += 1
    return [int(s) for s in sizes]


def split_indices(
    table: pa.Table,
    *,
    method: str = "random",
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    stratify_by: str | None = None,
    time_column: str | None = None,
) -> dict[str, Indices]:
    """Row positions of each part, ascending."""
    names = part_names(fractions)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidInput(f"the split seed must be a non-negative integer, got {seed!r}")
    n = table.num_rows
    if method == "random":
        cuts = _cut(np.random.default_rng(seed).permutation(n), part_sizes(n, fractions))
    elif method == "stratified":
        cuts = _stratified(_column(table, stratify_by, "stratify_by"), fractions, seed)
    elif method == "time":
        cuts = _cut(
            _time_order(_column(table, time_column, "time_column"), time_column or ""), part_sizes(n, fractions)
        )
    else:
        raise InvalidInput(f"unknown split method {method!r}", hint=f"use one of {', '.join(METHODS)}")
    return {name: np.sort(part).astype(np.int64) for name, part in zip(names, cuts, strict=True)}


def split_table(table: pa.Table, **options: Any) -> dict[str, pa.Table]:
    """The parts themselves (see :func:`split_indices` for the options)."""
    return {name: table.take(pa.array(idx)) for name, idx in split_indices(table, **options).items()}


def _column(table: pa.Table, name: str | None, option: str) -> pa.ChunkedArray:
    if name is None:
        raise InvalidInput(f"this split method needs {option}=<column name>")
    if name not in table.column_names:
        raise InvalidInput(f"{option} column {name!r} is not in the dataset", hint=f"columns: {table.column_names}")
    return table.column(name)


def _cut(order: np.ndarray[Any, Any], sizes: list[int]) -> list[np.ndarray[Any, Any]]:
    bounds = np.cumsum([0, *sizes])
    return [order[bounds[i] : bounds[i + 1]] for i in range(len(sizes))]


def _stratified(labels: pa.ChunkedArray, fractions: Sequence[float], seed: int) -> list[np.ndarray[Any, Any]]:
    """Per class (in sorted order), a seeded permutation of its rows cut by the fractions."""
    import pandas as pd

    codes, _ = pd.factorize(labels.to_pandas(), sort=True, use_na_sentinel=False)
    by_class = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.diff(codes[by_class], prepend=-1))
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray[Any, Any]]] = [[] for _ in fractions]
    for members in np.split(by_class, starts[1:]):
        for i, chunk in enumerate(_cut(rng.permutation(members), part_sizes(len(members), fractions))):
            parts[i].append(chunk)
    return [np.concatenate(p) if p else np.empty(0, dtype=np.int64) for p in parts]


def _time_order(times: pa.ChunkedArray, name: str) -> np.ndarray[Any, Any]:
    if times.null_count:
        raise InvalidInput(f"time_column {name!r} has {times.null_count} missing values", hint="drop or fill them")
    t = times.type
    if not (pa.types.is_temporal(t) or pa.types.is_integer(t) or pa.types.is_floating(t)):
        raise InvalidInput(f"time_column {name!r} is {t}, not a time or a number")
    if pa.types.is_floating(t) and pc.any(pc.is_nan(times)).as_py():
        raise InvalidInput(f"time_column {name!r} has NaN values", hint="drop or fill them")
    return np.asarray(pc.array_sort_indices(times).to_numpy())


__all__ = ["METHODS", "Method", "part_names", "part_sizes", "split_indices", "split_table"]
