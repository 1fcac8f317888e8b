"""Running a server: the TCP API and the local admin socket, in one or several worker
processes, and the sweeper.

The parent binds both sockets and prepares the store (migrations, secret) once; each worker
serves both sockets with its own service (database pool, permission caches: the revision
counter keeps those honest across processes, as across servers). With ``workers`` = 1 the
parent is the worker; with more, uvicorn's supervisor starts, watches and replaces them.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.supervisors import Multiprocess

from nexus.config import ServerSettings, admin_socket_path
from nexus.files import NexusService, open_service
from nexus.server.admin_socket import bind_socket, prepare_socket_path, remove_socket
from nexus.server.app import build_app
from nexus.server.protocol import NexusHttpProtocol
from nexus.version import __version__

# uvicorn configures its own loggers; ours rides on its error logger's handler.
log = logging.getLogger("uvicorn.error")

_BACKLOG = 2048


def _sweep_once(service: NexusService) -> None:
    try:
        removed = service.sessions.sweep_expired()
        if removed:
            log.info("removed %d expired session(s)", removed)
    except Exception:  # keep sweeping; the next round retries
        log.exception("session sweep failed")
    try:
        swept = service.maintenance.sweep_if_due()  # versions and blobs, hourly by default
        if swept is not None and (swept.versions_removed or swept.blobs_removed):
            log.info("storage sweep: %s", swept.model_dump())
    except Exception:
        log.exception("storage sweep failed")
    try:
        pruned = service.activity.prune_if_due()  # activity older than its retention
        if pruned:
            log.info("removed %d old activity event(s)", pruned)
    except Exception:
        log.exception("activity log prune failed")


@contextlib.contextmanager
def _sweeper_turn(lock_path: Path) -> Iterator[bool]:
    """Whether this process sweeps now: one worker of a data dir at a time holds the lock
    file, so N workers do not sweep N times; if it dies, another takes over next round."""
    handle: IO[bytes] = lock_path.open("ab")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        handle.close()  # also releases the lock


def _sweep_forever(service: NexusService, lock_path: Path, stop: threading.Event) -> None:
    # Storage sweeps and activity pruning have their own, longer intervals (checked inside).
    while not stop.wait(service.runtime.settings.session_sweep_seconds):
        with _sweeper_turn(lock_path) as mine:
            if mine:
                _sweep_once(service)


def _die_with_parent(parent_pid: int) -> None:
    """A worker ends when its supervisor does, even if the supervisor is SIGKILLed (it
    would otherwise keep serving the shared socket on its own). Linux only."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent_pid:  # it died before we asked to be told
        os.kill(os.getpid(), signal.SIGTERM)


class ServerApp:
    """The ASGI app each worker runs: built at lifespan startup inside the worker, so the
    object handed to a new worker process is only settings (it is pickled)."""

    def __init__(self, settings: ServerSettings, *, supervised: bool):
        self.settings = settings
        self.supervised = supervised
        self.supervisor_pid = os.getpid()
        self._app: ASGIApp | None = None
        self._service: NexusService | None = None
        self._stop_sweeper: threading.Event | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self._app is not None, "the server serves requests only after startup"
        await self._app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self._start()
                except Exception as error:
                    log.exception("worker startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _start(self) -> None:
        if self.supervised:
            _die_with_parent(self.supervisor_pid)
        self._service = open_service(self.settings)
        self._app = build_app(self._service)
        self._stop_sweeper = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_forever,
            args=(self._service, self.settings.data_dir / "sweeper.lock", self._stop_sweeper),
            name="sweeper",
            daemon=True,
        )
        sweeper.start()
        # What startup built (modules, app, schema, pools) lives as long as the process: keep
        # it out of the collector's full passes, which otherwise walk all of it every few big
        # requests (measured: a 10,000-entry listing paused ~50-90 ms by one such pass).
        gc.freeze()

    def _stop(self) -> None:
        if self._stop_sweeper is not None:
            self._stop_sweeper.set()
        if self._service is not None:
            self._service.close()


class _Server(uvicorn.Server):
    """uvicorn's server, minus re-raising the stop signal after a graceful shutdown (which
    would kill the process before it removes its admin socket and server.json): a stop
    asked for by SIGINT or SIGTERM ends `nexus serve` with status 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        stop_signals = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in stop_signals}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def _write_server_info(settings: ServerSettings, socket_path: Path) -> None:
    info = {
        "pid": os.getpid(),
        "host": settings.host,
        "port": settings.port,
        "url": f"http://{settings.host}:{settings.port}",
        "admin_socket": str(socket_path),
        "workers": settings.workers,
    }
    settings.server_info_file.write_text(json.dumps(info, indent=2) + "\n")


def _config(settings: ServerSettings, access_log: bool) -> uvicorn.Config:
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "http": NexusHttpProtocol,
        "lifespan": "on",
        "access_log": access_log,
        "log_level": "info",
        "timeout_graceful_shutdown": 10,
        "backlog": _BACKLOG,
        "workers": settings.workers,
        # A new worker imports the whole server before it answers the supervisor's pings;
        # on a busy machine that takes longer than uvicorn's 5 s, and it would be replaced.
        "timeout_worker_healthcheck": 60,
    }
    return uvicorn.Config(ServerApp(settings, supervised=settings.workers > 1), **options)


def serve(settings: ServerSettings, *, access_log: bool = False) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly."""
    # Migrations, the data dir and its secret, once, before any worker opens the store
    # (and so that a store that cannot be opened fails here, with one clear error).
    open_service(settings).close()
    config = _config(settings, access_log)
    socket_path = admin_socket_path(settings.port)
    log.info(
        "Nexus %s: data in %s, local admin socket %s, %d worker(s)",
        __version__,
        settings.data_dir.resolve(),
        socket_path,
        settings.workers,
    )
    prepare_socket_path(socket_path)
    try:
        api_socket: socket.socket = config.bind_socket()
    except SystemExit:
        raise SystemExit(1) from None  # uvicorn logged why (e.g. the port is taken)
    admin_socket = bind_socket(socket_path, _BACKLOG)
    _write_server_info(settings, socket_path)
    started = True
    try:
        if settings.workers == 1:
            server = _Server(config)
            server.run(sockets=[api_socket, admin_socket])
            started = server.started
        else:
            Multiprocess(config, sockets=[api_socket, admin_socket]).run()
    finally:
        api_socket.close()
        admin_socket.close()
        settings.server_info_file.unlink(missing_ok=True)
        remove_socket(socket_path)
    if not started:
        raise SystemExit(1)
