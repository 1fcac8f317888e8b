"""Fixtures: a real SQLite database in tmp_path with the Nexus tables."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.authz import PermissionEngine, RelationshipStore, parse_schema
from nexus.db.engine import Database, open_engine
from nexus.db.tables import metadata

FILE_SCHEMA = """
model
  schema 1.1

type user

type group
  relations
    define member: [user, user:*, group#member]

type folder
  relations
    define parent: [folder]
    define owner: [user, group#member]
    define editor: [user, user:*, group#member] or owner or editor from parent
    define viewer: [user, user:*, group#member] or editor or viewer from parent
    define banned: [user, group#member]
    define can_read: viewer but not banned
    define can_admin: owner and editor
"""


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'authz.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(open_engine(db_url))
    metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def store() -> RelationshipStore:
    return RelationshipStore()


@pytest.fixture
def engine(store: RelationshipStore) -> PermissionEngine:
    return PermissionEngine(store, parse_schema(FILE_SCHEMA))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Only if the conformance module ran: importing it here could fail without pyyaml.
    module = sys.modules.get(f"{__package__}.test_authz_conformance")
    STATS = getattr(module, "STATS", None)
    if STATS:
        terminalreporter.section("OpenFGA conformance (check assertions)")
        for key in sorted(STATS):
            terminalreporter.write_line(f"{key}: {STATS[key]}")
