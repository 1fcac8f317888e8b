"""How route modules declare their routers: one place for the API prefix and the error
answers every route documents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from nexus.api.models import API_PREFIX, ErrorBody

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 412, 413, 423, 429)
}


def api_router(path: str, tag: str) -> APIRouter:
    """Routes under ``API_PREFIX + path``. Their paths are full paths: build_app puts them
    straight onto the app's router (see there)."""
    return APIRouter(prefix=API_PREFIX + path, tags=[tag], responses=ERROR_RESPONSES)


_BEARER = "HTTPBearer"


def document_api_keys(app: FastAPI) -> None:
    """Say in the OpenAPI document that every API route takes ``Authorization: Bearer``.

    AuthenticationMiddleware checks keys before routing. A security dependency on each
    route would document the same, but FastAPI runs it on every request."""
    generate = app.openapi

    def documented() -> dict[str, Any]:
        schema = generate()  # FastAPI builds it once and keeps it
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        if _BEARER not in schemes:
            schemes[_BEARER] = {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key from `nexus admin create-user-key`",
            }
            for path, operations in schema.get("paths", {}).items():
                if path.startswith(API_PREFIX + "/"):
                    for operation in operations.values():
                        operation["security"] = [{_BEARER: []}]
        return schema

    app.openapi = documented  # type: ignore[method-assign]
