"""Domain types of the data service, shared by the embedded service, the REST API and the remote client.

These are plain pydantic models with no pandas or pyarrow behind them, so they are cheap to import, ship and
render. Loading a version's rows is the job of the service (or the client's ``Dataset`` handle).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ColumnKind = Literal["integer", "float", "boolean", "string", "categorical", "datetime", "date", "binary", "other"]
SourceKind = Literal["file", "url", "step", "dataframe", "split"]
SOURCE_KINDS: tuple[str, ...] = ("file", "url", "step", "dataframe", "split")


class ColumnSchema(BaseModel):
    """One column as stored: its Arrow type, the coarser kind that expectations use, and observed nullability."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str  # the Arrow type, e.g. "double", "large_string", "timestamp[us]"
    kind: ColumnKind
    nullable: bool  # whether the column holds at least one missing value (null, or NaN in a float column)


class ValueCount(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: Any
    count: int


class ColumnProfile(BaseModel):
    """Summary statistics of one column. Missing values (null, and NaN in float columns) are left out of every
    statistic but ``null_count``. ``std`` is the sample standard deviation (ddof=1); quantiles use linear
    interpolation, as :func:`numpy.quantile` does by default."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    count: int  # non-missing values
    null_count: int
    n_unique: int | None = None
    min: bool | int | float | str | None = None  # datetimes as ISO 8601 strings
    max: bool | int | float | str | None = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, float] | None = None  # "p5", "p25", "p50", "p75", "p95"
    top: list[ValueCount] | None = None  # most frequent values of string, categorical and boolean columns


class DatasetVersion(BaseModel):
    """One immutable snapshot of a dataset, stored once as Parquet and identified by its content hash."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    id: str
    dataset: str
    dataset_id: str
    project_id: str
    version: int
    content_hash: str
    blob_digest: str
    format: str = "parquet"
    row_count: int
    columns: list[ColumnSchema]  # the schema (``schema`` is reserved by pydantic)
    profile: dict[str, ColumnProfile]
    source: str
    source_kind: SourceKind
    stage: str
    parent_version_id: str | None = None
    run_id: str | None = None
    pipeline_run_id: str | None = None
    created_at: int
    created_by: str
    tags: list[str] = Field(default_factory=list)

    @property
    def ref(self) -> str:
        """``name@vN``, how the CLI and messages name a version."""
        return f"{self.dataset}@v{self.version}"

    def column(self, name: str) -> ColumnSchema | None:
        return next((c for c in self.columns if c.name == name), None)


class DatasetInfo(BaseModel):
    """A dataset with a summary of its versions."""

    model_config = ConfigDict(frozen=True)

    id: str
    project_id: str
    name: str
    created_at: int
    created_by: str
    versions: int
    latest_version: int | None
    latest_row_count: int | None
    latest_created_at: int | None
    tags: dict[str, int] = Field(default_factory=dict)  # tag -> version number


class Change(BaseModel):
    """A value before and after; ``delta`` = after - before when both are numbers."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    before: Any
    after: Any
    delta: float | None = None


class DatasetDiff(BaseModel):
    """What changed from version ``a`` to version ``b``: schema, nullability, row count and profiles."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    a: str  # name@vN
    b: str
    same_content: bool
    added: list[ColumnSchema] = Field(default_factory=list)
    removed: list[ColumnSchema] = Field(default_factory=list)
    type_changed: dict[str, Change] = Field(default_factory=dict)  # column -> Arrow type before/after
    nullability_changed: dict[str, Change] = Field(default_factory=dict)
    row_count: Change
    profile: dict[str, dict[str, Change]] = Field(default_factory=dict)  # column -> statistic -> change

    @property
    def schema_changed(self) -> bool:
        return bool(self.added or self.removed or self.type_changed or self.nullability_changed)


__all__ = [
    "SOURCE_KINDS",
    "Change",
    "ColumnKind",
    "ColumnProfile",
    "ColumnSchema",
    "DatasetDiff",
    "DatasetInfo",
    "DatasetVersion",
    "SourceKind",
    "ValueCount",
]
