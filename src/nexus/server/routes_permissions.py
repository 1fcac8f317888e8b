"""Permission routes: grant, revoke, check, list."""

from __future__ import annotations

from fastapi import APIRouter

from nexus.api.models import (
    CheckResult,
    GrantResult,
    PermissionList,
    PermissionRequest,
    RevokeResult,
)
from nexus.server.dependencies import Caller, Service

router = APIRouter(prefix="/permissions", tags=["permissions"])


@router.post("/grant")
def grant(service: Service, caller: Caller, body: PermissionRequest) -> GrantResult:
    return service.permissions.grant(caller, **body.model_dump())


@router.post("/revoke")
def revoke(service: Service, caller: Caller, body: PermissionRequest) -> RevokeResult:
    return service.permissions.revoke(caller, **body.model_dump())


@router.post("/check")
def check(service: Service, caller: Caller, body: PermissionRequest) -> CheckResult:
    return service.permissions.check(caller, **body.model_dump())


@router.get("")
def list_permissions(
    service: Service,
    caller: Caller,
    object_type: str | None = None,
    object_id: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    relation: str | None = None,
) -> PermissionList:
    found = service.permissions.list(
        caller,
        object_type=object_type,
        object_id=object_id,
        subject_type=subject_type,
        subject_id=subject_id,
        relation=relation,
    )
    return PermissionList(permissions=found)
