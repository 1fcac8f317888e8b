"""The tree's per-transaction memo of entries belongs to the innermost transaction: writes
that share a commit run in savepoints of one transaction (group commit), and what one of
them did and rolled back must not be what the next one sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.db.engine import Database, open_engine
from nexus.db.migrate import upgrade
from nexus.metadata.entry import DIRECTORY, FILE
from nexus.metadata.tree import TreeStore


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    engine = open_engine(f"sqlite:///{tmp_path / 'nexus.db'}")
    upgrade(engine)
    db = Database(engine)
    yield db
    db.dispose()


def test_a_rolled_back_savepoint_leaves_nothing_in_the_next_ones_memo(database: Database) -> None:
    tree = TreeStore()
    with database.write() as conn:
        root = tree.root(conn)
        first = tree.create(conn, parent_id=root.id, name="a", kind=DIRECTORY, owner="x", now=1.0)
        second = tree.create(conn, parent_id=root.id, name="b", kind=DIRECTORY, owner="x", now=1.0)
        moved = tree.create(conn, parent_id=first.id, name="f", kind=FILE, owner="x", now=1.0)

    with database.write() as conn:
        undone = conn.begin_nested()
        assert tree.move(conn, moved.id, second.id, "g").parent_id == second.id
        undone.rollback()
        with conn.begin_nested():
            seen = tree.known(conn, [moved.id])[moved.id]
            assert (seen.parent_id, seen.name) == (first.id, "f")
