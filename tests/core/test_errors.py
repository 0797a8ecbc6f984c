from __future__ import annotations

import pytest

from mlcycle.core import errors
from mlcycle.core.errors import MlcycleError


def test_every_error_has_status_and_exit_code() -> None:
    for cls in errors._all_subclasses(MlcycleError):
        assert 400 <= cls.http_status < 600
        assert cls.exit_code >= 1


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (errors.NotFound, 404, 4),
        (errors.AlreadyExists, 409, 5),
        (errors.Conflict, 409, 5),
        (errors.InvalidInput, 422, 2),
        (errors.ValidationFailed, 422, 2),
        (errors.PayloadTooLarge, 413, 2),
        (errors.Unauthenticated, 401, 6),
        (errors.PermissionDenied, 403, 7),
    ],
)
def test_status_and_exit_codes(cls: type[MlcycleError], status: int, code: int) -> None:
    assert cls.http_status == status
    assert cls.exit_code == code


def test_envelope_round_trip_keeps_type_message_hint_and_details() -> None:
    err = errors.ValidationFailed("2 rules failed", hint="fix the data", details={"columns": ["a"]})
    body = err.to_dict()
    assert body == {
        "error": {
            "type": "ValidationFailed",
            "message": "2 rules failed",
            "hint": "fix the data",
            "details": {"columns": ["a"]},
        }
    }
    back = MlcycleError.from_dict(body, 422)
    assert type(back) is errors.ValidationFailed
    assert (back.message, back.hint, back.details) == ("2 rules failed", "fix the data", {"columns": ["a"]})


def test_unknown_type_falls_back_to_status_class() -> None:
    back = MlcycleError.from_dict({"error": {"type": "Weird", "message": "m"}}, 404)
    assert type(back) is errors.NotFound
    assert type(MlcycleError.from_dict({"no": "envelope"}, 401)) is errors.Unauthenticated


def test_message_shows_hint() -> None:
    assert str(errors.NotFound("no run 'x'", hint="run `mlcycle runs list`")) == (
        "no run 'x' (hint: run `mlcycle runs list`)"
    )


def test_did_you_mean() -> None:
    assert errors.did_you_mean("model_trainig", ["model_training", "deployment"]) == "did you mean 'model_training'?"
    assert errors.did_you_mean("zzz", ["model_training"]) is None
