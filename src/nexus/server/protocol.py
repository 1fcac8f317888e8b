"""The HTTP protocol the server speaks on both of its sockets: uvicorn's, with the local
admin socket's peer check and one send per response."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from nexus.server.admin_socket import LocalAdminApp, peer_uid


class _CoalescingTransport:
    """A transport whose writes within one turn of the event loop leave in one send: a
    response's head and body are two writes, and each send on a socket costs a system
    call under the GIL (a third of a small request's time, measured on loopback)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


# A request's line and headers together. uvicorn's httptools protocol sets no bound (h11's
# 16 KiB is not used), so one client could hold megabytes of header per connection without
# a key; 64 KiB is eight times what common proxies allow.
MAX_HEAD_BYTES = 64 * 1024

_REASONS = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}


def error_bytes(status: int, code: str, reason: str, message: str) -> bytes:
    """A whole HTTP response carrying the API's error body, for answers the protocol gives
    before any route runs; the connection is closed after it."""
    body = json.dumps(
        {"error": {"code": code, "reason": reason, "message": message, "path": None}}
    ).encode("ascii")
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, _REASONS[status], len(body))
    )
    return head + body


class NexusHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, sending each response in one write; on the Unix socket it
    drops a connection at once unless it comes from this OS user or root, and marks the
    requests of the ones it keeps. A request head over MAX_HEAD_BYTES is answered 431, and
    a request the parser cannot read gets the API's JSON error body, not plain text."""

    _reading_head = True
    _head_bytes = 0
    _heads_read = 0

    def data_received(self, data: bytes) -> None:
        # Only a head's bytes count (a chunk may hold a head and the start of a big body):
        # past the bound the parser gets the bytes up to it, and unless that ends the head
        # the request is refused before the parser buffers more of it.
        if not self._reading_head:
            super().data_received(data)
            return
        room = MAX_HEAD_BYTES - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        heads_read = self._heads_read
        super().data_received(data[:room])
        if self._heads_read == heads_read:
            if not self.transport.is_closing():
                self._refuse(
                    431,
                    "request_header_fields_too_large",
                    f"the request line and headers exceed {MAX_HEAD_BYTES} bytes",
                )
            return
        self.data_received(data[room:])

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._heads_read += 1
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_head = True
        self._head_bytes = 0
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "invalid_request", f"malformed HTTP request: {msg}")

    def _refuse(self, status: int, reason: str, message: str) -> None:
        code = "invalid_argument" if status == 400 else reason
        self.transport.write(error_bytes(status, code, reason, message))
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family == socket.AF_UNIX:
            if peer_uid(transport) not in (os.getuid(), 0):
                transport.close()
                return
            self.app: Any = LocalAdminApp(self.app)
        coalescing: Any = _CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)
