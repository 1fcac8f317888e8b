"""Throwaway databases on the local PostgreSQL (127.0.0.1:5432, trust auth, user postgres).

Locally the PostgreSQL tests skip when the server is down; in CI (CI=true) they fail instead,
so a missing database never passes as green.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ADMIN_URL = os.environ.get("NEXUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _connect_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(ADMIN_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True)


def postgres_available() -> bool:
    try:
        with _connect_admin():
            return True
    except Exception:
        return False


def require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but not reachable at {ADMIN_URL}")
    pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}")


@contextmanager
def temporary_database() -> Iterator[str]:
    """A fresh empty database; yields its URL and drops it afterwards."""
    require_postgres()
    name = f"nexus_test_{secrets.token_hex(6)}"
    with _connect_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _connect_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def backend_database(backend: str) -> Iterator[str | None]:
    """The database URL for ``backend``: None for "sqlite" (the store's own file inside its
    data dir), else a throwaway PostgreSQL database, dropped afterwards."""
    if backend == "sqlite":
        yield None
        return
    with temporary_database() as url:
        yield url
