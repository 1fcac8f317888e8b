"""Request-scoped values: the service and the authenticated caller.

Both are ``async def`` although they do no I/O: FastAPI runs a plain ``def`` dependency in
the thread pool, and two thread hops per request cost more than the route itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from nexus.files import NexusService, Principal
from nexus.server.authentication import PRINCIPAL_STATE

# Only documents the scheme in OpenAPI; AuthenticationMiddleware does the checking.
_bearer = HTTPBearer(auto_error=False, description="An API key from `nexus admin create-user-key`")


async def get_service(request: Request) -> NexusService:
    service: NexusService = request.app.state.service
    return service


async def get_principal(
    request: Request, _scheme: Annotated[object, Depends(_bearer)]
) -> Principal:
    principal: Principal = getattr(request.state, PRINCIPAL_STATE)
    return principal


Service = Annotated[NexusService, Depends(get_service)]
Caller = Annotated[Principal, Depends(get_principal)]
