"""list_objects, list_subjects and expand: semantics, edge cases, bad input, query counts."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event

from nexus.authz import (
    DepthExceededError,
    ExpandNode,
    ObjectIds,
    ObjectRef,
    PermissionEngine,
    RelationshipStore,
    SubjectRef,
    parse_schema,
)
from nexus.db import fast
from nexus.db.engine import Database, open_engine
from nexus.db.tables import metadata
from nexus.errors import NexusValidationError
from nexus.files.runtime import _tree_relations, _tree_reverse_relations
from nexus.files.schema import FILE_SCHEMA as NEXUS_FILE_SCHEMA
from nexus.metadata import DIRECTORY, FILE, TreeStore

from .conftest import FILE_SCHEMA

NOW = 1_000_000.0


def user(name: str) -> SubjectRef:
    return SubjectRef("user", name)


def folder(name: str) -> ObjectRef:
    return ObjectRef("folder", name)


def members(name: str) -> SubjectRef:
    return SubjectRef("group", name, "member")


def folders(*names: str) -> set[ObjectRef]:
    return {folder(n) for n in names}


@pytest.fixture
def engine(store: RelationshipStore) -> PermissionEngine:
    return PermissionEngine(store, parse_schema(FILE_SCHEMA), clock=lambda: NOW)


def grant(
    db: Database,
    engine: PermissionEngine,
    *tuples: tuple[ObjectRef, str, SubjectRef],
    expires_at: float | None = None,
) -> None:
    with db.write() as conn:
        for obj, relation, subject in tuples:
            engine.grant(conn, obj, relation, subject, expires_at=expires_at)


def objects(
    db: Database, engine: PermissionEngine, subject: SubjectRef, relation: str, type_: str
) -> set[ObjectRef]:
    with db.read() as conn:
        return engine.list_objects(conn, subject, relation, type_)


def subjects(
    db: Database,
    engine: PermissionEngine,
    obj: ObjectRef,
    relation: str,
    subject_type: str = "user",
    subject_relation: str = "",
) -> set[SubjectRef]:
    with db.read() as conn:
        return engine.list_subjects(conn, obj, relation, subject_type, subject_relation)


@contextmanager
def counting_statements(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement run: through SQLAlchemy, and on the driver by nexus.db.fast."""
    seen: list[str] = []

    def record(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    driver_fetch_all = fast.fetch_all

    def fetch_all(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        seen.append(sql)
        return driver_fetch_all(conn, sql, params)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(fast, "fetch_all", fetch_all)
            yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# --- list_objects ---------------------------------------------------------------------


def test_list_objects_direct_computed_and_inherited(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (folder("root"), "owner", user("ann")),
        (folder("docs"), "parent", SubjectRef("folder", "root")),
        (folder("deep"), "parent", SubjectRef("folder", "docs")),
        (folder("other"), "viewer", user("bob")),
    )
    # owner -> editor -> viewer, each also inherited from the parent.
    assert objects(db, engine, user("ann"), "viewer", "folder") == folders("root", "docs", "deep")
    assert objects(db, engine, user("ann"), "owner", "folder") == folders("root")
    assert objects(db, engine, user("bob"), "viewer", "folder") == folders("other")
    assert objects(db, engine, user("bob"), "editor", "folder") == set()
    assert objects(db, engine, user("nobody"), "viewer", "folder") == set()


def test_list_objects_through_nested_groups_and_wildcards(
    db: Database, engine: PermissionEngine
) -> None:
    grant(
        db,
        engine,
        (ObjectRef("group", "eng"), "member", user("ann")),
        (ObjectRef("group", "all"), "member", members("eng")),
        (folder("a"), "viewer", members("all")),
        (folder("b"), "editor", members("eng")),
        (folder("pub"), "viewer", user("*")),
    )
    assert objects(db, engine, user("ann"), "viewer", "folder") == folders("a", "b", "pub")
    assert objects(db, engine, user("ann"), "member", "group") == {
        ObjectRef("group", "eng"),
        ObjectRef("group", "all"),
    }
    # Anyone sees the public folder; the wildcard itself as subject too.
    assert objects(db, engine, user("stranger"), "viewer", "folder") == folders("pub")
    assert objects(db, engine, user("*"), "viewer", "folder") == folders("pub")


def test_list_objects_for_a_userset_subject_includes_its_own_group(
    db: Database, engine: PermissionEngine
) -> None:
    grant(
        db,
        engine,
        (ObjectRef("group", "all"), "member", members("eng")),
        (folder("a"), "viewer", members("all")),
        (folder("b"), "viewer", members("eng")),
        (folder("c"), "viewer", user("*")),  # a wildcard is for users, not usersets
    )
    assert objects(db, engine, members("eng"), "viewer", "folder") == folders("a", "b")
    # A userset is implicitly in itself (OpenFGA): group:eng#member is a member of eng.
    assert objects(db, engine, members("eng"), "member", "group") == {
        ObjectRef("group", "eng"),
        ObjectRef("group", "all"),
    }


def test_group_cycles_terminate_and_never_grant(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (ObjectRef("group", "a"), "member", members("b")),
        (ObjectRef("group", "b"), "member", members("a")),
        (folder("f"), "viewer", members("a")),
        (folder("x"), "parent", SubjectRef("folder", "y")),
        (folder("y"), "parent", SubjectRef("folder", "x")),
    )
    assert objects(db, engine, user("ann"), "viewer", "folder") == set()
    grant(db, engine, (ObjectRef("group", "b"), "member", user("ann")))
    grant(db, engine, (folder("x"), "viewer", user("bob")))
    assert objects(db, engine, user("ann"), "viewer", "folder") == folders("f")
    assert objects(db, engine, user("bob"), "viewer", "folder") == folders("x", "y")


def test_expired_tuples_never_count(db: Database, engine: PermissionEngine) -> None:
    grant(db, engine, (folder("past"), "viewer", user("ann")), expires_at=NOW - 1)
    grant(db, engine, (folder("now"), "viewer", user("ann")), expires_at=NOW)
    grant(db, engine, (folder("later"), "viewer", user("ann")), expires_at=NOW + 1)
    grant(db, engine, (ObjectRef("group", "g"), "member", user("ann")), expires_at=NOW)
    grant(db, engine, (folder("via-group"), "viewer", members("g")))
    grant(db, engine, (folder("child"), "parent", SubjectRef("folder", "later")))
    grant(db, engine, (folder("orphan"), "parent", SubjectRef("folder", "now")), expires_at=NOW)
    assert objects(db, engine, user("ann"), "viewer", "folder") == folders("later", "child")
    assert subjects(db, engine, folder("now"), "viewer") == set()
    assert subjects(db, engine, folder("via-group"), "viewer") == set()
    assert subjects(db, engine, folder("later"), "viewer") == {user("ann")}


def test_exclusion_and_intersection_are_filtered_by_check(
    db: Database, engine: PermissionEngine
) -> None:
    grant(
        db,
        engine,
        (folder("a"), "viewer", user("ann")),
        (folder("b"), "viewer", user("ann")),
        (folder("b"), "banned", user("ann")),
        (folder("pub"), "viewer", user("*")),
        (folder("pub"), "banned", user("bob")),
        (folder("c"), "owner", user("ann")),
        (folder("d"), "owner", user("ann")),
        (folder("d"), "parent", SubjectRef("folder", "c")),
    )
    assert objects(db, engine, user("ann"), "can_read", "folder") == folders("a", "c", "d", "pub")
    assert objects(db, engine, user("bob"), "can_read", "folder") == set()
    # owner and editor: d is edited (inherited) but not owned... it is owned directly too.
    assert objects(db, engine, user("ann"), "can_admin", "folder") == folders("c", "d")
    grant(db, engine, (folder("e"), "parent", SubjectRef("folder", "c")))
    assert folder("e") not in objects(db, engine, user("ann"), "can_admin", "folder")


def test_union_only_listing_never_calls_check(
    db: Database, engine: PermissionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant(
        db,
        engine,
        (folder("a"), "owner", user("ann")),
        (folder("b"), "parent", SubjectRef("folder", "a")),
        (ObjectRef("group", "g"), "member", user("ann")),
        (folder("c"), "viewer", members("g")),
    )

    def no_checks(*args: object, **kwargs: object) -> dict[ObjectRef, bool]:
        raise AssertionError("a union-only listing must not check objects")

    monkeypatch.setattr(engine, "check_many", no_checks)
    assert objects(db, engine, user("ann"), "viewer", "folder") == folders("a", "b", "c")


def test_list_objects_query_count_does_not_grow_with_objects(
    db: Database, engine: PermissionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def build(count: int, prefix: str) -> None:
        with db.write() as conn:
            engine.grant(conn, folder(f"{prefix}-root"), "viewer", members(f"{prefix}-g"))
            engine.grant(conn, ObjectRef("group", f"{prefix}-g"), "member", user(prefix))
            for i in range(count):
                child = folder(f"{prefix}-{i}")
                engine.grant(conn, child, "parent", SubjectRef("folder", f"{prefix}-root"))

    build(20, "small")
    build(400, "large")
    with counting_statements(db, monkeypatch) as small:
        assert len(objects(db, engine, user("small"), "viewer", "folder")) == 21
    with counting_statements(db, monkeypatch) as large:
        assert len(objects(db, engine, user("large"), "viewer", "folder")) == 401
    assert len(large) == len(small) < 20


@pytest.mark.parametrize(
    ("subject", "relation", "object_type", "code"),
    [
        (user("ann"), "viewer", "nope", "unknown_type"),
        (user("ann"), "nope", "folder", "unknown_relation"),
        (SubjectRef("nope", "x"), "viewer", "folder", "unknown_type"),
        (SubjectRef("group", "g", "nope"), "viewer", "folder", "unknown_relation"),
        (SubjectRef("user", "*", "member"), "viewer", "folder", "invalid_subject"),
        (user(""), "viewer", "folder", "invalid_subject"),
    ],
)
def test_list_objects_rejects_bad_input(
    db: Database,
    engine: PermissionEngine,
    subject: SubjectRef,
    relation: str,
    object_type: str,
    code: str,
) -> None:
    with pytest.raises(NexusValidationError) as caught:
        objects(db, engine, subject, relation, object_type)
    assert caught.value.detail_code == code


# --- virtual relations ------------------------------------------------------------------

VIRTUAL_SCHEMA = """
model
  schema 1.1
type user
type doc
  relations
    define parent: [doc]
    define viewer: [user] or viewer from parent
"""


def _virtual_parents(links: Mapping[str, str]) -> Mapping[tuple[str, str], object]:
    def parents(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[SubjectRef]]:
        return {i: [SubjectRef("doc", links[i])] for i in ids if i in links}

    return {("doc", "parent"): parents}


def _virtual_children(links: Mapping[str, str]) -> Mapping[tuple[str, str], object]:
    def children(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[ObjectRef]]:
        found: dict[str, list[str]] = {}
        for child, parent in links.items():
            if parent in ids:
                found.setdefault(parent, []).append(child)
        # Both forms a reverse may answer with: plain ObjectRefs and bare ids.
        return {
            parent: ObjectIds("doc", kids)
            if parent == "top"
            else [ObjectRef("doc", k) for k in kids]
            for parent, kids in found.items()
        }

    return {("doc", "parent"): children}


def test_list_objects_follows_the_reverse_of_a_virtual_relation(
    db: Database, store: RelationshipStore
) -> None:
    links = {"mid": "top", "leaf": "mid", "leaf2": "mid", "alone": "elsewhere"}
    engine = PermissionEngine(
        store,
        parse_schema(VIRTUAL_SCHEMA),
        virtual_relations=_virtual_parents(links),  # type: ignore[arg-type]
        reverse_virtual_relations=_virtual_children(links),  # type: ignore[arg-type]
    )
    grant(db, engine, (ObjectRef("doc", "top"), "viewer", user("ann")))
    docs = {ObjectRef("doc", d) for d in ("top", "mid", "leaf", "leaf2")}
    assert objects(db, engine, user("ann"), "viewer", "doc") == docs
    assert objects(db, engine, SubjectRef("doc", "mid"), "parent", "doc") == {
        ObjectRef("doc", "leaf"),
        ObjectRef("doc", "leaf2"),
    }
    assert subjects(db, engine, ObjectRef("doc", "leaf"), "viewer") == {user("ann")}
    with db.read() as conn:
        assert all(engine.check(conn, user("ann"), "viewer", d) for d in docs)


def test_list_objects_refuses_a_virtual_relation_without_reverse(
    db: Database, store: RelationshipStore
) -> None:
    engine = PermissionEngine(
        store,
        parse_schema(VIRTUAL_SCHEMA),
        virtual_relations=_virtual_parents({"a": "b"}),  # type: ignore[arg-type]
    )
    with pytest.raises(NexusValidationError) as caught:
        objects(db, engine, user("ann"), "viewer", "doc")
    assert caught.value.detail_code == "relation_not_reversible"
    assert "doc#parent" in caught.value.message


def test_a_reverse_needs_its_virtual_relation(store: RelationshipStore) -> None:
    with pytest.raises(NexusValidationError) as caught:
        PermissionEngine(
            store,
            parse_schema(VIRTUAL_SCHEMA),
            reverse_virtual_relations=_virtual_children({}),  # type: ignore[arg-type]
        )
    assert caught.value.detail_code == "unknown_relation"


def test_file_tree_listing_stops_at_restricted_folders(db: Database) -> None:
    _assert_file_tree_listing(db, TreeStore())


def _assert_file_tree_listing(db: Database, tree: TreeStore) -> None:
    engine = PermissionEngine(
        RelationshipStore(),
        parse_schema(NEXUS_FILE_SCHEMA),
        virtual_relations=_tree_relations(tree),
        reverse_virtual_relations=_tree_reverse_relations(tree),
    )
    with db.write() as conn:
        root = tree.root(conn)

        def make(parent: int, name: str, kind: str = DIRECTORY) -> int:
            return tree.create(
                conn, parent_id=parent, name=name, kind=kind, owner="ann", now=NOW
            ).id

        project = make(root.id, "project")
        secret = make(project, "secret")
        hidden = make(secret, "hidden.txt", FILE)
        deeper = make(secret, "deeper")
        inner = make(deeper, "inner.txt", FILE)
        visible = make(project, "visible.txt", FILE)
        tree.set_restricted(conn, secret, True)
        file = ObjectRef("file", str(project))
        engine.grant(conn, file, "can_write", user("bob"))
        engine.grant(conn, ObjectRef("file", str(secret)), "owner", user("ann"))
        engine.grant(conn, ObjectRef("file", str(deeper)), "can_read", user("carl"))

    def ref(entry: int) -> ObjectRef:
        return ObjectRef("file", str(entry))

    assert objects(db, engine, user("bob"), "can_read", "file") == {ref(project), ref(visible)}
    assert objects(db, engine, user("ann"), "can_read", "file") == {
        ref(secret),
        ref(hidden),
        ref(deeper),
        ref(inner),
    }
    assert objects(db, engine, user("carl"), "can_read", "file") == {ref(deeper), ref(inner)}
    # The plain parent relation does not stop at restricted folders.
    assert objects(db, engine, SubjectRef("file", str(project)), "parent", "file") == {
        ref(secret),
        ref(visible),
    }
    assert objects(db, engine, SubjectRef("file", str(project)), "inherit_parent", "file") == {
        ref(visible)
    }
    assert subjects(db, engine, ref(hidden), "can_read") == {user("ann")}
    assert subjects(db, engine, ref(visible), "can_read") == {user("bob")}


def test_file_tree_is_walked_once_for_can_read(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # can_read includes can_write and can_execute, which all inherit from the parent: the
    # listing must walk the tree once (one children query per level), not three times.
    tree = TreeStore()
    engine = PermissionEngine(
        RelationshipStore(),
        parse_schema(NEXUS_FILE_SCHEMA),
        virtual_relations=_tree_relations(tree),
        reverse_virtual_relations=_tree_reverse_relations(tree),
    )
    with db.write() as conn:
        parent = tree.root(conn).id
        top = parent
        for level in range(4):  # 4 levels of directories, 3 files in each
            for i in range(3):
                tree.create(conn, parent_id=parent, name=f"f{i}", kind=FILE, owner="a", now=0.0)
            parent = tree.create(
                conn, parent_id=parent, name=f"d{level}", kind=DIRECTORY, owner="a", now=0.0
            ).id
        engine.grant(conn, ObjectRef("file", str(top)), "owner", user("ann"))
    with counting_statements(db, monkeypatch) as seen:
        found = objects(db, engine, user("ann"), "can_read", "file")
    assert len(found) == 1 + 4 * 4
    walks = [sql for sql in seen if "FROM entries WHERE parent_id" in sql]
    assert len(walks) == 5  # the children of the root and of each of the 4 levels below


def test_only_canonical_file_ids_name_tree_entries(db: Database) -> None:
    # "file:012" is not entry 12: a grant on it must not reach entry 12's children.
    tree = TreeStore()
    engine = PermissionEngine(
        RelationshipStore(),
        parse_schema(NEXUS_FILE_SCHEMA),
        virtual_relations=_tree_relations(tree),
        reverse_virtual_relations=_tree_reverse_relations(tree),
    )
    with db.write() as conn:
        root = tree.root(conn)
        folder_id = tree.create(
            conn, parent_id=root.id, name="d", kind=DIRECTORY, owner="a", now=0.0
        ).id
        tree.create(conn, parent_id=folder_id, name="f", kind=FILE, owner="a", now=0.0)
        for odd in (f"0{folder_id}", "\u0661\u0662", "\u00b2"):
            engine.grant(conn, ObjectRef("file", odd), "can_read", user("ann"))
    found = objects(db, engine, user("ann"), "can_read", "file")
    assert found == {ObjectRef("file", i) for i in (f"0{folder_id}", "\u0661\u0662", "\u00b2")}
    with db.read() as conn:  # check reads the tree the other way: no crash on "²" either
        assert not engine.check(conn, user("bob"), "can_read", ObjectRef("file", "\u00b2"))


def test_a_restricted_folder_still_has_its_parent(db: Database) -> None:
    tree = TreeStore()
    engine = PermissionEngine(
        RelationshipStore(),
        parse_schema(NEXUS_FILE_SCHEMA),
        virtual_relations=_tree_relations(tree),
        reverse_virtual_relations=_tree_reverse_relations(tree),
    )
    with db.write() as conn:
        root = tree.root(conn).id
        private = tree.create(conn, parent_id=root, name="p", kind=DIRECTORY, owner="a", now=0.0)
        tree.set_restricted(conn, private.id, True)
    parent, child = SubjectRef("file", str(root)), ObjectRef("file", str(private.id))
    assert objects(db, engine, parent, "parent", "file") == {child}
    with db.read() as conn:
        assert engine.check(conn, parent, "parent", child)


def test_children_ids_lists_children_with_their_restricted_flag(db: Database) -> None:
    tree = TreeStore()
    with db.write() as conn:
        root = tree.root(conn)
        a = tree.create(conn, parent_id=root.id, name="a", kind=DIRECTORY, owner="x", now=0.0)
        b = tree.create(conn, parent_id=root.id, name="b", kind=FILE, owner="x", now=0.0)
        c = tree.create(conn, parent_id=a.id, name="c", kind=DIRECTORY, owner="x", now=0.0)
        tree.set_restricted(conn, c.id, True)
        found = tree.children_ids(conn, [root.id, a.id, b.id, 999_999])
    assert sorted(found[root.id]) == [(a.id, False), (b.id, False)]
    assert found[a.id] == [(c.id, True)]
    assert b.id not in found and 999_999 not in found


def _small_tree(tree: TreeStore, conn: Connection) -> dict[str, int]:
    """top/a/b/f1, top/a/s (restricted)/f2, top/a/s/t/f3, top/g: names -> ids."""
    top = tree.create(
        conn, parent_id=tree.root(conn).id, name="top", kind=DIRECTORY, owner="x", now=0.0
    )
    ids = {"root": top.id}
    for name, parent, kind in (
        ("a", "root", DIRECTORY),
        ("b", "a", DIRECTORY),
        ("f1", "b", FILE),
        ("s", "a", DIRECTORY),
        ("f2", "s", FILE),
        ("t", "s", DIRECTORY),
        ("f3", "t", FILE),
        ("g", "root", FILE),
    ):
        ids[name] = tree.create(
            conn, parent_id=ids[parent], name=name, kind=kind, owner="x", now=0.0
        ).id
    tree.set_restricted(conn, ids["s"], True)
    return ids


def _assert_descendant_ids(tree: TreeStore, conn: Connection, ids: dict[str, int]) -> None:
    def text(*names: str) -> set[str]:
        return {str(ids[n]) for n in names}

    everything = text("a", "b", "f1", "s", "f2", "t", "f3", "g")
    assert tree.descendant_ids(conn, [ids["root"]], through_restricted=True) == everything
    assert tree.descendant_ids(conn, [ids["root"]], through_restricted=False) == text(
        "a", "b", "f1", "g"
    )
    # A parent below another parent is listed (it is below one) and walked once.
    assert tree.descendant_ids(conn, [ids["a"], ids["b"]], through_restricted=False) == text(
        "b", "f1"
    )
    # Below a restricted folder, inheritance goes on: only the folder itself is cut off.
    assert tree.descendant_ids(conn, [ids["s"]], through_restricted=False) == text("f2", "t", "f3")
    assert tree.descendant_ids(conn, [ids["g"], 999_999], through_restricted=True) == set()
    assert tree.descendant_ids(conn, [], through_restricted=True) == set()


def test_descendant_ids_walks_directories_and_can_stop_at_restricted_ones(db: Database) -> None:
    tree = TreeStore()
    with db.write() as conn:
        _assert_descendant_ids(tree, conn, _small_tree(tree, conn))


def test_descendant_ids_asks_no_file_for_children(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = TreeStore()
    with db.write() as conn:
        ids = _small_tree(tree, conn)
    with counting_statements(db, monkeypatch) as seen, db.read() as conn:
        tree.descendant_ids(conn, [ids["root"]], through_restricted=True)
    # One statement per level of directories: top; a; b and s; t.
    assert len([sql for sql in seen if "FROM entries" in sql]) == 4


# --- list_subjects ----------------------------------------------------------------------


def test_list_subjects_direct_groups_and_inherited(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (ObjectRef("group", "eng"), "member", user("ann")),
        (ObjectRef("group", "eng"), "member", members("ops")),
        (ObjectRef("group", "ops"), "member", user("bob")),
        (folder("root"), "editor", members("eng")),
        (folder("root"), "owner", user("carl")),
        (folder("child"), "parent", SubjectRef("folder", "root")),
        (folder("child"), "viewer", user("dan")),
    )
    people = {user("ann"), user("bob"), user("carl"), user("dan")}
    assert subjects(db, engine, folder("child"), "viewer") == people
    assert subjects(db, engine, folder("root"), "viewer") == people - {user("dan")}
    assert subjects(db, engine, folder("child"), "viewer", "group", "member") == {
        members("eng"),
        members("ops"),
    }
    # group:eng#member is implicitly a member of group:eng.
    assert subjects(db, engine, ObjectRef("group", "eng"), "member", "group", "member") == {
        members("eng"),
        members("ops"),
    }
    assert subjects(db, engine, folder("child"), "parent", "folder") == {
        SubjectRef("folder", "root")
    }


def test_list_subjects_wildcard_rule(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (folder("pub"), "viewer", user("*")),
        (folder("pub"), "viewer", user("ann")),
        (folder("pub"), "banned", user("bob")),
        (folder("pub"), "editor", user("carl")),
        (folder("all-banned"), "viewer", user("*")),
        (ObjectRef("group", "everyone"), "member", user("*")),
        (folder("all-banned"), "banned", members("everyone")),
    )
    # A user without tuples may read: user:* is listed, so are the named ones that pass;
    # bob is banned and neither listed nor covered by the wildcard (he is named).
    assert subjects(db, engine, folder("pub"), "can_read") == {user("*"), user("ann"), user("carl")}
    assert subjects(db, engine, folder("pub"), "viewer") == {user("*"), user("ann"), user("carl")}
    assert subjects(db, engine, folder("all-banned"), "can_read") == set()
    assert subjects(db, engine, folder("all-banned"), "viewer") == {user("*")}


def test_list_subjects_intersection_candidates_come_from_every_operand(
    db: Database, engine: PermissionEngine
) -> None:
    grant(
        db,
        engine,
        (folder("f"), "owner", user("ann")),
        (folder("f"), "editor", user("*")),
        (folder("g"), "editor", user("bob")),
        (folder("g"), "owner", user("carl")),
    )
    assert subjects(db, engine, folder("f"), "can_admin") == {user("ann")}
    assert subjects(db, engine, folder("g"), "can_admin") == {user("carl")}


@pytest.mark.parametrize(
    ("obj", "relation", "subject_type", "subject_relation", "code"),
    [
        (ObjectRef("nope", "x"), "viewer", "user", "", "unknown_type"),
        (folder("x"), "nope", "user", "", "unknown_relation"),
        (folder("x"), "viewer", "nope", "", "unknown_type"),
        (folder("x"), "viewer", "group", "nope", "unknown_relation"),
        (folder("*"), "viewer", "user", "", "invalid_object"),
        (folder(""), "viewer", "user", "", "invalid_object"),
    ],
)
def test_list_subjects_rejects_bad_input(
    db: Database,
    engine: PermissionEngine,
    obj: ObjectRef,
    relation: str,
    subject_type: str,
    subject_relation: str,
    code: str,
) -> None:
    with pytest.raises(NexusValidationError) as caught:
        subjects(db, engine, obj, relation, subject_type, subject_relation)
    assert caught.value.detail_code == code


# --- expand -----------------------------------------------------------------------------


def expand(
    db: Database, engine: PermissionEngine, obj: ObjectRef, relation: str, **kw: int
) -> ExpandNode:
    with db.read() as conn:
        return engine.expand(conn, obj, relation, **kw)


def test_expand_builds_the_userset_tree(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (folder("f"), "viewer", user("ann")),
        (folder("f"), "viewer", members("eng")),
        (ObjectRef("group", "eng"), "member", user("bob")),
        (folder("f"), "parent", SubjectRef("folder", "p")),
        (folder("p"), "owner", user("carl")),
    )
    tree = expand(db, engine, folder("f"), "viewer")
    assert (tree.object, tree.relation, tree.kind) == (folder("f"), "viewer", "union")
    direct, computed, tupleset = tree.children
    assert direct.kind == "direct"
    assert set(direct.subjects) == {user("ann"), members("eng")}
    (group_node,) = direct.children
    assert (group_node.object, group_node.relation) == (ObjectRef("group", "eng"), "member")
    assert group_node.subjects == (user("bob"),)
    assert computed.kind == "computed"
    assert (computed.children[0].object, computed.children[0].relation) == (folder("f"), "editor")
    assert tupleset.kind == "tupleset"
    assert tupleset.subjects == (SubjectRef("folder", "p"),)
    (parent_viewer,) = tupleset.children
    assert (parent_viewer.object, parent_viewer.relation) == (folder("p"), "viewer")
    exclusion = expand(db, engine, folder("f"), "can_read")
    assert exclusion.kind == "exclusion"
    assert [c.kind for c in exclusion.children] == ["computed", "computed"]


def test_expand_marks_cycles_and_stops(db: Database, engine: PermissionEngine) -> None:
    grant(
        db,
        engine,
        (ObjectRef("group", "a"), "member", members("b")),
        (ObjectRef("group", "b"), "member", members("a")),
    )
    tree = expand(db, engine, ObjectRef("group", "a"), "member")
    (b_node,) = tree.children
    assert (b_node.object, b_node.cycle) == (ObjectRef("group", "b"), False)
    (again,) = b_node.children
    assert (again.object, again.relation, again.cycle) == (ObjectRef("group", "a"), "member", True)
    assert again.children == () and again.subjects == ()


def test_expand_omits_expired_subjects_and_bounds_depth(
    db: Database, engine: PermissionEngine
) -> None:
    grant(db, engine, (folder("f"), "banned", user("gone")), expires_at=NOW)
    grant(db, engine, (folder("f"), "banned", user("here")))
    assert expand(db, engine, folder("f"), "banned").subjects == (user("here"),)
    chain = [ObjectRef("group", f"g{i}") for i in range(6)]
    for outer, inner in itertools.pairwise(chain):
        grant(db, engine, (outer, "member", SubjectRef("group", inner.id, "member")))
    assert expand(db, engine, chain[0], "member", max_depth=6).children
    with pytest.raises(DepthExceededError) as caught:
        expand(db, engine, chain[0], "member", max_depth=5)
    assert caught.value.detail_code == "depth_exceeded"


@pytest.mark.parametrize(
    ("obj", "relation", "max_depth", "code"),
    [
        (ObjectRef("nope", "x"), "viewer", None, "unknown_type"),
        (folder("x"), "nope", None, "unknown_relation"),
        (folder("*"), "viewer", None, "invalid_object"),
        (folder("x"), "viewer", 0, "invalid_depth"),
    ],
)
def test_expand_rejects_bad_input(
    db: Database,
    engine: PermissionEngine,
    obj: ObjectRef,
    relation: str,
    max_depth: int | None,
    code: str,
) -> None:
    with pytest.raises(NexusValidationError) as caught, db.read() as conn:
        engine.expand(conn, obj, relation, max_depth=max_depth)
    assert caught.value.detail_code == code


# --- PostgreSQL: the one-parameter IN lists -------------------------------------------------


def test_reverse_queries_on_postgresql(tmp_path: Path) -> None:
    from tests.support.postgres import temporary_database

    with temporary_database() as url:
        database = Database(open_engine(url))
        try:
            metadata.create_all(database.engine)
            store = RelationshipStore()
            engine = PermissionEngine(store, parse_schema(FILE_SCHEMA), clock=lambda: NOW)
            grant(
                database,
                engine,
                (ObjectRef("group", "g"), "member", user("ann")),
                (folder("a"), "viewer", members("g")),
                (folder("b"), "parent", SubjectRef("folder", "a")),
            )
            assert objects(database, engine, user("ann"), "viewer", "folder") == folders("a", "b")
            tree = TreeStore()
            with database.write() as conn:
                root = tree.root(conn)
                child = tree.create(
                    conn, parent_id=root.id, name="c", kind=FILE, owner="x", now=0.0
                )
                assert tree.children_ids(conn, [root.id]) == {root.id: [(child.id, False)]}
            with database.write() as conn:
                _assert_descendant_ids(tree, conn, _small_tree(tree, conn))
            _assert_file_tree_listing(database, tree)
        finally:
            database.dispose()
