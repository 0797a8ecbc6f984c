"""Expectations: each rule, custom callables, stored suites, inference from a reference, and ValidationFailed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlcycle.core.errors import InvalidInput, ValidationFailed
from mlcycle.data import (
    AllowedValues,
    ColumnTypes,
    Custom,
    DatasetService,
    ExpectationSuite,
    NotNull,
    Range,
    RowCount,
    Unique,
    infer_expectations,
)
from mlcycle.store.events import list_events
from mlcycle.store.schema import validation_reports

from .conftest import PROJECT

DF = pd.DataFrame(
    {
        "id": [1, 2, 3, 3, 5, 6],
        "age": [30.0, -1.0, None, 45.0, 130.0, 50.0],
        "plan": ["free", "pro", "gold", None, "free", "platinum"],
        "when": pd.to_datetime(["2024-01-01"] * 6),
    }
)


def one(rule: object, df: pd.DataFrame = DF) -> dict[str, object]:
    [result] = ExpectationSuite([rule]).validate(df).results  # type: ignore[list-item]
    return result.model_dump()


def test_not_null() -> None:
    r = one(NotNull(column="age"))
    assert (r["success"], r["failed_count"], r["sample_rows"], r["sample_values"]) == (False, 1, [2], [None])
    many = one(NotNull(column="x"), pd.DataFrame({"x": [None] * 8}))
    assert (many["failed_count"], many["sample_rows"], many["sample_values"]) == (8, [0, 1, 2, 3, 4], [None])
    assert one(NotNull(column="id"))["success"] is True


def test_range_ignores_missing_values() -> None:
    r = one(Range(column="age", min=0, max=120))
    assert (r["failed_count"], r["sample_values"], r["sample_rows"]) == (2, [-1.0, 130.0], [1, 4])
    assert one(Range(column="age", min=-5))["success"] is True
    assert "not numeric" in str(one(Range(column="plan", max=1))["message"])
    with pytest.raises(ValueError, match="min, max or both"):
        Range(column="age")
    with pytest.raises(ValueError, match="greater than max"):
        Range(column="age", min=2, max=1)


def test_allowed_values() -> None:
    r = one(AllowedValues(column="plan", values=["free", "pro"]))
    assert (r["failed_count"], r["sample_values"]) == (2, ["gold", "platinum"])


def test_unique_samples_the_duplicated_values() -> None:
    r = one(Unique(column="id"))
    assert (r["failed_count"], r["sample_values"], r["sample_rows"]) == (2, [3], [2, 3])
    assert one(Unique(column="plan"), DF.assign(plan=["a", None, "b", None, "c", "d"]))["success"] is True


def test_row_count() -> None:
    assert one(RowCount(min=1, max=6))["success"] is True
    r = one(RowCount(min=10))
    assert (r["success"], r["sample_values"], r["column"]) == (False, [6], None)


def test_column_types_by_kind_number_or_exact_arrow_type() -> None:
    suite = ExpectationSuite(
        [ColumnTypes(types={"id": "integer", "age": "number", "plan": "string", "when": "timestamp[us]", "x": "float"})]
    )
    results = {r.column: r for r in suite.validate(DF).results}
    assert [c for c, r in results.items() if not r.success] == ["x"]
    assert "missing" in results["x"].message
    bad = ExpectationSuite([ColumnTypes(types={"id": "string", "age": "int64"})]).validate(DF)
    assert [r.message for r in bad.results] == ["is integer (int64), not string", "is float (double), not int64"]


def test_missing_columns_fail_every_column_rule() -> None:
    report = ExpectationSuite([NotNull(column="nope"), Range(column="nope", max=1)]).validate(DF)
    assert [(r.success, r.failed_count, r.message) for r in report.results] == [
        (False, 6, "column 'nope' is missing"),
    ] * 2


def test_custom_rules_return_a_bool_or_a_mask() -> None:
    suite = ExpectationSuite(
        [
            Custom("has_rows", lambda df: len(df) > 0),
            Custom("adults", lambda df: df["age"].fillna(99) >= 18, column="age"),
            Custom("broken", lambda df: df["nope"]),
            Custom("odd", lambda df: [1, 2]),
            Custom("never", lambda df: np.False_),
        ]
    )
    results = {r.rule: r for r in suite.validate(DF).results}
    assert results["custom:has_rows"].success
    assert (results["custom:adults"].failed_count, results["custom:adults"].sample_values) == (1, [-1.0])
    assert "raised KeyError" in results["custom:broken"].message
    assert "one boolean per row" in results["custom:odd"].message
    assert results["custom:never"].failed_count == 6


def test_suites_round_trip_as_json_and_customs_by_name() -> None:
    def positive(df: pd.DataFrame) -> pd.Series:
        return df["id"] > 0

    suite = ExpectationSuite(
        [NotNull(column="id"), Range(column="age", min=0), RowCount(min=1), Custom("positive", positive, "id")],
        name="customers",
    )
    stored = json.loads(json.dumps(suite.to_dict()))
    assert stored["expectations"][3] == {"rule": "custom", "name": "positive", "column": "id"}
    back = ExpectationSuite.from_dict(stored, customs={"positive": positive})
    assert back.to_dict() == suite.to_dict() and back.name == "customers"
    assert back.validate(DF).results == suite.validate(DF).results
    unbound = ExpectationSuite.from_dict(stored).validate(DF)
    assert "has no function" in unbound.results[-1].message
    with pytest.raises(InvalidInput, match="invalid expectation"):
        ExpectationSuite.from_dict({"expectations": [{"rule": "range", "column": "a"}]})
    with pytest.raises(InvalidInput, match="invalid expectation"):
        ExpectationSuite.from_dict({"expectations": [{"rule": "sometimes", "column": "a"}]})


def test_arrow_tables_validate_like_frames() -> None:
    suite = infer_expectations(DF.iloc[[0, 5]])
    table = pa.Table.from_pandas(DF, preserve_index=False)
    assert suite.validate(table).results == suite.validate(DF).results
    with pytest.raises(InvalidInput, match="cannot validate"):
        suite.validate([1, 2])


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 50), elements=st.floats(-100, 100)), st.floats(-50, 0), st.floats(0, 50))
def test_range_counts_like_numpy(values: np.ndarray, lo: float, hi: float) -> None:
    r = one(Range(column="x", min=lo, max=hi), pd.DataFrame({"x": values}))
    assert r["failed_count"] == int(np.count_nonzero((values < lo) | (values > hi)))
    offending = values[(values < lo) | (values > hi)]
    assert r["sample_values"] == list(pd.unique(offending))[:5]
    assert r["sample_rows"] == np.flatnonzero((values < lo) | (values > hi))[:5].tolist()


def test_inferred_expectations_describe_the_reference(local_svc: DatasetService, customers: pd.DataFrame) -> None:
    v = local_svc.log_dataset(PROJECT, "customers", customers)
    suite = infer_expectations(v)
    rules = {(e.rule, getattr(e, "column", None)) for e in suite}
    assert {("not_null", "id"), ("unique", "id"), ("range", "age"), ("allowed_values", "plan")} <= rules
    assert ("not_null", "age") not in rules and ("unique", "plan") not in rules
    assert suite.validate(customers).success
    assert infer_expectations(customers).to_dict()["expectations"] == suite.to_dict()["expectations"]
    wide = infer_expectations(v, range_margin=0.5)
    age = next(e for e in wide if isinstance(e, Range) and e.column == "age")
    assert age.min is not None and age.min < customers["age"].min()
    with pytest.raises(InvalidInput):
        infer_expectations(v, max_categories=10_000)


def test_service_stores_the_report_records_the_event_and_raises(
    local_svc: DatasetService, customers: pd.DataFrame
) -> None:
    svc = local_svc
    reference = svc.log_dataset(PROJECT, "customers", customers)
    suite = infer_expectations(reference)
    bad = customers.copy()
    bad.loc[[3, 9], "age"] = [-4.0, 200.0]
    bad.loc[5, "plan"] = "gold"
    current = svc.log_dataset(PROJECT, "customers", bad)

    ok = svc.validate(reference, suite)
    assert ok.success and ok.id and ok.dataset == "customers@v1"
    with pytest.raises(ValidationFailed) as err:
        svc.validate(current, suite)
    message = err.value.message
    assert "customers@v2" in message and "age range (2 rows, e.g. -4.0, 200.0)" in message
    assert "plan allowed_values (1 row, e.g. 'gold')" in message
    failures = err.value.details["failures"]
    assert {(f["column"], f["rule"], f["failed_count"]) for f in failures} == {
        ("age", "range", 2),
        ("plan", "allowed_values", 1),
    }
    assert all(len(f["sample_values"]) <= 5 for f in failures)
    report = svc.validate(current, suite, raise_on_failure=False)
    assert not report.success and len(report.failures) == 2

    stored = svc.validation_reports(current)
    assert [r.success for r in stored] == [False, False] and stored[0].results == report.results
    assert stored[0].suite == suite.to_dict()
    with svc.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(validation_reports)).scalar() == 3
        validated = list_events(conn, action="validated", newest_first=False)
    assert [e.stage for e in validated] == ["data_preparation"] * 3
    assert [e.payload["success"] for e in validated] == [True, False, False]
    assert validated[1].payload["failures"][0]["column"] in {"age", "plan"}
