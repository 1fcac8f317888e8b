"""Type-graph answers that decide how OpenFGA treats cycles (each row checked against fga)."""

from __future__ import annotations

import pytest

from nexus.authz import parse_schema
from nexus.authz.typegraph import TypeGraph

HEAD = (
    "model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user]\n"
    "type folder\n  relations\n    define parent: [folder]\n"
)

# (definitions on folder, is folder#a resolved by OpenFGA's recursive strategy for users?)
RECURSION = [
    (["a: [user] or a from parent"], True),
    (["a: [user, user:*] or a from parent"], True),
    (["a: [user:*] or a from parent"], True),
    (["b: [user]", "a: [user] or b or a from parent"], True),
    (["b: [user]", "a: b or a from parent"], True),
    (["b: [user]", "a: [user] or (b or a from parent)"], True),  # nested unions flatten
    (["a: [user] or a from parent or a from parent"], True),  # one edge, written twice
    (["c: [user]", "a: ([user] but not c) or a from parent"], True),  # one step from user
    (["a: [user, folder#a]"], True),  # recursion through its own userset
    # Something else two steps or more from the user:
    (["a: [user, group#member] or a from parent"], False),
    (["b: [group#member]", "a: [user] or b or a from parent"], False),
    (["c: [group#member]", "a: ([user] but not c) or a from parent"], False),
    # The recursion under 'and' / 'but not', or through another relation:
    (["b: [user]", "a: [user] or (a from parent and b)"], False),
    (["b: [user]", "a: [user] or (a from parent but not b)"], False),
    (["a: [user] or b from parent", "b: a"], False),
    # Both a recursive userset and a recursive tupleset:
    (["a: [user, folder#a] or a from parent"], False),
    # No recursion at all:
    (["a: [user]"], False),
]


@pytest.mark.parametrize(("definitions", "recursive"), RECURSION)
def test_which_relations_openfga_resolves_recursively(
    definitions: list[str], recursive: bool
) -> None:
    schema = parse_schema(HEAD + "".join(f"    define {d}\n" for d in definitions))
    graph = TypeGraph(schema)
    assert graph.resolves_recursion("folder", "a", "user") is recursive
    # Cycles below folder#a are plainly false for users exactly when it recurses that way
    # (or when there is no cycle: the other relations of these models are acyclic).
    acyclic = definitions == ["a: [user]"]
    assert graph.cycles_are_false("folder", "a", "user", "") is (recursive or acyclic)


def test_an_and_on_a_cycle_anywhere_turns_the_recursive_strategy_off() -> None:
    plain = HEAD + "    define a: [user] or a from parent\n"
    assert TypeGraph(parse_schema(plain)).resolves_recursion("folder", "a", "user")
    for spoiler in (
        "    define c: [user]\n    define bad: [user] or (c and bad from parent)\n",
        "    define c: [user]\n    define bad: [user] or (bad from parent but not c)\n",
        "    define c: [user]\n    define bad: [user, folder#bad] and c\n",
        # The two identical edges merge, leaving an exclusion with one operand.
        "    define d: [user]\n    define bad: d from parent but not d from parent\n",
    ):
        graph = TypeGraph(parse_schema(plain + spoiler))
        assert not graph.builds_weighted_graph()
        assert not graph.resolves_recursion("folder", "a", "user")


def test_a_tupleset_type_without_the_relation_turns_it_off() -> None:
    schema = parse_schema(
        "model\n  schema 1.1\ntype user\ntype team\n  relations\n    define q: [user]\n"
        "type folder\n  relations\n    define parent: [folder]\n    define owner: [folder, team]\n"
        "    define a: [user] or a from parent\n    define y: a from owner\n"
    )
    assert not TypeGraph(schema).resolves_recursion("folder", "a", "user")


def test_reaches_follows_every_edge_and_usersets_reach_themselves() -> None:
    schema = parse_schema(
        "model\n  schema 1.1\ntype user\ntype doc\ntype group\n  relations\n"
        "    define parent: [group]\n    define member: [user] or member from parent\n"
        "type folder\n  relations\n    define parent: [folder]\n"
        "    define k: [doc] or k from parent\n    define v: [group#member] but not k\n"
        "    define w: [user:*]\n"
    )
    graph = TypeGraph(schema)
    assert not graph.reaches("folder", "k", "user", "")
    assert graph.reaches("folder", "k", "doc", "")
    assert graph.reaches("folder", "v", "user", "")
    assert graph.reaches("folder", "w", "user", "")  # the wildcard counts for its type
    assert graph.reaches("folder", "v", "group", "member")
    assert graph.reaches("group", "member", "group", "member")  # itself
    assert not graph.reaches("folder", "w", "group", "member")


def test_cycles_are_never_plainly_false_for_a_userset_subject() -> None:
    schema = parse_schema(
        "model\n  schema 1.1\ntype user\ntype group\n  relations\n"
        "    define member: [user, group#member]\n"
    )
    graph = TypeGraph(schema)
    assert graph.cycles_are_false("group", "member", "user", "")
    assert not graph.cycles_are_false("group", "member", "group", "member")
