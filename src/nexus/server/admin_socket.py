"""The local admin socket: HTTP over a Unix socket, trusted by OS user.

Like PostgreSQL's peer authentication: a connection is served only when the peer process
runs as the server's own OS user (or root), read from the socket's SO_PEERCRED.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from pathlib import Path

from uvicorn.protocols.http.h11_impl import H11Protocol

_PEERCRED = struct.Struct("3i")  # pid, uid, gid


def peer_uid(transport: asyncio.BaseTransport) -> int | None:
    sock = transport.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    _pid, uid, _gid = _PEERCRED.unpack(raw)
    return int(uid)


class PeerCheckedProtocol(H11Protocol):
    """Drops a connection at once unless it comes from this OS user or root."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if peer_uid(transport) not in (os.getuid(), 0):
            transport.close()
            return
        super().connection_made(transport)


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


def remove_socket(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
