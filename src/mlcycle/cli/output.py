"""Rendering for the CLI: rich tables for people, ``--json`` for scripts, and the value formats both share.

JSON output is always valid JSON: NaN and infinite floats, which JSON cannot represent, are written as the
strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

MISSING = "—"
PIPE_WIDTH = 1000
ID_WIDTH = 32
MIN_COLUMN_WIDTH = 8


# ---- consoles ------------------------------------------------------------------------------------------------
def console() -> Console:
    """A console on the current stdout (looked up at print time, so test runners can capture it).

    When stdout is not a terminal and COLUMNS is unset, lines are not wrapped, so piped output stays greppable.
    """
    c = Console(highlight=False, soft_wrap=True)
    if not c.is_terminal and not os.environ.get("COLUMNS"):
        c.width = PIPE_WIDTH
    return c


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def table(*columns: str, title: str | None = None) -> Table:
    """A table in the house style. Cells never lose text to an ellipsis (ids and names are copied from here),
    and columns whose name ends in ``id`` keep a full id on one line."""
    t = Table(title=title, title_justify="left", header_style="bold", pad_edge=False, box=None)
    for name in columns:
        min_width = ID_WIDTH if name.endswith("id") else min(len(name), MIN_COLUMN_WIDTH)
        t.add_column(name, overflow="fold", min_width=min_width)
    return t


def print_table(t: Table, c: Console | None = None) -> None:
    """Print a table; when the terminal is too narrow for it, it overflows (and the terminal wraps) rather
    than having columns cut off."""
    c = c or console()
    needed = Measurement.get(c, c.options, t).minimum
    c.print(t, width=max(c.width, needed), crop=False)


def text(value: object) -> str:
    """Escape user data for a rich table cell (names may contain ``[brackets]``)."""
    return escape(str(value))


# ---- JSON ----------------------------------------------------------------------------------------------------
def jsonable(obj: Any) -> Any:
    """Plain JSON-compatible data: models and dataclasses become dicts; NaN and inf become strings."""
    if isinstance(obj, float):
        return format_float(obj) if not math.isfinite(obj) else obj
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    if hasattr(obj, "model_dump"):  # a pydantic model
        return jsonable(obj.model_dump())
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v) for v in obj]
    return str(obj)


def dumps(data: Any, *, indent: int | None = 2) -> str:
    return json.dumps(jsonable(data), indent=indent, allow_nan=False, ensure_ascii=False)


def print_json(data: Any) -> None:
    typer.echo(dumps(data))


def print_json_line(data: Any) -> None:
    """One compact JSON document per line (JSON Lines), for streams."""
    typer.echo(dumps(data, indent=None))


# ---- values --------------------------------------------------------------------------------------------------
def format_float(value: float) -> str:
    """Exact and round-trippable; NaN and infinities spelled as in JSON output."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def format_metric(value: float | None, *, short: bool = False) -> str:
    if value is None:
        return MISSING
    if short and math.isfinite(value):
        return f"{value:.6g}"
    return format_float(value)


def format_ts(ms: int | None) -> str:
    """A stored millisecond timestamp as local time."""
    if ms is None:
        return MISSING
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(start_ms: int | None, end_ms: int | None) -> str:
    if start_ms is None or end_ms is None:
        return MISSING
    return _span(max(0.0, (end_ms - start_ms) / 1000))


def relative_time(ms: int, now_ms: int | None = None) -> str:
    """``just now``, ``42s ago``, ``5m ago``, ``3h ago``, ``2d ago``."""
    now = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    seconds = (now - ms) / 1000
    if seconds < 1:
        return "just now"
    return f"{_span(seconds)} ago"


def _span(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 1 else f"{seconds * 1000:.0f}ms"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m"
    if seconds < 86400:
        return f"{seconds // 3600:.0f}h"
    return f"{seconds // 86400:.0f}d"


def short_id(value: str, n: int = 8) -> str:
    return value[:n]
