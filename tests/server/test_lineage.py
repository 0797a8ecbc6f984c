"""The lineage route over raw HTTP: any valid token reads it, the report is the embedded one, errors are the
envelope. What a Python client sees is pinned by tests/contract/test_lineage_contract.py."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from mlcycle.server.deps import ServerState

from .conftest import auth

pytestmark = pytest.mark.anyio


@pytest.fixture
async def run_id(api: httpx.AsyncClient, tokens: dict[str, str]) -> str:
    alice = auth(tokens["alice"])
    await api.post("/projects", json={"name": "lin"}, headers=alice)
    run = (await api.post("/runs", json={"project": "lin", "params": {"C": "0.5"}}, headers=alice)).json()
    await api.put(f"/runs/{run['id']}/artifacts/model.bin", content=b"weights", headers=alice)
    return str(run["id"])


async def test_any_token_reads_the_report_the_embedded_backend_gives(
    api: httpx.AsyncClient, app: FastAPI, tokens: dict[str, str], run_id: str
) -> None:
    params = {"ref": f"{run_id}:model.bin", "direction": "both", "depth": 3}
    response = await api.get("/lineage", params=params, headers=auth(tokens["vera"]))
    assert response.status_code == 200, response.text
    state: ServerState = app.state.mlcycle
    embedded = state.backend.lineage(f"{run_id}:model.bin", "both", 3)
    assert response.json() == embedded.model_dump(mode="json")
    assert response.json()["provenance"]["runs"][0]["params"] == {"C": "0.5"}
    default = (await api.get("/lineage", params={"ref": run_id}, headers=auth(tokens["vera"]))).json()
    assert (default["graph"]["direction"], default["graph"]["depth"], default["consumers"]) == ("up", 10, None)
    anonymous = await api.get("/lineage", params={"ref": run_id})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["type"] == "Unauthenticated"


@pytest.mark.parametrize(
    ("params", "status", "error", "message"),
    [
        ({"ref": "lin/nope"}, 404, "NotFound", "project 'lin' has no dataset 'nope'"),
        ({"ref": "abc"}, 422, "InvalidInput", "'abc' is too short to name an object"),
        ({"ref": "RUN", "direction": "sideways"}, 422, "InvalidInput", "invalid direction 'sideways'"),
        ({"ref": "RUN", "depth": 101}, 422, "InvalidInput", "invalid depth 101"),
    ],
)
async def test_errors_are_the_envelope(
    api: httpx.AsyncClient,
    tokens: dict[str, str],
    run_id: str,
    params: dict[str, str | int],
    status: int,
    error: str,
    message: str,
) -> None:
    query = {k: run_id if v == "RUN" else v for k, v in params.items()}
    response = await api.get("/lineage", params=query, headers=auth(tokens["vera"]))
    assert response.status_code == status
    body = response.json()["error"]
    assert (body["type"], body["message"]) == (error, message) and body["hint"]


async def test_malformed_queries_are_invalid_input(api: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    for query in ({}, {"ref": "x", "depth": "deep"}):
        response = await api.get("/lineage", params=query, headers=auth(tokens["vera"]))
        assert response.status_code == 422 and response.json()["error"]["type"] == "InvalidInput"
