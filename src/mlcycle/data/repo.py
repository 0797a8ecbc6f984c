"""Persistence of datasets, versions, tags and validation reports: rows in, rows out. Rules live in the service."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from mlcycle.data.models import ColumnProfile, DatasetVersion
from mlcycle.data.validation import ValidationReport
from mlcycle.store.schema import dataset_tags, dataset_versions, datasets, step_runs, validation_reports

_VERSION_COLUMNS = [c for c in dataset_versions.c if c.name != "dataset_id"]


def dataset_row(conn: Connection, project_id: str, name: str) -> Row[Any] | None:
    q = sa.select(datasets).where(datasets.c.project_id == project_id, datasets.c.name == name)
    return conn.execute(q).first()


def lock_dataset(conn: Connection, dataset_id: str) -> None:
    """Serialise version numbering per dataset: PostgreSQL takes a row lock; SQLite's writer lock already does."""
    conn.execute(sa.select(datasets.c.id).where(datasets.c.id == dataset_id).with_for_update())


def insert_dataset(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(datasets.insert().values(**row))


def list_datasets(conn: Connection, project_id: str) -> list[Row[Any]]:
    """Datasets of a project by name, each with its version count and latest version's number, rows and time."""
    latest = (
        sa.select(
            dataset_versions.c.dataset_id,
            sa.func.count().label("versions"),
            sa.func.max(dataset_versions.c.version).label("latest_version"),
        )
        .group_by(dataset_versions.c.dataset_id)
        .subquery()
    )
    head = dataset_versions.alias("head")
    q = (
        sa.select(
            datasets,
            sa.func.coalesce(latest.c.versions, 0).label("versions"),
            latest.c.latest_version,
            head.c.row_count.label("latest_row_count"),
            head.c.created_at.label("latest_created_at"),
        )
        .select_from(
            datasets.outerjoin(latest, latest.c.dataset_id == datasets.c.id).outerjoin(
                head, sa.and_(head.c.dataset_id == datasets.c.id, head.c.version == latest.c.latest_version)
            )
        )
        .where(datasets.c.project_id == project_id)
        .order_by(datasets.c.name)
    )
    return list(conn.execute(q))


# ---- versions -----------------------------------------------------------------------------------------------
def _versions_query() -> sa.Select[Any]:
    return sa.select(
        *_VERSION_COLUMNS,
        dataset_versions.c.dataset_id,
        datasets.c.name.label("dataset"),
        datasets.c.project_id,
    ).join(datasets, datasets.c.id == dataset_versions.c.dataset_id)


def to_version(row: Row[Any], tags: list[str]) -> DatasetVersion:
    m = row._mapping
    return DatasetVersion(
        **{k: m[k] for k in m if k not in ("schema_json", "profile_json")},
        columns=json.loads(m["schema_json"]),
        profile=profile_from_json(m["profile_json"]),
        tags=tags,
    )


def profile_from_json(text: str) -> dict[str, ColumnProfile]:
    return {k: ColumnProfile.model_validate(v) for k, v in json.loads(text).items()}


MAX_VERSION = 2**62  # beyond any stored version; larger numbers would overflow the database integer


def resolve_version(conn: Connection, dataset_id: str, ref: int | str) -> Row[Any] | None:
    """A version by number (3 or "v3"), "latest", or tag."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return version_by_number(conn, dataset_id, ref) if 0 < ref <= MAX_VERSION else None
    text = str(ref)
    if text == "latest":
        return latest_version(conn, dataset_id)
    if re.fullmatch(r"v?\d{1,18}", text):
        return version_by_number(conn, dataset_id, int(text.lstrip("v")))
    tagged = tagged_version_id(conn, dataset_id, text)
    return version_by_id(conn, tagged) if tagged is not None else None


def version_by_id(conn: Connection, version_id: str) -> Row[Any] | None:
    return conn.execute(_versions_query().where(dataset_versions.c.id == version_id)).first()


def version_by_number(conn: Connection, dataset_id: str, number: int) -> Row[Any] | None:
    q = _versions_query().where(dataset_versions.c.dataset_id == dataset_id, dataset_versions.c.version == number)
    return conn.execute(q).first()


def latest_version(conn: Connection, dataset_id: str) -> Row[Any] | None:
    q = _versions_query().where(dataset_versions.c.dataset_id == dataset_id)
    return conn.execute(q.order_by(dataset_versions.c.version.desc()).limit(1)).first()


def version_by_hash(conn: Connection, dataset_id: str, content_hash: str) -> Row[Any] | None:
    q = _versions_query().where(
        dataset_versions.c.dataset_id == dataset_id, dataset_versions.c.content_hash == content_hash
    )
    return conn.execute(q).first()


def any_version_by_hash(conn: Connection, content_hash: str) -> Row[Any] | None:
    """A version of any dataset with this content, to reuse its Parquet blob, schema and profile."""
    q = _versions_query().where(dataset_versions.c.content_hash == content_hash)
    return conn.execute(q.order_by(dataset_versions.c.created_at).limit(1)).first()


def list_versions(conn: Connection, dataset_id: str) -> list[Row[Any]]:
    q = _versions_query().where(dataset_versions.c.dataset_id == dataset_id)
    return list(conn.execute(q.order_by(dataset_versions.c.version.desc())))


def next_version(conn: Connection, dataset_id: str) -> int:
    q = sa.select(sa.func.max(dataset_versions.c.version)).where(dataset_versions.c.dataset_id == dataset_id)
    return int(conn.execute(q).scalar() or 0) + 1


def insert_version(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(dataset_versions.insert().values(**row))


# ---- tags ---------------------------------------------------------------------------------------------------
def tags_of(conn: Connection, version_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {v: [] for v in version_ids}
    if version_ids:
        q = sa.select(dataset_tags.c.version_id, dataset_tags.c.tag).where(dataset_tags.c.version_id.in_(version_ids))
        for vid, tag in conn.execute(q.order_by(dataset_tags.c.tag)):
            out[vid].append(tag)
    return out


def dataset_tag_versions(conn: Connection, dataset_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per dataset: tag -> version number."""
    out: dict[str, dict[str, int]] = {d: {} for d in dataset_ids}
    if dataset_ids:
        q = (
            sa.select(dataset_tags.c.dataset_id, dataset_tags.c.tag, dataset_versions.c.version)
            .join(dataset_versions, dataset_versions.c.id == dataset_tags.c.version_id)
            .where(dataset_tags.c.dataset_id.in_(dataset_ids))
            .order_by(dataset_tags.c.tag)
        )
        for did, tag, number in conn.execute(q):
            out[did][tag] = int(number)
    return out


def tagged_version_id(conn: Connection, dataset_id: str, tag: str) -> str | None:
    q = sa.select(dataset_tags.c.version_id).where(dataset_tags.c.dataset_id == dataset_id, dataset_tags.c.tag == tag)
    found = conn.execute(q).scalar()
    return str(found) if found is not None else None


def upsert_tag(conn: Connection, row: dict[str, Any]) -> None:
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(dataset_tags)
    stmt = insert.values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=[dataset_tags.c.dataset_id, dataset_tags.c.tag],
        set_={"version_id": stmt.excluded.version_id, "created_at": stmt.excluded.created_at},
    )
    conn.execute(stmt)


# ---- validation reports -------------------------------------------------------------------------------------
def insert_report(conn: Connection, report: ValidationReport) -> None:
    row = {
        "id": report.id,
        "version_id": report.version_id,
        "success": int(report.success),
        "suite_json": json.dumps(report.suite, default=str),
        "results_json": json.dumps([r.model_dump() for r in report.results], default=str),
        "run_id": report.run_id,
        "created_at": report.created_at,
        "created_by": report.created_by,
    }
    conn.execute(validation_reports.insert().values(**row))


def reports_of(conn: Connection, version: DatasetVersion) -> list[ValidationReport]:
    """The stored reports of a version, newest first."""
    q = sa.select(validation_reports).where(validation_reports.c.version_id == version.id)
    return [
        ValidationReport(
            id=r.id,
            version_id=r.version_id,
            dataset=version.ref,
            success=bool(r.success),
            row_count=version.row_count,
            suite=json.loads(r.suite_json),
            results=json.loads(r.results_json),
            run_id=r.run_id,
            created_at=r.created_at,
            created_by=r.created_by,
        )
        for r in conn.execute(q.order_by(validation_reports.c.created_at.desc()))
    ]


# ---- readers ------------------------------------------------------------------------------------------------
def step_run_id(conn: Connection, pipeline_run_id: str, name: str) -> str | None:
    """The id of step ``name`` of a pipeline run (to link a version to the pipeline step that read it)."""
    q = sa.select(step_runs.c.id).where(step_runs.c.pipeline_run_id == pipeline_run_id, step_runs.c.name == name)
    found = conn.execute(q).scalar()
    return str(found) if found is not None else None
