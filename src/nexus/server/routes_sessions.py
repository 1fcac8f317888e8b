"""Session routes."""

from __future__ import annotations

from nexus.api.models import Deleted, SessionCreate, SessionInfo, SessionList
from nexus.files.namespaces import session_path
from nexus.server.dependencies import Caller, Service
from nexus.server.routing import api_router

router = api_router("/sessions", "sessions")


@router.post("")
def create_session(service: Service, caller: Caller, body: SessionCreate) -> SessionInfo:
    return service.sessions.create(caller, body.name, body.description, body.ttl)


@router.get("")
def list_sessions(service: Service, caller: Caller, all: bool = False) -> SessionList:
    return SessionList(sessions=service.sessions.list(caller, all_users=all))


@router.delete("/{session_id}")
def delete_session(service: Service, caller: Caller, session_id: str) -> Deleted:
    service.sessions.delete(caller, session_id)
    return Deleted(path=session_path(session_id))
