"""Property: a listing's batch (check_many evaluated set at a time, with computed parent
edges) answers like independent single checks, on random trees, grants and groups."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from nexus.authz import (
    ObjectRef,
    PermissionEngine,
    Relationship,
    RelationshipStore,
    SubjectRef,
    parse_schema,
)
from nexus.authz.engine import VirtualRelation
from nexus.db.engine import Database, open_engine
from nexus.db.tables import metadata
from nexus.files.schema import FILE_SCHEMA

pytestmark = pytest.mark.slow

NODES = [f"n{i}" for i in range(8)]
USERS = ["alice", "bob"]
GROUPS = ["g1", "g2", "g3"]
RELATIONS = ["owner", "can_read", "can_write", "can_execute"]


def tree_relations(
    parents: Mapping[str, str], restricted: frozenset[str]
) -> dict[tuple[str, str], VirtualRelation]:
    """``parent`` and ``inherit_parent`` as the files layer computes them, from a map that
    may even hold loops (the engine must not rely on the tree being a tree)."""

    def parent(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[SubjectRef]]:
        return {i: (SubjectRef("file", parents[i]),) for i in ids if i in parents}

    def inherit(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[SubjectRef]]:
        return {
            i: () if i in restricted else (SubjectRef("file", parents[i]),)
            for i in ids
            if i in parents
        }

    return {("file", "parent"): parent, ("file", "inherit_parent"): inherit}


subjects = st.one_of(
    st.sampled_from([SubjectRef("user", u) for u in USERS]),
    st.just(SubjectRef("user", "*")),
    st.sampled_from([SubjectRef("group", g, "member") for g in GROUPS]),
)
grants = st.lists(
    st.tuples(st.sampled_from(NODES), st.sampled_from(RELATIONS), subjects), max_size=10
)
members = st.lists(
    st.tuples(
        st.sampled_from(GROUPS),
        st.one_of(
            st.sampled_from([SubjectRef("user", u) for u in USERS]),
            st.sampled_from([SubjectRef("group", g, "member") for g in GROUPS]),
        ),
    ).filter(lambda t: t[1] != SubjectRef("group", t[0], "member")),
    max_size=5,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parents=st.dictionaries(st.sampled_from(NODES), st.sampled_from(NODES), max_size=8),
    restricted=st.frozensets(st.sampled_from(NODES)),
    grants=grants,
    members=members,
    relation=st.sampled_from(["can_read", "can_write", "owner", "can_create"]),
    subject=st.one_of(
        st.sampled_from([SubjectRef("user", u) for u in [*USERS, "carol"]]),
        st.sampled_from([SubjectRef("group", g, "member") for g in GROUPS]),
    ),
)
def test_batch_equals_single_checks_on_random_trees(
    parents: dict[str, str],
    restricted: frozenset[str],
    grants: list[tuple[str, str, SubjectRef]],
    members: list[tuple[str, SubjectRef]],
    relation: str,
    subject: SubjectRef,
) -> None:
    schema = parse_schema(FILE_SCHEMA)
    virtual = tree_relations(parents, restricted)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(open_engine(f"sqlite:///{Path(tmp) / 't.db'}"))
        metadata.create_all(db.engine)
        try:
            writer = PermissionEngine(RelationshipStore(), schema, virtual)
            with db.write() as conn:
                for node, rel, sub in grants:
                    if not schema.allows_subject("file", rel, sub):
                        continue  # e.g. user:* is grantable on can_read only
                    writer.write(conn, Relationship(ObjectRef("file", node), rel, sub))
                for name, sub in members:
                    writer.write(conn, Relationship(ObjectRef("group", name), "member", sub))
            objects = [ObjectRef("file", node) for node in NODES]
            # subject_load_batch=1: every call takes the listing's (set at a time) path.
            batch = PermissionEngine(RelationshipStore(), schema, virtual, subject_load_batch=1)
            with db.read() as conn:
                many = batch.check_many(conn, subject, relation, objects)
                singles = {
                    obj: PermissionEngine(RelationshipStore(), schema, virtual).check(
                        conn, subject, relation, obj
                    )
                    for obj in objects
                }
            assert many == singles
        finally:
            db.dispose()
