"""Table definitions of the metadata store (SQLAlchemy Core). Alembic migrations create exactly these.

Conventions: ids are 32-hex strings, timestamps are integer milliseconds since the epoch, JSON payloads are
text. Metric values are doubles where NULL stands for NaN (SQLite cannot store NaN; PostgreSQL follows the same
rule so both behave alike); +/-inf are stored as they are.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
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

metric_points = Table(
    "metric_points",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("run_id", Id, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Float(precision=53), nullable=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", Ms, nullable=False),
    Index("ix_metric_points_run_key_step", "run_id", "key", "step"),
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
