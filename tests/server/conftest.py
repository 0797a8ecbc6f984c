"""The API in-process (httpx over ASGI), with authentication on, small size limits and a token per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from mlcycle.auth import create_token
from mlcycle.core.config import Settings
from mlcycle.server import create_app
from mlcycle.store import Store

MAX_REQUEST_BYTES = 4096
MAX_ARTIFACT_BYTES = 64 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", max_request_bytes=MAX_REQUEST_BYTES, max_artifact_bytes=MAX_ARTIFACT_BYTES)


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store.open(settings.resolved_store_url)


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    """A secret per user: alice is an admin, bob a data scientist (may write), vera a viewer."""
    roles = {"alice": "admin", "bob": "data_scientist", "vera": "viewer"}
    return {user: create_token(store, user=user, role=role, actor="pytest")[1] for user, role in roles.items()}


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the API, without credentials; pass ``headers=auth(secret)``."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
        yield client


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
