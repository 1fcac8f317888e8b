"""Property: list_objects and list_subjects agree with check, on random models and graphs.

For every subject, relation and object of a small universe: ``check(s, r, o)`` holds iff
``o in list_objects(s, r, type)``, and (wildcard rule of list_subjects) iff ``s`` is listed
by ``list_subjects(o, r, type)`` or, when ``s`` is not named in the graph, the type's
wildcard is. Cycles, wildcards, usersets, intersection, exclusion and expired tuples all
occur. Two generators: the random models of the OpenFGA differential test, and the Nexus
file schema over a random directory tree (restricted folders too) wired through the real
tree relations.

More examples (each test; pytest-timeout off for the long run)::

    NEXUS_LOOKUP_EXAMPLES=1000 pytest --timeout=0 tests/authz/test_authz_lookup_properties.py
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nexus.authz import (
    ObjectRef,
    PermissionEngine,
    Relationship,
    RelationshipStore,
    Schema,
    SubjectRef,
    parse_schema,
)
from nexus.db.engine import Database, open_engine
from nexus.db.tables import metadata
from nexus.files.runtime import _tree_relations, _tree_reverse_relations
from nexus.files.schema import FILE_SCHEMA
from nexus.metadata import DIRECTORY, FILE, TreeStore

from . import differential as diff

NOW = 1_000_000.0
# A few tuples expire before, exactly at (absent too) and after "now".
EXPIRIES = st.sampled_from([None, None, None, None, NOW - 10, NOW, NOW + 10])


def _examples(default: int) -> int:
    return int(os.environ.get("NEXUS_LOOKUP_EXAMPLES", default))


@contextmanager
def _database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(open_engine(f"sqlite:///{Path(tmp) / 'lookup.db'}"))
        metadata.create_all(database.engine)
        try:
            yield database
        finally:
            database.dispose()


def _check_knows_implicit_usersets() -> bool:
    """Whether check treats ``group:g#member`` as a member of ``group:g`` (OpenFGA does;
    list_objects does). Until check does, userset subjects would only report that known
    difference (tests/authz/test_differential.py, 'implicit-userset'), so they are left
    out of the universe; they join by themselves once check is fixed."""
    schema = parse_schema(
        "model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user]\n"
    )
    with _database() as db, db.read() as conn:
        engine = PermissionEngine(RelationshipStore(), schema)
        return engine.check(
            conn, SubjectRef("group", "g", "member"), "member", ObjectRef("group", "g")
        )


# NEXUS_LOOKUP_USERSETS=1 adds them anyway (to see the difference).
USERSET_SUBJECTS = os.environ.get("NEXUS_LOOKUP_USERSETS") == "1" or (
    _check_knows_implicit_usersets()
)


def _assert_agreement(
    db: Database,
    engine: PermissionEngine,
    objects: Sequence[ObjectRef],
    subjects: Sequence[SubjectRef],
) -> None:
    """check == list_objects == list_subjects over the universe ``subjects x objects``."""
    schema = engine.schema
    pairs = [(o, r) for o in objects for r in schema.relation_names(o.type)]
    requests = [(s, r, o) for s in subjects for o, r in pairs]
    with db.read() as conn:
        truth = dict(zip(requests, engine.check_batch(conn, requests), strict=True))
        for subject in subjects:
            for type_name in {o.type for o in objects}:
                universe = [o for o in objects if o.type == type_name]
                for relation in schema.relation_names(type_name):
                    listed = engine.list_objects(conn, subject, relation, type_name)
                    expected = {o for o in universe if truth[(subject, relation, o)]}
                    assert listed == expected, (str(subject), relation, type_name)
        kinds = sorted({(s.type, s.relation) for s in subjects})
        for obj, relation in pairs:
            for subject_type, subject_relation in kinds:
                listed_subjects = engine.list_subjects(
                    conn, obj, relation, subject_type, subject_relation
                )
                _assert_subjects(
                    obj,
                    relation,
                    listed_subjects,
                    [
                        s
                        for s in subjects
                        if (s.type, s.relation) == (subject_type, subject_relation)
                    ],
                    truth,
                    subject_type,
                    subject_relation,
                )


def _assert_subjects(
    obj: ObjectRef,
    relation: str,
    listed: set[SubjectRef],
    candidates: Sequence[SubjectRef],
    truth: dict[tuple[SubjectRef, str, ObjectRef], bool],
    subject_type: str,
    subject_relation: str,
) -> None:
    where = (str(obj), relation, subject_type, subject_relation)
    wildcard = SubjectRef(subject_type, "*")
    assert all((s.type, s.relation) == (subject_type, subject_relation) for s in listed), where
    if subject_relation:
        assert wildcard not in listed, where
    else:
        # The wildcard stands for a subject without tuples: exactly when one would pass.
        fresh = SubjectRef(subject_type, "nobody-has-tuples")
        assert (wildcard in listed) == truth[(fresh, relation, obj)], where
    for subject in candidates:
        if subject.is_wildcard:
            continue
        passes = truth[(subject, relation, obj)]
        if subject in listed:
            assert passes, (*where, str(subject))
        if passes:
            assert subject in listed or wildcard in listed, (*where, str(subject))
        if wildcard not in listed:
            assert passes == (subject in listed), (*where, str(subject))


# --- random models (the differential test's generator) -----------------------------------


def _model_subjects(schema: Schema) -> list[SubjectRef]:
    found = [SubjectRef("user", u) for u in diff.USERS]
    found += [SubjectRef("user", "*"), SubjectRef("user", "nobody-has-tuples")]
    for type_name in ("group", "folder", "doc"):
        if not schema.has_type(type_name):
            continue
        ids = [*diff.IDS[type_name], "nobody-has-tuples"]
        found += [SubjectRef(type_name, i) for i in ids]
        if USERSET_SUBJECTS:
            found += [
                SubjectRef(type_name, i, r)
                for i in diff.IDS[type_name]
                for r in schema.relation_names(type_name)
            ]
    return found


@settings(
    max_examples=_examples(50),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(seed=st.integers(0, 2**31), data=st.data())
def test_lookups_agree_with_check_on_random_models(seed: int, data: st.DataObject) -> None:
    case = diff.generate_case(seed, usersets=True)
    assume(case is not None)
    assert case is not None
    schema = parse_schema(case.model)
    expiries = data.draw(st.lists(EXPIRIES, min_size=len(case.tuples), max_size=len(case.tuples)))
    with _database() as db:
        engine = PermissionEngine(RelationshipStore(), schema, clock=lambda: NOW)
        with db.write() as conn:
            for (user, relation, obj), expires_at in zip(case.tuples, expiries, strict=True):
                rel = Relationship(
                    ObjectRef.parse(obj), relation, SubjectRef.parse(user), expires_at=expires_at
                )
                engine.write(conn, rel)
        objects = [
            ObjectRef(t, i)
            for t in ("group", "folder", "doc")
            if schema.has_type(t)
            for i in diff.IDS[t]
        ]
        _assert_agreement(db, engine, objects, _model_subjects(schema))


# --- the file schema over a random directory tree ----------------------------------------

USERS = ("ann", "bob", "carl")
GROUPS = ("eng", "ops")
FILE_RELATIONS = ("owner", "can_write", "can_execute", "can_read", "can_create")

entries_strategy = st.lists(
    # (parent: index among earlier entries, is a directory, restricted)
    st.tuples(st.integers(0, 20), st.booleans(), st.booleans()),
    min_size=1,
    max_size=9,
)
file_subjects = st.one_of(
    st.sampled_from([SubjectRef("user", u) for u in (*USERS, "*")]),
    st.sampled_from([SubjectRef("group", g, "member") for g in GROUPS]),
)
grants_strategy = st.lists(
    st.tuples(st.integers(0, 20), st.sampled_from(FILE_RELATIONS), file_subjects, EXPIRIES),
    max_size=10,
)
memberships_strategy = st.lists(
    st.tuples(
        st.sampled_from(GROUPS),
        st.one_of(
            st.sampled_from([SubjectRef("user", u) for u in USERS]),
            st.sampled_from([SubjectRef("group", g, "member") for g in GROUPS]),
        ),
        EXPIRIES,
    ),
    max_size=5,
)


@settings(
    max_examples=_examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(entries=entries_strategy, grants=grants_strategy, memberships=memberships_strategy)
def test_lookups_agree_with_check_on_a_random_file_tree(
    entries: list[tuple[int, bool, bool]],
    grants: list[tuple[int, str, SubjectRef, float | None]],
    memberships: list[tuple[str, SubjectRef, float | None]],
) -> None:
    tree = TreeStore()
    engine = PermissionEngine(
        RelationshipStore(),
        parse_schema(FILE_SCHEMA),
        virtual_relations=_tree_relations(tree),
        reverse_virtual_relations=_tree_reverse_relations(tree),
        clock=lambda: NOW,
    )
    with _database() as db:
        with db.write() as conn:
            ids = [tree.root(conn).id]
            directories = [0]  # indexes into ids
            for number, (parent, is_dir, restricted) in enumerate(entries):
                parent_id = ids[directories[parent % len(directories)]]
                kind = DIRECTORY if is_dir else FILE
                entry = tree.create(
                    conn, parent_id=parent_id, name=f"e{number}", kind=kind, owner="ann", now=NOW
                )
                ids.append(entry.id)
                if is_dir:
                    directories.append(len(ids) - 1)
                    if restricted:
                        tree.set_restricted(conn, entry.id, True)
            for index, relation, subject, expires_at in grants:
                obj = ObjectRef("file", str(ids[index % len(ids)]))
                if engine.schema.allows_subject("file", relation, subject):
                    engine.grant(conn, obj, relation, subject, expires_at=expires_at)
            for name, subject, expires_at in memberships:
                if subject != SubjectRef("group", name, "member"):  # implicit, not storable
                    engine.grant(
                        conn, ObjectRef("group", name), "member", subject, expires_at=expires_at
                    )
        files = [ObjectRef("file", str(i)) for i in ids]
        subjects = [SubjectRef("user", u) for u in (*USERS, "*", "nobody-has-tuples")]
        subjects += [SubjectRef("file", str(i)) for i in ids]  # parent, inherit_parent
        subjects += [SubjectRef("file", "nobody-has-tuples")]
        if USERSET_SUBJECTS:
            subjects += [SubjectRef("group", g, "member") for g in GROUPS]
        groups = [ObjectRef("group", g) for g in GROUPS]
        _assert_agreement(db, engine, [*files, *groups], subjects)
