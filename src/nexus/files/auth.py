"""API key -> Principal, checked against the database on every request (no cache, so a
revoked key, an expired key or a disabled user stops working at once)."""

from __future__ import annotations

from nexus.errors import NexusAuthenticationError
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime


class Authenticator:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def authenticate(self, api_key: str | None) -> Principal:
        if not api_key:
            raise NexusAuthenticationError(
                "missing API key: send 'Authorization: Bearer <key>'", code="missing_key"
            )
        with self.runtime.db.read() as conn:
            record = self.runtime.keys.authenticate(conn, api_key, self.runtime.now())
            user = self.runtime.users.get(conn, record.user_id)
        if user is None:
            raise NexusAuthenticationError("invalid API key")
        if user.disabled:
            raise NexusAuthenticationError("user account is disabled", code="user_disabled")
        return Principal(user.id, user.is_admin)
