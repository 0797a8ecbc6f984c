"""Table definitions of the metadata store (SQLAlchemy Core). Alembic migrations create exactly these.

Conventions: ids are 32-hex strings, timestamps are integer milliseconds since the epoch, JSON payloads are
text. In ``latest_metrics`` values are doubles where NULL stands for NaN (SQLite cannot store NaN; PostgreSQL
follows the same rule so both behave alike); +/-inf are stored as they are.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias); PostgreSQL wants BIGINT.
AutoId = BigInteger().with_variant(Integer(), "sqlite")
Id = String(32)
Ms = BigInteger

projects = Table(
    "projects",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("kind", String(8), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", Ms, nullable=False),
    Column("created_by", String(128), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", Ms, nullable=False),
    Column("end_time", Ms, nullable=True),
    Column("parent_run_id", Id, ForeignKey("runs.id"), nullable=True),
    Column("git_commit", String(64), nullable=True),
    Column("user", String(128), nullable=False),
    Index("ix_runs_project_start", "project_id", "start_time"),
    Index("ix_runs_parent", "parent_run_id"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", Id, ForeignKey("runs.id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_params_key_run", "key", "run_id"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", Id, ForeignKey("runs.id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_tags_key_run", "key", "run_id"),
)

# Metric points are stored column-wise in chunks: one row per (run, key, logging call) holding the steps,
# values and timestamps of that call as little-endian int64/float64/int64 arrays. A 10,000-point series is one
# row; NaN and +/-inf are kept bit for bit. History reads concatenate a key's chunks and sort by (step, time).
metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("run_id", Id, nullable=False),
    Column("key", String(250), nullable=False),
    Column("n", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=False),
    Column("max_step", BigInteger, nullable=False),
    Column("steps", LargeBinary, nullable=False),
    Column("values", LargeBinary, nullable=False),
    Column("timestamps", LargeBinary, nullable=False),
    Index("ix_metric_chunks_run_key", "run_id", "key"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", Id, ForeignKey("runs.id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Float(precision=53), nullable=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", Ms, nullable=False),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("run_id", Id, ForeignKey("runs.id"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Ms, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("ts", Ms, nullable=False),
    Column("user", String(128), nullable=False),
    Column("project_id", Id, nullable=True),
    Column("stage", String(64), nullable=True),
    Column("entity_type", String(64), nullable=False),
    Column("entity_id", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("payload", Text, nullable=False, default="{}"),
    Index("ix_events_project_stage", "project_id", "stage"),
    Index("ix_events_entity", "entity_type", "entity_id"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user", String(128), nullable=False),
    Column("role", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", Ms, nullable=False),
    Column("revoked_at", Ms, nullable=True),
    UniqueConstraint("token_hash", name="uq_tokens_token_hash"),
)

# ---- data: datasets, versions, tags, validation reports -----------------------------------------------------
datasets = Table(
    "datasets",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("created_at", Ms, nullable=False),
    Column("created_by", String(128), nullable=False),
    UniqueConstraint("project_id", "name", name="uq_datasets_project_name"),
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("dataset_id", Id, ForeignKey("datasets.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),  # hash of the logical content (schema + rows)
    Column("blob_digest", String(64), nullable=False),  # sha256 of the stored Parquet file
    Column("format", String(16), nullable=False),
    Column("row_count", BigInteger, nullable=False),
    Column("schema_json", Text, nullable=False),
    Column("profile_json", Text, nullable=False),
    Column("source", Text, nullable=False, default=""),
    Column("source_kind", String(16), nullable=False),  # file | url | step | dataframe | split
    Column("stage", String(64), nullable=False),
    Column("parent_version_id", Id, ForeignKey("dataset_versions.id"), nullable=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=True),  # tracking run that produced it
    Column("pipeline_run_id", Id, nullable=True),
    Column("created_at", Ms, nullable=False),
    Column("created_by", String(128), nullable=False),
    UniqueConstraint("dataset_id", "version", name="uq_dataset_versions_dataset_version"),
    UniqueConstraint("dataset_id", "content_hash", name="uq_dataset_versions_dataset_hash"),
)

dataset_tags = Table(
    "dataset_tags",
    metadata,
    Column("dataset_id", Id, ForeignKey("datasets.id"), primary_key=True),
    Column("tag", String(128), primary_key=True),
    Column("version_id", Id, ForeignKey("dataset_versions.id"), nullable=False),
    Column("created_at", Ms, nullable=False),
)

validation_reports = Table(
    "validation_reports",
    metadata,
    Column("id", Id, primary_key=True),
    Column("version_id", Id, ForeignKey("dataset_versions.id"), nullable=False),
    Column("success", Integer, nullable=False),
    Column("suite_json", Text, nullable=False),
    Column("results_json", Text, nullable=False),
    Column("run_id", Id, nullable=True),
    Column("created_at", Ms, nullable=False),
    Column("created_by", String(128), nullable=False),
    Index("ix_validation_reports_version", "version_id"),
)

# ---- pipelines: definitions, runs, steps, cache, schedules ---------------------------------------------------
pipelines = Table(
    "pipelines",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("module", Text, nullable=False, default=""),  # importable "module:qualname" for triggers and resume
    Column("created_at", Ms, nullable=False),
    UniqueConstraint("project_id", "name", name="uq_pipelines_project_name"),
)

pipeline_runs = Table(
    "pipeline_runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("pipeline_id", Id, ForeignKey("pipelines.id"), nullable=False),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=True),  # the tracking run it created
    Column("status", String(16), nullable=False),  # RUNNING | FINISHED | FAILED
    Column("runner", String(16), nullable=False),
    Column("params_json", Text, nullable=False),
    Column("outputs_json", Text, nullable=False, default="{}"),  # {"refs": [[step, key]], "tuple": bool}
    Column("trigger", String(256), nullable=False, default="manual"),  # manual, resume, schedule:<id>, dataset:<n>@v<k>
    Column("resumed_from", Id, nullable=True),
    Column("error", Text, nullable=True),
    Column("started_at", Ms, nullable=False),
    Column("ended_at", Ms, nullable=True),
    Index("ix_pipeline_runs_pipeline", "pipeline_id", "started_at"),
)

step_runs = Table(
    "step_runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("pipeline_run_id", Id, ForeignKey("pipeline_runs.id"), nullable=False),
    Column("name", String(256), nullable=False),  # invocation name, unique within the pipeline run
    Column("step", String(256), nullable=False),  # the step function's qualified name
    Column("position", Integer, nullable=False, default=0),  # index in the pipeline's graph order
    Column("status", String(16), nullable=False),  # PENDING | RUNNING | COMPLETED | CACHED | FAILED | SKIPPED
    Column("cache_key", String(64), nullable=True),
    Column("cached", Integer, nullable=False, default=0),
    Column("inputs_json", Text, nullable=False, default="{}"),
    Column("outputs_json", Text, nullable=False, default="{}"),
    Column("error", Text, nullable=True),
    Column("started_at", Ms, nullable=True),
    Column("ended_at", Ms, nullable=True),
    Column("duration_ms", Float, nullable=True),
    UniqueConstraint("pipeline_run_id", "name", name="uq_step_runs_run_name"),
)

step_cache = Table(
    "step_cache",
    metadata,
    Column("cache_key", String(64), primary_key=True),
    Column("step", String(256), nullable=False),
    Column("outputs_json", Text, nullable=False),
    Column("pipeline_run_id", Id, nullable=False),
    Column("created_at", Ms, nullable=False),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", Id, primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("pipeline", String(128), nullable=False),
    Column("target", Text, nullable=False),  # importable "module:qualname" of the pipeline
    Column("kind", String(16), nullable=False),  # cron | dataset
    Column("cron", String(128), nullable=True),
    Column("dataset", String(128), nullable=True),
    Column("params_json", Text, nullable=False, default="{}"),
    Column("enabled", Integer, nullable=False, default=1),
    Column("next_run_at", Ms, nullable=True),
    Column("last_run_at", Ms, nullable=True),
    Column("last_seen_version", Integer, nullable=True),
    Column("created_at", Ms, nullable=False),
    Column("created_by", String(128), nullable=False),
)

# ---- lineage: a typed graph over everything (dataset versions, runs, pipeline runs, step outputs) ---------
lineage_edges = Table(
    "lineage_edges",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("src_type", String(32), nullable=False),
    Column("src_id", String(128), nullable=False),
    Column("dst_type", String(32), nullable=False),
    Column("dst_id", String(128), nullable=False),
    Column("relation", String(32), nullable=False),  # input | output | derived | logged
    Column("created_at", Ms, nullable=False),
    Index("ix_lineage_src", "src_type", "src_id"),
    Index("ix_lineage_dst", "dst_type", "dst_id"),
    UniqueConstraint("src_type", "src_id", "dst_type", "dst_id", "relation", name="uq_lineage_edge"),
)
