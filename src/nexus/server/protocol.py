"""The HTTP protocol the server speaks on both of its sockets: uvicorn's, with the local
admin socket's peer check and one send per response."""

from __future__ import annotations

import asyncio
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


class NexusHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, sending each response in one write; on the Unix socket it
    drops a connection at once unless it comes from this OS user or root, and marks the
    requests of the ones it keeps."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family == socket.AF_UNIX:
            if peer_uid(transport) not in (os.getuid(), 0):
                transport.close()
                return
            self.app: Any = LocalAdminApp(self.app)
        coalescing: Any = _CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)
