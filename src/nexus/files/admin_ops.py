"""Users and API keys: admins only (people may see and revoke their own keys)."""

from __future__ import annotations

from sqlalchemy import Connection

from nexus.api.models import KeyInfo, NewKey, UserInfo
from nexus.authz import RelationshipFilter
from nexus.errors import NexusFileNotFoundError, NexusPermissionError, NexusValidationError, shown
from nexus.files.convert import key_info, user_info
from nexus.files.lock_ops import drop_locks_held_by
from nexus.files.namespaces import inbox_path
from nexus.files.principal import Principal
from nexus.files.removal import remove_subtree
from nexus.files.runtime import Runtime
from nexus.files.session_ops import SessionOperations
from nexus.files.validation import optional_ttl
from nexus.identity import User
from nexus.paths import segments


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise NexusPermissionError("permission denied: this needs an admin")


class AdminOperations:
    def __init__(self, runtime: Runtime, sessions: SessionOperations):
        self.runtime = runtime
        self.sessions = sessions

    def create_user(
        self, principal: Principal, user_id: str, name: str, email: str, admin: bool = False
    ) -> UserInfo:
        """Create an account; the first account of a fresh server is always an admin."""
        _require_admin(principal)
        if not isinstance(admin, bool):
            raise NexusValidationError("admin must be true or false", code="invalid_argument")
        with self.runtime.db.write() as conn:
            first = self.runtime.users.count(conn) == 0
            user = self.runtime.users.create(
                conn, user_id, name, email, admin or first, self.runtime.now()
            )
        return user_info(user)

    def list_users(self, principal: Principal) -> list[UserInfo]:
        _require_admin(principal)
        with self.runtime.db.read() as conn:
            return [user_info(u) for u in self.runtime.users.list_users(conn)]

    def update_user(
        self,
        principal: Principal,
        user_id: str,
        *,
        disabled: bool | None = None,
        admin: bool | None = None,
    ) -> UserInfo:
        _require_admin(principal)
        for field, value in (("disabled", disabled), ("admin", admin)):
            if value is not None and not isinstance(value, bool):
                raise NexusValidationError(
                    f"{field} must be true or false", code="invalid_argument"
                )
        if user_id == principal.user_id and (disabled or admin is False):
            raise NexusValidationError(
                "admins cannot disable or demote themselves", code="self_lockout"
            )
        with self.runtime.db.write() as conn:
            self._existing(conn, user_id)
            self.runtime.users.update(conn, user_id, disabled=disabled, is_admin=admin)
            return user_info(self._existing(conn, user_id))

    def delete_user(self, principal: Principal, user_id: str) -> None:
        """Remove an account with its keys, sessions, inbox, locks and every grant to it.

        Files the user made stay where they are; their owner grants go, so the owners of
        the enclosing folders keep writing them and admins grant new owners. A new account
        with the same id starts with nothing of the old one.
        """
        _require_admin(principal)
        if user_id == principal.user_id:
            raise NexusValidationError("admins cannot delete themselves", code="self_lockout")
        with self.runtime.db.write() as conn:
            self._existing(conn, user_id)
            self.runtime.keys.delete_for_user(conn, user_id)
            self.sessions.remove_all_of(conn, user_id)
            inbox = self.runtime.tree.resolve(conn, inbox_path(user_id))
            if len(inbox) == len(segments(inbox_path(user_id))) + 1:
                remove_subtree(self.runtime, conn, inbox[-1])
            self.runtime.engine.delete(
                conn, RelationshipFilter(subject_type="user", subject_id=user_id)
            )
            # A later account with the same id must not even look like the owner.
            self.runtime.tree.forget_owner(conn, user_id)
            drop_locks_held_by(conn, user_id)
            self.runtime.users.delete(conn, user_id)

    def create_api_key(
        self,
        principal: Principal,
        user_id: str,
        description: str = "",
        expires_in: int | None = None,
    ) -> NewKey:
        _require_admin(principal)
        expires_in = optional_ttl("expires_in", expires_in)
        now = self.runtime.now()
        with self.runtime.db.write() as conn:
            self._existing(conn, user_id)
            expires_at = None if expires_in is None else now + expires_in
            key, record = self.runtime.keys.create(conn, user_id, description, expires_at, now)
        return NewKey(key=key, info=key_info(record))

    def list_api_keys(self, principal: Principal, user_id: str | None = None) -> list[KeyInfo]:
        if not principal.is_admin:
            if user_id not in (None, principal.user_id):
                raise NexusPermissionError("permission denied: only admins see others' keys")
            user_id = principal.user_id
        with self.runtime.db.read() as conn:
            return [key_info(k) for k in self.runtime.keys.list_keys(conn, user_id)]

    def revoke_api_key(self, principal: Principal, key_id: str) -> KeyInfo:
        """Revoke a key; it stops working on the very next request."""
        with self.runtime.db.write() as conn:
            record = self.runtime.keys.get(conn, str(key_id))
            if record is None or not (principal.is_admin or record.user_id == principal.user_id):
                raise NexusFileNotFoundError(f"no such API key: {key_id}", code="key_not_found")
            self.runtime.keys.revoke(conn, record.id, self.runtime.now())
            revoked = self.runtime.keys.get(conn, record.id)
            assert revoked is not None
            return key_info(revoked)

    def _existing(self, conn: Connection, user_id: str) -> User:
        user = self.runtime.users.get(conn, str(user_id))
        if user is None:
            raise NexusFileNotFoundError(f"no such user: {shown(user_id)}", code="user_not_found")
        return user
