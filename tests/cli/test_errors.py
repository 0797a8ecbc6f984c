from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from mlcycle.cli.errors import MlcycleGroup
from mlcycle.core.errors import (
    Conflict,
    InvalidInput,
    MlcycleError,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    Unauthenticated,
)


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer(cls=MlcycleGroup)

    @app.callback()
    def _root() -> None:
        pass

    @app.command()
    def boom() -> None:
        raise exc

    return app


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (MlcycleError("x"), 1),
        (InvalidInput("x"), 2),
        (NotFound("x"), 4),
        (Conflict("x"), 5),
        (Unauthenticated("x"), 6),
        (PermissionDenied("x"), 7),
        (ServiceUnavailable("x"), 10),
    ],
)
def test_exit_code_is_the_errors(exc: MlcycleError, code: int) -> None:
    result = CliRunner().invoke(_app(exc), ["boom"])
    assert result.exit_code == code
    assert result.stderr == "error: x\n"
    assert result.stdout == ""


def test_hint_is_a_second_line() -> None:
    result = CliRunner().invoke(_app(NotFound("no model 'm'", hint="run\n  `mlcycle models list`")), ["boom"])
    assert result.stderr.splitlines() == ["error: no model 'm'", "hint: run `mlcycle models list`"]


def test_a_snippet_in_the_message_keeps_its_layout() -> None:
    msg = "invalid filter: unexpected '>' at position 4\n  a >> 1\n     ^"
    result = CliRunner().invoke(_app(InvalidInput(msg)), ["boom"])
    assert result.stderr.splitlines() == ["error: invalid filter: unexpected '>' at position 4", "  a >> 1", "     ^"]


def test_other_exceptions_are_not_swallowed() -> None:
    result = CliRunner().invoke(_app(RuntimeError("bug")), ["boom"])
    assert isinstance(result.exception, RuntimeError)
