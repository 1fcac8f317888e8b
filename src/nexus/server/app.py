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
from nexus.server.rate_limits import (
    AuthFailureLimitMiddleware,
    KeyRateLimitMiddleware,
    RateLimits,
)
from nexus.version import __version__

_ERRORS = {status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 412, 413, 423, 429)}


def build_app(service: NexusService) -> FastAPI:
    """The HTTP API over ``service``, for the TCP socket and the admin socket alike."""
    app = FastAPI(
        title="Nexus",
        version=__version__,
        description="Multi-user file server with relationship-based permissions.",
        responses=_ERRORS,  # type: ignore[arg-type]
        redoc_url=None,
    )
    app.state.service = service
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
    settings = service.runtime.settings
    # Added first, so it runs inside authentication: a caller without a key gets 401 either way.
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.max_json_bytes,
        file_limit=settings.max_file_bytes,
        file_routes=_raw_body_routes(),
    )
    # Requests on the admin socket act as the local admin with no key: no key budget is
    # spent and authentication never answers them 401, so neither limit touches them.
    limits = RateLimits.from_settings(settings)
    if limits.per_key is not None:
        # Inside authentication (it needs the key) and before any body is read.
        app.add_middleware(KeyRateLimitMiddleware, budget=limits.per_key)
    app.add_middleware(AuthenticationMiddleware, service=service)
    if limits.auth_failures is not None:
        # Outside authentication: it counts the 401s that authentication answers.
        app.add_middleware(AuthFailureLimitMiddleware, budget=limits.auth_failures)
    return app


def _raw_body_routes() -> list[tuple[str, str]]:
    """(method, path) of the file routes whose body is raw content (marked with RAW_BODY)."""
    return [
        (method, API_PREFIX + route.path)
        for route in routes_files.router.routes
        if isinstance(route, APIRoute) and route.openapi_extra is routes_files.RAW_BODY
        for method in route.methods or ()
    ]
