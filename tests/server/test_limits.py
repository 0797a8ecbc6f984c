"""Request bodies over the limit are refused with 413, whether declared up front or streamed (chunked)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from .conftest import MAX_ARTIFACT_BYTES, MAX_REQUEST_BYTES, auth

pytestmark = pytest.mark.anyio


async def _chunked(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _assert_413(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "PayloadTooLarge"
    assert error["details"] == {"limit": limit}
    assert "MLCYCLE_MAX_REQUEST_BYTES" in error["hint"]


@pytest.fixture
async def run_id(api: httpx.AsyncClient, tokens: dict[str, str]) -> str:
    alice = auth(tokens["alice"])
    await api.post("/projects", json={"name": "limits"}, headers=alice)
    return str((await api.post("/runs", json={"project": "limits"}, headers=alice)).json()["id"])


def _series(n: int) -> bytes:
    return json.dumps({"key": "loss", "values": [0.123456789] * n}).encode()


async def test_json_body_under_the_limit_is_accepted(
    api: httpx.AsyncClient, tokens: dict[str, str], run_id: str
) -> None:
    body = _series(100)
    assert len(body) < MAX_REQUEST_BYTES
    response = await api.post(f"/runs/{run_id}/metrics/series", content=body, headers=auth(tokens["alice"]))
    assert response.status_code == 204


async def test_oversize_json_body_is_413(api: httpx.AsyncClient, tokens: dict[str, str], run_id: str) -> None:
    body = _series(1000)
    assert len(body) > MAX_REQUEST_BYTES
    for path in (f"/runs/{run_id}/metrics/series", f"/runs/{run_id}/params", "/projects"):
        response = await api.post(path, content=body, headers=auth(tokens["alice"]))
        assert "content-length" in response.request.headers
        _assert_413(response, MAX_REQUEST_BYTES)


async def test_oversize_chunked_body_is_413(api: httpx.AsyncClient, tokens: dict[str, str], run_id: str) -> None:
    for path in (f"/runs/{run_id}/metrics/series", "/projects"):
        response = await api.post(path, content=_chunked(_series(1000)), headers=auth(tokens["alice"]))
        assert response.request.headers["transfer-encoding"] == "chunked"
        _assert_413(response, MAX_REQUEST_BYTES)
    assert (await api.get(f"/runs/{run_id}", headers=auth(tokens["alice"]))).json()["metrics"] == {}


async def test_artifact_uploads_have_their_own_limit(
    api: httpx.AsyncClient, tokens: dict[str, str], run_id: str
) -> None:
    alice = auth(tokens["alice"])
    fits = b"x" * (MAX_REQUEST_BYTES * 4)
    response = await api.put(f"/runs/{run_id}/artifacts/fits.bin", content=_chunked(fits), headers=alice)
    assert response.status_code == 200
    assert response.json()["size"] == len(fits)

    too_big = b"y" * (MAX_ARTIFACT_BYTES + 1)
    _assert_413(await api.put(f"/runs/{run_id}/artifacts/big.bin", content=too_big, headers=alice), MAX_ARTIFACT_BYTES)
    chunked = await api.put(f"/runs/{run_id}/artifacts/big.bin", content=_chunked(too_big, 8192), headers=alice)
    _assert_413(chunked, MAX_ARTIFACT_BYTES)
    listed = (await api.get(f"/runs/{run_id}/artifacts", headers=alice)).json()
    assert [a["path"] for a in listed] == ["fits.bin"]
