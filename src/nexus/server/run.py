"""Running a server: the TCP API, the local admin socket and the session sweeper."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from nexus.config import ServerSettings, admin_socket_path
from nexus.files import NexusService, open_service
from nexus.server.admin_socket import PeerCheckedProtocol, prepare_socket_path, remove_socket
from nexus.server.app import build_app
from nexus.version import __version__

# uvicorn configures its own loggers; ours rides on its error logger's handler.
log = logging.getLogger("uvicorn.error")


class _Server(uvicorn.Server):
    """A uvicorn server whose signals are handled by run_servers for both servers at once."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _sweep_sessions(service: NexusService, stop: threading.Event) -> None:
    # Storage sweeps and activity pruning have their own, longer intervals (checked here).
    while not stop.wait(service.runtime.settings.session_sweep_seconds):
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


def _write_server_info(settings: ServerSettings, socket_path: Path) -> None:
    info = {
        "pid": os.getpid(),
        "host": settings.host,
        "port": settings.port,
        "url": f"http://{settings.host}:{settings.port}",
        "admin_socket": str(socket_path),
    }
    settings.server_info_file.write_text(json.dumps(info, indent=2) + "\n")


async def _serve_both(api: _Server, admin: _Server) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        api.should_exit = True
        admin.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    admin_task = asyncio.create_task(admin.serve())
    try:
        await api.serve()
    finally:
        admin.should_exit = True
        await admin_task


def serve(settings: ServerSettings, *, access_log: bool = False) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly."""
    service = open_service(settings)
    socket_path = admin_socket_path(settings.port)
    prepare_socket_path(socket_path)
    api = _Server(
        uvicorn.Config(
            build_app(service),
            host=settings.host,
            port=settings.port,
            access_log=access_log,
            log_level="info",
            timeout_graceful_shutdown=10,
        )
    )
    admin = _Server(
        uvicorn.Config(
            build_app(service, local_admin=True),
            uds=str(socket_path),
            http=PeerCheckedProtocol,
            access_log=access_log,
            # Logging is configured once, by the API server's config above.
            log_config=None,
        )
    )
    stop_sweeper = threading.Event()
    sweeper = threading.Thread(
        target=_sweep_sessions, args=(service, stop_sweeper), name="session-sweeper", daemon=True
    )
    _write_server_info(settings, socket_path)
    sweeper.start()
    log.info(
        "Nexus %s: data in %s, local admin socket %s",
        __version__,
        settings.data_dir.resolve(),
        socket_path,
    )
    # What startup built (modules, app, schema, pools) lives as long as the process: keep it
    # out of the collector's full passes, which otherwise walk all of it every few big
    # requests (measured: a 10,000-entry listing paused ~50-90 ms by one such pass).
    gc.freeze()
    try:
        asyncio.run(_serve_both(api, admin))
    finally:
        stop_sweeper.set()
        settings.server_info_file.unlink(missing_ok=True)
        remove_socket(socket_path)
        service.close()
    if not api.started:
        raise SystemExit(1)
