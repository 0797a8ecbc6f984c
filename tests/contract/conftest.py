"""The backends every contract test runs against: embedded SQLite, embedded PostgreSQL, and remote (a real
uvicorn server in a thread, with authentication on, over a SQLite store)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from mlcycle.auth import create_token
from mlcycle.client.api import Client
from mlcycle.client.local import LocalBackend
from mlcycle.client.remote import RemoteBackend
from mlcycle.core.config import Settings
from mlcycle.store import Store

EMBEDDED_USER = "contract-embedded"
REMOTE_USER = "contract-remote"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a background thread; yields its base URL."""
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on sockets that say they are TCP, and without it
    # every response with a body waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert server.started, "the test server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _settings(home: Path, store_url: str | None = None, user: str = EMBEDDED_USER) -> Settings:
    return Settings(home=home, store_url=store_url or f"sqlite:///{home / 'mlcycle.db'}", user=user)


@pytest.fixture(scope="module")
def remote_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    from mlcycle.server import create_app

    server_settings = _settings(tmp_path_factory.mktemp("server"))
    store = Store.open(server_settings.resolved_store_url)
    _, secret = create_token(store, user=REMOTE_USER, role="admin", actor="pytest")
    with serve(create_app(server_settings, auth=True)) as url:
        backend = RemoteBackend(url, secret)
        yield Client(backend, Settings(server_url=url, token=secret))
        backend.close()
    store.close()


def _embedded(home: Path, store_url: str | None = None) -> Client:
    settings = _settings(home, store_url)
    return Client(LocalBackend.from_settings(settings), settings)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
        pytest.param("remote", id="remote"),
    ],
)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """A client on one backend, shared by a module's tests; each test works in its own project."""
    if request.param == "remote":
        yield request.getfixturevalue("remote_client")
        return
    store_url = request.getfixturevalue("pg_module_url") if request.param == "postgres" else None
    client = _embedded(tmp_path_factory.mktemp(request.param), store_url)
    yield client
    assert isinstance(client.backend, LocalBackend)
    client.backend.store.close()
