"""The FastAPI application."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from nexus.api.models import API_PREFIX, ErrorBody, Health
from nexus.files import NexusService
from nexus.server import (
    routes_activity,
    routes_admin,
    routes_files,
    routes_groups,
    routes_locks,
    routes_permissions,
    routes_sessions,
    routes_versions,
)
from nexus.server.authentication import AuthenticationMiddleware
from nexus.server.body_limits import BodyLimitMiddleware
from nexus.server.errors import install_error_handlers
from nexus.server.openapi import document_builder
from nexus.version import __version__

_ERRORS = {status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 412, 413, 423)}


def build_app(service: NexusService, *, local_admin: bool = False) -> FastAPI:
    """The HTTP API over ``service``; ``local_admin`` marks the app of the admin socket."""
    app = FastAPI(
        title="Nexus",
        version=__version__,
        description="Multi-user file server with relationship-based permissions.",
        responses=_ERRORS,  # type: ignore[arg-type]
        redoc_url=None,
    )
    app.state.service = service
    app.state.local_admin = local_admin
    settings = service.runtime.settings
    app.openapi = document_builder(app, settings)  # type: ignore[method-assign]
    install_error_handlers(app)

    @app.get("/health", tags=["health"])
    def health() -> Health:
        return Health(status="ok", version=__version__)

    api = APIRouter(prefix=API_PREFIX)
    for module in (routes_files, routes_permissions, routes_groups, routes_sessions, routes_admin):
        api.include_router(module.router)
    api.include_router(routes_versions.router)
    api.include_router(routes_locks.router)
    api.include_router(routes_activity.router)
    app.include_router(api)
    # Added first, so it runs inside authentication: a caller without a key gets 401 either way.
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.max_json_bytes,
        file_limit=settings.max_file_bytes,
        file_routes=_raw_body_routes(),
    )
    app.add_middleware(AuthenticationMiddleware, service=service, local_admin=local_admin)
    return app


def _raw_body_routes() -> list[tuple[str, str]]:
    """(method, path) of the file routes whose body is raw content (marked with RAW_BODY)."""
    return [
        (method, API_PREFIX + route.path)
        for route in routes_files.router.routes
        if isinstance(route, APIRoute) and route.openapi_extra is routes_files.RAW_BODY
        for method in route.methods or ()
    ]
