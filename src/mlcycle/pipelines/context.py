"""Which pipeline step is running in this context, so that ``mlcycle.active_run()`` inside a step returns the
pipeline's tracking run, in-process as well as in a process-pool or Ray worker.

The client reads :func:`current_step`; this package sets it around each step call.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from mlcycle.artifacts import BlobStore
from mlcycle.store import Store

_CURRENT: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar("mlcycle_step", default=None)
_WORKER_STORES: dict[str, Store] = {}


@dataclass(frozen=True)
class StoreConfig:
    """What a worker needs to reach the same metadata and artifact stores as the driver."""

    store_url: str
    artifacts_url: str
    user: str

    def open_store(self) -> Store:
        """A store for this process, opened once per URL (without the driver's pooled connections)."""
        store = _WORKER_STORES.get(self.store_url)
        if store is None:
            store = _WORKER_STORES[self.store_url] = Store(self.store_url, migrate=False)
        return store

    def open_blobs(self) -> BlobStore:
        return BlobStore(self.artifacts_url)


@dataclass(frozen=True)
class StepContext:
    """The running step: its pipeline run, its tracking run and how to reach the stores."""

    project: str
    pipeline: str
    pipeline_run_id: str
    step: str
    run_id: str
    config: StoreConfig
    driver_store: Store | None = field(default=None, compare=False)

    def store(self) -> Store:
        return self.driver_store if self.driver_store is not None else self.config.open_store()

    def blobs(self) -> BlobStore:
        return self.config.open_blobs()

    @property
    def user(self) -> str:
        return self.config.user


def current_step() -> StepContext | None:
    """The step running in this context, or None outside pipeline steps."""
    return _CURRENT.get()


@contextmanager
def running_step(ctx: StepContext) -> Iterator[StepContext]:
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)


__all__ = ["StepContext", "StoreConfig", "current_step", "running_step"]
