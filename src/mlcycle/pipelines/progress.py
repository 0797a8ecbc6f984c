"""A live table of a pipeline run's steps (pending, running, cached, done, failed, skipped, with timings).

Shown only on an interactive terminal, unless forced on or off with ``progress=True``/``False``. The table is
redrawn when a step changes state, never by a background thread, so forking process-pool workers stays safe.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

_STYLE = {
    "pending": "dim",
    "running": "cyan",
    "cached": "blue",
    "done": "green",
    "failed": "red",
    "skipped": "yellow",
}


class StepProgress:
    """Context manager; call :meth:`update` as steps change state."""

    def __init__(
        self, pipeline: str, steps: Sequence[str], *, enabled: bool | None = None, console: Any = None
    ) -> None:
        self.pipeline = pipeline
        self.status = dict.fromkeys(steps, "pending")
        self.durations: dict[str, float] = {}
        self._started: dict[str, float] = {}
        self._console = console
        self._enabled = enabled
        self._live: Any = None

    @property
    def active(self) -> bool:
        return self._live is not None

    def __enter__(self) -> StepProgress:
        if self._enabled is False:
            return self
        from rich.console import Console
        from rich.live import Live

        console = self._console or Console(stderr=True)
        if self._enabled is None and not console.is_terminal:
            return self
        self._live = Live(self._render(), console=console, auto_refresh=False, transient=False)
        self._live.start()
        return self

    def update(self, step: str, status: str, duration: float | None = None) -> None:
        self.status[step] = status
        if status == "running":
            self._started[step] = time.perf_counter()
        if duration is not None:
            self.durations[step] = duration
        elif status != "running" and step in self._started:
            self.durations[step] = time.perf_counter() - self._started[step]
        if self._live is not None:
            self._live.update(self._render(), refresh=True)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            for step, status in self.status.items():
                if status == "pending" and exc_type is not None:
                    self.status[step] = "skipped"
            self._live.update(self._render(), refresh=True)
            self._live.stop()
            self._live = None

    def _render(self) -> Any:
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=f"pipeline {escape(self.pipeline)}", title_justify="left", box=None, pad_edge=False)
        table.add_column("step")
        table.add_column("status")
        table.add_column("time", justify="right")
        for step, status in self.status.items():
            seconds = self.durations.get(step)
            shown = "" if seconds is None else f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
            table.add_row(escape(step), f"[{_STYLE.get(status, '')}]{status}[/]", shown)
        return table


__all__ = ["StepProgress"]
