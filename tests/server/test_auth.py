"""Bearer tokens, roles, and the user every write records in the event log."""

from __future__ import annotations

import logging

import httpx
import pytest

from mlcycle.auth import list_tokens, revoke_token
from mlcycle.core.config import Settings, load_settings
from mlcycle.server import create_app
from mlcycle.store import Store

from .conftest import auth

pytestmark = pytest.mark.anyio


async def test_health_needs_no_token(api: httpx.AsyncClient) -> None:
    response = await api.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    "headers",
    [{}, auth("mlc_not-a-token"), {"Authorization": "Basic YWxpY2U6c2VjcmV0"}, {"Authorization": "Bearer"}],
    ids=["missing", "unknown", "basic", "empty"],
)
async def test_requests_without_a_valid_token_are_401(api: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await api.get("/projects", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["type"] == "Unauthenticated"
    assert "mlcycle tokens create" in error["hint"]


async def test_whoami_names_the_token_owner(api: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    response = await api.get("/whoami", headers=auth(tokens["bob"]))
    assert response.json() == {"user": "bob", "role": "data_scientist"}


async def test_revoked_token_is_401(api: httpx.AsyncClient, tokens: dict[str, str], store: Store) -> None:
    assert (await api.get("/projects", headers=auth(tokens["bob"]))).status_code == 200
    bob = next(t for t in list_tokens(store) if t.user == "bob")
    revoke_token(store, bob.id, actor="alice")
    response = await api.get("/projects", headers=auth(tokens["bob"]))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "the token is unknown or revoked"


async def test_viewer_reads_but_cannot_write(api: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    alice, vera = auth(tokens["alice"]), auth(tokens["vera"])
    await api.post("/projects", json={"name": "churn"}, headers=alice)
    run_id = (await api.post("/runs", json={"project": "churn"}, headers=alice)).json()["id"]

    assert (await api.get("/projects/churn", headers=vera)).status_code == 200
    assert (await api.get(f"/runs/{run_id}", headers=vera)).status_code == 200
    assert (await api.post("/runs/search", json={"project": "churn"}, headers=vera)).status_code == 200
    writes = [
        api.post("/projects", json={"name": "other"}, headers=vera),
        api.post("/runs", json={"project": "churn"}, headers=vera),
        api.post(f"/runs/{run_id}/params", json={"params": {"a": 1}}, headers=vera),
        api.post(f"/runs/{run_id}/metrics/series", json={"key": "x", "values": [1.0]}, headers=vera),
        api.put(f"/runs/{run_id}/artifacts/a.txt", content=b"x", headers=vera),
        api.post(f"/runs/{run_id}/end", json={}, headers=vera),
    ]
    for write in writes:
        response = await write
        assert response.status_code == 403, response.request.url
        assert response.json()["error"]["type"] == "PermissionDenied"
    assert (await api.get(f"/runs/{run_id}", headers=vera)).json()["status"] == "RUNNING"


async def test_every_write_records_the_token_user(api: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    bob = auth(tokens["bob"])
    project = (await api.post("/projects", json={"name": "churn", "kind": "ml"}, headers=bob)).json()
    run_id = (await api.post("/runs", json={"project": "churn", "params": {"C": 1}}, headers=bob)).json()["id"]
    writes = [
        api.post(f"/runs/{run_id}/params", json={"params": {"penalty": "l2"}}, headers=bob),
        api.post(f"/runs/{run_id}/tags", json={"tags": {"team": "risk"}}, headers=bob),
        api.post(f"/runs/{run_id}/metrics", json={"metrics": {"auc": 0.9}}, headers=bob),
        api.post(f"/runs/{run_id}/metrics/series", json={"key": "loss", "values": [0.5, 0.4]}, headers=bob),
        api.post(f"/runs/{run_id}/batch", json={"metrics": [["acc", 0.7, 0, 1]], "tags": {"b": "1"}}, headers=bob),
        api.put(f"/runs/{run_id}/artifacts/model/notes.txt", content=b"hello", headers=bob),
        api.post(f"/runs/{run_id}/end", json={"status": "FINISHED"}, headers=bob),
    ]
    for write in writes:
        response = await write
        assert response.is_success, response.text

    events = (await api.get("/events", params={"project": "churn"}, headers=auth(tokens["vera"]))).json()
    assert {e["user"] for e in events} == {"bob"}
    assert [e["action"] for e in reversed(events)] == [
        "created",
        "created",
        "params_logged",
        "tags_set",
        "tags_set",
        "artifact_logged",
        "finished",
    ]
    assert {e["project_id"] for e in events} == {project["id"]}
    run = (await api.get(f"/runs/{run_id}", headers=bob)).json()
    assert (run["user"], run["metrics"]) == ("bob", {"auc": 0.9, "loss": 0.4, "acc": 0.7})


async def test_without_auth_requests_act_as_anonymous_admin(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mlcycle.server"):
        app = create_app(settings, auth=False)
    assert "authentication is OFF" in caplog.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1") as api:
        assert (await api.get("/whoami")).json() == {"user": "anonymous", "role": "admin"}
        created = await api.post("/projects", json={"name": "open"})
        assert created.json()["created_by"] == "anonymous"


async def test_auth_follows_the_environment_when_not_given(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLCYCLE_NO_AUTH", "1")
    app = create_app(settings.model_copy(update={"no_auth": load_settings().no_auth}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1") as api:
        assert (await api.get("/whoami")).status_code == 200
