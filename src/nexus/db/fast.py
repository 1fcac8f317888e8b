"""Driver-level SQL for the few statements every request runs.

SQLAlchemy builds, caches and post-processes each statement; for small hot statements (an
object's tuples, a path's entries, an API key, the rows a file write inserts) that costs
ten times the statement itself on SQLite (measured: ~35 us through the driver, ~350-450 us
through a Core select). These helpers run plain SQL in the caller's transaction on the same
connection instead. All other SQL stays in SQLAlchemy.

SQL is written with ``?`` placeholders; on PostgreSQL they become ``%s`` (psycopg).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

# Values per IN list: below PostgreSQL's 65535 parameters and modern SQLite's 32766;
# SQLite before 3.32 allowed only 999.
IN_CHUNK = 10_000 if sqlite3.sqlite_version_info >= (3, 32) else 900
# From this many values on, SQLite gets them as one JSON array (json_each, built in from
# 3.38): preparing a statement with 10,000 placeholders costs more than the lookup itself.
_JSON_LIST_FROM = 64
_SQLITE_JSON_EACH = sqlite3.sqlite_version_info >= (3, 38)


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def in_list(conn: Connection, column: str, values: Sequence[Any], pg_array_type: str) -> str:
    """``column IN (?, ...)``, or on PostgreSQL ``column = ANY(?::type[])`` (one parameter).

    Pass the matching parameters with :func:`in_params`.
    """
    if is_postgresql(conn):
        return f"{column} = ANY(?::{pg_array_type}[])"
    if _as_json(values):
        return f"{column} IN (SELECT value FROM json_each(?))"
    return f"{column} IN ({', '.join('?' * len(values))})"


def in_params(conn: Connection, values: Sequence[Any]) -> list[Any]:
    if is_postgresql(conn):
        return [list(values)]
    return [json.dumps(list(values))] if _as_json(values) else list(values)


def _as_json(values: Sequence[Any]) -> bool:
    return _SQLITE_JSON_EACH and len(values) >= _JSON_LIST_FROM


def fetch_all(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement that returns rows on the driver, inside the caller's transaction."""
    cursor = _run(conn, sql, params)
    try:
        return list(cursor.fetchall())
    finally:
        cursor.close()


@contextmanager
def each_row(
    conn: Connection, sql: str, params: Sequence[Any] = ()
) -> Iterator[Iterator[tuple[Any, ...]]]:
    """``fetch_all``'s rows one at a time, for a caller that turns each into something else:
    every driver row is freed as soon as it is converted, so 10,000 of them never live at
    once (each alive one counts towards the garbage collector's next pass)."""
    cursor = _run(conn, sql, params)
    try:
        yield iter(cursor)
    finally:
        cursor.close()


def execute(conn: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one write statement with no result rows on the driver, inside the caller's
    transaction; the number of rows it changed."""
    cursor = _run(conn, sql, params)
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _run(conn: Connection, sql: str, params: Sequence[Any]) -> Any:
    """A cursor that has run ``sql`` (the caller closes it). Driver errors come out as
    SQLAlchemy's DBAPIError, as from any other statement, and a lost connection is
    invalidated rather than pooled again."""
    if is_postgresql(conn):
        sql = sql.replace("?", "%s")
    dbapi_connection = conn.connection.dbapi_connection
    cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        cursor.execute(sql, tuple(params))
    except driver_error as error:
        cursor.close()
        if conn.dialect.is_disconnect(error, dbapi_connection, cursor):
            conn.invalidate(error)
        raise DBAPIError.instance(sql, params, error, driver_error) from error
    return cursor
