"""Errors become one JSON envelope: ``{"error": {"type", "message", "hint", "details"}}``.

Every :class:`~mlcycle.core.errors.MlcycleError` is rendered by :func:`error_response` with its own HTTP
status. FastAPI's request validation errors become ``InvalidInput`` (422), Starlette's HTTP errors (unknown
route, wrong method) keep their status, and anything unexpected is a 500 in the same envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from mlcycle.core.errors import InvalidInput, MlcycleError, Unauthenticated
from mlcycle.server.wire import WireJSONResponse


def error_response(
    exc: MlcycleError, status_code: int | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    """The envelope of ``exc`` with its HTTP status (401 answers also name the Bearer scheme)."""
    all_headers = dict(headers or {})
    if isinstance(exc, Unauthenticated):
        all_headers["WWW-Authenticate"] = "Bearer"
    return WireJSONResponse(exc.to_dict(), status_code=status_code or exc.http_status, headers=all_headers)


async def _mlcycle_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MlcycleError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_describe(e) for e in exc.errors()]
    first = errors[0] if errors else {"loc": "request", "msg": "is invalid"}
    return error_response(
        InvalidInput(
            f"invalid request: {first['loc']}: {first['msg']}",
            hint="see /docs for the shape of each request",
            details={"errors": errors},
        )
    )


def _describe(error: Any) -> dict[str, str]:
    # Only where and what: the offending input can be large (a 10,000-value list) or not serialisable.
    where = ".".join(str(part) for part in error.get("loc", ())) or "request"
    return {"loc": where, "msg": str(error.get("msg", "is invalid")), "type": str(error.get("type", ""))}


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    hint = "see /docs for the routes of this API" if exc.status_code in (404, 405) else None
    err = MlcycleError.from_dict({"error": {"message": str(exc.detail), "hint": hint}}, exc.status_code)
    return error_response(err, exc.status_code, exc.headers)


async def _unexpected(_request: Request, _exc: Exception) -> Response:
    # Starlette re-raises the exception after this answer is sent, so the server log keeps the traceback.
    return error_response(MlcycleError("internal server error", hint="see the server log for the traceback"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MlcycleError, _mlcycle_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
