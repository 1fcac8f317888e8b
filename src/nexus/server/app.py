"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from nexus.api.models import Health
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
from nexus.server.query_strings import QueryStringMiddleware
from nexus.server.rate_limits import (
    AuthFailureLimitMiddleware,
    KeyRateLimitMiddleware,
    RateLimits,
)
from nexus.server.routing import ERROR_RESPONSES
from nexus.version import __version__


def build_app(service: NexusService) -> FastAPI:
    """The HTTP API over ``service``, for the TCP socket and the admin socket alike."""
    app = FastAPI(
        title="Nexus",
        version=__version__,
        description="Multi-user file server with relationship-based permissions.",
        responses=ERROR_RESPONSES,
        redoc_url=None,
        # A route spelled with a trailing slash is not found, not redirected: Starlette's 307
        # builds its Location from the client's Host header, and no route ends in '/'.
        redirect_slashes=False,
    )
    app.state.service = service
    settings = service.runtime.settings
    app.openapi = document_builder(app, settings)  # type: ignore[method-assign]
    install_error_handlers(app)

    @app.get("/health", tags=["health"])
    def health() -> Health:
        return Health(status="ok", version=__version__)

    # The routes go straight onto the app's router, each with its full path: since FastAPI
    # 0.137 an included router stays a nested node that every request resolves again, which
    # cost half the throughput of a small request (measured).
    for module in (
        routes_files,
        routes_permissions,
        routes_groups,
        routes_sessions,
        routes_admin,
        routes_versions,
        routes_locks,
        routes_activity,
    ):
        app.router.routes.extend(module.router.routes)
    # Added first, so they run inside authentication: a caller without a key gets 401 either way.
    app.add_middleware(QueryStringMiddleware)
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
        (method, route.path)
        for route in routes_files.router.routes
        if isinstance(route, APIRoute) and route.openapi_extra is routes_files.RAW_BODY
        for method in route.methods or ()
    ]
