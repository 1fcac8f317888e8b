"""Which client a command uses, and the one seam where tests put in their own.

Every command gets its client from :func:`client_for`, which calls
``CliState.client_factory(options)``. The default factory, :func:`open_client`, picks the
acting identity: an API key (``--api-key`` or ``NEXUS_API_KEY``) talks HTTP to ``--url`` /
``NEXUS_URL`` (default http://127.0.0.1:2026); without a key the local admin socket is used,
found from ``NEXUS_ADMIN_SOCKET``, else ``--data-dir``'s ``server.json``, else the port of
``NEXUS_URL``. Tests run ``CliRunner().invoke(cli, args, obj=CliState(client_factory=...))``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from nexus.client import HttpClient, NexusClient
from nexus.client.http import ADMIN_SOCKET_URL
from nexus.config import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ClientSettings,
    ServerSettings,
    admin_socket_override,
    admin_socket_path,
)
from nexus.errors import NexusError

DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
_HINT = "is `nexus serve` running on this host as this OS user?"


@dataclass
class ConnectionOptions:
    """What the command line said about the connection (None: not given)."""

    url: str | None = None
    api_key: str | None = None
    data_dir: Path | None = None


ClientFactory = Callable[[ConnectionOptions], NexusClient]


def _no_socket(where: str) -> NexusError:
    return NexusError(
        f"no NEXUS_API_KEY is set and no local admin socket was found at {where} ({_HINT})"
    )


def _socket_from_server_info(data_dir: Path) -> Path:
    info_file = ServerSettings(data_dir=data_dir).server_info_file
    if not info_file.is_file():
        raise NexusError(
            f"no NEXUS_API_KEY is set and no local admin socket was found: {info_file} does "
            f"not exist (is `nexus serve --data-dir {data_dir}` running on this host?)"
        )
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NexusError(f"cannot read {info_file}: {exc}") from None
    socket = info.get("admin_socket") if isinstance(info, dict) else None
    if not isinstance(socket, str) or not socket:
        raise NexusError(f"{info_file} names no admin socket (no 'admin_socket' entry)")
    return Path(socket)


def find_admin_socket(options: ConnectionOptions, settings: ClientSettings) -> Path:
    """The local admin socket to use, or a NexusError saying where none was found."""
    override = admin_socket_override()
    if override:
        socket = Path(override)
    elif options.data_dir is not None:
        socket = _socket_from_server_info(options.data_dir)
    else:
        socket = admin_socket_path(settings.port)
    if not socket.exists():
        raise _no_socket(str(socket))
    return socket


def open_client(options: ConnectionOptions) -> NexusClient:
    """The default factory: an HTTP client with a key, else one on the local admin socket."""
    settings = ClientSettings.from_env({"url": options.url, "api_key": options.api_key})
    if settings.api_key:
        return HttpClient(settings.url or DEFAULT_URL, settings.api_key, timeout=settings.timeout)
    socket = find_admin_socket(options, settings)
    return HttpClient(ADMIN_SOCKET_URL, None, uds=str(socket), timeout=settings.timeout)


@dataclass
class CliState:
    """The object click carries through a command line (``ctx.obj``)."""

    options: ConnectionOptions = field(default_factory=ConnectionOptions)
    client_factory: ClientFactory = open_client


def client_for(ctx: click.Context) -> NexusClient:
    """The client for this command; it is closed when the command ends."""
    state = ctx.ensure_object(CliState)
    client = state.client_factory(state.options)
    ctx.call_on_close(client.close)
    return client


F = TypeVar("F", bound=Callable[..., Any])


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None or param.name is None:
        return
    options = ctx.ensure_object(CliState).options
    setattr(options, param.name, Path(value) if param.name == "data_dir" else value)


def connection_options(command: F) -> F:
    """``--url``, ``--api-key`` and ``--data-dir``; accepted on ``nexus`` and its groups."""
    for decorator in reversed(
        [
            click.option(
                "--url",
                metavar="URL",
                expose_value=False,
                callback=_store,
                help=f"Server URL (default: NEXUS_URL, else {DEFAULT_URL}).",
            ),
            click.option(
                "--api-key",
                metavar="KEY",
                expose_value=False,
                callback=_store,
                help="API key (default: NEXUS_API_KEY). Without one, the local admin socket "
                "is used; an empty one is an error.",
            ),
            click.option(
                "--data-dir",
                metavar="DIR",
                expose_value=False,
                callback=_store,
                type=click.Path(file_okay=False),
                help="Find the local admin socket of the server running on DIR.",
            ),
        ]
    ):
        command = decorator(command)
    return command
