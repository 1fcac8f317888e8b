"""The one error mapper: every failure becomes a status code and ``{"error": {...}}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from nexus.api.models import ErrorBody, ErrorDetail
from nexus.errors import ERROR_CLASSES, NexusError, encodable

log = logging.getLogger("nexus.server")

# Framework-raised HTTP errors (bad JSON, unknown route, ...) get the codes of our classes.
_STATUS_CODES = {cls.http_status: cls.code for cls in ERROR_CLASSES} | {405: "invalid_argument"}


def error_response(
    status: int,
    code: str,
    reason: str,
    message: str,
    path: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    # Messages and paths echo user input, which may hold lone surrogates: escape them so
    # rendering the error can never fail (and turn a 400 into a 500).
    body = ErrorBody(
        error=ErrorDetail(
            code=encodable(code),
            reason=encodable(reason),
            message=encodable(message),
            path=None if path is None else encodable(path),
        )
    )
    answer_headers = dict(headers or {})
    if status == 401:
        answer_headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body.model_dump(), status_code=status, headers=answer_headers)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(item) for item in error.get("loc", ()) if item != "body")
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", ""))
    return "invalid request: " + "; ".join(parts)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at the request's path. Starlette's own 405 names only
    the first matching route's, and a path such as /files/content has a route per method."""
    routes = request.app.router.routes
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return ", ".join(allowed)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NexusError)
    async def _nexus_error(_request: Request, exc: NexusError) -> JSONResponse:
        return error_response(exc.http_status, exc.code, exc.detail_code, exc.message, exc.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, "invalid_argument", "invalid_request", _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        # The framework's headers belong to the answer: a 405 must say which methods the
        # path takes (Allow, RFC 9110).
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return error_response(exc.status_code, code, "http_error", str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal", "internal", "internal server error")
