"""The API surface: routes in the OpenAPI document, the one error envelope, and the NaN wire encoding."""

from __future__ import annotations

import hashlib
import json
import math

import httpx
import pytest
from fastapi import FastAPI

from mlcycle.client.local import LocalBackend

from .conftest import auth

pytestmark = pytest.mark.anyio

ROUTES = {
    "/api/v1/health": {"get"},
    "/api/v1/whoami": {"get"},
    "/api/v1/projects": {"get", "post"},
    "/api/v1/projects/{ref}": {"get"},
    "/api/v1/projects/{ref}/lifecycle": {"get"},
    "/api/v1/runs": {"post"},
    "/api/v1/runs/search": {"post"},
    "/api/v1/runs/{run_id}": {"get"},
    "/api/v1/runs/{run_id}/end": {"post"},
    "/api/v1/runs/{run_id}/params": {"post"},
    "/api/v1/runs/{run_id}/tags": {"post"},
    "/api/v1/runs/{run_id}/metrics": {"post"},
    "/api/v1/runs/{run_id}/metrics/series": {"post"},
    "/api/v1/runs/{run_id}/batch": {"post"},
    "/api/v1/runs/{run_id}/metrics/{key}/history": {"get"},
    "/api/v1/runs/{run_id}/artifacts": {"get"},
    "/api/v1/runs/{run_id}/artifacts/{path}": {"get", "put"},
    "/api/v1/projects/{ref}/datasets": {"get", "put"},
    "/api/v1/projects/{ref}/datasets/{name}/versions": {"get"},
    "/api/v1/projects/{ref}/datasets/{name}/versions/{version}": {"get"},
    "/api/v1/projects/{ref}/datasets/{name}/tags/{tag}": {"put"},
    "/api/v1/datasets/versions/{version_id}": {"get"},
    "/api/v1/datasets/versions/{version_id}/parquet": {"get"},
    "/api/v1/datasets/versions/{version_id}/diff/{other_id}": {"get"},
    "/api/v1/datasets/versions/{version_id}/validate": {"post"},
    "/api/v1/datasets/versions/{version_id}/reports": {"get", "post"},
    "/api/v1/datasets/versions/{version_id}/split": {"post"},
    "/api/v1/events": {"get"},
    "/api/v1/lineage": {"get"},
}


@pytest.fixture
async def run_id(api: httpx.AsyncClient, tokens: dict[str, str]) -> str:
    alice = auth(tokens["alice"])
    await api.post("/projects", json={"name": "wire"}, headers=alice)
    return str((await api.post("/runs", json={"project": "wire"}, headers=alice)).json()["id"])


async def test_openapi_document_lists_the_routes(api: httpx.AsyncClient) -> None:
    document = (await api.get("http://testserver/openapi.json")).json()  # beside the API, not under it
    served = {path: set(ops) for path, ops in document["paths"].items()}
    assert {path: served.get(path) for path in ROUTES} == ROUTES
    series = document["paths"]["/api/v1/runs/{run_id}/metrics/series"]["post"]
    assert series["requestBody"]["content"]["application/json"]["schema"]["title"] == "SeriesIn"
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    docs = await api.get("http://testserver/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_error_envelope_shape(api: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    response = await api.get("/runs/0123456789abcdef0123456789abcdef", headers=auth(tokens["alice"]))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {
            "type": "NotFound",
            "message": "no run '0123456789abcdef0123456789abcdef'",
            "hint": "run `mlcycle runs list PROJECT` to see run ids",
            "details": {},
        }
    }


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/projects", {}, "body.name"),
        ("/projects", {"name": "x", "colour": "red"}, "body.colour"),
        ("/runs/{run_id}/metrics/series", {"key": "loss", "values": 3}, "body.values"),
        ("/runs/{run_id}/batch", {"metrics": [["auc", 1.0]]}, "body.metrics.0.2"),
    ],
)
async def test_malformed_requests_are_invalid_input(
    api: httpx.AsyncClient, tokens: dict[str, str], run_id: str, path: str, body: object, loc: str
) -> None:
    response = await api.post(path.format(run_id=run_id), json=body, headers=auth(tokens["alice"]))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "InvalidInput"
    assert error["message"].startswith(f"invalid request: {loc}")
    assert error["details"]["errors"][0]["loc"] == loc


async def test_body_that_is_not_json_is_invalid_input(
    api: httpx.AsyncClient, tokens: dict[str, str], run_id: str
) -> None:
    for path in ("/projects", f"/runs/{run_id}/metrics/series"):
        response = await api.post(path, content=b"{nope", headers=auth(tokens["alice"]))
        assert response.status_code == 422
        assert response.json()["error"]["type"] == "InvalidInput"


async def test_unknown_route_and_method_use_the_envelope(api: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    missing = await api.get("/nothing-here", headers=auth(tokens["alice"]))
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "NotFound"
    wrong = await api.delete("/projects", headers=auth(tokens["alice"]))
    assert wrong.status_code == 405
    assert "allow" in wrong.headers
    assert set(wrong.json()["error"]) == {"type", "message", "hint", "details"}


async def test_unexpected_errors_are_500_in_the_envelope(
    app: FastAPI, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: LocalBackend) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(LocalBackend, "list_projects", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t/api/v1") as api:
        response = await api.get("/projects", headers=auth(tokens["alice"]))
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "internal server error"
    assert "database on fire" not in response.text


async def test_nan_and_infinities_travel_as_json_tokens(
    api: httpx.AsyncClient, tokens: dict[str, str], run_id: str
) -> None:
    alice = auth(tokens["alice"]) | {"Content-Type": "application/json"}
    metrics = b'{"metrics": {"nan": NaN, "inf": Infinity, "neg": -Infinity, "one": 1}}'
    assert (await api.post(f"/runs/{run_id}/metrics", content=metrics, headers=alice)).status_code == 204
    series = b'{"key": "curve", "values": [NaN, Infinity, -Infinity, 0.5]}'
    assert (await api.post(f"/runs/{run_id}/metrics/series", content=series, headers=alice)).status_code == 204

    run = await api.get(f"/runs/{run_id}", headers=alice)
    assert '"nan":NaN' in run.text and '"inf":Infinity' in run.text and '"neg":-Infinity' in run.text
    stored = json.loads(run.text)["metrics"]
    assert math.isnan(stored["nan"]) and stored["inf"] == math.inf and stored["neg"] == -math.inf
    history = await api.get(f"/runs/{run_id}/metrics/curve/history", headers=alice)
    assert '"values":[NaN,Infinity,-Infinity,0.5]' in history.text
    found = await api.post("/runs/search", json={"filter": "metrics.nan = nan"}, headers=alice)
    assert [r["id"] for r in json.loads(found.text)] == [run_id]


async def test_download_is_streamed_with_its_digest(
    api: httpx.AsyncClient, tokens: dict[str, str], run_id: str
) -> None:
    alice = auth(tokens["alice"])
    data = bytes(range(256)) * 10
    await api.put(f"/runs/{run_id}/artifacts/dir/blob.bin", content=data, headers=alice)
    response = await api.get(f"/runs/{run_id}/artifacts/dir/blob.bin", headers=alice)
    assert response.content == data
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    missing = await api.get(f"/runs/{run_id}/artifacts/dir/other.bin", headers=alice)
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound"
