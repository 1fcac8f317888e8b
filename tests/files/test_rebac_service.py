"""The rebac use cases on SQLite and PostgreSQL: ids become paths in bulk (no query per
entry), lookups over thousands of entries stay a bounded number of queries, and reads run in
one snapshot even while others commit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from nexus.files import SYSTEM, NexusService, Principal
from nexus.files.runtime import file_ref, user_ref
from nexus.files.snapshot import snapshot_read
from nexus.metadata import DIRECTORY, FILE

ROOT = "/workspace/big"


@contextmanager
def counted(service: NexusService) -> Iterator[list[str]]:
    """The SQL statements run while the block runs."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = service.runtime.db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def build_tree(service: NexusService, dirs: int, files_per_dir: int) -> dict[int, str]:
    """/workspace/big/dNN/fNN... created straight in the tree store; id -> path."""
    service.files.mkdir(SYSTEM, ROOT)
    tree = service.runtime.tree
    made: dict[int, str] = {}
    with service.runtime.db.write() as conn:
        root = tree.resolve(conn, ROOT)[-1]
        made[root.id] = ROOT
        for d in range(dirs):
            directory = tree.create(
                conn, parent_id=root.id, name=f"d{d:02}", kind=DIRECTORY, owner="system", now=0
            )
            made[directory.id] = f"{ROOT}/d{d:02}"
            for f in range(files_per_dir):
                entry = tree.create(
                    conn, parent_id=directory.id, name=f"f{f:04}", kind=FILE, owner="system", now=0
                )
                made[entry.id] = f"{ROOT}/d{d:02}/f{f:04}"
    return made


def test_ids_become_paths_in_bulk(service: NexusService) -> None:
    made = build_tree(service, dirs=4, files_per_dir=600)
    tree = service.runtime.tree
    with service.runtime.db.read() as conn:
        root_id = next(i for i, p in made.items() if p == ROOT)
        with counted(service) as statements:
            below = tree.subtree_paths(conn, root_id, ROOT)
        assert below == made
        assert len(statements) <= 6  # one per level (and chunk of 900 directories)
        files = [i for i, p in made.items() if "/f" in p]
        with counted(service) as statements:
            found = tree.paths_of_many(conn, [*files, 10**9])  # an id that does not exist
        assert found == {i: made[i] for i in files}
        # Three chunks of files, then each level of ancestors once: never one per entry.
        assert len(statements) <= 3 + 5
        for entry_id in files[:: len(files) // 20]:
            assert tree.path_of(conn, entry_id) == found[entry_id]
        top = tree.resolve(conn, "/")[0].id
        assert tree.paths_of_many(conn, [root_id, top]) == {root_id: ROOT, top: "/"}


def test_lookups_cost_a_bounded_number_of_queries(
    service: NexusService, people: dict[str, Principal]
) -> None:
    made = build_tree(service, dirs=5, files_per_dir=1000)
    service.permissions.grant(SYSTEM, "user", "bob", "file", f"{ROOT}/d01", "can_read")
    bob = people["bob"]
    with counted(service) as statements:
        listed = service.rebac.list_objects(bob, "can_read", "/workspace")
    assert listed.paths == sorted(p for p in made.values() if p.startswith(f"{ROOT}/d01"))
    assert len(statements) < 100, len(statements)
    with counted(service) as statements:
        everything = service.rebac.list_objects(people["admin"], "can_read", ROOT)
    assert everything.paths == sorted(made.values())
    assert len(statements) < 50, len(statements)
    checks = [
        {"subject_type": "user", "subject_id": "bob", "relation": "can_read", "object_id": p}
        for p in sorted(made.values())[:1000]
    ]
    answers = service.rebac.check_batch(bob, checks)
    assert answers.results == [c["object_id"].startswith(f"{ROOT}/d01") for c in checks]


def test_a_snapshot_read_does_not_see_later_commits(
    service: NexusService, people: dict[str, Principal]
) -> None:
    service.files.mkdir(SYSTEM, ROOT)
    engine = service.runtime.engine

    def grant_elsewhere() -> None:
        service.permissions.grant(SYSTEM, "user", "carol", "file", ROOT, "can_read")

    with snapshot_read(service.runtime.db) as conn:
        before = engine.revision(conn)
        writer = threading.Thread(target=grant_elsewhere)
        writer.start()
        writer.join()
        assert engine.revision(conn) == before
        root = service.runtime.tree.resolve(conn, ROOT)[-1]
        assert engine.check(conn, user_ref("carol"), "can_read", file_ref(root.id)) is False
    assert (
        service.rebac.check_batch(
            SYSTEM,
            [
                {
                    "subject_type": "user",
                    "subject_id": "carol",
                    "relation": "can_read",
                    "object_id": ROOT,
                }
            ],
        ).revision
        > before
    )


def test_many_paths_resolve_as_one_does(service: NexusService) -> None:
    made = build_tree(service, dirs=3, files_per_dir=400)
    tree = service.runtime.tree
    asked = [
        *sorted(made.values()),
        "/",
        f"{ROOT}/d00/f0001/below-a-file",
        f"{ROOT}/d09/missing/deeper",
        f"{ROOT}/d01/nothing",
        "/workspace",
    ]
    with service.runtime.db.read() as conn:
        with counted(service) as statements:
            chains = tree.resolve_many(conn, asked)
        # Per depth a few chunks of (parent, name) pairs: never a query per path.
        assert len(statements) <= 12, len(statements)
        assert set(chains) == set(asked)
        for path in asked:
            assert [e.id for e in chains[path]] == [e.id for e in tree.resolve(conn, path)], path
