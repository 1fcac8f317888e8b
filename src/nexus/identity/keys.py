"""API keys: random, shown once, stored only as an HMAC under the server secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from nexus.db import fast
from nexus.db.tables import api_keys
from nexus.errors import NexusAuthenticationError, NexusValidationError, has_surrogate

KEY_PREFIX = "nxk_"
# Characters of the key shown in listings so people can tell their keys apart.
VISIBLE_PREFIX_LENGTH = len(KEY_PREFIX) + 8


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    user_id: str
    prefix: str
    description: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> ApiKey:
        return cls(
            id=row.id,
            user_id=row.user_id,
            prefix=row.prefix,
            description=row.description,
            created_at=float(row.created_at),
            expires_at=None if row.expires_at is None else float(row.expires_at),
            revoked_at=None if row.revoked_at is None else float(row.revoked_at),
        )

    def is_active(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Who an authenticated key acts for."""

    key: ApiKey
    user_id: str
    is_admin: bool


# Every request runs this one, so it goes straight to the driver (see nexus.db.fast).
_BY_HASH_SQL = (
    "SELECT k.id, k.user_id, k.key_hash, k.prefix, k.description, k.created_at, k.expires_at,"
    " k.revoked_at, u.is_admin, u.disabled"
    " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?"
)


class KeyStore:
    def __init__(self, secret: bytes):
        self._secret = secret

    def _hash(self, key: str) -> str:
        return hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def create(
        self,
        conn: Connection,
        user_id: str,
        description: str,
        expires_at: float | None,
        now: float,
    ) -> tuple[str, ApiKey]:
        """A new key for ``user_id``: returns the key itself (never stored) and its record."""
        if not isinstance(description, str) or len(description) > 500 or has_surrogate(description):
            raise NexusValidationError(
                "description must be a string of at most 500 characters", code="invalid_description"
            )
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(
            id="key_" + secrets.token_hex(8),
            user_id=user_id,
            prefix=key[:VISIBLE_PREFIX_LENGTH],
            description=description,
            created_at=now,
            expires_at=expires_at,
            revoked_at=None,
        )
        conn.execute(
            insert(api_keys).values(
                id=record.id,
                user_id=user_id,
                key_hash=self._hash(key),
                prefix=record.prefix,
                description=description,
                created_at=now,
                expires_at=expires_at,
                revoked_at=None,
            )
        )
        return key, record

    def authenticate(self, conn: Connection, key: str, now: float) -> KeyHolder:
        """The active key for ``key`` and its user, in one query (every request pays it);
        NexusAuthenticationError when the key is unknown, revoked or expired, or its user
        is disabled."""
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            raise NexusAuthenticationError("invalid API key")
        digest = self._hash(key)
        rows = fast.fetch_all(conn, _BY_HASH_SQL, [digest])
        # Compare in constant time anyway: the index lookup is by hash, never by the key.
        if not rows or not hmac.compare_digest(rows[0][2], digest):
            raise NexusAuthenticationError("invalid API key")
        key_id, user_id, _hash, prefix, description, created, expires, revoked, admin, off = rows[0]
        if revoked is not None:
            raise NexusAuthenticationError("API key has been revoked")
        if expires is not None and float(expires) <= now:
            raise NexusAuthenticationError("API key has expired")
        if off:
            raise NexusAuthenticationError("user account is disabled", code="user_disabled")
        record = ApiKey(
            id=key_id,
            user_id=user_id,
            prefix=prefix,
            description=description,
            created_at=float(created),
            expires_at=None if expires is None else float(expires),
            revoked_at=None,
        )
        return KeyHolder(key=record, user_id=user_id, is_admin=bool(admin))

    def get(self, conn: Connection, key_id: str) -> ApiKey | None:
        row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else ApiKey.from_row(row)

    def list_keys(self, conn: Connection, user_id: str | None = None) -> list[ApiKey]:
        query = select(api_keys).order_by(api_keys.c.created_at)
        if user_id is not None:
            query = query.where(api_keys.c.user_id == user_id)
        return [ApiKey.from_row(row) for row in conn.execute(query)]

    def revoke(self, conn: Connection, key_id: str, now: float) -> bool:
        """Mark a key revoked; False if it already was (nothing changed)."""
        result = conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)

    def delete_for_user(self, conn: Connection, user_id: str) -> None:
        conn.execute(delete(api_keys).where(api_keys.c.user_id == user_id))
