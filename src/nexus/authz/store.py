"""Relationship tuples in the ``relationships`` table, and the ``authz_revision`` counter.

Every method takes the caller's Connection: the caller owns the transaction, so a grant and
the file operation that needs it commit (or roll back) together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update
from sqlalchemy.sql.elements import ColumnElement

from nexus.authz.model import WILDCARD, ObjectRef, Relationship, RelationshipFilter, SubjectRef
from nexus.db import fast
from nexus.db.tables import relationships
from nexus.errors import NexusValidationError

# Set on a connection whose transaction changed tuples: its reads must not fill shared caches.
DIRTY_KEY = "nexus_authz_dirty"
# The transaction the flag belongs to (Connection.info outlives transactions in the pool).
_DIRTY_TXN_KEY = "nexus_authz_dirty_txn"

_KEY_COLUMNS = (
    "object_type",
    "object_id",
    "relation",
    "subject_type",
    "subject_id",
    "subject_relation",
)
_REVISION_ROW = 1
_REVISION_SQL = f"SELECT revision FROM authz_revision WHERE id = {_REVISION_ROW}"
_BUMP_SQL = (
    f"INSERT INTO authz_revision (id, revision) VALUES ({_REVISION_ROW}, 1)"
    " ON CONFLICT (id) DO UPDATE SET revision = authz_revision.revision + 1"
)
_INSERT_COLUMNS = (*_KEY_COLUMNS, "created_at", "created_by", "expires_at")
_INSERT_SQL = (
    f"INSERT INTO relationships ({', '.join(_INSERT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"
    f" ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO NOTHING RETURNING id"
)
# Reading a subject's tuples beats probing each object while they number under about twice
# the objects asked about (plus this, for small batches).
_SUBJECT_SIDE_SLACK = 1_000
_TUPLE_COLUMNS = (
    "object_id, relation, subject_type, subject_id, subject_relation, created_at, created_by, "
    "expires_at"
)


def is_dirty(conn: Connection) -> bool:
    """Whether this connection's current transaction wrote tuples (not yet committed)."""
    if not conn.info.get(DIRTY_KEY):
        return False
    if conn.info.get(_DIRTY_TXN_KEY) is not conn.get_transaction():
        # The flag is left over from an earlier transaction on the same pooled connection.
        conn.info.pop(DIRTY_KEY, None)
        conn.info.pop(_DIRTY_TXN_KEY, None)
        return False
    return True


def _mark_dirty(conn: Connection) -> None:
    conn.info[DIRTY_KEY] = True
    conn.info[_DIRTY_TXN_KEY] = conn.get_transaction()


def _row_to_relationship(row: Any) -> Relationship:
    return Relationship(
        object=ObjectRef(row.object_type, row.object_id),
        relation=row.relation,
        subject=SubjectRef(row.subject_type, row.subject_id, row.subject_relation),
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
    )


def _filter_clause(flt: RelationshipFilter) -> list[ColumnElement[bool]]:
    c = relationships.c
    pairs = (
        (c.object_type, flt.object_type),
        (c.object_id, flt.object_id),
        (c.relation, flt.relation),
        (c.subject_type, flt.subject_type),
        (c.subject_id, flt.subject_id),
        (c.subject_relation, flt.subject_relation),
    )
    return [column == value for column, value in pairs if value is not None]


def _key_clause(rel: Relationship) -> ColumnElement[bool]:
    return and_(
        *_filter_clause(RelationshipFilter.for_tuple(rel.object, rel.relation, rel.subject))
    )


class RelationshipStore:
    """SQL access to tuples; knows nothing about the schema (the engine validates)."""

    def write(self, conn: Connection, rel: Relationship, *, bump: bool = True) -> bool:
        """Store ``rel``; False if the identical tuple (same expiry too) was already there.

        Writing an existing tuple with a different ``expires_at`` replaces the expiry, so a
        re-grant revives an expired tuple instead of silently staying expired. ``bump=False``
        leaves the revision as it is (see PermissionEngine.write_on_new_object); the
        transaction still stops filling shared caches.
        """
        values = {
            "object_type": rel.object.type,
            "object_id": rel.object.id,
            "relation": rel.relation,
            "subject_type": rel.subject.type,
            "subject_id": rel.subject.id,
            "subject_relation": rel.subject.relation,
            "created_at": rel.created_at,
            "created_by": rel.created_by,
            "expires_at": rel.expires_at,
        }
        changed = self._insert_if_absent(conn, values)
        if not changed:
            result = conn.execute(
                update(relationships)
                .where(
                    _key_clause(rel), relationships.c.expires_at.is_distinct_from(rel.expires_at)
                )
                .values(
                    created_at=rel.created_at,
                    created_by=rel.created_by,
                    expires_at=rel.expires_at,
                )
            )
            changed = result.rowcount > 0
        if changed:
            if bump:
                self.bump(conn)
            else:
                _mark_dirty(conn)
        return changed

    def delete(self, conn: Connection, flt: RelationshipFilter) -> int:
        """Delete the matching tuples; returns how many there were."""
        if flt.is_empty:
            # An empty filter would wipe every grant; nobody means that by accident-proof API.
            raise NexusValidationError(
                "refusing to delete with an empty filter", code="empty_filter"
            )
        result = conn.execute(delete(relationships).where(*_filter_clause(flt)))
        count = int(result.rowcount)
        if count:
            self.bump(conn)
        return count

    def read(self, conn: Connection, flt: RelationshipFilter) -> list[Relationship]:
        """The matching tuples (expired ones included: the caller decides), oldest first."""
        query = select(relationships).where(*_filter_clause(flt)).order_by(relationships.c.id)
        return [_row_to_relationship(row) for row in conn.execute(query)]

    def tuples_for_objects(
        self, conn: Connection, objects: Iterable[ObjectRef]
    ) -> dict[ObjectRef, list[Relationship]]:
        """All tuples of each object, every object present in the result (maybe empty).

        The check path's main query: run on the driver (see nexus.db.fast), one statement
        per type and chunk of ids, so a directory listing is one query.
        """
        return self._tuples_where(conn, objects, "", [])

    def _tuples_where(
        self, conn: Connection, objects: Iterable[ObjectRef], condition: str, params: list[Any]
    ) -> dict[ObjectRef, list[Relationship]]:
        result: dict[ObjectRef, list[Relationship]] = {obj: [] for obj in objects}
        by_type: dict[str, list[str]] = defaultdict(list)
        for obj in result:
            by_type[obj.type].append(obj.id)
        chunk_size = max(1, fast.IN_CHUNK - len(params))
        extra = f" AND ({condition})" if condition else ""
        for type_name, ids in by_type.items():
            for start in range(0, len(ids), chunk_size):
                chunk = ids[start : start + chunk_size]
                sql = (
                    f"SELECT {_TUPLE_COLUMNS} FROM relationships WHERE object_type = ? AND "
                    f"{fast.in_list(conn, 'object_id', chunk, 'text')}{extra} ORDER BY id"
                )
                rows = fast.fetch_all(conn, sql, [type_name, *fast.in_params(conn, chunk), *params])
                for row in rows:
                    obj = ObjectRef(type_name, row[0])
                    result[obj].append(
                        Relationship(
                            obj, row[1], SubjectRef(row[2], row[3], row[4]), row[5], row[6], row[7]
                        )
                    )
        return result

    def tuples_for_subject(
        self,
        conn: Connection,
        objects: Collection[ObjectRef],
        subject: SubjectRef,
        *,
        memberships: Mapping[tuple[str, str], Collection[str]],
        other_usersets: Collection[tuple[str, str]],
        tuplesets: Collection[str],
    ) -> dict[ObjectRef, list[Relationship]]:
        """Like ``tuples_for_objects``, but only the tuples that can matter to a check of
        ``subject``, and only the objects that have any: tuples naming the subject or its
        type's wildcard; naming a userset the subject is in (``memberships``: (type,
        relation) -> ids); naming any userset of the ``other_usersets`` kinds; and every
        tuple of a ``tuplesets`` relation (a stored ``parent``). A listing of 10,000 files
        then reads the few grants that concern the caller instead of every grant on every
        file.

        The first three kinds are read from the subject's side (its index) when the subject
        has few tuples (bob's thousand grants, not the hundred thousand of whoever owns
        everything); otherwise, and for the last two kinds, from the objects' side.
        """
        named = [(subject.type, subject.id, subject.relation)]
        if not subject.relation:
            named.append((subject.type, WILDCARD, ""))
        for (userset_type, userset_relation), ids in sorted(memberships.items()):
            named += [(userset_type, member, userset_relation) for member in sorted(ids)]
        found: dict[ObjectRef, list[Relationship]] = {}
        by_subject = self._subject_side(conn, objects, named)
        if by_subject is None:
            clauses = ["(subject_type = ? AND subject_id = ? AND subject_relation = ?)"] * len(
                named
            )
            params: list[Any] = [value for key in named for value in key]
        else:
            found = by_subject
            clauses, params = [], []
        for userset_type, userset_relation in sorted(other_usersets):
            clauses.append("(subject_type = ? AND subject_relation = ?)")
            params += [userset_type, userset_relation]
        if tuplesets:
            names = sorted(tuplesets)
            clauses.append(fast.in_list(conn, "relation", names, "text"))
            params += fast.in_params(conn, names)
        if clauses:
            by_object = self._tuples_where(conn, objects, " OR ".join(clauses), params)
            for obj, rels in by_object.items():
                if rels:
                    found.setdefault(obj, []).extend(rels)
        return found

    def _subject_side(
        self,
        conn: Connection,
        objects: Collection[ObjectRef],
        named: Sequence[tuple[str, str, str]],
    ) -> dict[ObjectRef, list[Relationship]] | None:
        """The tuples on ``objects`` naming one of the ``named`` subjects (type, id,
        relation), read by subject; None when those subjects have too many tuples for that
        to beat reading by object (one index probe per object)."""
        condition = " OR ".join(
            ["(subject_type = ? AND subject_id = ? AND subject_relation = ?)"] * len(named)
        )
        params = [value for key in named for value in key]
        budget = 2 * len(objects) + _SUBJECT_SIDE_SLACK
        # Counting on the index alone is cheap; it decides which side to read from.
        probe = (
            f"SELECT COUNT(*) FROM (SELECT 1 FROM relationships WHERE {condition} LIMIT ?) AS found"
        )
        if fast.fetch_all(conn, probe, [*params, budget + 1])[0][0] > budget:
            return None
        wanted = set(objects)
        found: dict[ObjectRef, list[Relationship]] = {}
        rows = fast.fetch_all(
            conn,
            f"SELECT object_type, {_TUPLE_COLUMNS} FROM relationships WHERE {condition} "
            "ORDER BY id",
            params,
        )
        for row in rows:
            obj = ObjectRef(row[0], row[1])
            if obj in wanted:
                rel = Relationship(
                    obj, row[2], SubjectRef(row[3], row[4], row[5]), row[6], row[7], row[8]
                )
                found.setdefault(obj, []).append(rel)
        return found

    def containing(
        self,
        conn: Connection,
        subjects: Iterable[SubjectRef],
        relations: Sequence[str],
        *,
        now: float,
    ) -> list[tuple[ObjectRef, str, SubjectRef, float | None]]:
        """The live tuples naming any of ``subjects`` through one of ``relations``:
        (object, relation, subject, expiry).

        A check walks this upwards from its subject (bob -> the groups bob is in -> the
        groups those are in), on the driver: one statement per kind of subject and chunk.
        """
        by_kind: dict[tuple[str, str], list[str]] = defaultdict(list)
        for subject in subjects:
            by_kind[(subject.type, subject.relation)].append(subject.id)
        found: list[tuple[ObjectRef, str, SubjectRef, float | None]] = []
        chunk_size = fast.IN_CHUNK
        for (subject_type, subject_relation), ids in by_kind.items():
            for start in range(0, len(ids), chunk_size):
                chunk = ids[start : start + chunk_size]
                sql = (
                    "SELECT object_type, object_id, relation, subject_id, expires_at "
                    "FROM relationships WHERE subject_type = ? AND subject_relation = ? AND "
                    f"{fast.in_list(conn, 'subject_id', chunk, 'text')} AND "
                    f"{fast.in_list(conn, 'relation', relations, 'text')} "
                    "AND (expires_at IS NULL OR expires_at > ?)"
                )
                params = [
                    subject_type,
                    subject_relation,
                    *fast.in_params(conn, chunk),
                    *fast.in_params(conn, relations),
                    now,
                ]
                for object_type, object_id, relation, subject_id, expires_at in fast.fetch_all(
                    conn, sql, params
                ):
                    found.append(
                        (
                            ObjectRef(object_type, object_id),
                            relation,
                            SubjectRef(subject_type, subject_id, subject_relation),
                            expires_at,
                        )
                    )
        return found

    def subject_grants(
        self, conn: Connection, subject: SubjectRef, *, now: float, wildcard: bool
    ) -> list[tuple[str, str, str, str]]:
        """(object type, relation, object id, subject id) of each live tuple naming
        ``subject`` exactly, on any object; with ``wildcard`` also of those naming its
        type's wildcard (subject id ``*``). Expired ones (``expires_at <= now``) are left
        out. On the driver, four columns: a user may own every file of the store.
        """
        ids = [subject.id, WILDCARD] if wildcard else [subject.id]
        sql = (
            "SELECT object_type, relation, object_id, subject_id FROM relationships "
            "WHERE subject_type = ? AND subject_relation = ? "
            "AND (expires_at IS NULL OR expires_at > ?) AND "
            + fast.in_list(conn, "subject_id", ids, "text")
        )
        params = [subject.type, subject.relation, now, *fast.in_params(conn, ids)]
        # (A wildcard never has a relation: with one, ``*`` simply matches nothing.)
        return fast.fetch_all(conn, sql, params)

    def object_ids_for_subjects(
        self,
        conn: Connection,
        object_type: str,
        relation: str,
        subject_type: str,
        subject_relation: str,
        subject_ids: Collection[str],
        *,
        now: float,
    ) -> set[str]:
        """Ids of the ``object_type`` objects with a live tuple ``relation`` naming one of
        ``subject_type:{subject_ids}[#subject_relation]``: the reverse of a tuple edge.

        One statement per chunk of subject ids, on the driver (see nexus.db.fast); only
        the id column is read.
        """
        ids = list(subject_ids)
        found: set[str] = set()
        chunk_size = fast.IN_CHUNK
        for start in range(0, len(ids), chunk_size):
            chunk = ids[start : start + chunk_size]
            sql = (
                "SELECT object_id FROM relationships WHERE subject_type = ? "
                "AND subject_relation = ? AND object_type = ? AND relation = ? "
                "AND (expires_at IS NULL OR expires_at > ?) AND "
                + fast.in_list(conn, "subject_id", chunk, "text")
            )
            params = [subject_type, subject_relation, object_type, relation, now]
            rows = fast.fetch_all(conn, sql, [*params, *fast.in_params(conn, chunk)])
            found.update(row[0] for row in rows)
        return found

    def revision(self, conn: Connection) -> int:
        """The current revision (0 before the first write), as the caller's transaction sees it.

        Every check starts here, so it skips SQLAlchemy's statement machinery and asks the
        driver directly: a few microseconds instead of tens (same transaction, same answer).
        """
        rows = fast.fetch_all(conn, _REVISION_SQL)
        row = rows[0] if rows else None
        return int(row[0]) if row is not None else 0

    def _insert_if_absent(self, conn: Connection, values: dict[str, Any]) -> bool:
        # On the driver: every created file stores its owner tuple through here.
        # RETURNING, not rowcount: psycopg reports no usable rowcount for this statement.
        inserted = fast.fetch_all(conn, _INSERT_SQL, [values[c] for c in _INSERT_COLUMNS])
        return bool(inserted)

    def bump(self, conn: Connection) -> None:
        """Advance the revision in the caller's transaction: every cached answer computed
        before it commits stops being served (also used when the tree behind virtual
        relations changes)."""
        # The migration inserts the row; if it is missing, this creates it instead of failing.
        fast.execute(conn, _BUMP_SQL)
        _mark_dirty(conn)
