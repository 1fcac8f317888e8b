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
            holder = self.runtime.keys.authenticate(conn, api_key, self.runtime.now())
        return Principal(holder.user_id, holder.is_admin, holder.key.id)
