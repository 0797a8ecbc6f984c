"""Fixtures for the data tests: a DatasetService on a fresh store (SQLite, and PostgreSQL where marked)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlcycle.artifacts import BlobStore
from mlcycle.data import DatasetService
from mlcycle.store import Store
from mlcycle.tracking.service import TrackingService

PROJECT = "churn"


def make_service(url: str, root: Path) -> tuple[DatasetService, TrackingService]:
    store = Store(url)
    blobs = BlobStore(str(root / "artifacts"))
    tracking = TrackingService(store, blobs, "alice")
    tracking.project(PROJECT)
    return DatasetService(store, blobs, "alice"), tracking


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backends(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[DatasetService, TrackingService]]:
    """The service on SQLite, and on PostgreSQL for the tests marked ``postgres``."""
    url = request.getfixturevalue("sqlite_url") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    svc, tracking = make_service(url, tmp_path)
    yield svc, tracking
    svc.store.close()


@pytest.fixture
def svc(backends: tuple[DatasetService, TrackingService]) -> DatasetService:
    return backends[0]


@pytest.fixture
def local_svc(sqlite_url: str, tmp_path: Path) -> Iterator[DatasetService]:
    """The service on SQLite only, for tests whose subject is not the store."""
    svc, _ = make_service(sqlite_url, tmp_path)
    yield svc
    svc.store.close()


@pytest.fixture
def customers() -> pd.DataFrame:
    """A small frame with an id, a nullable float, a category-like string and a boolean."""
    rng = np.random.default_rng(7)
    n = 200
    age = rng.integers(18, 90, n).astype(float)
    age[::17] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": age,
            "plan": rng.choice(["free", "pro", "team"], n, p=[0.6, 0.3, 0.1]),
            "churned": rng.random(n) < 0.25,
        }
    )


def blob_files(svc: DatasetService) -> list[Path]:
    root = Path(svc.blobs.root) / "blobs"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
