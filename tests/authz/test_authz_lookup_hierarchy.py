"""Property: list_objects through a ReverseHierarchy (the closure of a virtual relation in
one call) agrees with check, also where ``x from parent`` loops sit below ``and`` and
``but not`` (their ids are candidates) and feed each other.

The parent relation is an in-memory graph of docs: several parents per doc and cycles
occur, so the closure is a reachability, not only a tree walk.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from nexus.authz import ObjectRef, PermissionEngine, RelationshipStore, SubjectRef, parse_schema
from nexus.authz.lookup import ReverseHierarchy

from .test_authz_lookup_properties import EXPIRIES, NOW, _assert_agreement, _database, _examples

SCHEMAS = (
    # An exact loop (editor) feeding one below an exclusion (viewer), and a loop as the
    # first operand of an intersection.
    """
model
  schema 1.1
type user
type doc
  relations
    define parent: [doc]
    define blocked: [user]
    define editor: [user] or editor from parent
    define viewer: ([user, user:*] or editor or viewer from parent) but not blocked
    define auditor: ([user] or auditor from parent) and viewer
""",
    # Loops under an exclusion feeding each other, and an intersection of two loops.
    """
model
  schema 1.1
type user
type doc
  relations
    define parent: [doc]
    define blocked: [user, user:*]
    define owner: [user]
    define editor: ([user] or owner or editor from parent) but not blocked
    define viewer: [user] or editor or viewer from parent
    define both: (viewer from parent or owner) and (editor or blocked)
""",
)
DOCS = [f"d{i}" for i in range(7)]
USERS = ("ann", "bob")


def _hierarchy(
    links: Mapping[str, Collection[str]],
) -> tuple[Mapping[tuple[str, str], object], Mapping[tuple[str, str], object], list[int]]:
    """The virtual ``doc#parent`` over ``links`` (child -> parents), its reverse, and a
    counter of the closure calls (so the test knows it went through them)."""
    children: dict[str, list[str]] = {}
    for child, parents in links.items():
        for parent in parents:
            children.setdefault(parent, []).append(child)
    calls = [0]

    def parents_of(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[SubjectRef]]:
        return {i: [SubjectRef("doc", p) for p in links.get(i, ())] for i in ids}

    def children_of(conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[ObjectRef]]:
        return {i: [ObjectRef("doc", c) for c in children.get(i, ())] for i in ids}

    def below(conn: Connection, ids: Collection[str]) -> Collection[str]:
        calls[0] += 1
        found: set[str] = set()
        todo = list(ids)
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    return (
        {("doc", "parent"): parents_of},
        {("doc", "parent"): ReverseHierarchy(children_of, below)},
        calls,
    )


@settings(max_examples=_examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schema=st.sampled_from(SCHEMAS),
    links=st.dictionaries(
        st.sampled_from(DOCS), st.sets(st.sampled_from(DOCS), max_size=2), max_size=7
    ),
    grants=st.lists(
        st.tuples(
            st.sampled_from(DOCS),
            st.sampled_from(["blocked", "owner", "editor", "viewer", "auditor"]),
            st.sampled_from([SubjectRef("user", u) for u in (*USERS, "*")]),
            EXPIRIES,
        ),
        max_size=10,
    ),
)
def test_list_objects_through_a_hierarchy_agrees_with_check(
    schema: str,
    links: dict[str, set[str]],
    grants: list[tuple[str, str, SubjectRef, float | None]],
) -> None:
    virtual, reverse, _ = _hierarchy(links)
    engine = PermissionEngine(
        RelationshipStore(),
        parse_schema(schema),
        virtual_relations=virtual,  # type: ignore[arg-type]
        reverse_virtual_relations=reverse,  # type: ignore[arg-type]
        clock=lambda: NOW,
    )
    with _database() as db:
        with db.write() as conn:
            for doc, relation, subject, expires_at in grants:
                if engine.schema.allows_subject("doc", relation, subject):
                    obj = ObjectRef("doc", doc)
                    engine.grant(conn, obj, relation, subject, expires_at=expires_at)
        subjects = [SubjectRef("user", u) for u in (*USERS, "*", "nobody-has-tuples")]
        _assert_agreement(db, engine, [ObjectRef("doc", d) for d in DOCS], subjects)


def test_loops_below_an_exclusion_go_through_the_closure() -> None:
    virtual, reverse, calls = _hierarchy({"d1": {"d0"}, "d2": {"d1"}, "d3": {"d2"}})
    engine = PermissionEngine(
        RelationshipStore(),
        parse_schema(SCHEMAS[0]),
        virtual_relations=virtual,  # type: ignore[arg-type]
        reverse_virtual_relations=reverse,  # type: ignore[arg-type]
    )
    ann, bob = SubjectRef("user", "ann"), SubjectRef("user", "bob")
    with _database() as db:
        with db.write() as conn:
            engine.grant(conn, ObjectRef("doc", "d0"), "editor", ann)
            engine.grant(conn, ObjectRef("doc", "d2"), "blocked", ann)
            engine.grant(conn, ObjectRef("doc", "d1"), "viewer", bob)
        with db.read() as conn:
            ann_views = engine.list_objects(conn, ann, "viewer", "doc")
            bob_views = engine.list_objects(conn, bob, "viewer", "doc")
    assert ann_views == {ObjectRef("doc", d) for d in ("d0", "d1", "d3")}
    assert bob_views == {ObjectRef("doc", d) for d in ("d1", "d2", "d3")}
    assert calls[0] > 0
