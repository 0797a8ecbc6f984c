"""Shared fixtures. Service-backed fixtures skip when the service is missing, unless
MLCYCLE_REQUIRE_SERVICES=1 (CI), where a missing service fails the test instead."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("MLCYCLE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def require_services() -> bool:
    return os.environ.get("MLCYCLE_REQUIRE_SERVICES", "") == "1"


def missing_service(what: str) -> None:
    """Skip locally, fail in CI: a required service must never be skipped silently."""
    if require_services():
        pytest.fail(f"{what} is required (MLCYCLE_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own store or server settings."""
    for key in list(os.environ):
        if key.startswith("MLCYCLE_") and key != "MLCYCLE_REQUIRE_SERVICES":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MLCYCLE_HOME", str(tmp_path / "home"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="module")
def pg_module_url() -> Iterator[str]:
    """Like ``pg_url``, but one database shared by the tests of a module (they keep their data apart)."""
    with fresh_pg_database() as url:
        yield url


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped when the block ends."""
    import sqlalchemy as sa

    name = f"mlcycle_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        missing_service(f"PostgreSQL at {PG_ADMIN_URL}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
