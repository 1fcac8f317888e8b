"""File routes. Content travels as raw bytes; everything else as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from nexus.api.described import (
    FILE_PATH_DESCRIPTION,
    PATH_DESCRIPTION,
    AnyPath,
    ExpectedVersion,
    FilePath,
    Version,
)
from nexus.api.models import (
    FILE_LIST,
    CopyRequest,
    Deleted,
    Exists,
    FileInfo,
    FileList,
    MkdirRequest,
    MoveRequest,
    RestrictRequest,
)
from nexus.errors import NexusPayloadTooLargeError, NexusValidationError
from nexus.files.content import Content
from nexus.paths import normalize
from nexus.server.content_stream import CONTENT_RESPONSES, body_chunks, content_response
from nexus.server.dependencies import Caller, Service
from nexus.server.execution import short_read
from nexus.server.routing import api_router

router = api_router("/files", "files")

PathParam = Annotated[AnyPath, Query(description=PATH_DESCRIPTION)]
FilePathParam = Annotated[FilePath, Query(description=FILE_PATH_DESCRIPTION)]
RangeHeader = Annotated[
    str | None,
    Header(alias="Range", description="One byte range: bytes=a-b, a- or -n (RFC 9110)"),
]
IfRangeHeader = Annotated[
    str | None,
    Header(alias="If-Range", description="Serve the range only if the ETag is still this"),
]
# Uploads up to this size (by Content-Length) are read whole before the write starts.
_SMALL_UPLOAD_BYTES = 1024 * 1024
RAW_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise NexusPayloadTooLargeError(f"body of {declared} bytes is over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise NexusPayloadTooLargeError(f"body is over the limit of {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        # The client hung up mid-upload: nothing is written, and nobody reads the answer.
        raise NexusValidationError("the body ended early", code="incomplete_body") from None
    return b"".join(chunks)


@router.get("/content", response_class=Response, responses=CONTENT_RESPONSES)
async def read_content(
    service: Service,
    caller: Caller,
    path: PathParam,
    version: Annotated[Version | None, Query(ge=1)] = None,
    byte_range: RangeHeader = None,
    if_range: IfRangeHeader = None,
) -> Response:
    """Streams the file; ``Range: bytes=a-b`` (or ``a-``, ``-n``) asks for part of it."""

    def answer() -> Response:  # a small file is read whole here; a big one streams later
        return content_response(service.files.open(caller, path, version), byte_range, if_range)

    return await short_read(service, answer)


@router.put("/content", openapi_extra=RAW_BODY)
async def write_content(
    request: Request,
    service: Service,
    caller: Caller,
    path: FilePathParam,
    if_version: Annotated[ExpectedVersion | None, Query(ge=0)] = None,
    if_none_match: bool = False,
) -> FileInfo:
    data: Content
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) <= _SMALL_UPLOAD_BYTES:
        # Small: read here on the event loop, in one piece (streamed, it would cost two
        # trips between the worker thread and the loop, more than the write itself).
        data = await _read_body(request, service.runtime.settings.max_file_bytes)
    else:
        # Streamed to the blob store as it arrives; the use case counts it against the limit.
        data = body_chunks(request)
    return await run_in_threadpool(
        service.files.write,
        caller,
        path,
        data,
        if_version=if_version,
        if_none_match=if_none_match,
    )


@router.post("/append", openapi_extra=RAW_BODY)
async def append_content(
    request: Request, service: Service, caller: Caller, path: FilePathParam
) -> FileInfo:
    data = await _read_body(request, service.runtime.settings.max_append_bytes)
    return await run_in_threadpool(service.files.append, caller, path, data)


@router.get("/stat")
async def stat(service: Service, caller: Caller, path: PathParam) -> FileInfo:
    return await short_read(service, service.files.stat, caller, path)


@router.get("/exists")
async def exists(service: Service, caller: Caller, path: PathParam) -> Exists:
    return Exists(exists=await short_read(service, service.files.exists, caller, path))


@router.get("/list", response_model=FileList)
def list_files(
    service: Service, caller: Caller, path: PathParam, recursive: bool = False
) -> Response:
    # The records are ours (nothing to validate): pydantic-core serializes the whole body
    # in one pass. FastAPI's generic path validates and re-encodes every entry.
    listing: FileList = {"entries": service.files.list(caller, path, recursive)}
    return Response(FILE_LIST.dump_json(listing), media_type="application/json")


@router.post("/mkdir")
def mkdir(service: Service, caller: Caller, body: MkdirRequest) -> FileInfo:
    return service.files.mkdir(caller, body.path, body.parents, body.exist_ok)


@router.delete("")
def delete(service: Service, caller: Caller, path: PathParam, recursive: bool = False) -> Deleted:
    service.files.delete(caller, path, recursive)
    return Deleted(path=normalize(path))  # as every answer names it, not as spelt


@router.post("/move")
def move(service: Service, caller: Caller, body: MoveRequest) -> FileInfo:
    return service.files.move(caller, body.src, body.dst)


@router.post("/copy")
def copy(service: Service, caller: Caller, body: CopyRequest) -> FileInfo:
    return service.copies.copy(caller, body.src, body.dst)


@router.post("/restrict")
def restrict(service: Service, caller: Caller, body: RestrictRequest) -> FileInfo:
    return service.files.set_restricted(caller, body.path, body.restricted)
