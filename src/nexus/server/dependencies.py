"""Request-scoped values: the service and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nexus.errors import NexusAuthenticationError
from nexus.files import SYSTEM, NexusService, Principal

# auto_error=False: a missing key is answered by our own 401 body, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key from `nexus admin create-user-key`")


def get_service(request: Request) -> NexusService:
    service: NexusService = request.app.state.service
    return service


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    # The local admin socket only accepts the server's own OS user (checked on connect).
    if request.app.state.local_admin:
        return SYSTEM
    if credentials is None:
        header = request.headers.get("authorization")
        if header:
            raise NexusAuthenticationError(
                "malformed Authorization header: use 'Bearer <key>'", code="malformed_header"
            )
    key = credentials.credentials if credentials else None
    return get_service(request).auth.authenticate(key)


Service = Annotated[NexusService, Depends(get_service)]
Caller = Annotated[Principal, Depends(get_principal)]
