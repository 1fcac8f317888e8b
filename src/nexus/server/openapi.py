"""The OpenAPI document, made to say what this server does.

FastAPI derives most of it from the routes; three things it cannot know: errors are answered
with our error body and status codes (never its 422 validation shape, see errors.py), some
limits are this server's settings, and every API route takes a bearer key (checked by
AuthenticationMiddleware before routing: a security dependency on each route would say the
same, but FastAPI runs it on every request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from nexus.api.models import API_PREFIX
from nexus.config import ServerSettings

# Models whose `ttl` is capped by the server's max_lock_ttl.
_LOCK_TTL_MODELS = ("LockRequest", "ExtendLockRequest")


def document_builder(app: FastAPI, settings: ServerSettings) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: FastAPI's document (built once and cached by FastAPI), corrected for
    this server."""
    corrected: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = FastAPI.openapi(app)
        if not corrected or corrected[0] is not document:
            _drop_validation_errors(document)
            _cap_lock_ttls(document, settings.max_lock_ttl)
            _require_api_keys(document)
            corrected[:] = [document]
        return document

    return openapi


def _drop_validation_errors(document: dict[str, Any]) -> None:
    """Bad input is a 400 with ErrorBody (documented on every route), never a 422."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def _cap_lock_ttls(document: dict[str, Any], max_lock_ttl: float) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for name in _LOCK_TTL_MODELS:
        ttl = schemas.get(name, {}).get("properties", {}).get("ttl")
        if ttl is not None:
            ttl["maximum"] = max_lock_ttl


_BEARER = "HTTPBearer"


def _require_api_keys(document: dict[str, Any]) -> None:
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[_BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `nexus admin create-user-key`",
    }
    for path, operations in document.get("paths", {}).items():
        if path.startswith(API_PREFIX + "/"):
            for operation in operations.values():
                operation["security"] = [{_BEARER: []}]
