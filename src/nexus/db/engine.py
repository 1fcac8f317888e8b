"""Opening the database: engine options per dialect and the transaction helpers.

SQLite runs in WAL mode with a busy timeout; write transactions start with ``BEGIN
IMMEDIATE`` so two writers queue for the lock instead of failing with "database is locked"
when a read transaction tries to upgrade.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from nexus.db.group_commit import GroupCommit

_WRITE_OPTION = "nexus_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_database_url(url: str) -> str:
    """Use the maintained psycopg 3 driver for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # A commit returns only after its WAL frames are fsynced, so an acknowledged write
        # survives power loss too. (NORMAL would survive kill -9 of the process, since the
        # frames are in the OS page cache, but could lose the last commits on power loss.)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        is_write = connection.get_execution_options().get(_WRITE_OPTION, False)
        # Straight to the driver: every request begins a transaction or two, and SQLAlchemy's
        # statement machinery (exec_driver_sql) cost several times the BEGIN itself.
        driver = connection.connection.driver_connection
        driver.execute("BEGIN IMMEDIATE" if is_write else "BEGIN")  # type: ignore[union-attr]

    _savepoints_on_the_driver(engine)


def _savepoints_on_the_driver(engine: Engine) -> None:
    """SAVEPOINT, RELEASE and ROLLBACK TO straight to the driver, as BEGIN above. SQLAlchemy
    compiles a statement object for each (about 0.1 ms apiece); under group commit every
    write has a savepoint, and the two took a quarter of a write's time under the lock.
    SQLAlchemy still keeps its account of the nested transactions; only the SQL is sent
    more directly. (The dialect is this engine's own.)"""

    def run(connection: Connection, sql: str) -> None:
        connection.connection.driver_connection.execute(sql)  # type: ignore[union-attr]

    dialect: Any = engine.dialect
    dialect.do_savepoint = lambda conn, name: run(conn, f'SAVEPOINT "{name}"')
    dialect.do_release_savepoint = lambda conn, name: run(conn, f'RELEASE SAVEPOINT "{name}"')
    dialect.do_rollback_to_savepoint = lambda conn, name: run(
        conn, f'ROLLBACK TO SAVEPOINT "{name}"'
    )


def open_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///...`` or ``postgresql://...``)."""
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=8,
            max_overflow=24,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=8, max_overflow=24, pool_pre_ping=True)


def open_engine_without_pool(url: str) -> Engine:
    """A one-shot engine (migrations), so no connection outlives the call."""
    url = normalize_database_url(url)
    engine = create_engine(url, poolclass=NullPool)
    if url.startswith("sqlite"):
        _configure_sqlite(engine)
    return engine


class _SQLiteWriterQueue:
    """SQLite has one writer at a time. Writers queue here, on a lock per process and a
    lock file shared by every process on the database (server workers, a second server,
    the embedded client): both wake the next writer the moment the last one is done. Left
    to SQLite's busy handler, writers poll with sleeps of up to 100 ms and the unlucky ones
    wait seconds."""

    def __init__(self, database_file: str | None):
        self._threads = threading.Lock()
        # An in-memory database has no other process to queue with.
        self._file = None if database_file is None else open(database_file + ".writers", "ab")  # noqa: SIM115

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._threads:
            if self._file is None:
                yield
                return
            fcntl.flock(self._file, fcntl.LOCK_EX)  # releases the GIL while it waits
            try:
                yield
            finally:
                fcntl.flock(self._file, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _sqlite_file(engine: Engine) -> str | None:
    database = engine.url.database
    return None if not database or database == ":memory:" else database


class Database:
    """The engine plus the two ways of using it: a read and a write transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._writers = (
            _SQLiteWriterQueue(_sqlite_file(engine)) if engine.dialect.name == "sqlite" else None
        )
        # PostgreSQL runs writers side by side and groups their commits itself.
        self._group_commit = GroupCommit(self._write_alone) if self._writers else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One atomic write transaction; everything in it commits or nothing does. On
        SQLite, writes that meet at the write lock share one commit (group_commit.py); the
        block ends only once its work is committed."""
        if self._group_commit is None:
            with self._write_alone() as connection:
                yield connection
        else:
            with self._group_commit.write() as connection:
                yield connection

    @contextmanager
    def _write_alone(self) -> Iterator[Connection]:
        with (
            self._writers.turn() if self._writers else nullcontext(),
            self.engine.connect() as connection,
        ):
            connection = connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writers is not None:
            self._writers.close()
