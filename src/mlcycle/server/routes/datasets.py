"""Datasets: list them and their versions, read a version (by number, "latest", tag or id), tag, diff, download
its Parquet file, upload a new version as Parquet, validate a version and split it.

An upload is read with pyarrow and logged by the same service call as embedded data, so its content hash,
schema and profile are computed the same way and equal content returns the existing version.
"""

from __future__ import annotations

from typing import IO, Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response, StreamingResponse

from mlcycle.core.errors import InvalidInput
from mlcycle.data.models import DatasetDiff, DatasetInfo, DatasetVersion
from mlcycle.data.parquet import MEDIA_TYPE as PARQUET
from mlcycle.data.sources import from_parquet
from mlcycle.data.validation import ExpectationSuite, ValidationReport
from mlcycle.server.deps import MayWrite, Reader, Writer
from mlcycle.server.schemas import DatasetTagIn, RecordReportIn, SplitIn, ValidateIn
from mlcycle.server.wire import WireJSONResponse, spooled_body

router = APIRouter(tags=["datasets"])

DATASETS = "/projects/{ref}/datasets"
"""The datasets of a project; a Parquet upload to it (PUT) has the artifact size limit (``max_artifact_bytes``)."""
DATASET = DATASETS + "/{name}"
VERSION = "/datasets/versions/{version_id}"
BINARY = {"type": "string", "format": "binary"}


@router.get(DATASETS, response_model=list[DatasetInfo], summary="List the datasets of a project")
def list_datasets(ref: str, backend: Reader) -> Response:
    return WireJSONResponse(backend.list_datasets(ref))


@router.put(
    DATASETS,
    response_model=DatasetVersion,
    summary="Upload a new dataset version as Parquet",
    openapi_extra={"requestBody": {"required": True, "content": {PARQUET: {"schema": BINARY}}}},
)
def upload_version(
    ref: str,
    backend: Writer,
    body: Annotated[IO[bytes], Depends(spooled_body)],
    name: Annotated[str, Query(description="dataset name")],
    stage: Annotated[str | None, Query(description="lifecycle stage; data_collection when omitted")] = None,
    source: Annotated[str | None, Query(description="where the data came from (a path, a URL, a note)")] = None,
    source_kind: Annotated[str | None, Query(description="file, url, step, dataframe or split")] = None,
    run_id: Annotated[str | None, Query(description="the run that logged it")] = None,
    parent_version_id: Annotated[str | None, Query(description="the version it was derived from")] = None,
) -> Response:
    """The body is one Parquet file. Content equal to a version of the dataset returns that version."""
    version = backend.log_dataset(
        ref,
        name,
        from_parquet(body),
        stage=stage,
        source=source,
        source_kind=source_kind,
        run_id=run_id,
        parent_version_id=parent_version_id,
    )
    return WireJSONResponse(version)


@router.get(DATASET + "/versions", response_model=list[DatasetVersion], summary="List the versions of a dataset")
def list_versions(ref: str, name: str, backend: Reader) -> Response:
    """Newest first."""
    return WireJSONResponse(backend.list_dataset_versions(ref, name))


@router.get(DATASET + "/versions/{version}", response_model=DatasetVersion, summary="Get a dataset version")
def get_version(ref: str, name: str, version: str, backend: Reader) -> Response:
    """``version`` is a number (3 or v3), ``latest`` or a tag."""
    return WireJSONResponse(backend.get_dataset_version(ref, name, _number_or_text(version)))


@router.put(DATASET + "/tags/{tag}", response_model=DatasetVersion, summary="Point a tag at a dataset version")
def tag_version(ref: str, name: str, tag: str, body: DatasetTagIn, backend: Writer) -> Response:
    """A tag names one version of its dataset; tagging another version moves it."""
    return WireJSONResponse(backend.tag_dataset(ref, name, body.version, tag))


@router.get(VERSION, response_model=DatasetVersion, summary="Get a dataset version by id")
def get_version_by_id(version_id: str, backend: Reader) -> Response:
    return WireJSONResponse(backend.dataset_version_by_id(version_id))


@router.get(
    VERSION + "/parquet",
    response_class=StreamingResponse,
    summary="Download the Parquet file of a dataset version",
    responses={200: {"content": {PARQUET: {"schema": BINARY}}}},
)
def download_parquet(
    version_id: str,
    backend: Reader,
    may_write: MayWrite,
    run_id: Annotated[str | None, Query(description="the run reading the version")] = None,
    pipeline_run_id: Annotated[str | None, Query(description="the pipeline run of the reading step")] = None,
    step: Annotated[str | None, Query(description="the name of the reading step (with pipeline_run_id)")] = None,
) -> StreamingResponse:
    """The stored file, streamed; ``ETag`` is its sha256 (the version's ``blob_digest``).

    ``run_id``, and ``pipeline_run_id`` with ``step``, record the readers in the lineage graph (as an embedded
    ``load`` does; an unknown run is 404) when the token's role may write; for a ``viewer`` the file is served
    and nothing is recorded."""
    reading_step = _step(pipeline_run_id, step)
    version, size, chunks = backend.data.parquet(version_id)
    if may_write:
        backend.data.record_read(version, run_id, reading_step)
    filename = f"{version.dataset}-v{version.version}.parquet"
    headers = {
        "Content-Length": str(size),
        "ETag": f'"{version.blob_digest}"',
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    return StreamingResponse(chunks, media_type=PARQUET, headers=headers)


@router.get(VERSION + "/diff/{other_id}", response_model=DatasetDiff, summary="Compare two dataset versions")
def diff_versions(version_id: str, other_id: str, backend: Reader) -> Response:
    """Schema and profile changes from this version to the other one (no rows are read)."""
    return WireJSONResponse(backend.data.diff(version_id, other_id))


@router.post(VERSION + "/validate", response_model=ValidationReport, summary="Validate a dataset version")
def validate_version(version_id: str, body: ValidateIn, backend: Writer) -> Response:
    """Check a declarative suite on the version's rows and store the report. When a rule fails and
    ``raise_on_failure`` is true (the default), the answer is 422 ``ValidationFailed`` whose ``details`` name the
    failing columns, rules and sample values; the report is stored either way."""
    suite = ExpectationSuite(body.suite.expectations, name=body.suite.name)
    report = backend.validate_dataset(version_id, suite, raise_on_failure=body.raise_on_failure, run_id=body.run_id)
    return WireJSONResponse(report)


@router.get(VERSION + "/reports", response_model=list[ValidationReport], summary="List validation reports")
def list_reports(version_id: str, backend: Reader) -> Response:
    """The stored validation reports of a version, newest first."""
    return WireJSONResponse(backend.data.validation_reports(version_id))


@router.post(VERSION + "/reports", response_model=ValidationReport, summary="Store a report checked by the client")
def record_report(version_id: str, body: RecordReportIn, backend: Writer) -> Response:
    """For suites with custom (Python) rules, which the client checks on its own copy of the rows. Stored and
    answered like ``/validate``: 422 ``ValidationFailed`` when a rule failed and ``raise_on_failure`` is true."""
    report = ValidationReport(**body.report.model_dump())
    stored = backend.data.record_report(version_id, report, raise_on_failure=body.raise_on_failure, run_id=body.run_id)
    return WireJSONResponse(stored)


@router.post(VERSION + "/split", response_model=dict[str, DatasetVersion], summary="Split a dataset version")
def split_version(version_id: str, body: SplitIn, backend: Writer) -> Response:
    """Deterministic parts, stored as versions of ``<name>-train``, ``<name>-validation`` and ``<name>-test``."""
    parts = backend.split_dataset(
        version_id,
        method=body.method,
        fractions=body.fractions,
        seed=body.seed,
        stratify_by=body.stratify_by,
        time_column=body.time_column,
        run_id=body.run_id,
    )
    return WireJSONResponse(parts)


def _step(pipeline_run_id: str | None, step: str | None) -> tuple[str, str] | None:
    """The reading step as the service takes it: (pipeline run id, step name), both or neither."""
    if (pipeline_run_id is None) != (step is None):
        raise InvalidInput("pipeline_run_id and step go together", hint="give both query parameters, or neither")
    return (pipeline_run_id, step) if pipeline_run_id is not None and step is not None else None


def _number_or_text(version: str) -> int | str:
    """A version segment as the embedded client would pass it: a number as an int, anything else as text."""
    return int(version) if version.isdecimal() else version
