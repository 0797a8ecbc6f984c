"""The one exception tree of mlcycle.

Every failure a user can meet is a subclass of :class:`MlcycleError`. Each class carries the HTTP status the
server answers with and the exit code the CLI ends with, and each instance carries an actionable message and
an optional hint (what to do next)::

    MlcycleError (500, exit 1)
    ├── NotFound (404, exit 4)
    ├── Conflict (409, exit 5)
    │   └── AlreadyExists (409, exit 5)
    ├── InvalidInput (422, exit 2)
    │   └── ValidationFailed (422, exit 2)
    ├── PayloadTooLarge (413, exit 2)
    ├── Unauthenticated (401, exit 6)
    ├── PermissionDenied (403, exit 7)
    ├── IntegrityError (500, exit 8)      stored bytes do not match their digest
    ├── MissingDependency (500, exit 9)   an optional extra is not installed
    ├── ServiceUnavailable (503, exit 10) a database, server or cluster cannot be reached
    └── PipelineFailed (500, exit 11)

Errors are told apart by type, never by a code field. ``to_dict``/``from_dict`` give the one JSON envelope the
server sends and the remote client turns back into the same type.
"""

from __future__ import annotations

from typing import Any, ClassVar


class MlcycleError(Exception):
    """Root of every mlcycle error."""

    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON error envelope body: ``{"error": {"type", "message", "hint", "details"}}``."""
        return {
            "error": {
                "type": type(self).__name__,
                "message": self.message,
                "hint": self.hint,
                "details": self.details,
            }
        }

    @staticmethod
    def from_dict(body: dict[str, Any], status: int = 500) -> MlcycleError:
        """Rebuild the error a server sent; unknown types fall back to the class matching the status."""
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            return _BY_STATUS.get(status, MlcycleError)(f"server answered HTTP {status}")
        cls = _BY_NAME.get(str(err.get("type")), _BY_STATUS.get(status, MlcycleError))
        exc = cls.__new__(cls)
        MlcycleError.__init__(exc, str(err.get("message", "")), hint=err.get("hint"), details=err.get("details") or {})
        return exc


class NotFound(MlcycleError):
    http_status = 404
    exit_code = 4


class Conflict(MlcycleError):
    http_status = 409
    exit_code = 5


class AlreadyExists(Conflict):
    pass


class InvalidInput(MlcycleError):
    http_status = 422
    exit_code = 2


class ValidationFailed(InvalidInput):
    """Data did not meet its expectations; ``details`` names columns, rules and sample values."""


class PayloadTooLarge(MlcycleError):
    http_status = 413
    exit_code = 2


class Unauthenticated(MlcycleError):
    http_status = 401
    exit_code = 6


class PermissionDenied(MlcycleError):
    http_status = 403
    exit_code = 7


class IntegrityError(MlcycleError):
    exit_code = 8


class MissingDependency(MlcycleError):
    exit_code = 9


class ServiceUnavailable(MlcycleError):
    http_status = 503
    exit_code = 10


class PipelineFailed(MlcycleError):
    exit_code = 11


def _all_subclasses(cls: type[MlcycleError]) -> list[type[MlcycleError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_all_subclasses(sub))
    return out


_BY_NAME: dict[str, type[MlcycleError]] = {c.__name__: c for c in _all_subclasses(MlcycleError)}
_BY_STATUS: dict[int, type[MlcycleError]] = {
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidInput,
    401: Unauthenticated,
    403: PermissionDenied,
    503: ServiceUnavailable,
}


def register_error(cls: type[MlcycleError]) -> type[MlcycleError]:
    """Make a subclass defined in a service module known to :meth:`MlcycleError.from_dict`."""
    _BY_NAME[cls.__name__] = cls
    return cls


def did_you_mean(value: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """A ``did you mean 'x'?`` hint for a mistyped name, or None when nothing is close."""
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


__all__ = [
    "AlreadyExists",
    "Conflict",
    "IntegrityError",
    "InvalidInput",
    "MissingDependency",
    "MlcycleError",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "PipelineFailed",
    "ServiceUnavailable",
    "Unauthenticated",
    "ValidationFailed",
    "did_you_mean",
    "register_error",
]
