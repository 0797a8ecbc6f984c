"""The remote backend: the :class:`~mlcycle.client.backend.Backend` protocol over HTTP to `mlcycle server`.

It returns the same types and raises the same exceptions as the embedded backend: the server's error envelope
is turned back into its exception, and a server that cannot be reached is :class:`ServiceUnavailable`. JSON
carries NaN and infinities as the tokens ``NaN``, ``Infinity`` and ``-Infinity`` (see docs/server.md).
"""

from __future__ import annotations

import hashlib
import numbers
import os
import stat
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import quote

import httpx
import pydantic_core

from mlcycle import __version__
from mlcycle.core.errors import IntegrityError, InvalidInput, MlcycleError, ServiceUnavailable
from mlcycle.core.validation import check_key
from mlcycle.lifecycle import LifecycleView
from mlcycle.store.events import Event
from mlcycle.tracking.models import ArtifactInfo, MetricSeries, ProjectInfo, RunInfo

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
                return self._upload(url, f)
        return self._upload(url, data)

    def _upload(self, url: str, f: IO[bytes]) -> ArtifactInfo:
        headers = {"Content-Type": "application/octet-stream"}
        size = _remaining_size(f)
        if size is not None:  # else the body goes chunked
            headers["Content-Length"] = str(size)
        return ArtifactInfo.model_validate(self._json("PUT", url, content=_chunks(f), headers=headers))

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
        dest = Path(dest)
        chunks = self.stream_artifact(run_id, name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        temp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
        try:
            with open(temp, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, dest)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return dest

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


def _path(name: str) -> str:
    """A name that may contain '/' as URL path segments; '.' and '..' are escaped so that no client or proxy
    resolves them away: the server sees the name exactly as given (and refuses it when it is unsafe)."""
    return "/".join(_segment(part) for part in name.split("/"))
