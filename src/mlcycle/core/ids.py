"""Identifiers and clocks."""

from __future__ import annotations

import time
import uuid


def new_id() -> str:
    """A new random 32-hex-digit identifier."""
    return uuid.uuid4().hex


def now_ms() -> int:
    """Milliseconds since the epoch, the unit of every stored timestamp."""
    return time.time_ns() // 1_000_000
