"""Migrations build exactly the tables the code declares, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from nexus.db.engine import open_engine_without_pool
from nexus.db.migrate import upgrade
from nexus.db.tables import authz_revision, metadata
from tests.support.postgres import temporary_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nexus.db'}"
    else:
        with temporary_database() as url:
            yield url


def test_migrations_match_the_declared_tables(database_url: str) -> None:
    engine = open_engine_without_pool(database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
            revision = conn.execute(select(authz_revision.c.revision)).scalar_one()
        assert differences == []
        assert revision == 0
        assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    finally:
        engine.dispose()


def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    engine = open_engine_without_pool(database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(select(authz_revision.c.revision)).scalar_one() == 0
    finally:
        engine.dispose()
