"""Parsing the OpenFGA DSL into a validated Schema."""

from __future__ import annotations

import pytest

from nexus.authz import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Intersection,
    SchemaError,
    SubjectRef,
    TupleToUserset,
    TypeRestriction,
    Union,
    parse_schema,
)
from nexus.errors import NexusValidationError

HEADER = "model\n  schema 1.1\n"


def test_parses_every_rewrite_kind() -> None:
    schema = parse_schema(
        HEADER
        + """
# a comment at line start
type user

type group
  relations
    define member: [user, user:*, group#member]

type doc
  relations
    define parent: [doc]
    define owner: [user]
    define editor: [user, group#member] or owner  # trailing comment
    define viewer: [user:*] or editor or viewer from parent
    define both: owner and editor
    define blocked: [user]
    define reader: viewer but not blocked
"""
    )
    assert schema.relation_names("doc") == (
        "parent",
        "owner",
        "editor",
        "viewer",
        "both",
        "blocked",
        "reader",
    )
    assert schema.rewrite("doc", "parent") == DirectTypes((TypeRestriction("doc"),))
    assert schema.rewrite("group", "member") == DirectTypes(
        (
            TypeRestriction("user"),
            TypeRestriction("user", wildcard=True),
            TypeRestriction("group", "member"),
        )
    )
    assert schema.rewrite("doc", "viewer") == Union(
        (
            DirectTypes((TypeRestriction("user", wildcard=True),)),
            ComputedUserset("editor"),
            TupleToUserset("parent", "viewer"),
        )
    )
    assert schema.rewrite("doc", "both") == Intersection(
        (ComputedUserset("owner"), ComputedUserset("editor"))
    )
    assert schema.rewrite("doc", "reader") == Exclusion(
        ComputedUserset("viewer"), ComputedUserset("blocked")
    )
    assert schema.relation_names("user") == ()
    assert schema.relation_names("nope") == ()


def test_parentheses_nest() -> None:
    schema = parse_schema(
        HEADER
        + """
type user
type doc
  relations
    define a: [user]
    define b: [user]
    define c: [user]
    define x: a or (b and (c but not a))
    define y: ([user] or a) but not b
"""
    )
    assert schema.rewrite("doc", "x") == Union(
        (
            ComputedUserset("a"),
            Intersection(
                (ComputedUserset("b"), Exclusion(ComputedUserset("c"), ComputedUserset("a")))
            ),
        )
    )
    assert schema.rewrite("doc", "y") == Exclusion(
        Union((DirectTypes((TypeRestriction("user"),)), ComputedUserset("a"))),
        ComputedUserset("b"),
    )


def test_type_list_may_span_lines() -> None:
    schema = parse_schema(
        HEADER
        + """
type user
type doc
  relations
    define viewer: [
      user,
      user:*
    ]
"""
    )
    assert schema.direct_types("doc", "viewer") == (
        TypeRestriction("user"),
        TypeRestriction("user", wildcard=True),
    )


def test_allows_subject() -> None:
    schema = parse_schema(
        HEADER
        + """
type user
type group
  relations
    define member: [user, group#member]
type doc
  relations
    define viewer: [user, user:*, group#member]
    define owner: [user]
    define can_read: viewer or owner
"""
    )
    assert schema.allows_subject("doc", "viewer", SubjectRef("user", "bob"))
    assert schema.allows_subject("doc", "viewer", SubjectRef("user", "*"))
    assert schema.allows_subject("doc", "viewer", SubjectRef("group", "dev", "member"))
    assert not schema.allows_subject("doc", "owner", SubjectRef("user", "*"))
    assert not schema.allows_subject("doc", "viewer", SubjectRef("group", "dev"))
    assert not schema.allows_subject("doc", "can_read", SubjectRef("user", "bob"))
    assert not schema.allows_subject("doc", "nope", SubjectRef("user", "bob"))


BAD_SCHEMAS = [
    ("type user\n", 1, "expected 'model'"),
    ("model\n  schema 1.0\ntype user\n", 2, "unsupported schema version"),
    ("model\ntype user\n", 2, "expected 'schema 1.1'"),
    (HEADER + "type user\ntype user\n", 4, "defined twice"),
    (HEADER + "type doc\n  relations\n    define a: [user]\n", 5, "unknown type 'user'"),
    (
        HEADER + "type user\ntype doc\n  relations\n    define a: [user]\n    define a: [user]\n",
        7,
        "defined twice",
    ),
    (HEADER + "type user\ntype doc\n  relations\n    define a: b\n", 6, "unknown relation 'b'"),
    (
        HEADER + "type user\ntype doc\n  relations\n    define a: [user#member]\n",
        6,
        "has no relation 'member'",
    ),
    (
        HEADER + "type user\ntype doc\n  relations\n    define a: [user]\n    define b: a from p\n",
        7,
        "unknown relation 'p'",
    ),
    (
        HEADER
        + "type user\ntype doc\n  relations\n    define p: [user] or q\n    define q: [user]\n"
        + "    define b: q from p\n",
        8,
        "must be a direct relation",
    ),
    (
        HEADER
        + "type user\ntype doc\n  relations\n    define p: [doc]\n    define b: nope from p\n",
        7,
        "has a relation 'nope'",
    ),
    (
        HEADER
        + "type user\ntype doc\n  relations\n    define a: [user]\n    define b: [user]\n"
        + "    define c: a or b and a\n",
        8,
        "cannot mix 'or' and 'and'",
    ),
    (
        HEADER
        + "type user\ntype doc\n  relations\n    define a: [user]\n    define b: [user]\n"
        + "    define c: a but not b but not a\n",
        8,
        "cannot mix 'but not' and 'but not'",
    ),
    (
        HEADER
        + "type user\ntype doc\n  relations\n    define a: [user]\n    define c: a or [user]\n",
        7,
        "may only open",
    ),
    (HEADER + "type user\ntype doc\n  relations\n    define a: (a\n", 6, "unclosed"),
    (HEADER + "type user\ntype doc\n  relations\n    define a: [user with c]\n", 6, "conditions"),
    (HEADER + "type user\ncondition c(x: int) {\n  x < 1\n}\n", 4, "conditions"),
    (
        HEADER + "type user\ntype doc\n  relations\n    define a: b\n    define b: a\n",
        6,
        "no entrypoint",
    ),
    (HEADER + "type user\ntype doc\n  relations\n    define self: [user]\n", 6, "reserved"),
    (HEADER + "type user\n  define a: [user]\n", 4, "outside a 'relations' block"),
    (HEADER + "type user\ntype doc\n  relations\n    define a: [user] %\n", 6, "unexpected"),
    (HEADER + "type user\ntype doc\n  relations\ntype x\n", 6, "without any 'define'"),
    ("module foo\ntype user\n", 1, "modules are not supported"),
]


@pytest.mark.parametrize(("text", "line", "problem"), BAD_SCHEMAS)
def test_bad_schema_names_line_and_problem(text: str, line: int, problem: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_schema(text)
    message = str(caught.value)
    assert message.startswith(f"line {line}: "), message
    assert problem in message
    assert caught.value.line == line
    assert isinstance(caught.value, NexusValidationError)
    assert caught.value.detail_code == "invalid_schema"
