"""Session records; their files live under /sessions/{id}/ in the tree."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select

from nexus.db.tables import sessions
from nexus.errors import NexusValidationError, has_surrogate


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user_id: str
    name: str
    description: str | None
    created_at: float
    expires_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> Session:
        return cls(
            id=row.id,
            user_id=row.user_id,
            name=row.name,
            description=row.description,
            created_at=float(row.created_at),
            expires_at=None if row.expires_at is None else float(row.expires_at),
        )

    def is_expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class SessionStore:
    def create(
        self,
        conn: Connection,
        user_id: str,
        name: str,
        description: str | None,
        expires_at: float | None,
        now: float,
    ) -> Session:
        if not isinstance(name, str) or not name.strip() or len(name) > 200 or has_surrogate(name):
            raise NexusValidationError(
                "session name must be a non-empty string of at most 200 characters",
                code="invalid_name",
            )
        if description is not None and (
            not isinstance(description, str)
            or len(description) > 1000
            or has_surrogate(description)
        ):
            raise NexusValidationError(
                "description must be a string of at most 1000 characters",
                code="invalid_description",
            )
        # Unguessable: nobody can reach another session by naming its id.
        session = Session(
            id=secrets.token_hex(16),
            user_id=user_id,
            name=name,
            description=description,
            created_at=now,
            expires_at=expires_at,
        )
        conn.execute(
            insert(sessions).values(
                id=session.id,
                user_id=user_id,
                name=name,
                description=description,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return session

    def get(self, conn: Connection, session_id: str) -> Session | None:
        row = conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
        return None if row is None else Session.from_row(row)

    def list_sessions(self, conn: Connection, user_id: str | None) -> list[Session]:
        query = select(sessions).order_by(sessions.c.created_at)
        if user_id is not None:
            query = query.where(sessions.c.user_id == user_id)
        return [Session.from_row(row) for row in conn.execute(query)]

    def expired(self, conn: Connection, now: float) -> list[Session]:
        rows = conn.execute(
            select(sessions).where(
                and_(sessions.c.expires_at.is_not(None), sessions.c.expires_at <= now)
            )
        )
        return [Session.from_row(row) for row in rows]

    def delete(self, conn: Connection, session_id: str) -> None:
        conn.execute(delete(sessions).where(sessions.c.id == session_id))
