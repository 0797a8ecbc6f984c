"""The client every data command uses: embedded, or remote when ``MLCYCLE_SERVER_URL`` is set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlcycle.client.api import Client


@contextmanager
def open_client() -> Iterator[Client]:
    """``mlcycle.connect()`` for the length of one command; a remote backend's HTTP pool is closed after."""
    from mlcycle.client.api import connect

    with connect() as client:
        yield client
