"""The one place where the CLI turns an :class:`~mlcycle.core.errors.MlcycleError` into output and an exit code.

The root command group runs every command inside :func:`handle_errors`, which prints ``error: <message>``
(and ``hint: <hint>`` when the error has one) to stderr and exits with the error's ``exit_code``. Anything
else is a bug and keeps its traceback.

A message is one line, except where it deliberately shows a snippet (a filter with a caret under the bad
token): those extra lines are printed verbatim under the ``error:`` line so the caret stays aligned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperGroup

from mlcycle.core.errors import MlcycleError


def report(exc: MlcycleError) -> None:
    """Print the error (and its hint) to stderr."""
    first, *snippet = exc.message.splitlines() or [""]
    typer.echo(typer.style("error:", fg="red", bold=True) + " " + first, err=True)
    for line in snippet:
        typer.echo(line, err=True)
    if exc.hint:
        typer.echo(typer.style("hint:", fg="yellow") + " " + " ".join(exc.hint.split()), err=True)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Run a command body; an MlcycleError becomes its message on stderr and ``exit(exc.exit_code)``."""
    try:
        yield
    except MlcycleError as exc:
        report(exc)
        raise typer.Exit(exc.exit_code) from None


class MlcycleGroup(TyperGroup):
    """The root group: every subcommand runs inside :func:`handle_errors`."""

    def invoke(self, ctx: Any) -> Any:
        with handle_errors():
            return super().invoke(ctx)
