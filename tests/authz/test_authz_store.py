"""RelationshipStore over a real SQLite database."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select

from nexus.authz import (
    DIRTY_KEY,
    ObjectRef,
    Relationship,
    RelationshipFilter,
    RelationshipStore,
    SubjectRef,
    is_dirty,
)
from nexus.db.engine import Database, open_engine
from nexus.db.tables import authz_revision, relationships
from nexus.errors import NexusValidationError

DOC = ObjectRef("doc", "1")
BOB = SubjectRef("user", "bob")


def rel(obj: ObjectRef = DOC, relation: str = "viewer", subject: SubjectRef = BOB) -> Relationship:
    return Relationship(obj, relation, subject, created_at=1.0, created_by="admin")


def count_rows(db: Database) -> int:
    with db.read() as conn:
        return len(conn.execute(select(relationships)).all())


def test_write_is_idempotent_and_bumps_revision_once(
    db: Database, store: RelationshipStore
) -> None:
    with db.write() as conn:
        assert store.revision(conn) == 0
        assert store.write(conn, rel()) is True
        assert store.write(conn, rel()) is False
        assert store.revision(conn) == 1
    with db.write() as conn:
        assert store.write(conn, rel()) is False
        assert store.revision(conn) == 1
    assert count_rows(db) == 1


def test_write_with_new_expiry_replaces_it(db: Database, store: RelationshipStore) -> None:
    with db.write() as conn:
        store.write(conn, rel())
        expiring = Relationship(DOC, "viewer", BOB, 2.0, "admin", expires_at=100.0)
        assert store.write(conn, expiring) is True
        assert store.write(conn, expiring) is False
        assert store.revision(conn) == 2
        assert store.read(conn, RelationshipFilter(object_id="1"))[0].expires_at == 100.0


def test_read_and_delete_by_filter(db: Database, store: RelationshipStore) -> None:
    dev = SubjectRef("group", "dev", "member")
    with db.write() as conn:
        store.write(conn, rel())
        store.write(conn, rel(subject=dev))
        store.write(conn, rel(obj=ObjectRef("doc", "2")))
        store.write(conn, rel(relation="owner"))
    with db.read() as conn:
        assert len(store.read(conn, RelationshipFilter())) == 4
        assert [
            r.subject for r in store.read(conn, RelationshipFilter(subject_relation="member"))
        ] == [dev]
        assert len(store.read(conn, RelationshipFilter(object_type="doc", object_id="1"))) == 3
        found = store.read(conn, RelationshipFilter.for_tuple(DOC, "viewer", BOB))
        assert found == [rel()]
    with db.write() as conn:
        before = store.revision(conn)
        assert store.delete(conn, RelationshipFilter(subject_type="user", relation="viewer")) == 2
        assert store.revision(conn) == before + 1
        assert store.delete(conn, RelationshipFilter(object_id="nothing")) == 0
        assert store.revision(conn) == before + 1
        with pytest.raises(NexusValidationError):
            store.delete(conn, RelationshipFilter())
    assert count_rows(db) == 2


def test_tuples_for_objects_returns_every_requested_object(
    db: Database, store: RelationshipStore
) -> None:
    objects = [ObjectRef("doc", str(i)) for i in range(2500)]
    with db.write() as conn:
        for obj in objects[::100]:
            store.write(conn, rel(obj=obj))
        store.write(conn, rel(obj=ObjectRef("folder", "1")))
    with db.read() as conn:
        found = store.tuples_for_objects(conn, [*objects, ObjectRef("folder", "1")])
    assert len(found) == 2501
    assert [r.object for r in found[ObjectRef("doc", "100")]] == [ObjectRef("doc", "100")]
    assert found[ObjectRef("doc", "101")] == []
    assert len(found[ObjectRef("folder", "1")]) == 1


def test_missing_revision_row_is_created(db: Database, store: RelationshipStore) -> None:
    with db.write() as conn:
        conn.execute(delete(authz_revision))
    with db.write() as conn:
        assert store.revision(conn) == 0
        store.write(conn, rel())
        assert store.revision(conn) == 1
    with db.write() as conn:
        conn.execute(authz_revision.update().values(revision=41))
        store.delete(conn, RelationshipFilter(object_type="doc"))
        assert store.revision(conn) == 42


def test_writes_mark_only_their_own_transaction_dirty(
    db: Database, store: RelationshipStore
) -> None:
    with db.write() as conn:
        assert not is_dirty(conn)
        store.write(conn, rel())
        assert is_dirty(conn)
        assert conn.info[DIRTY_KEY] is True
    # A later transaction on the same pooled connection starts clean.
    with db.write() as conn:
        assert not is_dirty(conn)
        store.write(conn, rel())  # unchanged: does not dirty
        assert not is_dirty(conn)


def test_concurrent_writers_never_duplicate(db_url: str, db: Database) -> None:
    store = RelationshipStore()
    results: list[bool] = []
    lock = threading.Lock()

    def writer() -> None:
        other = Database(open_engine(db_url))
        try:
            for i in range(20):
                with other.write() as conn:
                    changed = store.write(conn, rel(obj=ObjectRef("doc", str(i))))
                with lock:
                    results.append(changed)
        finally:
            other.dispose()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 20
    assert count_rows(db) == 20
    with db.read() as conn:
        assert store.revision(conn) == 20
