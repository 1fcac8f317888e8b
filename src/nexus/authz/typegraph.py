"""What the type graph of a schema says about a check before any tuple is read.

Two questions, both answered the way OpenFGA (v1.22) answers them, so our checks agree with
it on cycles:

* ``reaches``: can ``type#relation`` lead to subjects of a kind at all (OpenFGA's
  ``PathExists``)? If not, the check is plainly false without looking at tuples, and in
  particular never "undetermined by a cycle".
* ``resolves_recursion``: is ``type#relation`` a relation that recurses only into itself
  through one tupleset or one userset, everything else one step from the subject
  (``[user] or viewer from parent``, ``member: [user, group#member]``)? OpenFGA resolves
  those with a dedicated recursive strategy that walks the recursion to its end, so a
  cycle there is simply false. Anywhere else OpenFGA's depth-first search flags a cycle as
  "undetermined", which poisons an enclosing ``but not`` (the engine's three-valued
  result); the two behaviours differ only under ``but not``/``and``. OpenFGA needs its
  weighted graph of the model for that strategy, and cannot build one when a cycle of the
  model runs through an ``and`` or ``but not`` (or a tupleset names a type without the
  relation): then no relation of that model is resolved recursively.

Userset subjects (``group:g1#member``) are always resolved by OpenFGA's default search, so
``resolves_recursion`` is only asked for plain subject types.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

from nexus.authz.schema import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Rewrite,
    Schema,
    TupleToUserset,
    Union,
    iter_rewrites,
)

_Node = tuple[str, str]  # (type, relation)


class _Weight(Enum):
    """How far a part of a rewrite is from a subject type: one step, or more (a hop)."""

    ONE = 1
    MORE = 2


class TypeGraph:
    """Answers about one schema; cheap to build, results cached."""

    def __init__(self, schema: Schema):
        self._schema = schema
        self._reach: dict[_Node, tuple[frozenset[_Node], frozenset[str]]] = {}
        self._recursion: dict[tuple[str, str, str], bool] = {}
        self._weighted_graph: bool | None = None
        self._cycles_false: dict[tuple[str, str, str, str], bool] = {}

    # --- reachability ---------------------------------------------------------------

    def reaches(
        self, type_name: str, relation: str, subject_type: str, subject_relation: str
    ) -> bool:
        """Whether ``type_name#relation`` can contain subjects of that kind.

        A plain subject type (``user``; ``user:*`` counts as ``user``) is reached through a
        direct type list naming it (or its wildcard); a userset kind (``group#member``) when
        the relation node ``group#member`` is reachable, itself included.
        """
        nodes, types = self._reachable((type_name, relation))
        if subject_relation:
            return (subject_type, subject_relation) in nodes
        return subject_type in types

    def _reachable(self, start: _Node) -> tuple[frozenset[_Node], frozenset[str]]:
        found = self._reach.get(start)
        if found is not None:
            return found
        nodes: set[_Node] = {start}
        types: set[str] = set()
        todo = [start]
        while todo:
            for target, plain_type in self._edges(todo.pop()):
                if plain_type is not None:
                    types.add(plain_type)
                elif target is not None and target not in nodes:
                    nodes.add(target)
                    todo.append(target)
        result = (frozenset(nodes), frozenset(types))
        self._reach[start] = result
        return result

    def _edges(self, node: _Node) -> Iterator[tuple[_Node | None, str | None]]:
        """(next relation node, None) or (None, plain subject type) for each edge."""
        type_name, relation = node
        rewrite = self._schema.rewrite(type_name, relation)
        if rewrite is None:
            return
        for part in iter_rewrites(rewrite):
            if isinstance(part, DirectTypes):
                for allowed in part.allowed:
                    if allowed.relation:
                        yield (allowed.type, allowed.relation), None
                    else:
                        yield None, allowed.type
            elif isinstance(part, ComputedUserset):
                yield (type_name, part.relation), None
            elif isinstance(part, TupleToUserset):
                for target in self._tupleset_targets(type_name, part):
                    yield target, None

    def _tupleset_targets(self, type_name: str, ttu: TupleToUserset) -> list[_Node]:
        return [
            (allowed.type, ttu.computed)
            for allowed in self._schema.direct_types(type_name, ttu.tupleset)
            if self._schema.has_relation(allowed.type, ttu.computed)
        ]

    # --- OpenFGA's recursive strategy --------------------------------------------------

    def resolves_recursion(self, type_name: str, relation: str, subject_type: str) -> bool:
        """Whether OpenFGA resolves ``type_name#relation`` for plain ``subject_type``
        subjects with its recursive strategy (cycles there count as plain false)."""
        key = (type_name, relation, subject_type)
        known = self._recursion.get(key)
        if known is None:
            known = self._recursion[key] = self.builds_weighted_graph() and (
                self._resolves_recursion(type_name, relation, subject_type)
            )
        return known

    def cycles_are_false(
        self, type_name: str, relation: str, subject_type: str, subject_relation: str
    ) -> bool:
        """Whether OpenFGA answers plainly (never "cycle detected") for ``type_name#relation``
        and such subjects: every relation below it that lies on a cycle of the type graph
        is resolved recursively. Then the least fixed point is OpenFGA's answer, so a
        search that ignores cycles (like a walk up from the subject) may answer for it."""
        key = (type_name, relation, subject_type, subject_relation)
        known = self._cycles_false.get(key)
        if known is None:
            nodes = self._reachable((type_name, relation))[0]
            known = self._cycles_false[key] = all(
                not self._on_cycle(node)
                or (not subject_relation and self.resolves_recursion(*node, subject_type))
                for node in nodes
            )
        return known

    def _on_cycle(self, node: _Node) -> bool:
        return any(
            target is not None and node in self._reachable(target)[0]
            for target, _type in self._edges(node)
        )

    def builds_weighted_graph(self) -> bool:
        """Whether OpenFGA can build its weighted graph of this model (see module doc)."""
        if self._weighted_graph is None:
            self._weighted_graph = _weighted_graph_builds(self._schema)
        return self._weighted_graph

    def _resolves_recursion(self, type_name: str, relation: str, subject_type: str) -> bool:
        rewrite = self._schema.rewrite(type_name, relation)
        if rewrite is None:
            return False
        node = (type_name, relation)
        recursive_kinds: set[str] = set()
        # The recursion must hang off unions only (nested unions are flattened); an
        # 'and' or 'but not' around it is searched depth first like anything else.
        for member in _union_members(rewrite):
            if isinstance(member, TupleToUserset):
                for target in self._tupleset_targets(type_name, member):
                    if not self._reaches_plain(target, subject_type):
                        continue
                    if target == node:
                        recursive_kinds.add(f"ttu:{member.tupleset}")
                    elif self._node_weight(target, subject_type) is not None:
                        return False  # a hop to another relation: weight 2 or more
            elif isinstance(member, DirectTypes):
                for allowed in member.allowed:
                    if not allowed.relation:
                        continue  # a subject type itself: weight 1 (or no path)
                    target = (allowed.type, allowed.relation)
                    if not self._reaches_plain(target, subject_type):
                        continue
                    if target == node:
                        recursive_kinds.add("userset")
                    else:
                        return False
            elif self._weight(type_name, member, subject_type) is _Weight.MORE:
                return False
        return len(recursive_kinds) == 1

    def _reaches_plain(self, node: _Node, subject_type: str) -> bool:
        return subject_type in self._reachable(node)[1]

    def _node_weight(self, node: _Node, subject_type: str) -> _Weight | None:
        rewrite = self._schema.rewrite(*node)
        if rewrite is None or not self._reaches_plain(node, subject_type):
            return None
        return self._weight(node[0], rewrite, subject_type)

    def _weight(self, type_name: str, rewrite: Rewrite, subject_type: str) -> _Weight | None:
        """ONE if ``rewrite`` reaches the subject type only straight from a type list,
        MORE if through a userset or tupleset hop, None if not at all."""
        if isinstance(rewrite, DirectTypes):
            weights = [
                _Weight.MORE
                if allowed.relation
                and self._reaches_plain((allowed.type, allowed.relation), subject_type)
                else _Weight.ONE
                if not allowed.relation and allowed.type == subject_type
                else None
                for allowed in rewrite.allowed
            ]
            return _combine(weights)
        if isinstance(rewrite, ComputedUserset):
            # Computed relations never loop (the schema rejects computed cycles).
            return self._node_weight((type_name, rewrite.relation), subject_type)
        if isinstance(rewrite, TupleToUserset):
            reached = any(
                self._reaches_plain(t, subject_type)
                for t in self._tupleset_targets(type_name, rewrite)
            )
            return _Weight.MORE if reached else None
        children = (
            (rewrite.base, rewrite.subtract) if isinstance(rewrite, Exclusion) else rewrite.children
        )
        return _combine([self._weight(type_name, c, subject_type) for c in children])


def _union_members(rewrite: Rewrite) -> Iterator[Rewrite]:
    if isinstance(rewrite, Union):
        for child in rewrite.children:
            yield from _union_members(child)
    else:
        yield rewrite


def _combine(weights: list[_Weight | None]) -> _Weight | None:
    present = [w for w in weights if w is not None]
    if not present:
        return None
    return _Weight.MORE if _Weight.MORE in present else _Weight.ONE


def _weighted_graph_builds(schema: Schema) -> bool:
    """The refusals of OpenFGA's weighted graph builder our DSL subset can run into."""
    # Graph nodes: relations (type, relation) and operator nodes (id of the rewrite).
    edges: dict[object, list[object]] = {}
    constrained: set[object] = set()  # 'and' / 'but not' operator nodes

    def add(source: object, rewrite: Rewrite, type_name: str, relation: str) -> bool:
        targets = edges.setdefault(source, [])
        if isinstance(rewrite, DirectTypes):
            targets += [(a.type, a.relation) for a in rewrite.allowed if a.relation]
        elif isinstance(rewrite, ComputedUserset):
            targets.append((type_name, rewrite.relation))
        elif isinstance(rewrite, TupleToUserset):
            for allowed in schema.direct_types(type_name, rewrite.tupleset):
                if not schema.has_relation(allowed.type, rewrite.computed):
                    return False  # "type does not have defined relation": refused
                targets.append((allowed.type, rewrite.computed))
        else:
            operator = id(rewrite)
            targets.append(operator)
            if not isinstance(rewrite, Union):
                constrained.add(operator)
            if isinstance(rewrite, Exclusion) and _one_edge(schema, type_name, rewrite):
                return False  # "invalid number of edges for exclusion node"
            children = (
                (rewrite.base, rewrite.subtract)
                if isinstance(rewrite, Exclusion)
                else rewrite.children
            )
            return all(add(operator, child, type_name, relation) for child in children)
        return True

    for typedef in schema.types.values():
        for name, rewrite in typedef.relations.items():
            if not add((typedef.name, name), rewrite, typedef.name, name):
                return False
    # "operands AND or BUT NOT cannot be involved in a cycle": an operator on a cycle is
    # one that reaches itself again.
    for operator in constrained:
        seen: set[object] = set()
        todo = list(edges.get(operator, ()))
        while todo:
            node = todo.pop()
            if node == operator:
                return False
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
    return True


def _one_edge(schema: Schema, type_name: str, rewrite: Exclusion) -> bool:
    """``x from p but not x from p`` with one type in ``p``: the builder merges the two
    identical edges, and an exclusion node with one edge is refused."""
    base, subtract = rewrite.base, rewrite.subtract
    return (
        isinstance(base, TupleToUserset)
        and base == subtract
        and len(schema.direct_types(type_name, base.tupleset)) == 1
    )
