"""PermissionEngine semantics, validation, caching and batching on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, event

from nexus.authz import (
    ObjectRef,
    PermissionEngine,
    Relationship,
    RelationshipFilter,
    RelationshipStore,
    SubjectRef,
    parse_schema,
)
from nexus.db import fast
from nexus.db.engine import Database, open_engine
from nexus.errors import NexusValidationError

from .conftest import FILE_SCHEMA

U = SubjectRef


def user(name: str) -> SubjectRef:
    return SubjectRef("user", name)


def folder(name: str) -> ObjectRef:
    return ObjectRef("folder", name)


def group(name: str) -> ObjectRef:
    return ObjectRef("group", name)


def members(name: str) -> SubjectRef:
    return SubjectRef("group", name, "member")


def grant(
    db: Database, engine: PermissionEngine, *tuples: tuple[ObjectRef, str, SubjectRef]
) -> None:
    with db.write() as conn:
        for obj, relation, subject in tuples:
            engine.grant(conn, obj, relation, subject)


def check(
    db: Database, engine: PermissionEngine, subject: SubjectRef, rel: str, obj: ObjectRef
) -> bool:
    with db.read() as conn:
        return engine.check(conn, subject, rel, obj)


@contextmanager
def count_queries(db: Database) -> Iterator[list[str]]:
    """Every statement run: through SQLAlchemy, and on the driver by nexus.db.fast."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    driver_fetch_all = fast.fetch_all

    def fetch_all(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        statements.append(sql)
        return driver_fetch_all(conn, sql, params)

    event.listen(db.engine, "before_cursor_execute", record)
    fast.fetch_all = fetch_all
    try:
        yield statements
    finally:
        fast.fetch_all = driver_fetch_all
        event.remove(db.engine, "before_cursor_execute", record)


# --- rewrite semantics -------------------------------------------------------------------


def test_direct_computed_and_tuple_to_userset(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (folder("a"), "parent", U("folder", "root")),
        (folder("root"), "owner", user("olga")),
        (folder("a"), "viewer", user("vic")),
    )
    # owner -> editor -> viewer, inherited from the parent.
    assert check(db, engine, user("olga"), "viewer", folder("a"))
    assert check(db, engine, user("olga"), "editor", folder("a"))
    assert not check(db, engine, user("olga"), "owner", folder("a"))
    assert check(db, engine, user("vic"), "viewer", folder("a"))
    assert not check(db, engine, user("vic"), "editor", folder("a"))
    assert not check(db, engine, user("vic"), "viewer", folder("root"))
    assert not check(db, engine, user("nobody"), "viewer", folder("a"))


def test_intersection_and_exclusion(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (folder("a"), "owner", user("olga")),
        (folder("a"), "editor", user("ed")),
        (folder("a"), "viewer", user("bad")),
        (folder("a"), "banned", user("bad")),
    )
    assert check(db, engine, user("olga"), "can_admin", folder("a"))  # owner and editor
    assert not check(db, engine, user("ed"), "can_admin", folder("a"))
    assert check(db, engine, user("ed"), "can_read", folder("a"))
    assert not check(db, engine, user("bad"), "can_read", folder("a"))
    assert check(db, engine, user("bad"), "viewer", folder("a"))


def test_wildcard_matches_every_user_but_not_usersets(
    db: Database, engine: PermissionEngine
) -> None:
    grant(db, engine, (folder("pub"), "viewer", U("user", "*")))
    assert check(db, engine, user("anyone"), "viewer", folder("pub"))
    assert check(db, engine, U("user", "*"), "viewer", folder("pub"))
    assert not check(db, engine, members("dev"), "viewer", folder("pub"))
    assert not check(db, engine, user("anyone"), "editor", folder("pub"))


def test_nested_groups(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (folder("a"), "viewer", members("all")),
        (group("all"), "member", members("eng")),
        (group("eng"), "member", members("backend")),
        (group("backend"), "member", user("bob")),
    )
    assert check(db, engine, user("bob"), "viewer", folder("a"))
    assert check(db, engine, members("backend"), "viewer", folder("a"))
    assert not check(db, engine, user("eve"), "viewer", folder("a"))
    with db.write() as conn:
        engine.revoke(conn, group("eng"), "member", members("backend"))
    assert not check(db, engine, user("bob"), "viewer", folder("a"))


def test_group_cycle_terminates_and_never_grants(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (group("a"), "member", members("b")),
        (group("b"), "member", members("a")),
        (folder("x"), "viewer", members("a")),
    )
    assert not check(db, engine, user("bob"), "viewer", folder("x"))
    grant(db, engine, (group("b"), "member", user("bob")))
    assert check(db, engine, user("bob"), "viewer", folder("x"))
    assert check(db, engine, user("bob"), "member", group("a"))


def test_parent_loop_terminates(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (folder("a"), "parent", U("folder", "b")),
        (folder("b"), "parent", U("folder", "a")),
    )
    with db.read() as conn:
        result = engine.check_many(conn, user("bob"), "can_read", [folder("a"), folder("b")])
    assert result == {folder("a"): False, folder("b"): False}
    grant(db, engine, (folder("b"), "viewer", user("bob")))
    # Whatever order the loop is entered in, both see the grant (no stale cycle results).
    with db.read() as conn:
        result = engine.check_many(conn, user("bob"), "can_read", [folder("a"), folder("b")])
    assert result == {folder("a"): True, folder("b"): True}


def test_cycle_under_exclusion_never_grants(db: Database, store: RelationshipStore) -> None:
    engine = PermissionEngine(
        store,
        parse_schema(
            """model
  schema 1.1
type user
type doc
  relations
    define restricted: [user, doc#viewer]
    define viewer: [user] but not restricted
"""
        ),
    )
    grant(
        db,
        engine,
        (ObjectRef("doc", "1"), "viewer", user("jon")),
        (ObjectRef("doc", "1"), "restricted", SubjectRef("doc", "1", "viewer")),
    )
    assert not check(db, engine, user("jon"), "viewer", ObjectRef("doc", "1"))


def test_depth_bound_raises(db: Database, store: RelationshipStore) -> None:
    engine = PermissionEngine(store, parse_schema(FILE_SCHEMA), max_depth=10)
    chain = [(group(f"g{i}"), "member", members(f"g{i + 1}")) for i in range(12)]
    grant(db, engine, *chain, (group("g12"), "member", user("deep")))
    with pytest.raises(NexusValidationError) as caught:
        check(db, engine, user("deep"), "member", group("g0"))
    assert caught.value.detail_code == "depth_exceeded"
    # Within the bound the same chain works.
    assert check(db, engine, user("deep"), "member", group("g5"))


def test_expired_tuples_are_ignored_at_check_time(db: Database, store: RelationshipStore) -> None:
    now = [1000.0]
    engine = PermissionEngine(store, parse_schema(FILE_SCHEMA), clock=lambda: now[0])
    with db.write() as conn:
        engine.grant(conn, folder("a"), "viewer", user("tmp"), expires_at=1500.0)
    assert check(db, engine, user("tmp"), "viewer", folder("a"))  # loads into the cache
    now[0] = 1500.0
    assert not check(db, engine, user("tmp"), "viewer", folder("a"))  # same cached tuples
    # Re-granting with a later expiry revives it.
    with db.write() as conn:
        assert engine.grant(conn, folder("a"), "viewer", user("tmp"), expires_at=2000.0)
    assert check(db, engine, user("tmp"), "viewer", folder("a"))


def test_tuples_that_no_longer_fit_the_schema_are_ignored(
    db: Database, engine: PermissionEngine
) -> None:
    grant(db, engine, (folder("a"), "viewer", U("user", "*")), (folder("a"), "owner", user("o")))
    stricter = PermissionEngine(
        engine.store,
        parse_schema(
            FILE_SCHEMA.replace(
                "define viewer: [user, user:*, group#member]", "define viewer: [user]"
            )
        ),
    )
    assert not check(db, stricter, user("anyone"), "viewer", folder("a"))
    assert check(db, stricter, user("o"), "viewer", folder("a"))


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "code"),
    [
        (Relationship(ObjectRef("nope", "1"), "viewer", user("b")), "unknown_type"),
        (Relationship(folder("a"), "nope", user("b")), "unknown_relation"),
        (Relationship(folder("a"), "viewer", U("robot", "b")), "unknown_type"),
        (Relationship(folder("a"), "viewer", U("group", "dev", "nope")), "unknown_relation"),
        (Relationship(folder("a"), "viewer", U("group", "dev")), "subject_not_allowed"),
        (Relationship(folder("a"), "owner", U("user", "*")), "subject_not_allowed"),
        (Relationship(folder("a"), "parent", user("b")), "subject_not_allowed"),
        (Relationship(folder("a"), "can_read", user("b")), "relation_not_writable"),
        (Relationship(folder("a"), "can_admin", user("b")), "relation_not_writable"),
    ],
)
def test_invalid_writes_are_rejected(
    db: Database, engine: PermissionEngine, rel: Relationship, code: str
) -> None:
    with db.write() as conn, pytest.raises(NexusValidationError) as caught:
        engine.write(conn, rel)
    assert caught.value.detail_code == code
    with db.read() as conn:
        assert engine.revision(conn) == 0


def test_checks_and_filters_name_unknown_relations(db: Database, engine: PermissionEngine) -> None:
    with db.read() as conn:
        with pytest.raises(NexusValidationError) as caught:
            engine.check(conn, user("b"), "reader", folder("a"))
        assert caught.value.detail_code == "unknown_relation"
        with pytest.raises(NexusValidationError) as caught:
            engine.read(conn, RelationshipFilter(object_type="file"))
        assert caught.value.detail_code == "unknown_type"


def test_write_read_delete_pass_through(db: Database, engine: PermissionEngine) -> None:
    with db.write() as conn:
        assert engine.grant(conn, folder("a"), "viewer", user("b"), created_by="admin")
        assert not engine.grant(conn, folder("a"), "viewer", user("b"))
        [stored] = engine.read(conn, RelationshipFilter(object_type="folder"))
        assert stored.created_by == "admin"
        assert engine.revision(conn) == 1
        assert engine.delete(conn, RelationshipFilter(object_type="folder", relation="viewer")) == 1
        assert engine.revision(conn) == 2


# --- cache -------------------------------------------------------------------------------


def test_sees_writes_made_through_another_process(db_url: str, db: Database) -> None:
    schema = parse_schema(FILE_SCHEMA)
    engine = PermissionEngine(RelationshipStore(), schema)
    other_db = Database(open_engine(db_url))
    other = PermissionEngine(RelationshipStore(), schema)
    try:
        assert not check(db, engine, user("bob"), "viewer", folder("a"))  # cached: no tuples
        grant(other_db, other, (folder("a"), "viewer", user("bob")))
        assert check(db, engine, user("bob"), "viewer", folder("a"))
        with other_db.write() as conn:
            other.revoke(conn, folder("a"), "viewer", user("bob"))
        assert not check(db, engine, user("bob"), "viewer", folder("a"))
    finally:
        other_db.dispose()


def test_cached_checks_cost_one_revision_query(db: Database, engine: PermissionEngine) -> None:
    grant(
        db, engine, (folder("a"), "viewer", user("bob")), (folder("b"), "parent", U("folder", "a"))
    )
    # carol's check loads the tuples; bob's first check evaluates them, his second is a
    # cached answer. Both cost one revision query and nothing else.
    assert not check(db, engine, user("carol"), "viewer", folder("b"))
    for _ in range(2):
        with db.read() as conn, count_queries(db) as statements:
            assert engine.check(conn, user("bob"), "viewer", folder("b"))
        assert [s for s in statements if "relationships" in s] == []
        assert len([s for s in statements if "authz_revision" in s]) == 1


def test_rolled_back_grant_never_leaks(db: Database, engine: PermissionEngine) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), db.write() as conn:
        engine.grant(conn, folder("a"), "viewer", user("bob"))
        # Read-your-writes inside the transaction...
        assert engine.check(conn, user("bob"), "viewer", folder("a"))
        raise Abort
    # ...but nothing of it reached the shared cache.
    assert not check(db, engine, user("bob"), "viewer", folder("a"))
    with db.read() as conn:
        assert engine.revision(conn) == 0


def test_dirty_transaction_sees_its_own_revoke(db: Database, engine: PermissionEngine) -> None:
    grant(db, engine, (folder("a"), "viewer", user("bob")))
    assert check(db, engine, user("bob"), "viewer", folder("a"))  # now cached
    with db.write() as conn:
        engine.revoke(conn, folder("a"), "viewer", user("bob"))
        assert not engine.check(conn, user("bob"), "viewer", folder("a"))
    assert not check(db, engine, user("bob"), "viewer", folder("a"))


# --- virtual relations and batching --------------------------------------------------------

TREE_SCHEMA = """model
  schema 1.1
type user
type file
  relations
    define parent: [file]
    define viewer: [user] or viewer from parent
"""


def chain_parents(depth: int) -> dict[str, str]:
    """file:l5 -> l4 -> ... -> l0 (the root), plus 50 children of l5."""
    parents = {f"l{i}": f"l{i - 1}" for i in range(1, depth + 1)}
    parents.update({f"c{i}": f"l{depth}" for i in range(50)})
    return parents


def tree_engine(
    store: RelationshipStore, parents: Mapping[str, str], calls: list[int]
) -> PermissionEngine:
    def parent_of(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[SubjectRef]]:
        calls.append(len(ids))
        return {i: [SubjectRef("file", parents[i])] for i in ids if i in parents}

    return PermissionEngine(store, parse_schema(TREE_SCHEMA), {("file", "parent"): parent_of})


def test_virtual_parent_chain(db: Database, store: RelationshipStore) -> None:
    calls: list[int] = []
    engine = tree_engine(store, chain_parents(5), calls)
    grant(db, engine, (ObjectRef("file", "l0"), "viewer", user("root")))
    grant(db, engine, (ObjectRef("file", "l3"), "viewer", user("mid")))
    assert check(db, engine, user("root"), "viewer", ObjectRef("file", "c7"))
    assert check(db, engine, user("mid"), "viewer", ObjectRef("file", "l5"))
    assert not check(db, engine, user("mid"), "viewer", ObjectRef("file", "l2"))
    with db.write() as conn, pytest.raises(NexusValidationError) as caught:
        engine.grant(conn, ObjectRef("file", "c1"), "parent", SubjectRef("file", "l0"))
    assert caught.value.detail_code == "relation_not_writable"


def test_check_many_batches_queries_and_callbacks(db: Database, store: RelationshipStore) -> None:
    calls: list[int] = []
    engine = tree_engine(store, chain_parents(5), calls)
    grant(db, engine, (ObjectRef("file", "l0"), "viewer", user("bob")))
    grant(db, engine, (ObjectRef("file", "c3"), "viewer", user("eve")))
    children = [ObjectRef("file", f"c{i}") for i in range(50)]
    calls.clear()
    with db.read() as conn, count_queries(db) as statements:
        bob = engine.check_many(conn, user("bob"), "viewer", children)
        eve = engine.check_many(conn, user("eve"), "viewer", children)
    assert all(bob.values())
    assert [o for o, ok in eve.items() if ok] == [ObjectRef("file", "c3")]
    # The children and their whole parent chain load in one query (the parent edges are
    # followed first), then everything is cached: never a query per child or per level.
    tuple_queries = [s for s in statements if "FROM relationships" in s]
    assert len(tuple_queries) == 1
    assert len(calls) <= 2 * 7
    assert max(calls) == 50


def test_check_many_equals_single_checks(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (folder("b"), "parent", U("folder", "a")),
        (folder("c"), "parent", U("folder", "b")),
        (folder("a"), "editor", members("dev")),
        (group("dev"), "member", user("bob")),
        (folder("c"), "banned", user("bob")),
    )
    objects = [folder(n) for n in "abcd"]
    with db.read() as conn:
        many = engine.check_many(conn, user("bob"), "can_read", objects)
        singles = {o: engine.check(conn, user("bob"), "can_read", o) for o in objects}
    assert (
        many
        == singles
        == {folder("a"): True, folder("b"): True, folder("c"): False, folder("d"): False}
    )


def test_results_inside_a_cycle_are_not_reused_once_the_cycle_resolves(
    db: Database, store: RelationshipStore
) -> None:
    engine = PermissionEngine(
        store,
        parse_schema(
            """model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type doc
  relations
    define a: [group#member]
    define b: [group#member]
    define both: a and b
"""
        ),
    )
    doc = ObjectRef("doc", "1")
    # Checking a walks g0 -> g1 -> g0 (cut) before g0 turns out true via g2; the b branch
    # then reaches g1 again and must see that g1 (which contains g0) holds.
    grant(
        db,
        engine,
        (group("g0"), "member", members("g1")),
        (group("g0"), "member", members("g2")),
        (group("g1"), "member", members("g0")),
        (group("g2"), "member", user("bob")),
        (doc, "a", members("g0")),
        (doc, "b", members("g1")),
    )
    assert check(db, engine, user("bob"), "b", doc)
    engine.clear_cache()
    assert check(db, engine, user("bob"), "both", doc)


def test_dense_group_cycles_stay_fast(db: Database, engine: PermissionEngine) -> None:
    names = [f"g{i}" for i in range(25)]
    grant(db, engine, *[(group(a), "member", members(b)) for a in names for b in names if a != b])
    grant(db, engine, (folder("x"), "viewer", members("g0")))
    with db.read() as conn:
        assert not engine.check(conn, user("bob"), "viewer", folder("x"))
        result = engine.check_many(conn, user("bob"), "member", [group(n) for n in names])
    assert not any(result.values())
    grant(db, engine, (group("g24"), "member", user("bob")))
    with db.read() as conn:
        assert engine.check(conn, user("bob"), "viewer", folder("x"))
        result = engine.check_many(conn, user("bob"), "member", [group(n) for n in names])
    assert all(result.values())


def test_listing_ten_thousand_entries_is_a_few_queries(
    db: Database, store: RelationshipStore
) -> None:
    parents = {f"e{i}": "dir" for i in range(10_000)}
    parents["dir"] = "root"
    calls: list[int] = []
    engine = tree_engine(store, parents, calls)
    grant(db, engine, (ObjectRef("file", "root"), "viewer", user("bob")))
    grant(db, engine, (ObjectRef("file", "e42"), "viewer", user("eve")))
    entries = [ObjectRef("file", f"e{i}") for i in range(10_000)]
    with db.read() as conn, count_queries(db) as statements:
        bob = engine.check_many(conn, user("bob"), "viewer", entries)
        eve = engine.check_many(conn, user("eve"), "viewer", entries)
    assert all(bob.values())
    assert sum(eve.values()) == 1
    # Per listing: the revision, the subject's groups (one level), a count of its tuples,
    # its tuples, and the ancestors' tuples; none per entry.
    assert len(statements) <= 12


def test_concurrent_checks_and_writes_agree(db: Database, engine: PermissionEngine) -> None:
    import threading

    grant(db, engine, (folder("a"), "viewer", members("dev")))
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                with db.read() as conn:
                    # Membership and the answer come from one snapshot, so they must agree.
                    is_member = bool(
                        engine.read(conn, RelationshipFilter(object_type="group", subject_id="bob"))
                    )
                    assert engine.check(conn, user("bob"), "viewer", folder("a")) == is_member
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(15):
            grant(db, engine, (group("dev"), "member", user("bob")))
            with db.write() as conn:
                engine.revoke(conn, group("dev"), "member", user("bob"))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []


def test_virtual_edges_are_cached_only_when_their_owner_bumps_the_revision(
    db: Database, store: RelationshipStore
) -> None:
    parents = dict(chain_parents(2))
    for bumps in (False, True):
        calls: list[int] = []
        engine = PermissionEngine(
            store,
            parse_schema(TREE_SCHEMA),
            {("file", "parent"): tree_engine(store, parents, calls)._virtual[("file", "parent")]},
            virtual_relations_bump_revision=bumps,
        )
        grant(db, engine, (ObjectRef("file", "l0"), "viewer", user("bob")))
        assert check(db, engine, user("bob"), "viewer", ObjectRef("file", "c1"))
        parents["c1"] = "elsewhere"  # the tree changed ...
        if bumps:
            # ... and the owner keeps its promise: the next check sees the move.
            with db.write() as conn:
                store.bump(conn)
        assert not check(db, engine, user("bob"), "viewer", ObjectRef("file", "c1"))
        calls.clear()
        assert not check(db, engine, user("bob"), "viewer", ObjectRef("file", "c1"))
        # Cached (answer and edges) only when promised; else asked again every time.
        assert (calls == []) is bumps
        parents["c1"] = "l2"


def test_cached_answer_expires_with_the_tuple_it_relied_on(
    db: Database, store: RelationshipStore
) -> None:
    schema = parse_schema(
        "model\n  schema 1.1\ntype user\ntype doc\n  relations\n"
        "    define blocked: [user]\n    define reader: [user, user:*] but not blocked\n"
    )
    now = [1000.0]
    engine = PermissionEngine(store, schema, clock=lambda: now[0])
    doc = ObjectRef("doc", "d")
    with db.write() as conn:
        engine.grant(conn, doc, "reader", U("user", "*"))
        engine.grant(conn, doc, "blocked", user("eve"), expires_at=1500.0)
    assert not check(db, engine, user("eve"), "reader", doc)
    assert not check(db, engine, user("eve"), "reader", doc)  # a cached answer now
    now[0] = 1500.0  # the block ran out: the cached "no" must not outlive it
    assert check(db, engine, user("eve"), "reader", doc)


def test_answer_cache_keeps_each_expiry_apart(db: Database, store: RelationshipStore) -> None:
    # One subject and relation, two answers resting on tuples that expire at different
    # times: the cache keeps them apart, so each lapses at its own expiry.
    now = [1000.0]
    engine = PermissionEngine(store, parse_schema(FILE_SCHEMA), clock=lambda: now[0])
    with db.write() as conn:
        engine.grant(conn, folder("a"), "viewer", user("tmp"), expires_at=1500.0)
        engine.grant(conn, folder("b"), "viewer", user("tmp"), expires_at=2000.0)
    assert check(db, engine, user("tmp"), "viewer", folder("a"))
    assert check(db, engine, user("tmp"), "viewer", folder("b"))  # both cached now
    now[0] = 1600.0
    with db.read() as conn:
        answers = engine.check_many(conn, user("tmp"), "viewer", [folder("a"), folder("b")])
    assert answers == {folder("a"): False, folder("b"): True}


def test_answer_cache_is_bounded(db: Database, store: RelationshipStore) -> None:
    engine = PermissionEngine(store, parse_schema(FILE_SCHEMA), cache_answers=100)
    grant(db, engine, (folder("a"), "viewer", user("bob")))
    names = [f"u{i}" for i in range(50)]
    objects = [folder(f"f{i}") for i in range(30)]
    with db.read() as conn, count_queries(db) as statements:
        for name in names:  # 50 subjects x 30 answers: far over the bound of 100
            engine.check_many(conn, user(name), "viewer", objects)
        assert engine.check(conn, user("bob"), "viewer", folder("a"))
        evaluated = len(statements)
        assert engine.check(conn, user("bob"), "viewer", folder("a"))
        assert len(statements) == evaluated + 1  # the newest answer stayed: one revision read
    # The oldest (subject, relation)s went, whole: the bound holds.
    assert 0 < engine._cache._answer_count <= 100


# --- agreement with OpenFGA on cycles and usersets (each found by the differential test) --

_OPENFGA_HEAD = "model\n  schema 1.1\ntype user\n"


def _engine_for(store: RelationshipStore, schema: str) -> PermissionEngine:
    return PermissionEngine(store, parse_schema(_OPENFGA_HEAD + schema))


def test_userset_is_implicitly_in_itself(db: Database, store: RelationshipStore) -> None:
    engine = _engine_for(
        store,
        "type group\n  relations\n    define parent: [group]\n"
        "    define member: [user] or member from parent\n    define admin: member\n",
    )
    grant(db, engine, (group("g3"), "parent", U("group", "g1")))
    assert check(db, engine, members("g1"), "member", group("g1"))
    assert check(db, engine, members("g1"), "admin", group("g1"))  # through a computed one
    assert check(db, engine, members("g1"), "member", group("g3"))  # via member from parent
    assert not check(db, engine, members("g2"), "member", group("g1"))
    assert not check(db, engine, SubjectRef("group", "g1", "admin"), "member", group("g1"))


def test_no_path_to_the_subject_type_is_false_not_undetermined(
    db: Database, store: RelationshipStore
) -> None:
    # k can never hold a user, so its parent loop is no "undetermined" cycle for bob.
    engine = _engine_for(
        store,
        "type doc\ntype folder\n  relations\n    define parent: [folder]\n"
        "    define k: [doc] or k from parent\n    define x: [user] but not k\n",
    )
    grant(db, engine, (folder("f"), "parent", U("folder", "f")), (folder("f"), "x", user("bob")))
    assert check(db, engine, user("bob"), "x", folder("f"))


def test_cycle_inside_a_plain_recursion_counts_as_false(
    db: Database, store: RelationshipStore
) -> None:
    # 'a' recurses only into itself: OpenFGA walks it to the end, the loop simply grants
    # nothing, so 'but not a' grants. Same for a group that contains itself.
    engine = _engine_for(
        store,
        "type group\n  relations\n    define member: [user, group#member]\n"
        "type folder\n  relations\n    define parent: [folder]\n"
        "    define a: [user] or a from parent\n    define b: [user] but not a\n"
        "    define c: [group#member]\n    define d: [user:*, group#member] but not c\n",
    )
    grant(
        db,
        engine,
        (folder("f"), "parent", U("folder", "f")),
        (folder("f"), "b", user("bob")),
        (group("g2"), "member", members("g3")),
        (group("g3"), "member", members("g2")),
        (folder("f"), "c", members("g2")),
        (folder("f"), "d", U("user", "*")),
        (folder("f"), "d", members("g1")),
    )
    assert check(db, engine, user("bob"), "b", folder("f"))
    assert check(db, engine, user("bob"), "d", folder("f"))
    # A userset subject is searched depth first by OpenFGA: there the loop is undetermined.
    assert not check(db, engine, members("g1"), "d", folder("f"))


def test_cycle_through_another_relation_stays_undetermined(
    db: Database, store: RelationshipStore
) -> None:
    # 'a' recurses through 'b': OpenFGA flags the loop as a cycle, and 'but not' of an
    # undetermined relation does not grant (although a grants nobody).
    engine = _engine_for(
        store,
        "type folder\n  relations\n    define parent: [folder]\n"
        "    define a: [user] or b from parent\n    define b: a\n"
        "    define c: [user] but not a\n",
    )
    grant(db, engine, (folder("f"), "parent", U("folder", "f")), (folder("f"), "c", user("bob")))
    assert not check(db, engine, user("bob"), "a", folder("f"))
    assert not check(db, engine, user("bob"), "c", folder("f"))


def test_a_loop_through_and_anywhere_makes_every_cycle_undetermined(
    db: Database, store: RelationshipStore
) -> None:
    # OpenFGA cannot build its weighted graph when an 'and' sits on a cycle of the model
    # ('bad'), and then resolves no recursion exactly: the plain recursion of the test
    # above turns undetermined too.
    schema = (
        "type folder\n  relations\n    define parent: [folder]\n"
        "    define a: [user] or a from parent\n    define b: [user] but not a\n"
    )
    tuples = ((folder("f"), "parent", U("folder", "f")), (folder("f"), "b", user("bob")))
    grant(db, _engine_for(store, schema), *tuples)
    assert check(db, _engine_for(store, schema), user("bob"), "b", folder("f"))
    spoiled = schema + "    define c: [user]\n    define bad: [user] or (c and bad from parent)\n"
    assert not check(db, _engine_for(store, spoiled), user("bob"), "b", folder("f"))


def test_the_group_walk_never_answers_for_a_flagged_cycle(
    db: Database, store: RelationshipStore
) -> None:
    # Groups are found by walking up from the subject; "not among them" is only the answer
    # where OpenFGA would not flag the group loop as a cycle instead.
    schema = (
        "type group\n  relations\n    define member: [user, group#member]\n"
        "type folder\n  relations\n    define parent: [folder]\n"
        "    define c: [group#member]\n    define d: [user:*] but not c\n"
    )
    tuples = (
        (group("g2"), "member", members("g3")),
        (group("g3"), "member", members("g2")),
        (folder("f"), "c", members("g2")),
        (folder("f"), "d", U("user", "*")),
    )
    grant(db, _engine_for(store, schema), *tuples)
    assert check(db, _engine_for(store, schema), user("bob"), "d", folder("f"))
    spoiled = schema + "    define e: [user]\n    define bad: [user] or (e and bad from parent)\n"
    assert not check(db, _engine_for(store, spoiled), user("bob"), "d", folder("f"))


def test_a_userset_cannot_be_written_into_itself(db: Database, engine: PermissionEngine) -> None:
    with db.write() as conn, pytest.raises(NexusValidationError) as caught:
        engine.grant(conn, group("g1"), "member", members("g1"))
    assert caught.value.detail_code == "implicit_tuple"
    # ... but it holds without being written, and another group's members may be added.
    grant(db, engine, (group("g2"), "member", members("g1")))
    assert check(db, engine, members("g1"), "member", group("g1"))
