"""Admin routes: users and API keys."""

from __future__ import annotations

from nexus.api.described import Name
from nexus.api.models import (
    Deleted,
    KeyCreate,
    KeyInfo,
    KeyList,
    NewKey,
    UserCreate,
    UserInfo,
    UserList,
    UserUpdate,
    WhoAmI,
)
from nexus.server.dependencies import Caller, Service
from nexus.server.routing import api_router

router = api_router("", "admin")


@router.get("/whoami")
def whoami(service: Service, caller: Caller) -> WhoAmI:
    return service.whoami(caller)


@router.post("/admin/users")
def create_user(service: Service, caller: Caller, body: UserCreate) -> UserInfo:
    return service.admin.create_user(caller, body.id, body.name, body.email, body.admin)


@router.get("/admin/users")
def list_users(service: Service, caller: Caller) -> UserList:
    return UserList(users=service.admin.list_users(caller))


@router.patch("/admin/users/{user_id}")
def update_user(service: Service, caller: Caller, user_id: Name, body: UserUpdate) -> UserInfo:
    return service.admin.update_user(caller, user_id, disabled=body.disabled, admin=body.admin)


@router.delete("/admin/users/{user_id}")
def delete_user(service: Service, caller: Caller, user_id: Name) -> Deleted:
    service.admin.delete_user(caller, user_id)
    return Deleted(path=user_id)


@router.post("/admin/users/{user_id}/keys")
def create_key(service: Service, caller: Caller, user_id: Name, body: KeyCreate) -> NewKey:
    return service.admin.create_api_key(caller, user_id, body.description, body.expires_in)


@router.get("/admin/keys")
def list_keys(service: Service, caller: Caller, user_id: Name | None = None) -> KeyList:
    return KeyList(keys=service.admin.list_api_keys(caller, user_id))


@router.delete("/admin/keys/{key_id}")
def revoke_key(service: Service, caller: Caller, key_id: str) -> KeyInfo:
    return service.admin.revoke_api_key(caller, key_id)
