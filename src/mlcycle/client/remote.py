"""The remote backend: the :class:`~mlcycle.client.backend.Backend` protocol over HTTP to `mlcycle server`.

It returns the same types and raises the same exceptions as the embedded backend: the server's error envelope
is turned back into its exception, and a server that cannot be reached is :class:`ServiceUnavailable`. JSON
carries NaN and infinities as the tokens ``NaN``, ``Infinity`` and ``-Infinity`` (see docs/server.md).

Datasets travel as Parquet files: ``log_dataset`` reads its input here (files are on this machine) and uploads
it, ``load_dataset`` downloads the stored file and checks its sha256 (the server records the reading run in
the lineage graph). A suite with custom (Python) rules is checked here, on the downloaded rows, and the server
stores the report (see docs/data.md).
"""

from __future__ import annotations

import hashlib
import numbers
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import pydantic_core

from mlcycle import __version__
from mlcycle.artifacts import write_atomically
from mlcycle.core.errors import IntegrityError, InvalidInput, MlcycleError, ServiceUnavailable
from mlcycle.core.validation import check_key
from mlcycle.lifecycle import LifecycleView
from mlcycle.store.events import Event
from mlcycle.tracking.models import ArtifactInfo, MetricSeries, ProjectInfo, RunInfo

if TYPE_CHECKING:  # pandas and pyarrow are imported by the dataset methods, on first use
    from mlcycle.data.models import DatasetInfo, DatasetVersion
    from mlcycle.data.validation import ExpectationSuite, ValidationReport
    from mlcycle.lineage import LineageReport

API_PREFIX = "/api/v1"
CHUNK_SIZE = 1 << 20


class RemoteBackend:
    """Tracking over HTTP, on one persistent connection pool (keep-alive).

    ``user`` is whoever the token belongs to, as the server says (asked once, on first use).
    """

    def __init__(self, server_url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        self.server_url = server_url.rstrip("/")
        headers = {"Accept": "application/json", "User-Agent": f"mlcycle/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.server_url + API_PREFIX, headers=headers, timeout=timeout)
        self._user: str | None = None

    @property
    def user(self) -> str:
        if self._user is None:
            self._user = str(self._json("GET", "/whoami")["user"])
        return self._user

    @user.setter
    def user(self, value: str) -> None:
        self._user = value

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteBackend:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteBackend({self.server_url!r})"

    # ---- projects ---------------------------------------------------------------------------------------
    def project(self, name: str, kind: str | None = None, description: str | None = None) -> ProjectInfo:
        body = {"name": name, "kind": kind, "description": description}
        return ProjectInfo.model_validate(self._json("POST", "/projects", body))

    def get_project(self, ref: str) -> ProjectInfo:
        return ProjectInfo.model_validate(self._json("GET", f"/projects/{_segment(ref)}"))

    def list_projects(self) -> list[ProjectInfo]:
        return [ProjectInfo.model_validate(p) for p in self._json("GET", "/projects")]

    def lifecycle(self, project: str) -> LifecycleView:
        return LifecycleView.model_validate(self._json("GET", f"/projects/{_segment(project)}/lifecycle"))

    # ---- runs -------------------------------------------------------------------------------------------
    def create_run(
        self,
        project: str,
        *,
        name: str | None = None,
        stage: str | None = None,
        parent_run_id: str | None = None,
        git_commit: str | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> RunInfo:
        body = {
            "project": project,
            "name": name,
            "stage": stage,
            "parent_run_id": parent_run_id,
            "git_commit": git_commit,
            "params": _strings(params, "param key"),
            "tags": _strings(tags, "tag key"),
        }
        return RunInfo.model_validate(self._json("POST", "/runs", body))

    def end_run(self, run_id: str, status: str = "FINISHED") -> RunInfo:
        return RunInfo.model_validate(self._json("POST", f"{_run(run_id)}/end", {"status": status}))

    def get_run(self, run_id: str) -> RunInfo:
        return RunInfo.model_validate(self._json("GET", _run(run_id)))

    def search_runs(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RunInfo]:
        body = {
            "project": project,
            "filter": filter,
            "order_by": None if order_by is None else list(order_by),
            "limit": limit,
            "offset": offset,
        }
        return [RunInfo.model_validate(r) for r in self._json("POST", "/runs/search", body)]

    # ---- params, metrics, tags --------------------------------------------------------------------------
    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        self._json("POST", f"{_run(run_id)}/params", {"params": _strings(params, "param key")})

    def log_metrics(self, run_id: str, metrics: Mapping[str, Any], step: int = 0, timestamp: int | None = None) -> None:
        body = {"metrics": _keyed(metrics, "metric key"), "step": step, "timestamp": timestamp}
        self._json("POST", f"{_run(run_id)}/metrics", body)

    def log_metric_series(
        self,
        run_id: str,
        key: str,
        values: Sequence[Any],
        steps: Sequence[int] | None = None,
        timestamps: Sequence[int] | None = None,
    ) -> None:
        body = {"key": key, "values": values, "steps": steps, "timestamps": timestamps}
        self._json("POST", f"{_run(run_id)}/metrics/series", body)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[tuple[str, Any, int, int]] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        body = {"metrics": metrics, "params": _strings(params, "param key"), "tags": _strings(tags, "tag key")}
        self._json("POST", f"{_run(run_id)}/batch", body)

    def metric_history(self, run_id: str, key: str) -> MetricSeries:
        data = self._json("GET", f"{_run(run_id)}/metrics/{_path(key)}/history")
        return MetricSeries(data["key"], data["steps"], data["values"], data["timestamps"])

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        self._json("POST", f"{_run(run_id)}/tags", {"tags": _strings(tags, "tag key")})

    # ---- artifacts --------------------------------------------------------------------------------------
    def log_artifact(self, run_id: str, name: str, data: IO[bytes] | bytes | Path) -> ArtifactInfo:
        """Upload ``data`` streamed: bytes as they are, a file or file object in 1 MiB chunks."""
        url = f"{_run(run_id)}/artifacts/{_path(name)}"
        if isinstance(data, bytes | bytearray | memoryview):
            headers = {"Content-Type": "application/octet-stream"}
            return ArtifactInfo.model_validate(self._json("PUT", url, content=bytes(data), headers=headers))
        if isinstance(data, Path):
            if not data.is_file():
                raise InvalidInput(f"no file at {data}", hint="pass the path of an existing file")
            with data.open("rb") as f:
                return ArtifactInfo.model_validate(self._upload(url, f))
        return ArtifactInfo.model_validate(self._upload(url, data))

    def _upload(
        self,
        url: str,
        f: IO[bytes],
        *,
        media_type: str = "application/octet-stream",
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """PUT the rest of ``f`` in 1 MiB chunks; the parsed JSON answer."""
        headers = {"Content-Type": media_type}
        size = _remaining_size(f)
        if size is not None:  # else the body goes chunked
            headers["Content-Length"] = str(size)
        return self._json("PUT", url, params=params, content=_chunks(f), headers=headers)

    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactInfo]:
        params = {"prefix": prefix} if prefix is not None else None
        listed = self._json("GET", f"{_run(run_id)}/artifacts", params=params)
        return [ArtifactInfo.model_validate(a) for a in listed]

    def read_artifact(self, run_id: str, name: str) -> bytes:
        return b"".join(self.stream_artifact(run_id, name))

    def stream_artifact(self, run_id: str, name: str) -> Iterator[bytes]:
        """Chunks of the artifact; errors (e.g. NotFound) are raised here, before the first chunk.

        After the last chunk the sha256 of what arrived is checked against the server's digest
        (:class:`IntegrityError` on a mismatch). Iterate to the end or close the iterator.
        """
        response = self._send("GET", f"{_run(run_id)}/artifacts/{_path(name)}", stream=True)
        return self._verified_chunks(response)

    def download_artifact(self, run_id: str, name: str, dest: Path) -> Path:
        """Write the artifact to ``dest`` atomically: a verified copy or nothing replaces it."""
        write_atomically(dest, self.stream_artifact(run_id, name))
        return Path(dest)

    # ---- events -----------------------------------------------------------------------------------------
    def events(
        self,
        project: str | None = None,
        *,
        after_id: int | None = None,
        limit: int = 100,
        stage: str | None = None,
    ) -> list[Event]:
        query = {"project": project, "after_id": after_id, "limit": limit, "stage": stage}
        params = {k: v for k, v in query.items() if v is not None}
        return [Event(**e) for e in self._json("GET", "/events", params=params)]

    # ---- datasets ---------------------------------------------------------------------------------------
    def log_dataset(
        self,
        project: str,
        name: str,
        data: Any,
        *,
        stage: str | None = None,
        source: str | None = None,
        source_kind: str | None = None,
        run_id: str | None = None,
        parent_version_id: str | None = None,
    ) -> DatasetVersion:
        """Read ``data`` here (a path or URL from this machine), write it as Parquet and upload it.

        The server reads the upload and logs it as embedded data is logged, so the content hash, schema and
        profile are the same, and content equal to a stored version returns that version.
        """
        from mlcycle.data.models import DatasetVersion
        from mlcycle.data.parquet import MEDIA_TYPE, write_parquet
        from mlcycle.data.sources import provenance, to_table

        loaded = to_table(data)
        recorded_source, kind = provenance(loaded, source, source_kind)
        query = {
            "name": name,
            "stage": stage,
            "source": recorded_source,
            "source_kind": kind,
            "run_id": run_id,
            "parent_version_id": parent_version_id,
        }
        params = {k: v for k, v in query.items() if v is not None}
        with tempfile.TemporaryDirectory(prefix="mlcycle-upload-") as tmp:
            path = Path(tmp) / "data.parquet"
            write_parquet(loaded.table, path)
            with path.open("rb") as f:
                answer = self._upload(_datasets(project), f, media_type=MEDIA_TYPE, params=params)
        return DatasetVersion.model_validate(answer)

    def get_dataset_version(self, project: str, name: str, version: int | str = "latest") -> DatasetVersion:
        from mlcycle.data.models import DatasetVersion

        url = f"{_datasets(project)}/{_segment(name)}/versions/{_segment(str(version))}"
        return DatasetVersion.model_validate(self._json("GET", url))

    def dataset_version_by_id(self, version_id: str) -> DatasetVersion:
        from mlcycle.data.models import DatasetVersion

        return DatasetVersion.model_validate(self._json("GET", _version(version_id)))

    def list_datasets(self, project: str) -> list[DatasetInfo]:
        from mlcycle.data.models import DatasetInfo

        return [DatasetInfo.model_validate(d) for d in self._json("GET", _datasets(project))]

    def list_dataset_versions(self, project: str, name: str) -> list[DatasetVersion]:
        from mlcycle.data.models import DatasetVersion

        listed = self._json("GET", f"{_datasets(project)}/{_segment(name)}/versions")
        return [DatasetVersion.model_validate(v) for v in listed]

    def tag_dataset(self, project: str, name: str, version: int | str, tag: str) -> DatasetVersion:
        from mlcycle.data.models import DatasetVersion

        url = f"{_datasets(project)}/{_segment(name)}/tags/{_segment(tag)}"
        return DatasetVersion.model_validate(self._json("PUT", url, {"version": version}))

    def load_dataset(
        self,
        version_id: str,
        as_: str = "pandas",
        columns: list[str] | None = None,
        *,
        run_id: str | None = None,
        step: tuple[str, str] | None = None,
    ) -> Any:
        """Download the version's Parquet file, check its sha256, and read it (only ``columns``, if given).

        ``run_id`` and ``step`` (pipeline run id, step name) go with the download, and the server records them
        as readers of the version, as embedded; a token with the ``viewer`` role downloads without recording.
        """
        from mlcycle.data.parquet import read_table
        from mlcycle.data.service import check_columns, check_load_format

        check_load_format(as_)
        if columns:
            check_columns(self.dataset_version_by_id(version_id), columns)
        query = {"run_id": run_id, "pipeline_run_id": step[0] if step else None, "step": step[1] if step else None}
        params = {k: v for k, v in query.items() if v is not None}
        response = self._send("GET", f"{_version(version_id)}/parquet", params=params, stream=True)
        try:
            with tempfile.TemporaryDirectory(prefix="mlcycle-download-") as tmp:
                path = Path(tmp) / "data.parquet"
                with path.open("wb") as out:
                    for chunk in self._verified_chunks(response):
                        out.write(chunk)
                table = read_table(path, columns)
        finally:
            response.close()
        return table.to_pandas() if as_ == "pandas" else table

    def validate_dataset(
        self,
        version_id: str,
        suite: ExpectationSuite,
        *,
        raise_on_failure: bool = True,
        run_id: str | None = None,
    ) -> ValidationReport:
        """The server checks a declarative suite. A suite with a :class:`~mlcycle.data.validation.Custom` rule is
        checked here instead (its function cannot cross HTTP), on the downloaded rows, and the server stores the
        report; either way the report is stored, and a failure raises, as embedded."""
        from mlcycle.data.validation import Custom, ValidationReport

        options = {"raise_on_failure": raise_on_failure, "run_id": run_id}
        if any(isinstance(e, Custom) for e in suite):
            checked = suite.validate(self.load_dataset(version_id, as_="arrow"))
            report = checked.model_dump(include={"success", "row_count", "results", "suite"})
            answer = self._json("POST", f"{_version(version_id)}/reports", {"report": report, **options})
        else:
            answer = self._json("POST", f"{_version(version_id)}/validate", {"suite": suite.to_dict(), **options})
        return ValidationReport.model_validate(answer)

    def split_dataset(
        self,
        version_id: str,
        *,
        method: str = "random",
        fractions: Sequence[float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        stratify_by: str | None = None,
        time_column: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, DatasetVersion]:
        from mlcycle.data.models import DatasetVersion

        body = {
            "method": method,
            "fractions": fractions,
            "seed": seed,
            "stratify_by": stratify_by,
            "time_column": time_column,
            "run_id": run_id,
        }
        parts = self._json("POST", f"{_version(version_id)}/split", body)
        return {part: DatasetVersion.model_validate(v) for part, v in parts.items()}

    # ---- lineage ----------------------------------------------------------------------------------------
    def lineage(self, ref: str, direction: str = "up", depth: int = 10) -> LineageReport:
        """The lineage graph around ``ref``, as the server's store records it (see docs/lineage.md)."""
        from mlcycle.lineage.models import LineageReport

        params = {"ref": ref, "direction": direction, "depth": depth}
        return LineageReport.model_validate(self._json("GET", "/lineage", params=params))

    # ---- HTTP -------------------------------------------------------------------------------------------
    def _json(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send a request (``body`` as wire JSON) and return the parsed JSON answer (None when empty)."""
        if body is not None:
            content = _encode(body)
            headers = {"Content-Type": "application/json"}
        response = self._send(method, url, params=params, content=content, headers=headers)
        return pydantic_core.from_json(response.content) if response.content else None

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        request = self._http.build_request(method, url, params=params, content=content, headers=headers)
        try:
            response = self._http.send(request, stream=stream)
            if response.is_error:
                response.read()
                response.close()
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        if response.is_error:
            raise _error(response)
        return response

    def _verified_chunks(self, response: httpx.Response) -> Iterator[bytes]:
        expected = response.headers.get("etag", "").strip('"')
        hasher = hashlib.sha256()
        try:
            for chunk in response.iter_bytes(CHUNK_SIZE):
                hasher.update(chunk)
                yield chunk
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        finally:
            response.close()
        if expected and hasher.hexdigest() != expected:
            raise IntegrityError(
                f"{response.url} arrived corrupt: its sha256 is {hasher.hexdigest()}, not {expected}",
                hint="download it again; if it persists, the server's copy is damaged",
                details={"digest": expected, "actual": hasher.hexdigest()},
            )

    def _unreachable(self, exc: httpx.TransportError) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"cannot reach the mlcycle server at {self.server_url}: {exc or type(exc).__name__}",
            hint="start it with `mlcycle server`, or check MLCYCLE_SERVER_URL",
        )


def _error(response: httpx.Response) -> MlcycleError:
    """The exception the server's error envelope describes (or one matching the status)."""
    try:
        body = pydantic_core.from_json(response.content)
    except ValueError:
        body = {}
    return MlcycleError.from_dict(body, response.status_code)


def _encode(body: Any) -> bytes:
    return pydantic_core.to_json(body, inf_nan_mode="constants", fallback=_jsonable)


def _jsonable(value: Any) -> Any:
    """Numbers of other types (numpy scalars, arrays) as plain Python; the server judges anything else."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return str(value)


def _keyed(values: Mapping[Any, Any], what: str) -> dict[str, Any]:
    # JSON object keys are strings: a non-string key must fail as it does embedded, not become one.
    for key in values:
        if not isinstance(key, str):
            check_key(key, what)
    return dict(values)


def _strings(values: Mapping[Any, Any] | None, what: str) -> dict[str, str] | None:
    """Param and tag values as the embedded service stores them: as text."""
    if values is None:
        return None
    return {k: v if isinstance(v, str) else str(v) for k, v in _keyed(values, what).items()}


def _remaining_size(f: IO[bytes]) -> int | None:
    """Bytes left to read in a regular file, or None when that cannot be known (pipes, sockets, wrappers)."""
    try:
        st = os.fstat(f.fileno())
        return st.st_size - f.tell() if stat.S_ISREG(st.st_mode) else None
    except (AttributeError, OSError, ValueError):
        return None


def _chunks(f: IO[bytes]) -> Iterator[bytes]:
    while chunk := f.read(CHUNK_SIZE):
        yield chunk


def _segment(value: str) -> str:
    """One URL path segment, every reserved character escaped."""
    return quote(value, safe="").replace(".", "%2E") if value in (".", "..") else quote(value, safe="")


def _run(run_id: str) -> str:
    return f"/runs/{_segment(run_id)}"


def _datasets(project: str) -> str:
    return f"/projects/{_segment(project)}/datasets"


def _version(version_id: str) -> str:
    return f"/datasets/versions/{_segment(version_id)}"


def _path(name: str) -> str:
    """A name that may contain '/' as URL path segments; '.' and '..' are escaped so that no client or proxy
    resolves them away: the server sees the name exactly as given (and refuses it when it is unsafe)."""
    return "/".join(_segment(part) for part in name.split("/"))
