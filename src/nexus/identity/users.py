"""User accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from nexus.db.tables import users
from nexus.errors import NexusFileExistsError, NexusValidationError, has_surrogate, shown
from nexus.identity.names import validate_user_id


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    email: str
    is_admin: bool
    disabled: bool
    created_at: float

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=row.id,
            name=row.name,
            email=row.email,
            is_admin=bool(row.is_admin),
            disabled=bool(row.disabled),
            created_at=float(row.created_at),
        )


def _validate_text(field: str, value: object, limit: int) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > limit
        or has_surrogate(value)
    ):
        raise NexusValidationError(
            f"{field} must be a non-empty string of at most {limit} characters",
            code=f"invalid_{field}",
        )
    return value


def _validate_email(value: object) -> str:
    email = _validate_text("email", value, 320)
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in email):
        raise NexusValidationError(f"invalid email address {shown(email)}", code="invalid_email")
    return email


class UserStore:
    def create(
        self, conn: Connection, user_id: str, name: str, email: str, is_admin: bool, now: float
    ) -> User:
        validate_user_id(user_id)
        _validate_text("name", name, 200)
        _validate_email(email)
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(users).values(
                        id=user_id,
                        name=name,
                        email=email,
                        is_admin=is_admin,
                        disabled=False,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise NexusFileExistsError(
                f"user {user_id!r} already exists", code="user_exists"
            ) from None
        return User(user_id, name, email, is_admin, False, now)

    def get(self, conn: Connection, user_id: str) -> User | None:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else User.from_row(row)

    def list_users(self, conn: Connection) -> list[User]:
        rows = conn.execute(select(users).order_by(users.c.created_at, users.c.id))
        return [User.from_row(row) for row in rows]

    def count(self, conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def update(
        self, conn: Connection, user_id: str, *, disabled: bool | None, is_admin: bool | None
    ) -> None:
        values: dict[str, bool] = {}
        if disabled is not None:
            values["disabled"] = disabled
        if is_admin is not None:
            values["is_admin"] = is_admin
        if values:
            conn.execute(update(users).where(users.c.id == user_id).values(**values))

    def delete(self, conn: Connection, user_id: str) -> None:
        conn.execute(delete(users).where(users.c.id == user_id))
