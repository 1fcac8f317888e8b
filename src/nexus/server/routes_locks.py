"""Lock routes: take, inspect, extend and release the lock on a file.

Tokens travel only in JSON bodies (never in a URL, where access logs would keep them).
"""

from __future__ import annotations

from nexus.api.models import (
    ExtendLockRequest,
    LockInfo,
    LockRequest,
    NewLock,
    Unlocked,
    UnlockRequest,
)
from nexus.server.dependencies import Caller, Service
from nexus.server.routes_files import PathParam
from nexus.server.routing import api_router

router = api_router("/locks", "locks")


@router.post("")
def lock(service: Service, caller: Caller, body: LockRequest) -> NewLock:
    return service.locks.lock(caller, body.path, body.ttl)


@router.get("")
def lock_info(service: Service, caller: Caller, path: PathParam) -> LockInfo:
    return service.locks.info(caller, path)


@router.post("/extend")
def extend_lock(service: Service, caller: Caller, body: ExtendLockRequest) -> LockInfo:
    return service.locks.extend(caller, body.path, body.token, body.ttl)


@router.post("/unlock")
def unlock(service: Service, caller: Caller, body: UnlockRequest) -> Unlocked:
    """The holder releases a lock with its token; an admin breaks one with ``token: null``."""
    service.locks.unlock(caller, body.path, body.token)
    return Unlocked(path=body.path)
