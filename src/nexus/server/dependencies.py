"""Request-scoped values: the service and the authenticated caller.

Both are ``async def`` although they do no I/O: FastAPI runs a plain ``def`` dependency in
the thread pool, and two thread hops per request cost more than the route itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from nexus.files import NexusService, Principal
from nexus.server.authentication import PRINCIPAL_STATE


async def get_service(request: Request) -> NexusService:
    service: NexusService = request.app.state.service
    return service


async def get_principal(request: Request) -> Principal:
    # AuthenticationMiddleware checked the key; the OpenAPI document says so (routing.py).
    principal: Principal = getattr(request.state, PRINCIPAL_STATE)
    return principal


Service = Annotated[NexusService, Depends(get_service)]
Caller = Annotated[Principal, Depends(get_principal)]
