"""Permission routes: grant, revoke, check, list; batch check, lookups, expand, bulk writes;
explain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from nexus.api.described import (
    PATH_DESCRIPTION,
    AnyPath,
    ListedRelationName,
    ObjectTypeName,
    RelationName,
    SubjectId,
    SubjectTypeName,
)
from nexus.api.models import (
    BatchCheckRequest,
    BatchCheckResult,
    CheckResult,
    DeleteRelationshipsRequest,
    DeleteRelationshipsResult,
    ExpandResult,
    ExplainResult,
    GrantResult,
    ObjectList,
    PermissionList,
    PermissionRequest,
    RevokeResult,
    SubjectList,
    WriteRelationshipsRequest,
    WriteRelationshipsResult,
)
from nexus.server.dependencies import Caller, Service
from nexus.server.routing import api_router

router = api_router("/permissions", "permissions")

PathParam = Annotated[AnyPath, Query(description=PATH_DESCRIPTION)]


@router.post("/grant")
def grant(service: Service, caller: Caller, body: PermissionRequest) -> GrantResult:
    """Owners and admins; only can_read may be granted to every user (``user *``)."""
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
    object_type: ObjectTypeName | None = None,
    object_id: Annotated[AnyPath | None, Query(description=PATH_DESCRIPTION)] = None,
    subject_type: SubjectTypeName | None = None,
    subject_id: SubjectId | None = None,
    relation: ListedRelationName | None = None,
) -> PermissionList:
    """Direct grants: on an object you can read, or by subject (yourself; admins anyone).
    ``subject_type`` and ``subject_id`` go together."""
    found = service.permissions.list(
        caller,
        object_type=object_type,
        object_id=object_id,
        subject_type=subject_type,
        subject_id=subject_id,
        relation=relation,
    )
    return PermissionList(permissions=found)


# --- batch check, lookups, expand, bulk writes (files by path, groups by name) ------------


@router.post("/check-batch")
def check_batch(service: Service, caller: Caller, body: BatchCheckRequest) -> BatchCheckResult:
    """Many checks at one revision; each follows the rules of /permissions/check."""
    return service.rebac.check_batch(caller, [item.model_dump() for item in body.checks])


@router.get("/objects")
def list_objects(
    service: Service,
    caller: Caller,
    relation: RelationName,
    path: PathParam = "/",
    subject_type: SubjectTypeName = "user",
    subject_id: SubjectId | None = None,
) -> ObjectList:
    """Paths at or below ``path`` on which the subject has ``relation``; without
    ``subject_id`` the subject is the caller (``subject_type`` user)."""
    return service.rebac.list_objects(caller, relation, path, subject_type, subject_id)


@router.get("/subjects")
def list_subjects(
    service: Service,
    caller: Caller,
    path: PathParam,
    relation: RelationName,
    expand_groups: bool = False,
) -> SubjectList:
    """Who has ``relation`` on ``path`` (groups expanded into their users on request)."""
    return service.rebac.list_subjects(caller, path, relation, expand_groups)


@router.get("/expand")
def expand(
    service: Service, caller: Caller, path: PathParam, relation: RelationName
) -> ExpandResult:
    """The userset tree of ``path#relation``."""
    return service.rebac.expand(caller, path, relation)


@router.post("/write")
def write_relationships(
    service: Service, caller: Caller, body: WriteRelationshipsRequest
) -> WriteRelationshipsResult:
    """Grant every relationship or none (atomic), each under the rules of grant."""
    return service.rebac.write_relationships(
        caller, [item.model_dump() for item in body.relationships]
    )


@router.post("/delete")
def delete_relationships(
    service: Service, caller: Caller, body: DeleteRelationshipsRequest
) -> DeleteRelationshipsResult:
    """Delete the grants matching every filter given: an empty filter is refused, only
    admins may leave the object out, and ``subject_type`` and ``subject_id`` go together."""
    return service.rebac.delete_relationships(caller, **body.model_dump())


@router.post("/explain")
def explain(service: Service, caller: Caller, body: PermissionRequest) -> ExplainResult:
    """Why /permissions/check answers what it does (same request, same access rules)."""
    return service.explain.explain(caller, **body.model_dump())
