"""Sessions: a private directory /sessions/{id}/ per session, removed on delete or expiry.

Deleting a session is recorded in the activity log (its owner's or an admin's), and so is an
admin's listing of everyone's sessions; expiry is the sweeper's and is not an action."""

from __future__ import annotations

from sqlalchemy import Connection

from nexus.api.models import SessionInfo
from nexus.authz import Relationship
from nexus.errors import NexusFileNotFoundError, NexusPermissionError
from nexus.files.activity import audited, record_admin, record_admin_after
from nexus.files.convert import session_info
from nexus.files.namespaces import SESSIONS
from nexus.files.principal import Principal
from nexus.files.removal import remove_subtree
from nexus.files.runtime import Runtime, file_ref, user_ref
from nexus.files.validation import optional_ttl
from nexus.identity import Session
from nexus.metadata import DIRECTORY
from nexus.paths import segments


class SessionOperations:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def create(
        self,
        principal: Principal,
        name: str,
        description: str | None = None,
        ttl: int | None = None,
    ) -> SessionInfo:
        ttl = optional_ttl("ttl", ttl)
        if ttl is None:
            ttl = self.runtime.settings.default_session_ttl
        now = self.runtime.now()
        expires_at = None if ttl is None else now + ttl
        with self.runtime.db.write() as conn:
            session = self.runtime.sessions.create(
                conn, principal.user_id, name, description, expires_at, now
            )
            sessions_root = self.runtime.tree.resolve(conn, SESSIONS)[-1]
            directory = self.runtime.tree.create(
                conn,
                parent_id=sessions_root.id,
                name=session.id,
                kind=DIRECTORY,
                owner=principal.user_id,
                now=now,
            )
            # Private by construction: only the creator holds anything on it (admins aside).
            owner = Relationship(
                file_ref(directory.id), "owner", user_ref(principal.user_id), now, principal.user_id
            )
            self.runtime.engine.write_on_new_object(conn, owner)  # made just now
        return session_info(session)

    @audited("list_sessions", path=None)
    def list(self, principal: Principal, all_users: bool = False) -> list[SessionInfo]:
        if all_users and not principal.is_admin:
            raise NexusPermissionError("only admins may list every user's sessions")
        now = self.runtime.now()
        with self.runtime.db.read() as conn:
            found = self.runtime.sessions.list_sessions(
                conn, None if all_users else principal.user_id
            )
        live = [session_info(s) for s in found if not s.is_expired(now)]
        if all_users:  # an admin power: logged
            record_admin_after(self.runtime, principal, "list_sessions", {"count": len(live)})
        return live

    @audited("delete_session", path=None, subject={"session": "session_id"})
    def delete(self, principal: Principal, session_id: str) -> None:
        with self.runtime.db.write() as conn:
            session = self.runtime.sessions.get(conn, str(session_id))
            # Someone else's session answers like a missing one: ids are not an oracle.
            if session is None or not (principal.is_admin or session.user_id == principal.user_id):
                raise NexusFileNotFoundError(
                    f"no such session: {session_id}", code="session_not_found"
                )
            self._remove(conn, session)
            details = {"session": session.id, "user": session.user_id}
            record_admin(self.runtime, conn, principal, "delete_session", details)

    def sweep_expired(self) -> int:
        """Remove every expired session and its files; returns how many went."""
        with self.runtime.db.write() as conn:
            expired = self.runtime.sessions.expired(conn, self.runtime.now())
            for session in expired:
                self._remove(conn, session)
        return len(expired)

    def remove_all_of(self, conn: Connection, user_id: str) -> None:
        for session in self.runtime.sessions.list_sessions(conn, user_id):
            self._remove(conn, session)

    def _remove(self, conn: Connection, session: Session) -> None:
        chain = self.runtime.tree.resolve(conn, f"{SESSIONS}/{session.id}")
        if len(chain) == len(segments(SESSIONS)) + 2:
            remove_subtree(self.runtime, conn, chain[-1])
        self.runtime.sessions.delete(conn, session.id)
