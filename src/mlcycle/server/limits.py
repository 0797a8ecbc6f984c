"""Request size limits, as a pure ASGI middleware.

A body larger than the limit is refused with 413 in the JSON error envelope: at once when ``Content-Length``
says so (the body is never read), or as soon as the streamed bytes of a chunked body pass the limit. Each route
can have its own limit (artifact uploads are far larger than JSON requests).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlcycle.core.errors import PayloadTooLarge
from mlcycle.server.errors import error_response


class _BodyTooLarge(Exception):
    """Raised into the application when the streamed body passes the limit; never leaves the middleware."""


class BodyLimit:
    """Refuse request bodies over ``max_bytes``, or over the limit given for a (method, route path) pair."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, route_limits: Mapping[tuple[str, str], int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limits: list[tuple[str, re.Pattern[str], int]] = [
            (method, compile_path(path)[0], limit) for (method, path), limit in (route_limits or {}).items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # whatever the application answers to its aborted read is replaced by the 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _refuse(scope, receive, send, limit)

    def _limit_for(self, scope: Scope) -> int:
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for method, pattern, limit in self.route_limits:
            if scope["method"] == method and pattern.match(path):
                return limit
        return self.max_bytes


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    exc = PayloadTooLarge(
        f"the request body is larger than the server's limit of {limit} bytes",
        hint="send less per request (split large batches), or raise the limit on the server "
        "(MLCYCLE_MAX_REQUEST_BYTES, or MLCYCLE_MAX_ARTIFACT_BYTES for artifact and dataset uploads)",
        details={"limit": limit},
    )
    response = error_response(exc)
    response.headers["Connection"] = "close"  # the rest of the body is never read
    await response(scope, receive, send)
