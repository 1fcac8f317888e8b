"""PermissionEngine.explain: granting chains, denials with their nearest missing link, and the
property that an explanation always agrees with check and rests on live tuples only."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from nexus.authz import (
    Attempt,
    ComputedUserset,
    DepthExceededError,
    DirectTypes,
    Exclusion,
    Explanation,
    Intersection,
    ObjectRef,
    PermissionEngine,
    Relationship,
    RelationshipFilter,
    RelationshipStore,
    Step,
    SubjectRef,
    TupleToUserset,
    parse_schema,
)
from nexus.authz.explain import MAX_ATTEMPTS, RefNamer, describe_step, render_tried
from nexus.authz.schema import iter_rewrites
from nexus.db.engine import Database, open_engine
from nexus.db.tables import metadata
from nexus.errors import NexusValidationError

from .differential import generate_case

# Files as in Nexus: the tree supplies parent edges; a restricted directory inherits nothing.
TREE_SCHEMA = """model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type file
  relations
    define inherit_parent: [file]
    define owner: [user, group#member]
    define can_write: [user, group#member] or owner or can_write from inherit_parent
    define can_read: [user, user:*, group#member] or can_write or can_read from inherit_parent
"""


def user(name: str) -> SubjectRef:
    return SubjectRef("user", name)


def members(name: str) -> SubjectRef:
    return SubjectRef("group", name, "member")


def group(name: str) -> ObjectRef:
    return ObjectRef("group", name)


def folder(name: str) -> ObjectRef:
    return ObjectRef("folder", name)


def file(name: str) -> ObjectRef:
    return ObjectRef("file", name)


class Tree:
    """A directory tree behind the virtual ``inherit_parent`` relation."""

    def __init__(self, parents: Mapping[str, str], restricted: Sequence[str] = ()):
        self.parents = dict(parents)
        self.restricted = set(restricted)

    def inherit_parent(
        self, conn: Connection, ids: Sequence[str]
    ) -> Mapping[str, Sequence[SubjectRef]]:
        return {
            i: [SubjectRef("file", self.parents[i])]
            for i in ids
            if i in self.parents and i not in self.restricted
        }

    def engine(self, store: RelationshipStore, max_depth: int = 50) -> PermissionEngine:
        virtual = {("file", "inherit_parent"): self.inherit_parent}
        return PermissionEngine(store, parse_schema(TREE_SCHEMA), virtual, max_depth=max_depth)


# /workspace/team-project/internal/specs.md as ids: ws / proj / internal / specs
PROJECT_TREE = {"proj": "ws", "internal": "proj", "specs": "internal", "readme": "proj"}


def write(db: Database, engine: PermissionEngine, *rels: Relationship) -> None:
    with db.write() as conn:
        for rel in rels:
            engine.write(conn, rel)


def explain(
    db: Database, engine: PermissionEngine, subject: SubjectRef, relation: str, obj: ObjectRef
) -> Explanation:
    with db.read() as conn:
        found = engine.explain(conn, subject, relation, obj)
        assert found.allowed == engine.check(conn, subject, relation, obj)
        if found.allowed:
            assert_proof(engine, conn, found, time.time())
    return found


def hows(found: Explanation) -> list[tuple[str, str, str]]:
    return [(str(step.object), step.relation, step.how) for step in found.path]


def walk(attempts: Sequence[Attempt]) -> Iterator[Attempt]:
    for attempt in attempts:
        yield attempt
        yield from walk(attempt.children)


# --- the proof checker ------------------------------------------------------------------


def assert_proof(
    engine: PermissionEngine,
    conn: Connection,
    found: Explanation,
    now: float,
    virtual: Mapping[tuple[str, str], object] | None = None,
) -> None:
    """Every step follows from the schema, from earlier steps and from a live stored tuple
    or a real virtual edge; the last step is the checked relation itself."""
    path = found.path
    assert path, "an allowed explanation without a path"
    assert (path[-1].object, path[-1].relation) == (found.object, found.relation)
    for index, step in enumerate(path):
        assert all(p < index for p in step.parts), step
        premises = [path[p] for p in step.parts]
        rewrite = engine.schema.rewrite(step.object.type, step.relation)
        assert rewrite is not None
        rules = list(iter_rewrites(rewrite))
        rel = step.relationship
        if rel is not None:
            assert_live(engine, conn, rel, step.virtual, now)
        if step.how in ("direct", "virtual", "wildcard", "userset"):
            assert rel is not None and any(isinstance(r, DirectTypes) for r in rules)
            assert (rel.object, rel.relation) == (step.object, step.relation)
            assert step.virtual == (step.how == "virtual" or step.virtual)
        if step.how == "self":
            assert rel is None and not step.parts
            subject = found.subject
            assert (subject.object, subject.relation) == (step.object, step.relation)
        elif step.how in ("direct", "virtual"):
            assert rel is not None and rel.subject == found.subject
        elif step.how == "wildcard":
            assert rel is not None and rel.subject == SubjectRef(found.subject.type, "*")
            assert not found.subject.relation
        elif step.how == "userset":
            assert rel is not None and len(premises) == 1
            member = premises[0]
            assert (member.object, member.relation) == (rel.subject.object, rel.subject.relation)
        elif step.how == "computed":
            (source,) = premises
            assert source.object == step.object
            assert ComputedUserset(source.relation) in rules
        elif step.how == "tupleset":
            assert rel is not None and len(premises) == 1
            target = premises[0]
            assert rel.object == step.object and target.object == rel.subject.object
            assert TupleToUserset(rel.relation, target.relation) in rules
        elif step.how == "intersection":
            assert any(
                isinstance(r, Intersection) and len(r.children) == len(premises) for r in rules
            )
            assert all((p.object, p.relation) == (step.object, step.relation) for p in premises)
        else:
            assert step.how == "exclusion" and any(isinstance(r, Exclusion) for r in rules)
            assert [(p.object, p.relation) for p in premises] == [(step.object, step.relation)]


def assert_live(
    engine: PermissionEngine, conn: Connection, rel: Relationship, virtual: bool, now: float
) -> None:
    if virtual:
        compute = engine._virtual[(rel.object.type, rel.relation)]
        assert rel.subject in compute(conn, [rel.object.id]).get(rel.object.id, ()), rel
        return
    stored = engine.read(conn, RelationshipFilter.for_tuple(rel.object, rel.relation, rel.subject))
    assert len(stored) == 1 and stored[0] == rel, rel
    assert not stored[0].is_expired(now), rel


# --- granting chains ----------------------------------------------------------------------


def test_direct_grant_is_one_step_with_its_tuple(db: Database, store: RelationshipStore) -> None:
    engine = Tree(PROJECT_TREE).engine(store)
    granted = Relationship(file("specs"), "can_write", user("bob"), 1.0, "alice")
    write(db, engine, granted)
    found = explain(db, engine, user("bob"), "can_write", file("specs"))
    assert found.allowed and found.missing is None and found.tried == ()
    assert found.path == (Step(file("specs"), "can_write", "direct", granted),)
    assert found.path[0].relationship is not None
    assert found.path[0].relationship.created_by == "alice"


def test_wildcard_grant(db: Database, store: RelationshipStore) -> None:
    engine = Tree(PROJECT_TREE).engine(store)
    write(db, engine, Relationship(file("proj"), "can_read", SubjectRef("user", "*")))
    found = explain(db, engine, user("anyone"), "can_read", file("specs"))
    assert hows(found) == [
        ("file:proj", "can_read", "wildcard"),
        ("file:internal", "can_read", "tupleset"),
        ("file:specs", "can_read", "tupleset"),
    ]
    # A userset is not "a user": the wildcard does not grant it.
    write(db, engine, Relationship(group("dev"), "member", user("x")))
    assert not explain(db, engine, members("dev"), "can_read", file("specs")).allowed


def test_the_issue_example_group_on_a_directory_inherited_by_a_file(
    db: Database, store: RelationshipStore
) -> None:
    """bob is in developers, which has can_write on internal, inherited by specs.md."""
    engine = Tree(PROJECT_TREE).engine(store)
    write(
        db,
        engine,
        Relationship(group("developers"), "member", user("bob")),
        Relationship(file("internal"), "can_write", members("developers")),
    )
    found = explain(db, engine, user("bob"), "can_write", file("specs"))
    assert hows(found) == [
        ("group:developers", "member", "direct"),
        ("file:internal", "can_write", "userset"),
        ("file:specs", "can_write", "tupleset"),
    ]
    edge = found.path[2]
    assert edge.virtual and edge.relationship == Relationship(
        file("specs"), "inherit_parent", SubjectRef("file", "internal")
    )
    assert found.path[1].parts == (0,) and found.path[2].parts == (1,)
    lines = [describe_step(s, found.path, user("bob"), RefNamer()) for s in found.path]
    assert lines[1] == (
        "group:developers#member has can_write on file:internal, and user:bob is in it (step 1)"
    )
    assert "follows from can_write on file:internal, its inherit_parent" in lines[2]


def test_nested_groups_and_computed_relations(db: Database, store: RelationshipStore) -> None:
    engine = Tree(PROJECT_TREE).engine(store)
    write(
        db,
        engine,
        Relationship(group("core"), "member", user("bob")),
        Relationship(group("eng"), "member", members("core")),
        Relationship(group("all"), "member", members("eng")),
        Relationship(file("proj"), "owner", members("all")),
    )
    found = explain(db, engine, user("bob"), "can_read", file("specs"))
    assert hows(found) == [
        ("group:core", "member", "direct"),
        ("group:eng", "member", "userset"),
        ("group:all", "member", "userset"),
        ("file:proj", "owner", "userset"),
        ("file:proj", "can_write", "computed"),
        ("file:internal", "can_write", "tupleset"),
        ("file:specs", "can_write", "tupleset"),
        ("file:specs", "can_read", "computed"),
    ]


# --- denials ------------------------------------------------------------------------------


def test_no_grant_names_the_object_and_where_inheritance_was_looked_for(
    db: Database, store: RelationshipStore
) -> None:
    engine = Tree(PROJECT_TREE).engine(store)
    write(db, engine, Relationship(file("specs"), "can_read", user("bob")))
    found = explain(db, engine, user("bob"), "can_write", file("specs"))
    assert not found.allowed and found.path == ()
    gap = found.gaps[0]
    assert gap.kind == "no_grant" and gap.object == file("specs")
    assert gap.relations == ("can_write", "owner")
    assert gap.reached == (file("internal"), file("proj"), file("ws"))
    assert gap.through == ("inherit_parent",)
    assert found.missing == (
        "no can_write or owner grant for user:bob or any userset it is in on file:specs or on "
        "file:internal, file:proj or file:ws (reached through inherit_parent)"
    )
    # What was tried, top level: the three parts of can_write on specs.
    assert [(a.kind, a.rule) for a in found.tried] == [
        ("direct", "[user, group#member]"),
        ("relation", "[user, group#member]"),
        ("tupleset", "can_write from inherit_parent"),
    ]
    assert all(a.granted is False for a in walk(found.tried))


def test_restricted_directory_cuts_inheritance(db: Database, store: RelationshipStore) -> None:
    open_tree = Tree(PROJECT_TREE)
    write(db, open_tree.engine(store), Relationship(file("proj"), "can_write", user("bob")))
    assert explain(db, open_tree.engine(store), user("bob"), "can_write", file("specs")).allowed

    closed = Tree(PROJECT_TREE, restricted=["internal"]).engine(store)
    found = explain(db, closed, user("bob"), "can_write", file("specs"))
    assert not found.allowed
    gap = found.gaps[-1]
    assert gap.kind == "no_grant" and gap.reached == (file("internal"),)
    tupleset = [a for a in walk(found.tried) if a.object == file("internal")]
    assert any(a.kind == "tupleset" and a.targets == 0 for a in tupleset)
    lines = [line.strip() for line in render_tried(found.tried, user("bob"), RefNamer())]
    assert (
        "can_write from inherit_parent on file:internal: file:internal has no inherit_parent"
        in (lines)
    )
    # readme is outside the restricted folder: still inherited.
    assert explain(db, closed, user("bob"), "can_write", file("readme")).allowed


def test_a_group_grant_the_subject_is_not_in_is_the_nearest_link(
    db: Database, store: RelationshipStore
) -> None:
    engine = Tree(PROJECT_TREE).engine(store)
    write(
        db,
        engine,
        Relationship(group("designers"), "member", user("carol")),
        Relationship(file("proj"), "can_write", members("designers")),
    )
    found = explain(db, engine, user("bob"), "can_write", file("specs"))
    assert [g.kind for g in found.gaps] == ["not_member", "no_grant"]
    assert found.gaps[0].grant == Relationship(file("proj"), "can_write", members("designers"))
    assert found.missing == (
        "group:designers#member has can_write on file:proj, but user:bob is not in "
        "group:designers#member"
    )


def test_exclusion(db: Database, engine: PermissionEngine) -> None:
    write(
        db,
        engine,
        Relationship(folder("f"), "viewer", user("bob")),
        Relationship(folder("f"), "viewer", user("ann")),
        Relationship(folder("f"), "banned", members("bad")),
        Relationship(group("bad"), "member", user("bob")),
    )
    denied = explain(db, engine, user("bob"), "can_read", folder("f"))
    assert not denied.allowed
    gap = denied.gaps[0]
    assert (gap.kind, gap.object, gap.relation, gap.rule) == (
        "excluded",
        folder("f"),
        "can_read",
        "banned",
    )
    assert [s.how for s in gap.proof] == ["direct", "userset"]
    assert denied.missing is not None and denied.missing.startswith(
        "user:bob is excluded from can_read on folder:f by 'banned'"
    )

    allowed = explain(db, engine, user("ann"), "can_read", folder("f"))
    assert hows(allowed) == [
        ("folder:f", "viewer", "direct"),
        ("folder:f", "can_read", "computed"),  # the condition: the base 'viewer' holds
        ("folder:f", "can_read", "exclusion"),
    ]
    assert allowed.path[-1].note == "not banned" and allowed.path[-1].parts == (1,)


def test_intersection(db: Database, engine: PermissionEngine) -> None:
    write(
        db,
        engine,
        Relationship(folder("f"), "owner", user("ann")),
        Relationship(folder("f"), "editor", user("bob")),
    )
    allowed = explain(db, engine, user("ann"), "can_admin", folder("f"))
    last = allowed.path[-1]
    assert last.how == "intersection" and len(last.parts) == 2
    lines = [describe_step(s, allowed.path, user("ann"), RefNamer()) for s in allowed.path]
    assert lines[-1] == "can_admin on folder:f: all of its conditions hold (steps 2, 4)"
    assert sum(line.startswith("condition: ") for line in lines) == 2

    denied = explain(db, engine, user("bob"), "can_admin", folder("f"))
    gap = denied.gaps[0]
    assert (gap.kind, gap.rule, gap.relations) == ("intersection", "owner", ())
    assert denied.missing == (
        "can_admin on folder:f needs all of its conditions, and 'owner' does not hold for user:bob"
    )


def test_expired_grants_never_count_and_are_named(db: Database, engine: PermissionEngine) -> None:
    past, future = time.time() - 60, time.time() + 3600
    write(
        db,
        engine,
        Relationship(folder("f"), "editor", user("bob"), expires_at=past),
        Relationship(folder("f"), "editor", user("ann"), expires_at=future),
        Relationship(group("g"), "member", user("eve"), expires_at=past),
        Relationship(folder("f"), "viewer", members("g")),
    )
    bob = explain(db, engine, user("bob"), "viewer", folder("f"))
    assert not bob.allowed
    assert bob.gaps[0].kind == "expired"
    assert bob.gaps[0].grant is not None and bob.gaps[0].grant.subject == user("bob")
    assert bob.missing is not None and "expired at" in bob.missing
    ann = explain(db, engine, user("ann"), "viewer", folder("f"))
    assert ann.path[0].relationship is not None
    assert ann.path[0].relationship.expires_at == future
    eve = explain(db, engine, user("eve"), "viewer", folder("f"))
    assert not eve.allowed and eve.gaps[0].kind == "expired"
    assert eve.gaps[0].object == group("g")


def test_cycles_terminate_and_never_grant(db: Database, engine: PermissionEngine) -> None:
    write(
        db,
        engine,
        Relationship(group("a"), "member", members("b")),
        Relationship(group("b"), "member", members("a")),
        Relationship(folder("x"), "parent", SubjectRef("folder", "y")),
        Relationship(folder("y"), "parent", SubjectRef("folder", "x")),
        Relationship(folder("x"), "viewer", members("a")),
    )
    found = explain(db, engine, user("bob"), "viewer", folder("x"))
    assert not found.allowed
    assert any(a.kind in ("cycle", "repeat") for a in walk(found.tried))
    write(db, engine, Relationship(group("b"), "member", user("bob")))
    found = explain(db, engine, user("bob"), "viewer", folder("y"))
    assert hows(found) == [
        ("group:b", "member", "direct"),
        ("group:a", "member", "userset"),
        ("folder:x", "viewer", "userset"),
        ("folder:y", "viewer", "tupleset"),
    ]


def test_undetermined_only_through_a_cycle(db: Database, store: RelationshipStore) -> None:
    schema = """model
  schema 1.1
type user
type doc
  relations
    define parent: [doc]
    define c: [user]
    define b: a from parent but not c
    define a: [user] or b
"""
    engine = PermissionEngine(store, parse_schema(schema))
    write(db, engine, Relationship(ObjectRef("doc", "d"), "parent", SubjectRef("doc", "d")))
    found = explain(db, engine, user("bob"), "a", ObjectRef("doc", "d"))
    assert not found.allowed
    assert "undetermined" in [g.kind for g in found.gaps]


def test_bad_relation_and_depth_bound_fail_like_check(
    db: Database, engine: PermissionEngine, store: RelationshipStore
) -> None:
    with db.read() as conn, pytest.raises(NexusValidationError) as caught:
        engine.explain(conn, user("bob"), "nope", folder("f"))
    assert caught.value.detail_code == "unknown_relation"

    chain = {f"d{i}": f"d{i + 1}" for i in range(10)}
    shallow = Tree(chain).engine(store, max_depth=5)
    write(db, shallow, Relationship(file("d10"), "can_read", user("bob")))
    with db.read() as conn:
        with pytest.raises(DepthExceededError):
            shallow.check(conn, user("bob"), "can_read", file("d0"))
        with pytest.raises(DepthExceededError):
            shallow.explain(conn, user("bob"), "can_read", file("d0"))


def test_the_attempt_tree_stays_bounded(db: Database, engine: PermissionEngine) -> None:
    write(
        db,
        engine,
        *[Relationship(folder("f"), "viewer", members(f"g{i}")) for i in range(400)],
        *[Relationship(group(f"g{i}"), "member", user("ann")) for i in range(400)],
    )
    found = explain(db, engine, user("bob"), "viewer", folder("f"))
    assert not found.allowed
    shown = list(walk(found.tried))
    assert len(shown) <= MAX_ATTEMPTS + 10
    truncated = [a for a in shown if a.kind == "truncated"]
    assert truncated and truncated[0].omitted > 0
    assert len(found.gaps) > 1  # every group grant is a candidate link, nearest first


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**9),
    expired=st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_explain_agrees_with_check_on_random_models(seed: int, expired: list[bool]) -> None:
    """Random models (unions, intersections, exclusions, tuplesets, wildcards, usersets),
    random graphs with cycles, some tuples expired: allowed == check, and every allowed
    explanation is a valid proof from live tuples; every denial names a missing link."""
    case = generate_case(seed, usersets=True)
    if case is None:
        return
    now = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(open_engine(f"sqlite:///{Path(tmp) / 'p.db'}"))
        metadata.create_all(db.engine)
        engine = PermissionEngine(RelationshipStore(), parse_schema(case.model))
        try:
            with db.write() as conn:
                for index, (who, relation, what) in enumerate(case.tuples):
                    expires = now - 5 if expired[index % len(expired)] and index % 3 == 0 else None
                    engine.write(
                        conn,
                        Relationship(
                            ObjectRef.parse(what),
                            relation,
                            SubjectRef.parse(who),
                            expires_at=expires,
                        ),
                    )
            monotone = " but not " not in case.model
            with db.read() as conn:
                for check in case.checks:
                    subject = SubjectRef.parse(check.user)
                    obj = ObjectRef.parse(check.object)
                    try:
                        expected = engine.check(conn, subject, check.relation, obj)
                    except DepthExceededError:
                        with pytest.raises(DepthExceededError):
                            engine.explain(conn, subject, check.relation, obj)
                        continue
                    found = engine.explain(conn, subject, check.relation, obj)
                    assert found.allowed == expected, (case.text(), check)
                    if found.allowed:
                        assert_proof(engine, conn, found, time.time())
                        if monotone:  # every established link holds on its own too
                            for step in found.path:
                                assert engine.check(conn, subject, step.relation, step.object)
                    else:
                        assert found.path == () and found.missing and found.gaps
                        assert found.gaps[-1].kind == "no_grant"
        finally:
            db.dispose()


tree_ids = [f"n{i}" for i in range(6)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parents=st.dictionaries(st.sampled_from(tree_ids), st.sampled_from(tree_ids), max_size=6),
    restricted=st.sets(st.sampled_from(tree_ids), max_size=3),
    grants=st.lists(
        st.tuples(
            st.sampled_from(tree_ids),
            st.sampled_from(["owner", "can_write", "can_read"]),
            st.sampled_from([user("bob"), user("ann"), members("g0"), members("g1")]),
        ),
        max_size=8,
    ),
    memberships=st.lists(
        st.tuples(
            st.sampled_from(["g0", "g1"]),
            st.sampled_from([user("bob"), members("g0"), members("g1")]),
        ).filter(lambda m: m[1] != members(m[0])),  # a group in itself is implicit: refused
        max_size=4,
    ),
    relation=st.sampled_from(["owner", "can_write", "can_read"]),
)
def test_explain_agrees_with_check_on_random_trees(
    parents: dict[str, str],
    restricted: set[str],
    grants: list[tuple[str, str, SubjectRef]],
    memberships: list[tuple[str, SubjectRef]],
    relation: str,
) -> None:
    """The files model with virtual tree edges (loops and restricted folders included)."""
    tree = Tree(parents, sorted(restricted))
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(open_engine(f"sqlite:///{Path(tmp) / 't.db'}"))
        metadata.create_all(db.engine)
        engine = tree.engine(RelationshipStore())
        try:
            write(
                db,
                engine,
                *[Relationship(file(n), r, s) for n, r, s in grants],
                *[Relationship(group(g), "member", s) for g, s in memberships],
            )
            with db.read() as conn:
                for node in tree_ids:
                    found = engine.explain(conn, user("bob"), relation, file(node))
                    assert found.allowed == engine.check(conn, user("bob"), relation, file(node))
                    if found.allowed:
                        assert_proof(engine, conn, found, time.time())
                    else:
                        assert found.missing
        finally:
            db.dispose()


def test_explain_leaves_the_shared_caches_alone(db: Database, engine: PermissionEngine) -> None:
    write(db, engine, Relationship(folder("f"), "viewer", user("bob")))
    engine.clear_cache()
    with db.read() as conn:
        engine.explain(conn, user("bob"), "viewer", folder("f"))
    assert len(engine._cache) == 0
