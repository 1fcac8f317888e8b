"""Reads and writes of the file tree in SQL; every method runs in the caller's transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from itertools import filterfalse
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from nexus.db import fast
from nexus.db.tables import entries, versions
from nexus.errors import NexusFileExistsError
from nexus.metadata.entry import DIRECTORY, FILE, Entry, Version
from nexus.paths import segments

ROOT_NAME = ""
# From this version on SQLite always has json_each (before, only if compiled in).
_SQLITE_JSON_BUILTIN = (3, 38)
_MEMO_KEY = "nexus_tree_memo"
# (parent id, name) pairs per row-value IN list: two parameters each, under old SQLite's 999.
_PAIR_CHUNK = 400

# Prebuilt statements for the lookups every request makes (saves rebuilding them per call).
_BY_ID = select(entries).where(entries.c.id == bindparam("entry_id"))
_CHILD = select(entries).where(
    and_(entries.c.parent_id == bindparam("parent_id"), entries.c.name == bindparam("name"))
)


_ENTRY_COLUMNS = (
    "id, parent_id, name, kind, restricted, version, size, blob_hash, created_at, "
    "modified_at, owner"
)
# Without parent_id: the caller knows it (one int fewer to convert per row of 10,000).
_CHILDREN_SQL = (
    "SELECT id, name, kind, restricted, version, size, blob_hash, created_at, modified_at, owner"
    " FROM entries WHERE parent_id = ? ORDER BY name"
)
_CREATE_SQL = (
    "INSERT INTO entries (parent_id, name, kind, restricted, version, size, blob_hash,"
    " created_at, modified_at, owner) VALUES (?, ?, ?, FALSE, 0, 0, NULL, ?, ?, ?)"
    " ON CONFLICT (parent_id, name) DO NOTHING RETURNING id"
)
_FOR_UPDATE_SQL = f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE id = ?"
_SET_CONTENT_SQL = (
    "UPDATE entries SET version = ?, blob_hash = ?, size = ?, modified_at = ?"
    " WHERE id = ? AND version = ?"
)
_ADD_VERSION_SQL = (
    "INSERT INTO versions (entry_id, version, blob_hash, size, created_at, created_by)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_E_COLUMNS = ", ".join(f"e.{column.strip()}" for column in _ENTRY_COLUMNS.split(","))


def _resolve_sql(segment_at_depth: str) -> str:
    """A path's entries from the root down, in one recursive query: step ``depth`` looks
    up the child named by the path's segment ``depth`` (``segment_at_depth``, an SQL
    expression of the first parameter, the names) below the step before, stopping at the
    last segment (second parameter), at a missing name or at a file."""
    return (
        f"WITH RECURSIVE walk(depth, {_ENTRY_COLUMNS}) AS ("
        f" SELECT 0, {_ENTRY_COLUMNS} FROM entries WHERE parent_id IS NULL"
        f" UNION ALL SELECT walk.depth + 1, {_E_COLUMNS} FROM walk JOIN entries e"
        f" ON e.parent_id = walk.id AND e.name = {segment_at_depth}"
        f" WHERE walk.depth < ? AND walk.kind = '{DIRECTORY}'"
        f") SELECT {_ENTRY_COLUMNS} FROM walk ORDER BY depth"
    )


_RESOLVE_SQLITE = _resolve_sql("json_extract(?, '$[' || walk.depth || ']')")
_RESOLVE_POSTGRESQL = _resolve_sql("(?::text[])[walk.depth + 1]")


_ENTRY_ID = itemgetter(0)
_new_tuple = tuple.__new__


def _entry_from_columns(row: tuple[Any, ...]) -> Entry:
    """An Entry from a driver row in ``_ENTRY_COLUMNS`` order. Both drivers return ints and
    floats for these columns already; only SQLite's boolean comes back as 0/1."""
    (id_, parent_id, name, kind, restricted, version, size, blob, created, modified, owner) = row
    return Entry(
        id_, parent_id, name, kind, bool(restricted), version, size, blob, created, modified, owner
    )


def _one_of(conn: Connection, column: ColumnElement[int], ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids`` for an id column, as one bound parameter where possible."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(BigInteger)))
    if dialect == "sqlite" and sqlite3.sqlite_version_info >= _SQLITE_JSON_BUILTIN:
        listed = func.json_each(json.dumps(ids)).table_valued("value")
        return column.in_(select(listed.c.value))
    return column.in_(ids)


def _memo(conn: Connection) -> dict[int, Entry]:
    """Entries this transaction has already read, by id.

    Permission checks walk up the tree; the entries along the path were just read by path
    resolution, so the walk needs no further queries. The memo lives exactly as long as the
    transaction (a pooled connection's ``info`` outlives it, so the transaction is the key).
    The innermost one: writes that share a commit run in savepoints of one transaction
    (db/group_commit.py), and one rolled back must not leave entries (whose ids SQLite may
    hand out again) in the next one's memo.
    """
    transaction = conn.get_nested_transaction() or conn.get_transaction()
    slot = conn.info.get(_MEMO_KEY)
    if slot is None or slot[0] is not transaction:
        slot = (transaction, {})
        conn.info[_MEMO_KEY] = slot
    memo: dict[int, Entry] = slot[1]
    return memo


def _remember(conn: Connection, entry: Entry) -> Entry:
    _memo(conn)[entry.id] = entry
    return entry


class TreeStore:
    def root(self, conn: Connection) -> Entry:
        """The root directory, created on first use."""
        row = conn.execute(select(entries).where(entries.c.parent_id.is_(None))).first()
        if row is not None:
            return _remember(conn, Entry.from_row(row))
        result = conn.execute(
            insert(entries)
            .values(
                parent_id=None,
                name=ROOT_NAME,
                kind=DIRECTORY,
                restricted=False,
                version=0,
                size=0,
                blob_hash=None,
                created_at=0.0,
                modified_at=0.0,
                owner="system",
            )
            .returning(entries.c.id)
        )
        return self.get_required(conn, int(result.scalar_one()))

    def get(self, conn: Connection, entry_id: int) -> Entry | None:
        row = conn.execute(_BY_ID, {"entry_id": entry_id}).first()
        return None if row is None else _remember(conn, Entry.from_row(row))

    def get_required(self, conn: Connection, entry_id: int) -> Entry:
        entry = self.get(conn, entry_id)
        if entry is None:
            raise LookupError(f"entry {entry_id} vanished")
        return entry

    def get_many(self, conn: Connection, entry_ids: Iterable[int]) -> dict[int, Entry]:
        wanted = list(set(entry_ids))
        found: dict[int, Entry] = {}
        # Chunked so a huge batch stays under the database's bound-parameter limit.
        for start in range(0, len(wanted), 500):
            rows = conn.execute(
                select(entries).where(entries.c.id.in_(wanted[start : start + 500]))
            )
            for row in rows:
                entry = _remember(conn, Entry.from_row(row))
                found[entry.id] = entry
        return found

    def child(self, conn: Connection, parent_id: int, name: str) -> Entry | None:
        row = conn.execute(_CHILD, {"parent_id": parent_id, "name": name}).first()
        return None if row is None else _remember(conn, Entry.from_row(row))

    def children(self, conn: Connection, parent_id: int) -> list[Entry]:
        """The entries directly below ``parent_id``, by name. A listing's main read (10,000
        rows for a big folder), so it runs on the driver (see nexus.db.fast)."""
        with fast.each_row(conn, _CHILDREN_SQL, [parent_id]) as rows:
            # As _entry_from_columns, inline: a call per row and Entry's own __new__ (Python
            # code, for its keywords) cost more than building the tuple itself.
            found: list[Entry] = [
                _new_tuple(Entry, (i, parent_id, n, k, bool(r), v, s, b, c, m, o))
                for i, n, k, r, v, s, b, c, m, o in rows
            ]
        _memo(conn).update(zip(map(_ENTRY_ID, found), found, strict=True))
        return found

    def resolve(self, conn: Connection, path: str) -> list[Entry]:
        """The existing entries along ``path``, from the root down.

        The list is one longer than the path has segments when the whole path exists;
        shorter when it stops at the deepest existing ancestor (or at a file). One query
        walks the whole path (every request resolves one; a query per segment cost a
        round trip each, on PostgreSQL over the network).
        """
        names = segments(path)
        names_param: list[str] | str
        if fast.is_postgresql(conn):
            sql, names_param = _RESOLVE_POSTGRESQL, names
        else:
            sql, names_param = _RESOLVE_SQLITE, json.dumps(names)
        rows = fast.fetch_all(conn, sql, [names_param, len(names)])
        if not rows:  # a store that has no root yet
            return [self.root(conn)]
        chain = [_entry_from_columns(row) for row in rows]
        _memo(conn).update((entry.id, entry) for entry in chain)
        return chain

    def descendants(self, conn: Connection, entry_id: int) -> list[Entry]:
        """Every entry below ``entry_id`` (not itself), parents before children."""
        found: list[Entry] = []
        frontier = [entry_id]
        while frontier:
            rows = conn.execute(select(entries).where(entries.c.parent_id.in_(frontier)))
            level = [_remember(conn, Entry.from_row(row)) for row in rows]
            found.extend(level)
            frontier = [entry.id for entry in level if entry.is_directory]
        return found

    def create(
        self,
        conn: Connection,
        *,
        parent_id: int,
        name: str,
        kind: str,
        owner: str,
        now: float,
    ) -> Entry:
        """A new entry; NexusFileExistsError when the name is taken (by a concurrent
        transaction, on PostgreSQL: the caller saw it missing). ON CONFLICT instead of a
        savepoint and a caught IntegrityError: every created file runs this."""
        if kind not in (FILE, DIRECTORY):
            raise ValueError(f"unknown entry kind {kind!r}")
        rows = fast.fetch_all(conn, _CREATE_SQL, [parent_id, name, kind, now, now, owner])
        if not rows:
            raise NexusFileExistsError(f"{name!r} already exists")
        entry = Entry(int(rows[0][0]), parent_id, name, kind, False, 0, 0, None, now, now, owner)
        return _remember(conn, entry)

    def lock_for_update(self, conn: Connection, entry_id: int) -> Entry | None:
        """Read an entry and hold its row until commit (PostgreSQL); SQLite holds the db lock."""
        sql = _FOR_UPDATE_SQL + " FOR UPDATE" if fast.is_postgresql(conn) else _FOR_UPDATE_SQL
        rows = fast.fetch_all(conn, sql, [entry_id])
        return _remember(conn, _entry_from_columns(rows[0])) if rows else None

    def lock_many_for_update(self, conn: Connection, entry_ids: Iterable[int]) -> dict[int, Entry]:
        """Read entries and hold their rows until commit (PostgreSQL), in id order, as every
        transaction holding several rows does (nexus.metadata.locks), so none deadlock.
        Ids that no longer exist are left out."""
        ordered = sorted(set(entry_ids))
        found: dict[int, Entry] = {}
        for start in range(0, len(ordered), 500):
            rows = conn.execute(
                select(entries)
                .where(entries.c.id.in_(ordered[start : start + 500]))
                .order_by(entries.c.id)
                .with_for_update()
            )
            for row in rows:
                entry = _remember(conn, Entry.from_row(row))
                found[entry.id] = entry
        return found

    def set_content(
        self,
        conn: Connection,
        entry: Entry,
        *,
        blob_hash: str,
        size: int,
        written_by: str,
        now: float,
    ) -> Entry | None:
        """Record a new version of ``entry`` if it is still at ``entry.version``.

        One compare-and-swap UPDATE: None when another writer got there first.
        """
        new_version = entry.version + 1
        params = [new_version, blob_hash, size, now, entry.id, entry.version]
        changed = fast.execute(conn, _SET_CONTENT_SQL, params)
        if changed != 1:
            return None
        fast.execute(
            conn, _ADD_VERSION_SQL, [entry.id, new_version, blob_hash, size, now, written_by]
        )
        updated = entry._replace(
            version=new_version, blob_hash=blob_hash, size=size, modified_at=now
        )
        return _remember(conn, updated)

    def version(self, conn: Connection, entry_id: int, version: int) -> Version | None:
        row = conn.execute(
            select(versions).where(
                and_(versions.c.entry_id == entry_id, versions.c.version == version)
            )
        ).first()
        if row is None:
            return None
        return Version(
            entry_id=int(row.entry_id),
            version=int(row.version),
            blob_hash=row.blob_hash,
            size=int(row.size),
            created_at=float(row.created_at),
            created_by=row.created_by,
        )

    def delete(self, conn: Connection, entry_ids: Sequence[int]) -> None:
        """Delete entries and their versions (children must be in ``entry_ids`` too)."""
        for start in range(0, len(entry_ids), 500):
            chunk = list(entry_ids[start : start + 500])
            conn.execute(delete(versions).where(versions.c.entry_id.in_(chunk)))
        # Children first, so the parent foreign key never points at a deleted row.
        memo = _memo(conn)
        for entry_id in reversed(entry_ids):
            conn.execute(delete(entries).where(entries.c.id == entry_id))
            memo.pop(entry_id, None)

    def move(self, conn: Connection, entry_id: int, new_parent_id: int, new_name: str) -> Entry:
        try:
            with conn.begin_nested():
                conn.execute(
                    update(entries)
                    .where(entries.c.id == entry_id)
                    .values(parent_id=new_parent_id, name=new_name)
                )
        except IntegrityError:
            raise NexusFileExistsError(f"{new_name!r} already exists") from None
        return self.get_required(conn, entry_id)

    def forget_owner(self, conn: Connection, owner: str) -> None:
        """Clear the recorded owner of every entry ``owner`` made (their account is gone)."""
        conn.execute(update(entries).where(entries.c.owner == owner).values(owner=""))
        for entry_id, entry in list(_memo(conn).items()):
            if entry.owner == owner:
                _memo(conn).pop(entry_id)

    def set_restricted(self, conn: Connection, entry_id: int, restricted: bool) -> Entry:
        conn.execute(update(entries).where(entries.c.id == entry_id).values(restricted=restricted))
        return self.get_required(conn, entry_id)

    def known(self, conn: Connection, entry_ids: Sequence[int]) -> Mapping[int, Entry]:
        """The entries of ``entry_ids`` that exist, by id, read-only: those this
        transaction has already seen come from its memo (a listing's children do), the
        rest in one batch. For walking parent links of many entries without a copy each."""
        memo = _memo(conn)
        missing = list(filterfalse(memo.__contains__, entry_ids))
        if missing:
            self.get_many(conn, missing)
        return memo

    def children_ids(
        self, conn: Connection, parent_ids: Sequence[int]
    ) -> dict[int, list[tuple[int, bool]]]:
        """parent id -> [(child id, whether the child is restricted)] for the entries
        directly below each of ``parent_ids`` (parents without children are left out).

        The reverse of ``parent_ids``, for listing what a grant on a directory reaches:
        one statement per chunk of parents, three columns, nothing memoised (it may be
        a whole tree). It runs on the driver (see nexus.db.fast): for 100,000 children
        SQLAlchemy's row processing costs three times the query.
        """
        found: dict[int, list[tuple[int, bool]]] = {}
        wanted = list(set(parent_ids))
        chunk_size = fast.IN_CHUNK
        for start in range(0, len(wanted), chunk_size):
            chunk = wanted[start : start + chunk_size]
            sql = "SELECT parent_id, id, restricted FROM entries WHERE " + fast.in_list(
                conn, "parent_id", chunk, "bigint"
            )
            rows = fast.fetch_all(conn, sql, fast.in_params(conn, chunk))
            for parent_id, child_id, restricted in rows:
                kids = found.get(parent_id)
                if kids is None:
                    kids = found[parent_id] = []
                kids.append((child_id, bool(restricted)))
        return found

    def descendant_ids(
        self, conn: Connection, parent_ids: Iterable[int], *, through_restricted: bool
    ) -> set[str]:
        """The ids, as text, of every entry below ``parent_ids`` (a parent itself only when
        it is below another). ``through_restricted=False`` leaves out restricted entries
        and everything below them (what a grant above does not reach).

        For listing every file a grant on a directory reaches: one statement per level
        (per chunk of directories), and only directories are asked for children (files
        never have any; ``descendants`` relies on that too), so a folder of 100,000 files
        costs no round asking each of them. The database turns the ids into text, the
        form of permission-engine object ids, instead of one str() per entry in Python.
        """
        found: set[str] = set()
        asked = set(parent_ids)
        level = sorted(asked)
        columns = "SELECT CAST(id AS TEXT), kind = ? FROM entries WHERE "
        condition = "" if through_restricted else " AND NOT restricted"
        while level:
            directories: list[int] = []
            for start in range(0, len(level), fast.IN_CHUNK):
                chunk = level[start : start + fast.IN_CHUNK]
                sql = columns + fast.in_list(conn, "parent_id", chunk, "bigint") + condition
                rows = fast.fetch_all(conn, sql, [DIRECTORY, *fast.in_params(conn, chunk)])
                found.update([text for text, _ in rows])
                directories += [int(text) for text, is_directory in rows if is_directory]
            # A parent below another parent is reached twice: walk it once.
            level = [d for d in directories if d not in asked]
            asked.update(level)
        return found

    def path_of(self, conn: Connection, entry_id: int) -> str:
        """The current path of an entry (walks up the tree)."""
        names: list[str] = []
        current = self.get(conn, entry_id)
        while current is not None and current.parent_id is not None:
            names.append(current.name)
            current = self.get(conn, current.parent_id)
        return "/" + "/".join(reversed(names))

    def resolve_many(self, conn: Connection, paths: Iterable[str]) -> dict[str, list[Entry]]:
        """``resolve`` for many paths at once: per depth, one query (per chunk of pairs)
        for the children all the paths need there, instead of one query per segment."""
        chains: dict[str, list[Entry]] = {"/": [self.root(conn)]}
        wanted = {path: segments(path) for path in set(paths)}
        depth = 0
        while True:
            depth += 1
            # (directory id, name) -> the prefix path it completes, at this depth
            needed: dict[tuple[int, str], str] = {}
            for parts in wanted.values():
                if len(parts) < depth:
                    continue
                above = chains.get("/" + "/".join(parts[: depth - 1]))
                if above is None or not above[-1].is_directory:
                    continue
                needed[(above[-1].id, parts[depth - 1])] = "/" + "/".join(parts[:depth])
            if not needed:
                break
            pairs = list(needed)
            for start in range(0, len(pairs), _PAIR_CHUNK):
                rows = conn.execute(
                    select(entries).where(
                        tuple_(entries.c.parent_id, entries.c.name).in_(
                            pairs[start : start + _PAIR_CHUNK]
                        )
                    )
                )
                for row in rows:
                    entry = _remember(conn, Entry.from_row(row))
                    assert entry.parent_id is not None
                    prefix = needed[(entry.parent_id, entry.name)]
                    chains[prefix] = [*chains[prefix.rsplit("/", 1)[0] or "/"], entry]
        found: dict[str, list[Entry]] = {}
        for path, parts in wanted.items():
            for depth in range(len(parts), -1, -1):
                chain = chains.get("/" + "/".join(parts[:depth]))
                if chain is not None:
                    found[path] = chain
                    break
        return found

    def paths_of_many(self, conn: Connection, entry_ids: Iterable[int]) -> dict[int, str]:
        """The current paths of many entries at once (ids that do not exist are left out).

        Loads each entry and each of its ancestors once, level by level (a few queries per
        tree level for the whole batch), instead of one walk up the tree per entry.
        """
        links: dict[int, tuple[int | None, str]] = {}
        wanted_ids = {int(entry_id) for entry_id in entry_ids}
        frontier = set(wanted_ids)
        while frontier:
            wanted = sorted(frontier)
            frontier = set()
            for start in range(0, len(wanted), fast.IN_CHUNK):
                chunk = wanted[start : start + fast.IN_CHUNK]
                rows = conn.execute(
                    select(entries.c.id, entries.c.parent_id, entries.c.name).where(
                        _one_of(conn, entries.c.id, chunk)
                    )
                ).all()
                for entry_id, parent_id, name in rows:
                    links[entry_id] = (parent_id, name)
                    if parent_id is not None and parent_id not in links:
                        frontier.add(parent_id)
            frontier -= links.keys()
        paths = _build_paths(links)
        # Only what was asked for: the ancestors were loaded to build the paths.
        return {entry_id: paths[entry_id] for entry_id in wanted_ids if entry_id in paths}

    def subtree_paths(
        self, conn: Connection, entry_id: int, path: str, *, limit: int | None = None
    ) -> dict[int, str] | None:
        """``entry_id`` (at ``path``) and every entry below it, id -> path: one query per
        level and chunk of directories. None when there are more than ``limit`` entries
        (it stops reading there)."""
        found = {entry_id: path}
        frontier = [entry_id]
        while frontier:
            following: list[int] = []
            for start in range(0, len(frontier), fast.IN_CHUNK):
                chunk = frontier[start : start + fast.IN_CHUNK]
                query = select(
                    entries.c.id, entries.c.parent_id, entries.c.name, entries.c.kind
                ).where(_one_of(conn, entries.c.parent_id, chunk))
                if limit is not None:
                    query = query.limit(limit - len(found) + 1)
                rows = conn.execute(query).all()
                for child_id, parent_id, name, kind in rows:
                    parent_path = found[parent_id]
                    found[child_id] = f"{parent_path.rstrip('/')}/{name}"
                    if kind == DIRECTORY:
                        following.append(child_id)
                if limit is not None and len(found) > limit:
                    return None
            frontier = following
        return found


def _build_paths(links: dict[int, tuple[int | None, str]]) -> dict[int, str]:
    """id -> path from id -> (parent id, name), for entries whose chain reaches the root."""
    paths: dict[int, str] = {}
    for entry_id in links:
        chain: list[int] = []
        current: int | None = entry_id
        # Walk up until an entry whose path is known (or the root); then fill in downwards.
        while current is not None and current not in paths:
            link = links.get(current)
            if link is None:
                break  # vanished ancestor: this entry has no path
            if link[0] is None:
                paths[current] = "/"
                break
            chain.append(current)
            current = link[0]
        if current is None or current not in paths:
            continue
        base = paths[current]
        for node in reversed(chain):
            base = f"{base.rstrip('/')}/{links[node][1]}"
            paths[node] = base
    return paths
