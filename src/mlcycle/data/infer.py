"""Expectations inferred from a reference: a stored dataset version (no rows are read) or in-memory data.

From each column of the reference:

- its kind (:class:`ColumnTypes`, one rule for all columns);
- :class:`NotNull` when it has no missing values;
- :class:`Range` over the observed min and max of integer and float columns, widened on each side by
  ``range_margin`` times their span;
- :class:`AllowedValues` for string, categorical and boolean columns with at most ``max_categories`` distinct
  values;
- :class:`Unique` for integer and string columns whose values are all present and distinct (identifiers);

and :class:`RowCount` (at least one row) when the reference is not empty.
"""

from __future__ import annotations

import math
from typing import Any

from mlcycle.core.errors import InvalidInput
from mlcycle.data.models import ColumnProfile, ColumnSchema, DatasetVersion
from mlcycle.data.profile import TOP_K
from mlcycle.data.validation import (
    AllowedValues,
    ColumnTypes,
    Expectation,
    ExpectationSuite,
    NotNull,
    Range,
    RowCount,
    Unique,
)


def infer_expectations(
    reference: Any, *, range_margin: float = 0.0, max_categories: int = TOP_K, name: str | None = None
) -> ExpectationSuite:
    """A suite describing ``reference``: a DatasetVersion, a client ``Dataset``, a DataFrame or an Arrow table."""
    if not 0 <= max_categories <= TOP_K:
        raise InvalidInput(f"max_categories must be between 0 and {TOP_K}, got {max_categories}")
    if range_margin < 0:
        raise InvalidInput(f"range_margin must not be negative, got {range_margin}")
    columns, profile, rows, label = _describe(reference)
    rules: list[Expectation] = [ColumnTypes(types={c.name: c.kind for c in columns})]
    for col in columns:
        prof = profile.get(col.name)
        if prof is None:
            continue
        if not col.nullable:
            rules.append(NotNull(column=col.name))
        rules.extend(_value_rules(col, prof, rows, range_margin, max_categories))
    if rows > 0:
        rules.append(RowCount(min=1))
    return ExpectationSuite(rules, name=name or f"inferred from {label}")


def _value_rules(
    col: ColumnSchema, prof: ColumnProfile, rows: int, margin: float, max_categories: int
) -> list[Expectation]:
    out: list[Expectation] = []
    numeric = col.kind in ("integer", "float")
    if numeric and isinstance(prof.min, int | float) and isinstance(prof.max, int | float):
        lo, hi = float(prof.min), float(prof.max)
        if math.isfinite(lo) and math.isfinite(hi):
            pad = (hi - lo) * margin
            out.append(Range(column=col.name, min=lo - pad, max=hi + pad))
    top, distinct = prof.top or [], prof.n_unique or 0
    if col.kind in ("string", "categorical", "boolean") and 0 < distinct <= max_categories and len(top) == distinct:
        out.append(AllowedValues(column=col.name, values=sorted((v.value for v in top), key=repr)))
    if col.kind in ("integer", "string") and rows > 1 and prof.n_unique == rows and prof.null_count == 0:
        out.append(Unique(column=col.name))
    return out


def _describe(reference: Any) -> tuple[list[ColumnSchema], dict[str, ColumnProfile], int, str]:
    info = getattr(reference, "info", reference)  # a client Dataset handle carries its version as .info
    if isinstance(info, DatasetVersion):
        return info.columns, info.profile, info.row_count, info.ref
    from mlcycle.data.profile import infer_schema, profile_table
    from mlcycle.data.sources import to_table

    table = to_table(reference).table
    profile = profile_table(table)
    return infer_schema(table, profile), profile, table.num_rows, "data"


__all__ = ["infer_expectations"]
