"""Request body limits, enforced in the ASGI layer before any route reads or parses a body.

JSON bodies get a small limit (``max_json_bytes``): one oversized request must not make the
server parse hundreds of megabytes while every other caller waits. The body is read here, up
to the limit, and replayed to the app; a larger body is refused with 413 before the app runs.
Routes that take raw file content stream their body themselves against ``max_file_bytes``
(see ``routes_files``); here they only get the early Content-Length check.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexus.errors import NexusPayloadTooLargeError
from nexus.server.errors import error_response


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        json_limit: int,
        file_limit: int,
        file_routes: Iterable[tuple[str, str]],
    ):
        self.app = app
        self.json_limit = json_limit
        self.file_limit = file_limit
        # (METHOD, path) pairs whose body is raw file content.
        self.file_routes = frozenset(file_routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_file_route = (scope["method"], scope["path"]) in self.file_routes
        limit, setting = (
            (self.file_limit, "max_file_bytes")
            if is_file_route
            else (self.json_limit, "max_json_bytes")
        )
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit, setting, declared)
            return
        if is_file_route:
            # The route streams the body and counts it against the same limit.
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_up_to(receive, limit)
        except _Disconnected:
            # The client hung up mid-body: nothing runs on a partial body, nobody reads an answer.
            return
        if body is None:
            await _refuse(scope, receive, send, limit, setting, None)
            return
        await self.app(scope, _replay(body, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # The HTTP parser has already refused malformed or conflicting values.
            return int(value) if value.isdigit() else None
    return None


class _Disconnected(Exception):
    """The client went away before its body was complete."""


async def _read_up_to(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is over ``limit`` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body over once, then waits as the original does."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(
    scope: Scope, receive: Receive, send: Send, limit: int, setting: str, declared: int | None
) -> None:
    size = f"request body of {declared} bytes" if declared is not None else "request body"
    error = NexusPayloadTooLargeError(f"{size} is over the limit of {limit} bytes ({setting})")
    response = error_response(error.http_status, error.code, error.detail_code, error.message)
    # The unread rest of the body would otherwise have to be drained to reuse the connection.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
