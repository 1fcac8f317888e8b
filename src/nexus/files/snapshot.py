"""A read transaction that sees one state of the database from its first query to its end.

SQLite read transactions already do (a WAL snapshot). PostgreSQL's default READ COMMITTED
gives every statement a fresh snapshot, so a batch of checks could straddle a concurrent
grant; REPEATABLE READ keeps the whole transaction at one relationship revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from nexus.db.engine import Database


@contextmanager
def snapshot_read(db: Database) -> Iterator[Connection]:
    if db.dialect != "postgresql":
        with db.read() as conn:
            yield conn
        return
    with db.engine.connect() as connection:
        # The pool resets the isolation level when the connection goes back.
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection
