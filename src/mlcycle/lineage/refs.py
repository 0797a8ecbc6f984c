"""Turning what a person types into a graph node.

A reference is one of:

- an id of a run, pipeline run, step run or dataset version, or an artifact's sha256 digest (``sha256:`` may
  lead it); a unique prefix of at least 8 hex characters will do;
- ``RUN_ID:path/in/run``, an artifact by the run that logged it (``<run>:model/model.skops`` names the model
  autolog stored); the run id may be a unique prefix too;
- ``PROJECT/DATASET`` (the latest version), ``PROJECT/DATASET@3``, ``@v3``, ``@latest`` or ``@TAG``.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mlcycle.core.errors import InvalidInput, NotFound, did_you_mean
from mlcycle.lineage.models import Node
from mlcycle.lineage.nodes import Key, describe
from mlcycle.store import Store
from mlcycle.store.schema import (
    artifacts,
    dataset_tags,
    dataset_versions,
    datasets,
    lineage_edges,
    pipeline_runs,
    projects,
    runs,
    step_runs,
)

MIN_PREFIX = 8
MAX_CANDIDATES = 5
FORMS = (
    "use an id or sha256 (a unique prefix of 8+ hex characters will do), RUN_ID:path/of/artifact, "
    "or PROJECT/DATASET[@VERSION|@TAG]"
)
_HEX = re.compile(r"^[0-9a-f]+$")
_VERSION = re.compile(r"^v?(\d+)$")
_ID_TABLES: tuple[tuple[str, sa.Table], ...] = (
    ("run", runs),
    ("pipeline_run", pipeline_runs),
    ("step_run", step_runs),
    ("dataset_version", dataset_versions),
)


def resolve(store: Store, ref: str) -> Node:
    """The node ``ref`` names; InvalidInput when it is malformed or ambiguous, NotFound when nothing matches."""
    text = ref.strip() if isinstance(ref, str) else ""
    if not text:
        raise InvalidInput("empty lineage reference", hint=FORMS)
    with store.read() as conn:
        key = _resolve(conn, text)
        return describe(conn, {key: 0})[0]


def _resolve(conn: Connection, text: str) -> Key:
    lowered = text.lower()
    if lowered.startswith("sha256:"):
        return _by_hex(conn, lowered.removeprefix("sha256:"), types=("artifact",))
    if ":" in text:
        run_ref, path = text.split(":", 1)
        return _artifact_at(conn, run_ref, path)
    if "/" in text:
        return _dataset_version(conn, text)
    if _HEX.match(lowered):
        return _by_hex(conn, lowered)
    raise InvalidInput(f"cannot read {text!r} as a lineage reference", hint=FORMS)


# ---- ids and digests --------------------------------------------------------------------------------------
def _by_hex(conn: Connection, text: str, types: tuple[str, ...] | None = None) -> Key:
    if not _HEX.match(text):
        raise InvalidInput(f"{text!r} is not a hex id or digest", hint=FORMS)
    if len(text) < MIN_PREFIX:
        raise InvalidInput(
            f"{text!r} is too short to name an object", hint=f"give at least {MIN_PREFIX} hex characters"
        )
    found = _matches(conn, text, exact=True, types=types) or _matches(conn, text, exact=False, types=types)
    if not found:
        raise NotFound(
            f"nothing has the id or digest {text!r}",
            hint="copy an id from `mlcycle runs list PROJECT`, `mlcycle pipelines runs PROJECT` or "
            "`mlcycle datasets show PROJECT DATASET`",
        )
    if len(found) > 1:
        shown = ", ".join(f"{t} {i}" for t, i in found[:MAX_CANDIDATES])
        more = f" and {len(found) - MAX_CANDIDATES} more" if len(found) > MAX_CANDIDATES else ""
        raise InvalidInput(
            f"{text!r} is ambiguous: it matches {shown}{more}",
            hint="give more characters of the id",
            details={"candidates": [{"type": t, "id": i} for t, i in found]},
        )
    return found[0]


def _matches(conn: Connection, text: str, *, exact: bool, types: tuple[str, ...] | None) -> list[Key]:
    def where(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        return column == text if exact else column.startswith(text)

    limit = MAX_CANDIDATES + 1
    found: list[Key] = []
    for node_type, table in _ID_TABLES:
        if types is None or node_type in types:
            q = sa.select(table.c.id).where(where(table.c.id)).order_by(table.c.id).limit(limit)
            found += [(node_type, str(i)) for (i,) in conn.execute(q)]
    if types is None or "artifact" in types:
        e = lineage_edges.c
        digests = {
            str(d) for (d,) in conn.execute(sa.select(artifacts.c.digest).where(where(artifacts.c.digest)).limit(limit))
        }
        for type_column, id_column in ((e.src_type, e.src_id), (e.dst_type, e.dst_id)):
            q = sa.select(id_column).where(type_column == "artifact", where(id_column)).limit(limit)
            digests.update(str(d) for (d,) in conn.execute(q))
        found += [("artifact", d) for d in sorted(digests)]
    return found


# ---- RUN:path ---------------------------------------------------------------------------------------------
def _artifact_at(conn: Connection, run_ref: str, path: str) -> Key:
    run_id = _by_hex(conn, run_ref.strip().lower(), types=("run",))[1]
    path = path.strip().lstrip("/")
    q = sa.select(artifacts.c.digest).where(artifacts.c.run_id == run_id, artifacts.c.path == path)
    digest = conn.execute(q).scalar()
    if digest is None:
        paths = [p for (p,) in conn.execute(sa.select(artifacts.c.path).where(artifacts.c.run_id == run_id))]
        hint = did_you_mean(path, paths) or (
            f"run {run_id} has artifacts {sorted(paths)[:MAX_CANDIDATES]}"
            if paths
            else f"run {run_id} has no artifacts"
        )
        raise NotFound(f"run {run_id} has no artifact {path!r}", hint=hint)
    return ("artifact", str(digest))


# ---- PROJECT/DATASET[@VERSION] ----------------------------------------------------------------------------
def _dataset_version(conn: Connection, text: str) -> Key:
    project_ref, _, rest = text.partition("/")
    name, _, version = rest.partition("@")
    if not project_ref or not name or "/" in rest:
        raise InvalidInput(f"cannot read {text!r} as PROJECT/DATASET[@VERSION|@TAG]", hint=FORMS)
    project = conn.execute(
        sa.select(projects.c.id, projects.c.name).where(
            sa.or_(projects.c.name == project_ref, projects.c.id == project_ref)
        )
    ).first()
    if project is None:
        names = [n for (n,) in conn.execute(sa.select(projects.c.name))]
        hint = did_you_mean(project_ref, names) or "run `mlcycle projects list` to see the projects"
        raise NotFound(f"no project {project_ref!r}", hint=hint)
    q = sa.select(datasets.c.id).where(datasets.c.project_id == project.id, datasets.c.name == name)
    dataset_id = conn.execute(q).scalar()
    if dataset_id is None:
        names = [n for (n,) in conn.execute(sa.select(datasets.c.name).where(datasets.c.project_id == project.id))]
        hint = did_you_mean(name, names) or f"run `mlcycle datasets list {project.name}` to see its datasets"
        raise NotFound(f"project {project.name!r} has no dataset {name!r}", hint=hint)
    version_id = _version_id(conn, str(dataset_id), version or "latest")
    if version_id is None:
        raise NotFound(
            f"dataset {name!r} has no version {version!r}",
            hint=f"run `mlcycle datasets show {project.name} {name}` to see its versions and tags",
        )
    return ("dataset_version", version_id)


def _version_id(conn: Connection, dataset_id: str, version: str) -> str | None:
    dv = dataset_versions.c
    q = sa.select(dv.id).where(dv.dataset_id == dataset_id)
    number = _VERSION.match(version)
    if version == "latest":
        found = conn.execute(q.order_by(dv.version.desc()).limit(1)).scalar()
    elif number:
        found = conn.execute(q.where(dv.version == int(number.group(1)))).scalar()
    else:
        t = dataset_tags.c
        found = conn.execute(sa.select(t.version_id).where(t.dataset_id == dataset_id, t.tag == version)).scalar()
    return str(found) if found is not None else None


__all__ = ["FORMS", "MIN_PREFIX", "resolve"]
