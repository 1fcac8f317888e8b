"""Opening a Nexus store: database, migrations, blobs, permission engine and namespaces."""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from sqlalchemy import Connection

from nexus.authz import (
    ObjectIds,
    ObjectRef,
    PermissionEngine,
    Relationship,
    RelationshipStore,
    ReverseVirtualRelation,
    SubjectRef,
    VirtualRelation,
)
from nexus.authz.dsl import parse_schema
from nexus.authz.lookup import ReverseHierarchy
from nexus.blobs import LocalBlobStore
from nexus.config import ServerSettings
from nexus.db.engine import Database, open_engine, open_engine_without_pool
from nexus.db.migrate import upgrade
from nexus.files.namespaces import ROOTS, WORKSPACE
from nexus.files.refusals import RefusalRecorder
from nexus.files.schema import FILE_SCHEMA, OBJECT_TYPE_FILE
from nexus.identity import (
    SYSTEM_USER,
    GroupStore,
    KeyStore,
    SessionStore,
    UserStore,
    load_or_create_secret,
)
from nexus.metadata import DIRECTORY, Entry, TreeStore
from nexus.metadata.activity import ActivityStore
from nexus.paths import name, segments


def file_ref(entry_id: int) -> ObjectRef:
    return ObjectRef(OBJECT_TYPE_FILE, str(entry_id))


_new_tuple = tuple.__new__


def file_refs(entries: Iterable[Entry]) -> list[ObjectRef]:
    """``file_ref`` of each entry, for a listing's 10,000: tuple.__new__ skips the named
    tuple's own __new__ (Python code), a third of the cost."""
    return [_new_tuple(ObjectRef, (OBJECT_TYPE_FILE, str(entry[0]))) for entry in entries]


def user_ref(user_id: str) -> SubjectRef:
    return SubjectRef("user", user_id)


@dataclass
class Runtime:
    """Everything the use cases share; one per server process or embedded client."""

    settings: ServerSettings
    db: Database
    blobs: LocalBlobStore
    tree: TreeStore
    users: UserStore
    keys: KeyStore
    groups: GroupStore
    sessions: SessionStore
    relationships: RelationshipStore
    engine: PermissionEngine
    # Refused attempts, on their way to the activity log (see nexus.files.refusals).
    refusals: RefusalRecorder

    @staticmethod
    def now() -> float:
        return time.time()

    def close(self) -> None:
        self.refusals.close()
        self.db.dispose()

    def tree_changed(self, conn: Connection) -> None:
        """Call in the transaction of every move or restrict: the engine caches the parent
        edges it reads from the tree (and answers built on them) per revision, so a change
        to an existing entry's parent or inheritance must advance the revision."""
        self.relationships.bump(conn)


def _tree_relations(tree: TreeStore) -> Mapping[tuple[str, str], VirtualRelation]:
    """The parent edges of files, read from the directory tree instead of stored tuples."""

    def edges(
        conn: Connection, ids: Sequence[str], *, inherit: bool
    ) -> Mapping[str, Sequence[SubjectRef]]:
        # isdecimal, not isdigit: int() refuses "²", which isdigit accepts.
        children = list(filter(str.isdecimal, ids))
        numbers = list(map(int, children))
        entries = list(map(tree.known(conn, numbers).get, numbers))
        if all(entries):  # (an Entry is a non-empty tuple: all found)
            siblings = _siblings_edges(children, entries, inherit=inherit)
            if siblings is not None:
                return siblings
        # One tuple per parent, shared by all its children (a listing has 10,000 of them).
        shared: dict[int, tuple[SubjectRef, ...]] = {}
        found: dict[str, Sequence[SubjectRef]] = {}
        # Two parallel lists, not a pair per child: 10,000 fewer objects for the collector.
        for child, entry in zip(children, entries, strict=True):
            if entry is None or entry.parent_id is None:
                continue
            if inherit and entry.restricted:
                # A restricted directory stops grants from above: nothing to inherit from.
                found[child] = ()
                continue
            edge = shared.get(entry.parent_id)
            if edge is None:
                edge = shared[entry.parent_id] = (
                    SubjectRef(OBJECT_TYPE_FILE, str(entry.parent_id)),
                )
            found[child] = edge
        return found

    def parents(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[SubjectRef]]:
        return edges(conn, ids, inherit=False)

    def inherited_parents(
        conn: Connection, ids: Sequence[str]
    ) -> Mapping[str, Sequence[SubjectRef]]:
        return edges(conn, ids, inherit=True)

    return {
        (OBJECT_TYPE_FILE, "parent"): parents,
        (OBJECT_TYPE_FILE, "inherit_parent"): inherited_parents,
    }


_PARENT_ID = attrgetter("parent_id")
_RESTRICTED = attrgetter("restricted")


def _siblings_edges(
    children: list[str], entries: list[Entry | None], *, inherit: bool
) -> dict[str, Sequence[SubjectRef]] | None:
    """``edges`` for existing entries that all have one parent (a listing's 10,000), built
    in C: the shared edge for each, or () for a restricted directory when ``inherit``.
    None when they do not share a parent (the general loop answers then)."""
    parent_ids = set(map(_PARENT_ID, entries))
    if len(parent_ids) != 1:
        return None
    parent_id = parent_ids.pop()
    if parent_id is None:
        return {}  # the root has no parent
    edge = (SubjectRef(OBJECT_TYPE_FILE, str(parent_id)),)
    if not inherit:
        return dict.fromkeys(children, edge)
    # Indexed by the restricted flag: False -> the parent, True -> nothing to inherit.
    either: tuple[Sequence[SubjectRef], Sequence[SubjectRef]] = (edge, ())
    return dict(zip(children, map(either.__getitem__, map(_RESTRICTED, entries)), strict=True))


def _tree_reverse_relations(
    tree: TreeStore,
) -> Mapping[tuple[str, str], ReverseVirtualRelation]:
    """The reverse of ``_tree_relations``: directory ids -> their children, for listing
    every file a grant on a directory reaches (one query per batch of directories; bare ids,
    no ObjectRef per entry)."""

    def related(
        conn: Connection, ids: Sequence[str], inheriting: bool
    ) -> Mapping[str, Sequence[ObjectRef]]:
        asked = set(ids)
        links = tree.children_ids(conn, [int(i) for i in asked if i.isdecimal()])
        found: dict[str, Sequence[ObjectRef]] = {}
        for parent, kids in links.items():
            key = str(parent)
            # Only the canonical id names the entry: int() also reads "012" and "١٢" as 12.
            if key in asked:
                # A restricted directory inherits nothing: no inheriting child of its parent.
                found[key] = ObjectIds(
                    OBJECT_TYPE_FILE,
                    [str(child) for child, restricted in kids if not (inheriting and restricted)],
                )
        return found

    def children(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[ObjectRef]]:
        return related(conn, ids, inheriting=False)

    def inheriting_children(
        conn: Connection, ids: Sequence[str]
    ) -> Mapping[str, Sequence[ObjectRef]]:
        return related(conn, ids, inheriting=True)

    def below(conn: Connection, ids: Collection[str]) -> Collection[str]:
        return tree.descendant_ids(conn, _entry_ids(ids), through_restricted=True)

    def inheriting_below(conn: Connection, ids: Collection[str]) -> Collection[str]:
        # A restricted directory inherits nothing: the walk stops before it.
        return tree.descendant_ids(conn, _entry_ids(ids), through_restricted=False)

    return {
        (OBJECT_TYPE_FILE, "parent"): ReverseHierarchy(children, below),
        (OBJECT_TYPE_FILE, "inherit_parent"): ReverseHierarchy(
            inheriting_children, inheriting_below
        ),
    }


def _entry_ids(ids: Iterable[str]) -> list[int]:
    """The entries named by object ids: only the canonical form of an entry's id (ASCII
    digits, no leading zero) names it; int() also reads "012" and "١٢" as 12."""
    return [int(i) for i in ids if i.isdecimal() and i.isascii() and (i[0] != "0" or i == "0")]


def _ensure_namespaces(runtime: Runtime) -> None:
    """Create /, /workspace, /sessions and the inbox root, owned by the system (idempotent)."""
    with runtime.db.write() as conn:
        now = runtime.now()
        for path in ROOTS:  # parents come before children
            chain = runtime.tree.resolve(conn, path)
            exists = len(chain) == len(segments(path)) + 1
            directory = chain[-1]
            if not exists:
                directory = runtime.tree.create(
                    conn,
                    parent_id=chain[-1].id,
                    name=name(path),
                    kind=DIRECTORY,
                    owner=SYSTEM_USER,
                    now=now,
                )
            owned = Relationship(file_ref(directory.id), "owner", user_ref(SYSTEM_USER), now)
            runtime.engine.write(conn, owned)
            if path == WORKSPACE:
                # Any signed-in user may create an entry directly in /workspace (and owns it).
                anyone = SubjectRef("user", "*")
                runtime.engine.write(
                    conn, Relationship(file_ref(directory.id), "can_create", anyone, now)
                )


def _prepare_private_data_dir(settings: ServerSettings) -> None:
    """Make the data dir (0700 when we create it) and the SQLite file readable by us only.

    SQLite gives its -wal and -shm files the database file's mode, so making the database
    0600 before SQLite first opens it keeps paths, grants and emails from other OS users.
    """
    if not settings.data_dir.exists():
        settings.data_dir.mkdir(parents=True, mode=0o700)
    if settings.database_url is None:
        database = settings.data_dir / "nexus.db"
        if not database.exists():
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))


def open_runtime(settings: ServerSettings) -> Runtime:
    """Open (creating on first use) the data dir, database and blob store of ``settings``."""
    _prepare_private_data_dir(settings)
    url = settings.resolved_database_url
    migration_engine = open_engine_without_pool(url)
    try:
        upgrade(migration_engine)
    finally:
        migration_engine.dispose()
    tree = TreeStore()
    relationships = RelationshipStore()
    engine = PermissionEngine(
        relationships,
        parse_schema(FILE_SCHEMA),
        virtual_relations=_tree_relations(tree),
        reverse_virtual_relations=_tree_reverse_relations(tree),
        virtual_relations_bump_revision=True,  # see Runtime.tree_changed
    )
    db = Database(open_engine(url))
    runtime = Runtime(
        settings=settings,
        db=db,
        blobs=LocalBlobStore(settings.blob_dir),
        tree=tree,
        users=UserStore(),
        keys=KeyStore(load_or_create_secret(settings.secret_file)),
        groups=GroupStore(),
        sessions=SessionStore(),
        relationships=relationships,
        engine=engine,
        refusals=RefusalRecorder(db.write, ActivityStore().add),
    )
    _ensure_namespaces(runtime)
    return runtime
