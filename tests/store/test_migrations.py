from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from mlcycle.store import Store
from mlcycle.store.migrate import HEAD_REVISION, alembic_head, current_revision, upgrade
from mlcycle.store.schema import metadata


def test_head_constant_matches_alembic() -> None:
    assert alembic_head() == HEAD_REVISION


def test_first_use_creates_every_table(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    assert current_revision(store.engine) == HEAD_REVISION
    assert set(metadata.tables) <= set(sa.inspect(store.engine).get_table_names())


def test_upgrade_is_idempotent(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    assert upgrade(store.engine) == HEAD_REVISION
    assert upgrade(store.engine) == HEAD_REVISION


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_unsupported_url_is_invalid_input() -> None:
    from mlcycle.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unsupported store URL"):
        Store("mysql://nobody@nowhere/db")


def test_unreachable_postgres_is_service_unavailable() -> None:
    from mlcycle.core.errors import ServiceUnavailable

    with pytest.raises(ServiceUnavailable, match="cannot be used"):
        Store("postgresql://postgres@127.0.0.1:1/none")


@pytest.mark.postgres
def test_postgres_migrates_on_first_use(pg_url: str) -> None:
    store = Store(pg_url)
    try:
        assert current_revision(store.engine) == HEAD_REVISION
        assert set(metadata.tables) <= set(sa.inspect(store.engine).get_table_names())
        assert upgrade(store.engine) == HEAD_REVISION
    finally:
        store.close()
