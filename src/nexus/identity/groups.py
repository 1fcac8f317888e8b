"""Groups as entities (name, description); membership lives in the permission engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from nexus.db.tables import groups
from nexus.errors import NexusFileExistsError, NexusValidationError, has_surrogate
from nexus.identity.names import validate_group_name


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    description: str
    created_at: float
    created_by: str

    @classmethod
    def from_row(cls, row: Any) -> Group:
        return cls(row.name, row.description, float(row.created_at), row.created_by)


class GroupStore:
    def create(
        self, conn: Connection, name: str, description: str, created_by: str, now: float
    ) -> Group:
        validate_group_name(name)
        if not isinstance(description, str) or len(description) > 500 or has_surrogate(description):
            raise NexusValidationError(
                "description must be a string of at most 500 characters", code="invalid_description"
            )
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(groups).values(
                        name=name, description=description, created_at=now, created_by=created_by
                    )
                )
        except IntegrityError:
            raise NexusFileExistsError(
                f"group {name!r} already exists", code="group_exists"
            ) from None
        return Group(name, description, now, created_by)

    def get(self, conn: Connection, name: str) -> Group | None:
        row = conn.execute(select(groups).where(groups.c.name == name)).first()
        return None if row is None else Group.from_row(row)

    def list_groups(self, conn: Connection) -> list[Group]:
        return [Group.from_row(row) for row in conn.execute(select(groups).order_by(groups.c.name))]

    def delete(self, conn: Connection, name: str) -> None:
        conn.execute(delete(groups).where(groups.c.name == name))
