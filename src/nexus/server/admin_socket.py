"""The local admin socket: HTTP over a Unix socket, trusted by OS user.

Like PostgreSQL's peer authentication: a connection is served only when the peer process
runs as the server's own OS user (or root), read from the socket's SO_PEERCRED. The API's
TCP socket and this one are served by the same uvicorn server and app (so several worker
processes can share both); a connection that passed the peer check carries a mark in its
requests' scope, which no TCP client can set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_PEERCRED = struct.Struct("3i")  # pid, uid, gid
LOCAL_ADMIN = "nexus.local_admin"


def peer_uid(transport: asyncio.BaseTransport) -> int | None:
    sock = transport.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    _pid, uid, _gid = _PEERCRED.unpack(raw)
    return int(uid)


class LocalAdminApp:
    """Marks every request of a peer-checked admin connection as the local admin's."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[LOCAL_ADMIN] = True
        await self.app(scope, receive, send)


def is_local_admin(scope: Scope) -> bool:
    return scope.get(LOCAL_ADMIN) is True


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


def prepare_socket_path(path: Path) -> None:
    """Make the private directory and clear a stale socket left by a killed server."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if not path.exists():
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink(missing_ok=True)
        return
    finally:
        probe.close()
    raise RuntimeError(f"another Nexus server is already listening on {path}")


def bind_socket(path: Path, backlog: int) -> socket.socket:
    """The listening admin socket (in its private directory: see prepare_socket_path)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def remove_socket(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
