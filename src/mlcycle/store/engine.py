"""Opening the metadata store: engine set-up for SQLite and PostgreSQL, transactions and error mapping."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from mlcycle.core.errors import Conflict, InvalidInput, MlcycleError, ServiceUnavailable

SQLITE_BUSY_TIMEOUT_MS = 30_000
_OPEN: dict[str, Store] = {}
_OPEN_LOCK = threading.Lock()


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``postgres://`` URLs and select the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not (url.startswith("sqlite") or url.startswith("postgresql+")):
        raise InvalidInput(
            f"unsupported store URL {url!r}",
            hint="use sqlite:///path/to/mlcycle.db or postgresql://user@host:5432/dbname",
        )
    return url


def create_store_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidInput(
                    f"cannot create the store folder {Path(path).parent}: {exc.strerror}",
                    hint="set MLCYCLE_HOME or MLCYCLE_STORE_URL to a writable place",
                ) from exc
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=8,
            max_overflow=16,
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=16)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves so that writers take the lock up front (BEGIN IMMEDIATE) and never
        # deadlock on a read-to-write upgrade; the driver's own transaction handling is switched off.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Store:
    """The metadata store: one engine, read and write transactions, and driver errors mapped once."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = normalize_url(url)
        self.engine = create_store_engine(self.url)
        self.dialect = self.engine.dialect.name
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        if migrate:
            from mlcycle.store.migrate import ensure_schema

            with map_db_errors(self.url):
                ensure_schema(self.engine)

    @classmethod
    def open(cls, url: str) -> Store:
        """The process-wide store for ``url``: one engine and pool per database."""
        key = normalize_url(url)
        with _OPEN_LOCK:
            store = _OPEN.get(key)
            if store is None:
                store = _OPEN[key] = cls(key)
        return store

    @staticmethod
    def forget_inherited() -> None:
        """In a forked child: drop the parent's pooled connections without closing them (they belong to the
        parent; SQLite connections must not cross a fork), so that ``Store.open`` connects afresh. No lock is
        taken: a lock held by another parent thread at fork time would never be released in the child."""
        for store in list(_OPEN.values()):
            store.engine.dispose(close=False)
        _OPEN.clear()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        with map_db_errors(self.url), self._writer.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with map_db_errors(self.url), self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"


@contextmanager
def map_db_errors(url: str) -> Iterator[None]:
    """Translate driver and SQLAlchemy errors into the mlcycle tree, once, at the store boundary."""
    try:
        yield
    except MlcycleError:
        raise
    except SAIntegrityError as exc:
        raise Conflict(f"the change conflicts with stored data: {exc.orig}") from exc
    except OperationalError as exc:
        safe = sa.engine.make_url(url).render_as_string(hide_password=True)
        raise ServiceUnavailable(
            f"the metadata store at {safe} cannot be used: {exc.orig}",
            hint="check MLCYCLE_STORE_URL and that the database is running",
        ) from exc
    except DBAPIError as exc:
        raise MlcycleError(f"database error: {exc.orig}") from exc
