"""Declarative expectations about a dataset, checked column by column with vectorised pandas operations.

The declarative rules are pydantic models told apart by their ``rule`` field (a discriminated union), so a
suite is stored as JSON and read back as the same rules. A :class:`Custom` rule wraps a Python callable; the
stored suite records only its name (and column), and a suite read back runs it only when the callable is
given again (``ExpectationSuite.from_dict(data, customs={"name": fn})``).

Missing values (null, NaN) fail only :class:`NotNull`; the other rules look at the present values. Each
result counts the offending rows and keeps up to :data:`SAMPLE_SIZE` of their distinct values and the
positions of the first offending rows. A
rule about the whole frame (:class:`RowCount`, a missing or retyped column, a custom rule returning False)
counts every row as offending.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from mlcycle.core.errors import InvalidInput, ValidationFailed
from mlcycle.data.profile import column_kind

SAMPLE_SIZE = 5
KINDS = ("integer", "float", "number", "boolean", "string", "categorical", "datetime", "date", "binary", "other")


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnTypes(_Rule):
    """Each named column exists and has the given kind (see :data:`KINDS`; "number" is integer or float) or the
    exact Arrow type (e.g. "int32", "timestamp[us]"). Other columns are allowed."""

    rule: Literal["column_types"] = "column_types"
    types: dict[str, str]


class NotNull(_Rule):
    rule: Literal["not_null"] = "not_null"
    column: str


class Range(_Rule):
    """Present values lie in ``[min, max]`` (either bound may be open)."""

    rule: Literal["range"] = "range"
    column: str
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class AllowedValues(_Rule):
    rule: Literal["allowed_values"] = "allowed_values"
    column: str
    values: list[bool | int | float | str]


class Unique(_Rule):
    """No present value occurs twice."""

    rule: Literal["unique"] = "unique"
    column: str


class RowCount(_Rule):
    rule: Literal["row_count"] = "row_count"
    min: int | None = None
    max: int | None = None


Expectation = Annotated[ColumnTypes | NotNull | Range | AllowedValues | Unique | RowCount, Field(discriminator="rule")]
_EXPECTATION: TypeAdapter[Expectation] = TypeAdapter(Expectation)


@dataclass(frozen=True)
class Custom:
    """A rule written in Python: ``fn(df)`` returns a bool for the whole frame, or a boolean mask (Series or
    array, True = the row passes). With ``column``, the sample values of failing rows come from that column."""

    name: str
    fn: Callable[[pd.DataFrame], Any] | None = None
    column: str | None = None
    rule: ClassVar[str] = "custom"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": "custom", "name": self.name, "column": self.column}


class ExpectationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str  # e.g. "range", or "custom:<name>"
    column: str | None
    success: bool
    failed_count: int
    sample_values: list[Any] = Field(default_factory=list)
    sample_rows: list[int] = Field(default_factory=list)  # row positions (0-based)
    message: str = ""


class ValidationReport(BaseModel):
    """The outcome of a suite on one dataset (version); stored in ``validation_reports`` by the service."""

    model_config = ConfigDict(frozen=True)

    success: bool
    row_count: int
    results: list[ExpectationResult]
    suite: dict[str, Any]
    id: str | None = None
    version_id: str | None = None
    dataset: str | None = None  # name@vN
    run_id: str | None = None
    created_at: int | None = None
    created_by: str | None = None

    @property
    def failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success]

    def failure_details(self) -> list[dict[str, Any]]:
        """One entry per failed rule: column, rule, failed_count and sample_values (at most five)."""
        return [
            {"column": r.column, "rule": r.rule, "failed_count": r.failed_count, "sample_values": r.sample_values}
            for r in self.failures
        ]

    def raise_for_failure(self) -> None:
        """Raise :class:`ValidationFailed` naming the columns, rules and sample values when any rule failed."""
        if self.success:
            return
        parts = []
        for r in self.failures:
            where = f"{r.column} " if r.column else ""
            sample = f", e.g. {', '.join(map(repr, r.sample_values))}" if r.sample_values else ""
            rows = "1 row" if r.failed_count == 1 else f"{r.failed_count} rows"
            parts.append(f"{where}{r.rule} ({rows}{sample})")
        what = f"dataset {self.dataset}" if self.dataset else "the data"
        raise ValidationFailed(
            f"{what} failed {len(parts)} of {len(self.results)} expectations: {'; '.join(parts)}",
            hint="fix the data, or relax the expectations that are too strict"
            + (f"; the report is stored as {self.id}" if self.id else ""),
            details={"failures": self.failure_details(), "report_id": self.id, "dataset": self.dataset},
        )


class ExpectationSuite:
    """An ordered list of expectations, checked together by :meth:`validate`."""

    def __init__(self, expectations: Iterable[Expectation | Custom] = (), *, name: str = "expectations") -> None:
        self.name = name
        self.expectations: list[Expectation | Custom] = list(expectations)

    def add(self, expectation: Expectation | Custom) -> ExpectationSuite:
        self.expectations.append(expectation)
        return self

    def __iter__(self) -> Iterator[Expectation | Custom]:
        return iter(self.expectations)

    def __len__(self) -> int:
        return len(self.expectations)

    def __repr__(self) -> str:
        return f"<ExpectationSuite {self.name!r}: {len(self)} expectations>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expectations": [e.to_dict() if isinstance(e, Custom) else e.model_dump() for e in self.expectations],
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], customs: Mapping[str, Callable[[pd.DataFrame], Any]] | None = None
    ) -> ExpectationSuite:
        """Read a stored suite; custom rules get their callables from ``customs`` by name."""
        items: list[Expectation | Custom] = []
        for raw in data.get("expectations", []):
            if isinstance(raw, Mapping) and raw.get("rule") == "custom":
                name = str(raw.get("name"))
                items.append(Custom(name, (customs or {}).get(name), raw.get("column")))
                continue
            try:
                items.append(_EXPECTATION.validate_python(raw))
            except ValidationError as exc:
                raise InvalidInput(f"invalid expectation {raw!r}: {exc.errors()[0]['msg']}") from exc
        return cls(items, name=str(data.get("name", "expectations")))

    def validate(self, data: pd.DataFrame | pa.Table) -> ValidationReport:
        """Check every expectation against ``data`` and report; this never raises for failing data."""
        frame = _Frame.of(data)
        results = [r for e in self.expectations for r in _check(e, frame)]
        return ValidationReport(
            success=all(r.success for r in results), row_count=len(frame.df), results=results, suite=self.to_dict()
        )


# ---- checks -------------------------------------------------------------------------------------------------
@dataclass
class _Frame:
    df: pd.DataFrame
    schema: pa.Schema | None

    @classmethod
    def of(cls, data: pd.DataFrame | pa.Table) -> _Frame:
        if isinstance(data, pa.Table):
            return cls(data.to_pandas(), data.schema)
        if not isinstance(data, pd.DataFrame):
            raise InvalidInput(f"cannot validate a {type(data).__name__}", hint="pass a DataFrame or a pyarrow Table")
        try:
            schema = pa.Schema.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            schema = None  # a column of mixed objects; ColumnTypes reports it as "other"
        return cls(data, schema)

    def arrow_type(self, column: str) -> pa.DataType | None:
        if self.schema is None or column not in self.schema.names:
            return None
        return self.schema.field(column).type


def _check(e: Expectation | Custom, frame: _Frame) -> list[ExpectationResult]:
    if isinstance(e, Custom):
        return [_custom(e, frame)]
    if isinstance(e, RowCount):
        n = len(frame.df)
        ok = (e.min is None or n >= e.min) and (e.max is None or n <= e.max)
        bounds = f"[{'-inf' if e.min is None else e.min}, {'inf' if e.max is None else e.max}]"
        return [_result("row_count", None, ok, n, [n], message=f"{n} rows; expected {bounds}")]
    if isinstance(e, ColumnTypes):
        return [_column_type(name, expected, frame) for name, expected in e.types.items()]
    if e.column not in frame.df.columns:
        n = len(frame.df)
        return [_result(e.rule, e.column, False, n, message=f"column {e.column!r} is missing")]
    series = frame.df[e.column]
    if isinstance(e, NotNull):
        return [_from_mask(e.rule, e.column, series, series.isna().to_numpy(), nulls_as_values=True)]
    if isinstance(e, Range):
        return [_range(e, series, frame)]
    if isinstance(e, AllowedValues):
        mask = (~series.isin(e.values) & series.notna()).to_numpy()
        return [_from_mask(e.rule, e.column, series, mask)]
    mask = (series.duplicated(keep=False) & series.notna()).to_numpy()
    return [_from_mask(e.rule, e.column, series, mask)]


def _column_type(name: str, expected: str, frame: _Frame) -> ExpectationResult:
    n = len(frame.df)
    if name not in frame.df.columns:
        return _result("column_types", name, False, n, message=f"column {name!r} is missing")
    t = frame.arrow_type(name)
    actual_kind = column_kind(t) if t is not None else "other"
    if expected in KINDS:
        ok = actual_kind == expected or (expected == "number" and actual_kind in ("integer", "float"))
    else:
        ok = t is not None and str(t) == expected
    shown = f"{actual_kind} ({t})" if t is not None else actual_kind
    return _result("column_types", name, ok, 0 if ok else n, message="" if ok else f"is {shown}, not {expected}")


def _range(e: Range, series: pd.Series, frame: _Frame) -> ExpectationResult:
    t = frame.arrow_type(e.column)
    if t is None or column_kind(t) not in ("integer", "float", "boolean"):
        return _result(e.rule, e.column, False, len(series), message=f"is not numeric ({t})")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        low = values < e.min if e.min is not None else np.zeros(values.shape, dtype=bool)
        high = values > e.max if e.max is not None else np.zeros(values.shape, dtype=bool)
    return _from_mask(e.rule, e.column, series, low | high)


def _custom(e: Custom, frame: _Frame) -> ExpectationResult:
    rule, n = f"custom:{e.name}", len(frame.df)
    if e.fn is None:
        return _result(rule, e.column, False, n, message="has no function; pass it to from_dict(customs=...)")
    try:
        outcome = e.fn(frame.df)
    except Exception as exc:  # a user's rule failing is a failed expectation, not a crash
        return _result(rule, e.column, False, n, message=f"raised {type(exc).__name__}: {exc}")
    if isinstance(outcome, bool | np.bool_):
        return _result(rule, e.column, bool(outcome), 0 if outcome else n)
    passed = np.asarray(outcome)
    if passed.dtype != bool or passed.shape != (n,):
        return _result(rule, e.column, False, n, message="must return a bool or one boolean per row")
    column = frame.df[e.column] if e.column in frame.df.columns else None
    return _from_mask(rule, e.column, column, ~passed)


def _from_mask(
    rule: str, column: str | None, series: pd.Series | None, mask: np.ndarray[Any, Any], nulls_as_values: bool = False
) -> ExpectationResult:
    failed = int(np.count_nonzero(mask))
    rows = np.flatnonzero(mask)[:SAMPLE_SIZE]
    values: list[Any] = []
    if series is not None and failed:
        distinct = series.iloc[np.flatnonzero(mask)].drop_duplicates().iloc[:SAMPLE_SIZE]
        values = [None] if nulls_as_values else _plain(distinct.to_numpy(dtype=object))
    return _result(rule, column, failed == 0, failed, values, [int(r) for r in rows])


def _result(
    rule: str,
    column: str | None,
    ok: bool,
    failed: int,
    values: list[Any] | None = None,
    rows: list[int] | None = None,
    message: str = "",
) -> ExpectationResult:
    return ExpectationResult(
        rule=rule,
        column=column,
        success=ok,
        failed_count=0 if ok else failed,
        sample_values=[] if ok else values or [],
        sample_rows=[] if ok else rows or [],
        message=message,
    )


def _plain(values: Iterable[Any]) -> list[Any]:
    """Sample values as JSON-friendly Python values: numpy scalars unwrapped, NaN as None, times as ISO."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, np.generic):
            v = v.item()
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
            v = None
        elif hasattr(v, "isoformat"):
            v = v.isoformat()
        elif v is not None and not isinstance(v, bool | int | float | str):
            v = str(v)
        out.append(v)
    return out


__all__ = [
    "KINDS",
    "SAMPLE_SIZE",
    "AllowedValues",
    "ColumnTypes",
    "Custom",
    "Expectation",
    "ExpectationResult",
    "ExpectationSuite",
    "NotNull",
    "Range",
    "RowCount",
    "Unique",
    "ValidationReport",
]
