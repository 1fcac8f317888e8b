"""The local admin socket: HTTP over a Unix socket, trusted by OS user.

Like PostgreSQL's peer authentication: a connection is served only when the peer process
runs as the server's own OS user (or root), read from the socket's SO_PEERCRED. The API's
TCP socket and this one are served by the same uvicorn server and app (so several worker
processes can share both); a connection that passed the peer check (nexus.server.protocol)
carries a mark in its requests' scope, which no TCP client can set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

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
