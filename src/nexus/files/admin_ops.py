"""Users and API keys: admins only (people may see and revoke their own keys).

Every change is recorded in the activity log in its own transaction, and so are the reads
that need an admin (decision 19 in docs/architecture.md): a key's event names its id and
visible prefix, never the key.
"""

from __future__ import annotations

from sqlalchemy import Connection

from nexus.api.models import KeyInfo, NewKey, UserInfo
from nexus.authz import RelationshipFilter
from nexus.errors import NexusFileNotFoundError, NexusPermissionError, NexusValidationError, shown
from nexus.files.activity import audited, record_admin, record_admin_after
from nexus.files.convert import key_info, user_info
from nexus.files.lock_ops import drop_locks_held_by
from nexus.files.namespaces import inbox_path
from nexus.files.principal import Principal
from nexus.files.removal import remove_subtree
from nexus.files.runtime import Runtime
from nexus.files.session_ops import SessionOperations
from nexus.files.validation import optional_ttl
from nexus.identity import ApiKey, User
from nexus.paths import segments


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise NexusPermissionError("permission denied: this needs an admin")


class AdminOperations:
    def __init__(self, runtime: Runtime, sessions: SessionOperations):
        self.runtime = runtime
        self.sessions = sessions

    @audited("create_user", path=None, subject={"user": "user_id"})
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
            details = {"user": user.id, "admin": user.is_admin}
            record_admin(self.runtime, conn, principal, "create_user", details)
        return user_info(user)

    @audited("list_users", path=None)
    def list_users(self, principal: Principal) -> list[UserInfo]:
        _require_admin(principal)
        with self.runtime.db.read() as conn:
            found = [user_info(u) for u in self.runtime.users.list_users(conn)]
        record_admin_after(self.runtime, principal, "list_users", {"count": len(found)})
        return found

    @audited("update_user", path=None, subject={"user": "user_id"})
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
            before = self._existing(conn, user_id)
            self.runtime.users.update(conn, user_id, disabled=disabled, is_admin=admin)
            after = self._existing(conn, user_id)
            changed = {
                name: new
                for name, old, new in (
                    ("disabled", before.disabled, after.disabled),
                    ("admin", before.is_admin, after.is_admin),
                )
                if old != new
            }
            if changed:  # setting what is already set changes nothing: no event
                details = {"user": after.id, **changed}
                record_admin(self.runtime, conn, principal, "update_user", details)
            return user_info(after)

    @audited("delete_user", path=None, subject={"user": "user_id"})
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
            record_admin(self.runtime, conn, principal, "delete_user", {"user": user_id})

    @audited("create_key", path=None, subject={"user": "user_id"})
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
            details = _key_details(record)
            if record.expires_at is not None:
                details["expires"] = key_info(record).expires
            record_admin(self.runtime, conn, principal, "create_key", details)
        return NewKey(key=key, info=key_info(record))

    @audited("list_keys", path=None, subject={"user": "user_id"})
    def list_api_keys(self, principal: Principal, user_id: str | None = None) -> list[KeyInfo]:
        """Keys of ``user_id`` (None: everyone's); people may list their own."""
        if not principal.is_admin:
            if user_id not in (None, principal.user_id):
                raise NexusPermissionError("permission denied: only admins see others' keys")
            user_id = principal.user_id
        with self.runtime.db.read() as conn:
            found = [key_info(k) for k in self.runtime.keys.list_keys(conn, user_id)]
        if principal.is_admin and user_id != principal.user_id:  # an admin power: logged
            details: dict[str, object] = {"count": len(found)}
            if user_id is not None:
                details["user"] = user_id
            record_admin_after(self.runtime, principal, "list_keys", details)
        return found

    @audited("revoke_key", path=None, subject={"key_id": "key_id"})
    def revoke_api_key(self, principal: Principal, key_id: str) -> KeyInfo:
        """Revoke a key; it stops working on the very next request."""
        with self.runtime.db.write() as conn:
            record = self.runtime.keys.get(conn, str(key_id))
            if record is None or not (principal.is_admin or record.user_id == principal.user_id):
                raise NexusFileNotFoundError(f"no such API key: {key_id}", code="key_not_found")
            if self.runtime.keys.revoke(conn, record.id, self.runtime.now()):
                record_admin(self.runtime, conn, principal, "revoke_key", _key_details(record))
            revoked = self.runtime.keys.get(conn, record.id)
            assert revoked is not None
            return key_info(revoked)

    def _existing(self, conn: Connection, user_id: str) -> User:
        user = self.runtime.users.get(conn, str(user_id))
        if user is None:
            raise NexusFileNotFoundError(f"no such user: {shown(user_id)}", code="user_not_found")
        return user


def _key_details(key: ApiKey) -> dict[str, object]:
    """What a key's event names: its id, its visible prefix and its user; never the key."""
    return {"user": key.user_id, "key_id": key.id, "prefix": key.prefix}
