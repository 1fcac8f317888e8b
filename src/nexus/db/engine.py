"""Opening the database: engine options per dialect and the transaction helpers.

SQLite runs in WAL mode with a busy timeout; write transactions start with ``BEGIN
IMMEDIATE`` so two writers queue for the lock instead of failing with "database is locked"
when a read transaction tries to upgrade.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

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


class Database:
    """The engine plus the two ways of using it: a read and a write transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine
        # SQLite has one writer at a time. Queueing this process's writers on a lock is fair
        # and prompt; left to SQLite's busy handler they poll with sleeps and the unlucky ones
        # wait seconds. (Other processes still meet the busy timeout.)
        self._writer_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One atomic write transaction; everything in it commits or nothing does."""
        with self._writer_lock or nullcontext(), self.engine.connect() as connection:
            connection = connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def dispose(self) -> None:
        self.engine.dispose()
