"""Value types of the file tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

FILE = "file"
DIRECTORY = "dir"


class Entry(NamedTuple):
    """A file or directory, named by a stable id; its path is derived from the tree.

    A named tuple rather than a frozen dataclass: a listing builds 10,000 of them, and a
    tuple is built four times faster."""

    id: int
    parent_id: int | None
    name: str
    kind: str
    restricted: bool
    version: int
    size: int
    blob_hash: str | None
    created_at: float
    modified_at: float
    owner: str

    @property
    def is_directory(self) -> bool:
        return self.kind == DIRECTORY

    @classmethod
    def from_row(cls, row: Any) -> Entry:
        return cls(
            id=int(row.id),
            parent_id=None if row.parent_id is None else int(row.parent_id),
            name=row.name,
            kind=row.kind,
            restricted=bool(row.restricted),
            version=int(row.version),
            size=int(row.size),
            blob_hash=row.blob_hash,
            created_at=float(row.created_at),
            modified_at=float(row.modified_at),
            owner=row.owner,
        )


@dataclass(frozen=True, slots=True)
class Version:
    entry_id: int
    version: int
    blob_hash: str
    size: int
    created_at: float
    created_by: str
