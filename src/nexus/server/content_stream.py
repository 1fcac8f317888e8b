"""File content over HTTP without holding it in memory.

Uploads: the request body is handed to the (synchronous) use case as an iterator of chunks
that pulls each batch from the ASGI stream on the event loop, so the blob store writes it to
disk as it arrives. Downloads: the opened blob is sent chunk by chunk, whole or one range.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from anyio import from_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from nexus.api.models import ErrorBody
from nexus.errors import NexusValidationError
from nexus.files.content import OpenedFile
from nexus.server.errors import error_response
from nexus.server.ranges import RangeNotSatisfiable, requested_range

# Bytes gathered per hop from the event loop to the worker thread: few hops, little memory.
_BATCH_BYTES = 1024 * 1024
# Content up to this size is read in the route's worker thread and sent as one body: a
# streamed answer costs a thread hop per chunk, more than reading a small file.
_INLINE_BYTES = 256 * 1024


async def _next_batch(stream: AsyncIterator[bytes]) -> bytes | None:
    """About ``_BATCH_BYTES`` of the body, or None at its end."""
    parts: list[bytes] = []
    size = 0
    async for chunk in stream:
        parts.append(chunk)
        size += len(chunk)
        if size >= _BATCH_BYTES:
            break
    else:
        if not parts:
            return None
    return b"".join(parts)


def body_chunks(request: Request) -> Iterator[bytes]:
    """The request body in batches, for code running in a worker thread (run_in_threadpool).

    Backpressure comes for free: the server reads from the socket only as fast as this is
    consumed. A client that hangs up mid-body ends it with ``incomplete_body`` (the blob
    store then drops what it wrote).
    """
    stream = request.stream()
    while True:
        try:
            batch = from_thread.run(_next_batch, stream)
        except ClientDisconnect:
            raise NexusValidationError("the body ended early", code="incomplete_body") from None
        if batch is None:
            return
        if batch:
            yield batch


def _header(description: str, kind: str = "string") -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": kind}}


_FILE_HEADERS = {
    "ETag": _header("The content's SHA-256, quoted"),
    "Content-Length": _header("Bytes in this answer", "integer"),
    "Accept-Ranges": _header("bytes"),
    "X-Nexus-Version": _header("The version read", "integer"),
    "X-Nexus-Owner": _header("Who created the file; empty once that account is deleted"),
    "X-Nexus-Modified": _header("When the version read was written (UTC, ISO 8601)"),
    "X-Nexus-Created": _header("When the file was created (UTC, ISO 8601)"),
}
_BYTES = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
# What GET /files/content answers besides the errors every route has (app._ERRORS).
CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The whole file", "content": _BYTES, "headers": _FILE_HEADERS},
    206: {
        "description": "The range asked for",
        "content": _BYTES,
        "headers": {
            **_FILE_HEADERS,
            "Content-Range": _header("bytes first-last/size"),
        },
    },
    416: {
        "model": ErrorBody,
        "description": "A malformed or unsatisfiable range (range_not_satisfiable)",
        "headers": {"Content-Range": _header("bytes */size")},
    },
}


def _quoted(etag: str | None) -> str:
    return f'"{etag}"' if etag else '""'


def content_response(
    opened: OpenedFile, range_header: str | None, if_range: str | None
) -> Response:
    """200 with the whole file, 206 with one range, or 416 (see nexus.server.ranges)."""
    info = opened.info
    etag = _quoted(info["etag"])
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "X-Nexus-Version": str(info["version"]),
        "X-Nexus-Owner": info["owner"] or "",
        "X-Nexus-Modified": info["modified"],
        "X-Nexus-Created": info["created"],
    }
    try:
        wanted = requested_range(range_header, if_range, etag, opened.size)
    except RangeNotSatisfiable as exc:
        opened.close()
        refused = error_response(
            416, "invalid_argument", "range_not_satisfiable", str(exc), info["path"]
        )
        refused.headers["Content-Range"] = f"bytes */{opened.size}"
        return refused
    status, start, length = 200, 0, opened.size
    if wanted is not None:
        status, start, length = 206, wanted.start, wanted.length
        headers["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{opened.size}"
    headers["Content-Length"] = str(length)
    if length <= _INLINE_BYTES:
        body = b"".join(opened.chunks(start, length))
        return Response(body, status, headers, media_type="application/octet-stream")
    return StreamingResponse(
        opened.chunks(start, length),
        status_code=status,
        media_type="application/octet-stream",
        headers=headers,
    )
