"""Datasets: versioned Parquet snapshots identified by content hash, profiles, validation and splits.

    import mlcycle as mc
    project = mc.connect().project("churn")
    ds = project.log_dataset("customers", df)          # a new version, or the existing one for equal content
    suite = mc.data.infer_expectations(ds)             # expectations inferred from a reference version
    ds.validate(suite)                                  # stored report; ValidationFailed when a rule fails
    parts = ds.split(method="stratified", stratify_by="churned", seed=42)

See docs/data.md.
"""

from mlcycle.data.diff import diff_versions
from mlcycle.data.hashing import content_hash
from mlcycle.data.infer import infer_expectations
from mlcycle.data.models import (
    Change,
    ColumnProfile,
    ColumnSchema,
    DatasetDiff,
    DatasetInfo,
    DatasetVersion,
    ValueCount,
)
from mlcycle.data.profile import profile_table
from mlcycle.data.service import DatasetService
from mlcycle.data.splits import split_indices, split_table
from mlcycle.data.validation import (
    AllowedValues,
    ColumnTypes,
    Custom,
    Expectation,
    ExpectationResult,
    ExpectationSuite,
    NotNull,
    Range,
    RowCount,
    Unique,
    ValidationReport,
)

__all__ = [
    "AllowedValues",
    "Change",
    "ColumnProfile",
    "ColumnSchema",
    "ColumnTypes",
    "Custom",
    "DatasetDiff",
    "DatasetInfo",
    "DatasetService",
    "DatasetVersion",
    "Expectation",
    "ExpectationResult",
    "ExpectationSuite",
    "NotNull",
    "Range",
    "RowCount",
    "Unique",
    "ValidationReport",
    "ValueCount",
    "content_hash",
    "diff_versions",
    "infer_expectations",
    "profile_table",
    "split_indices",
    "split_table",
]
