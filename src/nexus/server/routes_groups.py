"""Group routes."""

from __future__ import annotations

from nexus.api.described import Name, SubjectTypeName
from nexus.api.models import (
    Deleted,
    GroupChange,
    GroupCreate,
    GroupInfo,
    GroupList,
    GroupMemberRequest,
)
from nexus.errors import NexusValidationError
from nexus.server.dependencies import Caller, Service
from nexus.server.routing import api_router

router = api_router("/groups", "groups")


@router.post("")
def create_group(service: Service, caller: Caller, body: GroupCreate) -> GroupChange:
    return service.groups.create(caller, body.name, body.description)


@router.get("")
def list_groups(service: Service, caller: Caller) -> GroupList:
    return GroupList(groups=service.groups.list(caller))


@router.get("/{name}")
def get_group(service: Service, caller: Caller, name: Name) -> GroupInfo:
    return service.groups.get(caller, name)


@router.delete("/{name}")
def delete_group(service: Service, caller: Caller, name: Name) -> Deleted:
    service.groups.delete(caller, name)
    return Deleted(path=name)


@router.post("/{name}/members")
def add_member(
    service: Service, caller: Caller, name: Name, body: GroupMemberRequest
) -> GroupChange:
    if body.subject_type == "group":
        return service.groups.add_group(caller, body.subject_id, name)
    return service.groups.add_user(caller, body.subject_id, name)


@router.delete("/{name}/members/{subject_type}/{subject_id}")
def remove_member(
    service: Service,
    caller: Caller,
    name: Name,
    subject_type: SubjectTypeName,
    subject_id: Name,
) -> GroupChange:
    if subject_type == "group":
        return service.groups.remove_group(caller, subject_id, name)
    if subject_type == "user":
        return service.groups.remove_user(caller, subject_id, name)
    raise NexusValidationError(
        f"unknown subject type {subject_type!r}: use user or group", code="unknown_subject_type"
    )
