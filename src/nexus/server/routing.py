"""How route modules declare their routers: one place for the API prefix and the error
answers every route documents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from nexus.api.models import API_PREFIX, ErrorBody

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 412, 413, 423, 429)
}


def api_router(path: str, tag: str) -> APIRouter:
    """Routes under ``API_PREFIX + path``. Their paths are full paths: build_app puts them
    straight onto the app's router (see there)."""
    return APIRouter(prefix=API_PREFIX + path, tags=[tag], responses=ERROR_RESPONSES)
