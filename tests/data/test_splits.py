"""Splits: sizes, determinism, stratification, time order, and the stored versions with their lineage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcycle.core.errors import InvalidInput
from mlcycle.data import DatasetService, split_indices, split_table
from mlcycle.data.splits import part_sizes
from mlcycle.store.lineage import edges_from

from .conftest import PROJECT

FRACTIONS = st.lists(st.integers(0, 10), min_size=2, max_size=3).filter(lambda w: sum(w) > 0)


def table(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "row": np.arange(n),
            "label": rng.choice(["a", "b", "c"], n, p=[0.7, 0.2, 0.1]),
            "ts": rng.permutation(n).astype("datetime64[s]"),
        }
    )


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10_000), FRACTIONS)
def test_sizes_add_up_and_follow_the_fractions(n: int, weights: list[int]) -> None:
    fractions = [w / sum(weights) for w in weights]
    sizes = part_sizes(n, fractions)
    assert sum(sizes) == n
    assert all(abs(s - f * n) < 1 for s, f in zip(sizes, fractions, strict=True))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300), st.integers(0, 2**32), st.sampled_from(["random", "stratified", "time"]))
def test_parts_partition_the_rows_deterministically(n: int, seed: int, method: str) -> None:
    t = table(n)
    opts = {"method": method, "seed": seed, "stratify_by": "label", "time_column": "ts"}
    parts = split_indices(t, **opts)  # type: ignore[arg-type]
    assert list(parts) == ["train", "validation", "test"]
    joined = np.concatenate(list(parts.values()))
    assert sorted(joined.tolist()) == list(range(n))
    assert all(np.all(np.diff(p) > 0) for p in parts.values())  # each part keeps the parent's row order
    again = split_indices(t, **opts)  # type: ignore[arg-type]
    assert all(np.array_equal(parts[k], again[k]) for k in parts)


def test_seeds_change_random_splits() -> None:
    t = table(1000)
    a, b = (split_indices(t, seed=s)["test"] for s in (1, 2))
    assert not np.array_equal(a, b)
    assert np.array_equal(split_indices(t, seed=1)["test"], a)


def test_stratified_parts_keep_class_proportions() -> None:
    t = table(1000, seed=3)
    parts = split_table(t, method="stratified", stratify_by="label", fractions=(0.6, 0.2, 0.2), seed=5)
    labels = t.column("label").to_numpy(zero_copy_only=False)
    overall = pd.Series(labels).value_counts()
    for name, part in parts.items():
        counts = pd.Series(part.column("label").to_numpy(zero_copy_only=False)).value_counts()
        share = {"train": 0.6, "validation": 0.2, "test": 0.2}[name]
        for cls, total in overall.items():
            assert abs(counts.get(cls, 0) - total * share) < 1


def test_stratified_treats_missing_labels_as_a_class() -> None:
    t = pa.table({"y": pa.array(["a", None] * 10)})
    parts = split_table(t, method="stratified", stratify_by="y", fractions=(0.5, 0.5))
    assert list(parts) == ["train", "test"]
    assert [p.column("y").null_count for p in parts.values()] == [5, 5]


def test_time_split_cuts_in_time_order() -> None:
    t = table(500)
    parts = split_table(t, method="time", time_column="ts")
    last = [max(p.column("ts").to_pylist()) for p in parts.values()]
    first = [min(p.column("ts").to_pylist()) for p in parts.values()]
    assert last[0] < first[1] and last[1] < first[2]
    assert [p.num_rows for p in parts.values()] == [400, 50, 50]


@pytest.mark.parametrize(
    ("opts", "match"),
    [
        ({"method": "shuffle"}, "unknown split method"),
        ({"fractions": (0.5, 0.6)}, "add up to 1"),
        ({"fractions": (1.0,)}, "2 or 3"),
        ({"fractions": (1.2, -0.2)}, "non-negative"),
        ({"method": "stratified"}, "stratify_by"),
        ({"method": "stratified", "stratify_by": "nope"}, "'nope' is not in the dataset"),
        ({"method": "time", "time_column": "label"}, "not a time"),
        ({"seed": -1}, "non-negative integer"),
        ({"seed": 1.5}, "non-negative integer"),
    ],
)
def test_bad_options_are_invalid_input(opts: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        split_indices(table(10), **opts)  # type: ignore[arg-type]


def test_time_column_with_missing_values_is_refused() -> None:
    t = pa.table({"t": pa.array([1.0, None, 3.0])})
    with pytest.raises(InvalidInput, match="missing values"):
        split_indices(t, method="time", time_column="t")
    with pytest.raises(InvalidInput, match="NaN"):
        split_indices(pa.table({"t": pa.array([1.0, float("nan")], from_pandas=False)}), method="time", time_column="t")


def test_split_versions_are_stored_with_lineage(local_svc: DatasetService, customers: pd.DataFrame) -> None:
    svc = local_svc
    parent = svc.log_dataset(PROJECT, "customers", customers)
    parts = svc.split(parent, method="stratified", stratify_by="plan", seed=42)
    assert {k: v.dataset for k, v in parts.items()} == {
        "train": "customers-train",
        "validation": "customers-validation",
        "test": "customers-test",
    }
    assert sum(v.row_count for v in parts.values()) == len(customers)
    for part in parts.values():
        assert part.parent_version_id == parent.id and part.source_kind == "split"
        assert part.stage == "data_preparation" and "stratify_by=plan" in part.source
    with svc.store.read() as conn:
        derived = {(e.dst_id, e.relation) for e in edges_from(conn, "dataset_version", parent.id)}
    assert derived == {(v.id, "derived") for v in parts.values()}
    rows = pd.concat([svc.load(v) for v in parts.values()]).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, customers)
    again = svc.split(parent.id, method="stratified", stratify_by="plan", seed=42)
    assert {k: v.id for k, v in again.items()} == {k: v.id for k, v in parts.items()}  # same seed, same versions
    other = svc.split(parent, method="stratified", stratify_by="plan", seed=7)
    assert other["train"].version == 2
    two = svc.split(parent, fractions=(0.75, 0.25))
    assert list(two) == ["train", "test"] and two["test"].row_count == 50


def test_a_split_that_fails_midway_stores_no_part(
    local_svc: DatasetService, customers: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlcycle.data import repo

    parent = local_svc.log_dataset(PROJECT, "customers", customers)
    real_insert = repo.insert_version
    calls: list[str] = []

    def fail_on_second(conn: object, row: dict[str, object]) -> None:
        calls.append(str(row["id"]))
        if len(calls) == 2:
            raise InvalidInput("disk full (simulated)")
        real_insert(conn, row)  # type: ignore[arg-type]

    monkeypatch.setattr(repo, "insert_version", fail_on_second)
    with pytest.raises(InvalidInput, match="simulated"):
        local_svc.split(parent, seed=1)
    monkeypatch.setattr(repo, "insert_version", real_insert)
    assert {d.name for d in local_svc.list_datasets(PROJECT)} == {"customers"}  # not even the first part
    assert set(local_svc.split(parent, seed=1)) == {"train", "validation", "test"}  # and a retry completes
