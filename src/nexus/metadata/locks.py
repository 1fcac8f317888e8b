"""Lock rows: at most one per file, keyed by the entry's stable id.

Rows only; who may lock and what a lock blocks are the files layer's rules. Expired rows
stay until replaced: every reader compares ``expires_at`` with its own clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from nexus.db import fast
from nexus.db.tables import locks

# Ids per IN list: far below every driver's parameter limit.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Lock:
    entry_id: int
    token_hash: str
    holder: str
    created_at: float
    expires_at: float

    def is_live(self, now: float) -> bool:
        return now < self.expires_at


def _lock(row: Row[Any, Any, Any, Any, Any] | tuple[Any, ...]) -> Lock:
    return Lock(int(row[0]), str(row[1]), str(row[2]), float(row[3]), float(row[4]))


_COLUMNS = (
    locks.c.entry_id,
    locks.c.token_hash,
    locks.c.holder,
    locks.c.created_at,
    locks.c.expires_at,
)


_COLUMN_NAMES = ", ".join(column.name for column in _COLUMNS)


class LockStore:
    def hold_entries(self, conn: Connection, entry_ids: Sequence[int]) -> None:
        """Row-lock the entries until commit (PostgreSQL; SQLite has one writer anyway).

        Whoever takes, checks or removes a lock holds its entry's row first, so a check
        made after this call sees every lock committed before it, and no lock can be taken
        on these entries until this transaction ends. In id order, so two transactions
        holding overlapping sets cannot deadlock. On the driver: every write, append,
        delete and move of a file runs it (see nexus.db.fast)."""
        if not fast.is_postgresql(conn):
            return
        ordered = sorted(set(entry_ids))
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            where = fast.in_list(conn, "id", chunk, "bigint")
            sql = f"SELECT id FROM entries WHERE {where} ORDER BY id FOR UPDATE"
            fast.fetch_all(conn, sql, fast.in_params(conn, chunk))

    def get(self, conn: Connection, entry_id: int) -> Lock | None:
        row = conn.execute(select(*_COLUMNS).where(locks.c.entry_id == entry_id)).first()
        return None if row is None else _lock(row)

    def live_among(self, conn: Connection, entry_ids: Sequence[int], now: float) -> list[Lock]:
        """The unexpired locks on any of ``entry_ids`` (on the driver, as hold_entries)."""
        found: list[Lock] = []
        for start in range(0, len(entry_ids), _CHUNK):
            chunk = list(entry_ids[start : start + _CHUNK])
            where = fast.in_list(conn, "entry_id", chunk, "bigint")
            sql = f"SELECT {_COLUMN_NAMES} FROM locks WHERE {where} AND expires_at > ?"
            rows = fast.fetch_all(conn, sql, [*fast.in_params(conn, chunk), now])
            found.extend(_lock(row) for row in rows)
        return found

    def put(self, conn: Connection, lock: Lock) -> None:
        """Insert ``lock``, replacing whatever row its entry had (the caller checked it was
        expired, holding the entry's row)."""
        conn.execute(delete(locks).where(locks.c.entry_id == lock.entry_id))
        conn.execute(
            insert(locks).values(
                entry_id=lock.entry_id,
                token_hash=lock.token_hash,
                holder=lock.holder,
                created_at=lock.created_at,
                expires_at=lock.expires_at,
            )
        )

    def set_expiry(self, conn: Connection, entry_id: int, expires_at: float) -> None:
        conn.execute(
            update(locks).where(locks.c.entry_id == entry_id).values(expires_at=expires_at)
        )

    def delete(self, conn: Connection, entry_id: int) -> None:
        conn.execute(delete(locks).where(locks.c.entry_id == entry_id))

    def delete_held_by(self, conn: Connection, holder: str) -> None:
        conn.execute(delete(locks).where(locks.c.holder == holder))
