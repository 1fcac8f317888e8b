"""List objects and list subjects: the inverse questions of ``check``.

**list_objects** (which objects of a type may this subject reach?) is a reverse expansion
computed as a semi-naive fixpoint over (type, relation) nodes, datalog style. The node
``(T, R)`` holds the ids of the ``T`` objects on which the subject has ``R``:

* base facts: live tuples naming the subject itself (or its type's wildcard); a userset
  subject ``T:id#R`` is implicitly in ``(T, R)`` (OpenFGA's rule);
* each rule of the schema is an edge feeding a node from another: a computed userset
  passes ids on as they are; a direct ``[group#member]`` and a ``x from parent`` each cost
  one query per batch of *new* ids (``subject_id IN (...)``), or one call of the reverse of
  a virtual relation (the directory tree's children).

Only new ids travel along edges, so every tuple is read about once and cycles end by
themselves (the least fixpoint never grants through a cycle). A ``x from parent`` loop over
a virtual relation that can answer its transitive closure (:class:`ReverseHierarchy`, the
directory tree) is followed in one call per batch: everything below, not one level per
round. Intersection and exclusion are not monotone in this direction: below them the
fixpoint follows one operand only (the first of an intersection, the base of an
exclusion) and marks what it finds as *candidates*, a superset that ``check_many`` then
filters in one batch. Everything reached through unions only is exact and never checked.
Nodes settle in dependency order, and a ``x from parent`` loop whose ids only feed
relations closed over the same parent anyway is skipped (the file schema walks the tree
once for ``can_read``, not three times).

**list_subjects** walks forward from the object breadth first, loading all objects of a
level in one batch, and collects subjects of the asked type; candidates found below an
intersection or exclusion are confirmed with ``check``.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import TYPE_CHECKING, Literal, overload

from sqlalchemy import Connection

from nexus.authz.model import WILDCARD, ObjectRef, SubjectRef
from nexus.authz.schema import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Intersection,
    Rewrite,
    Schema,
    TupleToUserset,
    Union,
)
from nexus.errors import NexusValidationError

if TYPE_CHECKING:
    from nexus.authz.engine import PermissionEngine

ReverseVirtualRelation = Callable[[Connection, Sequence[str]], Mapping[str, Sequence[ObjectRef]]]
"""The inverse of a virtual relation: subject object ids (e.g. directories) -> the objects
that have them as the relation's subject (their children). Ids missing: nothing related."""

Node = tuple[str, str]
"""(object type, relation)."""


class ReverseHierarchy:
    """The reverse of a virtual relation that forms a hierarchy (a file's parent), which
    also answers, in one call, every object reachable by following it repeatedly.

    list_objects follows a ``x from parent`` loop (``x`` gained from the parent's ``x``)
    through ``below`` instead of one level per round: the tree knows which entries can
    have children, and a grant on a folder of 100,000 files needs no round asking each
    file for children it cannot have.
    """

    __slots__ = ("_below", "_children")

    def __init__(
        self,
        children: ReverseVirtualRelation,
        below: Callable[[Connection, Collection[str]], Collection[str]],
    ):
        """``children``: one step, as any reverse virtual relation. ``below``: ids -> the
        ids of every object of the same type reached from them in one or more steps."""
        self._children = children
        self._below = below

    def __call__(self, conn: Connection, ids: Sequence[str]) -> Mapping[str, Sequence[ObjectRef]]:
        return self._children(conn, ids)

    def below(self, conn: Connection, ids: Collection[str]) -> Collection[str]:
        return self._below(conn, ids)


class ObjectIds(Sequence[ObjectRef]):
    """Objects of one type kept as bare ids: a reverse virtual relation may return these
    for a whole tree without making an ObjectRef per entry (list_objects reads the ids)."""

    __slots__ = ("ids", "type")

    def __init__(self, type_name: str, ids: Sequence[str]):
        self.type = type_name
        self.ids = ids

    @overload
    def __getitem__(self, index: int) -> ObjectRef: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ObjectRef]: ...

    def __getitem__(self, index: int | slice) -> ObjectRef | Sequence[ObjectRef]:
        if isinstance(index, slice):
            return ObjectIds(self.type, self.ids[index])
        return ObjectRef(self.type, self.ids[index])

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"ObjectIds({self.type!r}, {self.ids!r})"


# --- the reverse plan of a schema -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Edge:
    """``target`` gains ids because ``source`` did (one rule of the schema, reversed)."""

    source: Node
    target: Node
    kind: Literal["computed", "userset", "tupleset"]
    # False below an intersection or exclusion: what flows here is only a candidate.
    exact: bool
    # "tupleset": the tupleset relation of the target type ('parent' in 'x from parent').
    tupleset: str = ""


@dataclass(frozen=True)
class _Plan:
    """Every reversed edge of a schema, and how each node takes base facts."""

    outgoing: Mapping[Node, tuple[_Edge, ...]]
    incoming: Mapping[Node, tuple[_Edge, ...]]
    # node -> True (its direct tuples count exactly) / False (only as candidates).
    # Nodes whose direct list is not followed (e.g. only in a subtrahend) are absent.
    direct: Mapping[Node, bool]


@lru_cache(maxsize=64)
def _plan(schema: Schema) -> _Plan:
    edges: set[_Edge] = set()
    direct: dict[Node, bool] = {}
    for typedef in schema.types.values():
        for relation, rewrite in typedef.relations.items():
            _reverse_rules(schema, (typedef.name, relation), rewrite, True, edges, direct)
    outgoing: dict[Node, list[_Edge]] = defaultdict(list)
    incoming: dict[Node, list[_Edge]] = defaultdict(list)
    # Sorted: the same schema always runs the same queries in the same order.
    for edge in sorted(edges, key=lambda e: (e.source, e.target, e.kind, e.tupleset, e.exact)):
        outgoing[edge.source].append(edge)
        incoming[edge.target].append(edge)
    return _Plan(
        {node: tuple(found) for node, found in outgoing.items()},
        {node: tuple(found) for node, found in incoming.items()},
        direct,
    )


def _reverse_rules(
    schema: Schema,
    node: Node,
    rewrite: Rewrite,
    exact: bool,
    edges: set[_Edge],
    direct: dict[Node, bool],
) -> None:
    type_name, relation = node
    if isinstance(rewrite, DirectTypes):
        direct[node] = direct.get(node, False) or exact
        # Like check: every restriction of the relation applies to its direct tuples.
        for restriction in schema.direct_types(type_name, relation):
            if restriction.relation:
                source = (restriction.type, restriction.relation)
                edges.add(_Edge(source, node, "userset", exact))
    elif isinstance(rewrite, ComputedUserset):
        edges.add(_Edge((type_name, rewrite.relation), node, "computed", exact))
    elif isinstance(rewrite, TupleToUserset):
        for restriction in schema.direct_types(type_name, rewrite.tupleset):
            if schema.has_relation(restriction.type, rewrite.computed):
                source = (restriction.type, rewrite.computed)
                edges.add(_Edge(source, node, "tupleset", exact, rewrite.tupleset))
    elif isinstance(rewrite, Union):
        for child in rewrite.children:
            _reverse_rules(schema, node, child, exact, edges, direct)
    elif isinstance(rewrite, Intersection):
        # Every member of the intersection is in each operand: one is a superset.
        _reverse_rules(schema, node, rewrite.children[0], False, edges, direct)
    elif isinstance(rewrite, Exclusion):
        _reverse_rules(schema, node, rewrite.base, False, edges, direct)


def _relevant(plan: _Plan, target: Node) -> set[Node]:
    """The nodes whose ids can flow into ``target``."""
    found = {target}
    todo = [target]
    while todo:
        for edge in plan.incoming.get(todo.pop(), ()):
            if edge.source not in found:
                found.add(edge.source)
                todo.append(edge.source)
    return found


def _order(plan: _Plan, nodes: set[Node]) -> dict[Node, int]:
    """A rank per node: sources before the nodes they feed (cycles share a rank's range).

    Working on the lowest-ranked pending node first lets a relation settle before the
    relations built on it take its ids, so each of them receives large batches once.
    """
    # Tarjan's strongly connected components; they come out sinks first.
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    stack: list[Node] = []
    on_stack: set[Node] = set()
    components: list[list[Node]] = []

    def visit(node: Node) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in plan.outgoing.get(node, ()):
            nxt = edge.target
            if nxt not in nodes:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[Node] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    rank: dict[Node, int] = {}
    for position, component in enumerate(reversed(components)):
        for member in component:
            rank[member] = position
    return rank


def _redundant_loops(
    plan: _Plan, nodes: set[Node], target: Node, rank: Mapping[Node, int]
) -> set[_Edge]:
    """Self-loops ``M -> M`` over a tupleset (``x from parent`` in x itself) that cannot
    change the answer, so the fixpoint skips them.

    Such a loop of M (not the target) is redundant when M's ids go nowhere else than, by
    exact computed usersets, into nodes further on that keep an exact loop over the same
    tupleset: those close M's ids over the tupleset themselves. In the file schema
    ``can_write`` and ``can_execute`` feed ``can_read``, which inherits from the parent
    like they do: listing ``can_read`` walks the tree once instead of three times.
    Nodes are decided from the target backwards, so every loop relied on is kept.
    """
    kept: dict[Node, set[str]] = {}
    redundant: set[_Edge] = set()
    for node in sorted(nodes, key=lambda n: (rank[n], n), reverse=True):
        edges = [e for e in plan.outgoing.get(node, ()) if e.target in nodes]
        kept[node] = set()
        for loop in edges:
            if loop.kind != "tupleset" or loop.target != node or not loop.exact:
                continue
            others = [e for e in edges if e != loop]
            if (
                node != target
                and others
                and all(
                    e.kind == "computed"
                    and e.exact
                    and rank[e.target] > rank[node]
                    and loop.tupleset in kept[e.target]
                    for e in others
                )
            ):
                redundant.add(loop)
            else:
                kept[node].add(loop.tupleset)
    return redundant


# --- list objects ---------------------------------------------------------------------


class _Facts:
    """Per node: exact ids, candidate ids, and what is new since it last propagated."""

    def __init__(self) -> None:
        self.exact: dict[Node, set[str]] = defaultdict(set)
        self.candidates: dict[Node, set[str]] = defaultdict(set)
        self.new_exact: dict[Node, set[str]] = defaultdict(set)
        self.new_candidates: dict[Node, set[str]] = defaultdict(set)

    def add(self, node: Node, ids: Collection[str], exact: bool) -> None:
        if not ids:
            return
        known = self.exact[node]
        fresh = (ids - known if known else set(ids)) if isinstance(ids, set) else set(ids) - known
        if exact:
            if fresh:
                known |= fresh
                _merge(self.new_exact, node, fresh)
                if self.candidates[node]:  # promoted: no longer only a candidate
                    self.candidates[node] -= fresh
                    self.new_candidates[node] -= fresh
            return
        maybe = self.candidates[node]
        fresh -= maybe
        if fresh:
            maybe |= fresh
            _merge(self.new_candidates, node, fresh)

    def pop(self, node: Node) -> tuple[set[str], set[str]]:
        return self.new_exact.pop(node, set()), self.new_candidates.pop(node, set())

    def pending(self) -> set[Node]:
        return {n for n, ids in self.new_exact.items() if ids} | {
            n for n, ids in self.new_candidates.items() if ids
        }


def _merge(pending: dict[Node, set[str]], node: Node, fresh: set[str]) -> None:
    """Add ``fresh`` (a set nobody else changes) to what is pending at ``node``; kept as
    it is when nothing is pending (a tree's 100,000 ids are not copied once more)."""
    if pending.get(node):
        pending[node] |= fresh
    else:
        pending[node] = fresh


def list_objects(
    engine: PermissionEngine,
    conn: Connection,
    subject: SubjectRef,
    relation: str,
    object_type: str,
) -> set[ObjectRef]:
    """Every object of ``object_type`` on which ``engine.check(subject, relation, obj)``."""
    engine._require_relation(object_type, relation)
    _require_subject(engine, subject)
    plan = _plan(engine.schema)
    target = (object_type, relation)
    nodes = _relevant(plan, target)
    _require_reversible(engine, plan, nodes)
    with _gc_paused():
        exact, candidates = _fixpoint(engine, conn, subject, plan, target, nodes)
        result = _object_refs(object_type, exact)
    if candidates:
        # Found below an intersection or exclusion: a superset, checked in one batch.
        unsure = [ObjectRef(object_type, i) for i in sorted(candidates)]
        checked = engine.check_many(conn, subject, relation, unsure)
        result.update(obj for obj, allowed in checked.items() if allowed)
    return result


def _object_refs(object_type: str, ids: Iterable[str]) -> set[ObjectRef]:
    """``{ObjectRef(object_type, i) for i in ids}`` built in C: a named tuple's own
    ``__new__`` is Python code, three times slower over 100,000 ids than making the same
    tuple through ``tuple.__new__`` (which is what it calls)."""
    return set(map(tuple.__new__, repeat(ObjectRef), zip(repeat(object_type), ids)))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a listing builds its id sets.

    A listing over a whole tree allocates hundreds of thousands of small objects (rows,
    ObjectRefs); every 700 allocations start a collection, and the older generations
    walk everything alive: measured 25-40% of list_objects over 100,000 files. Nothing
    here creates reference cycles, so pausing loses nothing; the collector resumes at
    the end if it was running (another thread pausing meanwhile is harmless).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fixpoint(
    engine: PermissionEngine,
    conn: Connection,
    subject: SubjectRef,
    plan: _Plan,
    target: Node,
    nodes: set[Node],
) -> tuple[set[str], set[str]]:
    """The ids of the target node: (exact, candidates not known exactly)."""
    now = engine._clock()
    facts = _Facts()
    _seed(engine, conn, plan, nodes, facts, subject, now)
    rank = _order(plan, nodes)
    redundant = _redundant_loops(plan, nodes, target, rank)
    closed = _Closed()
    while True:
        pending = facts.pending()
        if not pending:
            break
        node = min(pending, key=rank.__getitem__)
        new_exact, new_candidates = facts.pop(node)
        for edge in plan.outgoing.get(node, ()):
            if edge.target not in nodes or edge in redundant:
                continue
            hierarchy = _hierarchy(engine, edge)
            for ids, exact in ((new_exact, edge.exact), (new_candidates, False)):
                if not ids:
                    continue
                if hierarchy is None:
                    found = _follow(engine, conn, edge, ids, now)
                else:
                    found = closed.below(conn, hierarchy, edge, ids, exact)
                facts.add(edge.target, found, exact)
    return facts.exact[target], facts.candidates[target] - facts.exact[target]


def _hierarchy(engine: PermissionEngine, edge: _Edge) -> ReverseHierarchy | None:
    """The closure-capable reverse behind a self-loop ``x from parent`` (else None)."""
    if edge.kind != "tupleset" or edge.source != edge.target:
        return None
    reverse = engine._reverse_virtual.get((edge.target[0], edge.tupleset))
    return reverse if isinstance(reverse, ReverseHierarchy) else None


class _Closed:
    """Per self-loop edge over a hierarchy, the ids whose whole closure has been added to
    its node, exactly or as candidates: when those ids come back as new ones (they were
    added by the closure itself), nothing below them is asked again."""

    def __init__(self) -> None:
        self._done: dict[tuple[_Edge, bool], set[str]] = defaultdict(set)

    def below(
        self,
        conn: Connection,
        hierarchy: ReverseHierarchy,
        edge: _Edge,
        ids: set[str],
        exact: bool,
    ) -> Collection[str]:
        """What ``ids`` add to the loop's node along ``edge``: everything below them, as
        exact ids when ``exact`` (else as candidates)."""
        # Below an id closed exactly, everything is exact already: nothing to add.
        ask = ids - self._done[(edge, True)]
        done = self._done[(edge, exact)]
        if not exact:
            ask -= done
        if not ask:
            return ()
        found = hierarchy.below(conn, ask)
        # Every id found is closed too: all it reaches was reached from ``ask``.
        done |= ask
        done.update(found)
        return found


def _require_subject(engine: PermissionEngine, subject: SubjectRef) -> None:
    if not subject.id:
        raise NexusValidationError("empty subject id", code="invalid_subject")
    engine._require_type(subject.type)
    if subject.relation:
        if subject.id == WILDCARD:
            raise NexusValidationError(
                f"{subject}: a wildcard cannot have a relation", code="invalid_subject"
            )
        engine._require_relation(subject.type, subject.relation)


def _require_reversible(engine: PermissionEngine, plan: _Plan, nodes: set[Node]) -> None:
    """Refuse (rather than silently miss objects) when a virtual relation on the way has
    no reverse, or could hold subjects its reverse cannot describe."""
    virtual, reverse = engine._virtual, engine._reverse_virtual
    for node in nodes:
        tuplesets = {(e.target[0], e.tupleset) for e in plan.outgoing.get(node, ()) if e.tupleset}
        used = [key for key in tuplesets if key in virtual]
        if node in virtual and node in plan.direct:
            used.append(node)
        for key in used:
            if key not in reverse:
                raise NexusValidationError(
                    f"cannot list objects through {key[0]}#{key[1]}: it is computed by the "
                    "server and has no reverse",
                    code="relation_not_reversible",
                )
            if any(r.relation or r.wildcard for r in engine.schema.direct_types(*key)):
                raise NexusValidationError(
                    f"cannot list objects through {key[0]}#{key[1]}: its reverse covers "
                    "plain objects only",
                    code="relation_not_reversible",
                )


def _seed(
    engine: PermissionEngine,
    conn: Connection,
    plan: _Plan,
    nodes: set[Node],
    facts: _Facts,
    subject: SubjectRef,
    now: float,
) -> None:
    """The base facts: tuples naming the subject (or its wildcard), and its own userset."""
    schema = engine.schema
    plain = not subject.relation and not subject.is_wildcard
    # (object type, relation, subject id: the subject's or '*') -> object ids
    named: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for object_type, relation, object_id, subject_id in engine.store.subject_grants(
        conn, subject, now=now, wildcard=plain
    ):
        named[(object_type, relation, subject_id)].add(object_id)
    for (object_type, relation, subject_id), ids in named.items():
        node = (object_type, relation)
        if node not in nodes or node not in plan.direct:
            continue
        form = subject if subject_id == subject.id else SubjectRef(subject.type, WILDCARD)
        # Tuples the schema no longer admits count as absent (as in check).
        if schema.allows_subject(object_type, relation, form):
            facts.add(node, ids, plan.direct[node])
    if plain:
        for node in nodes:
            if node in engine._virtual and node in plan.direct:
                if not schema.allows_subject(node[0], node[1], subject):
                    continue
                related = engine._reverse_virtual[node](conn, [subject.id])
                ids = {o.id for o in related.get(subject.id, ()) if o.type == node[0]}
                facts.add(node, ids, plan.direct[node])
    if subject.relation and (subject.type, subject.relation) in nodes:
        # A userset is implicitly in itself: group:dev#member is a member of group:dev.
        facts.add((subject.type, subject.relation), {subject.id}, True)


def _follow(
    engine: PermissionEngine, conn: Connection, edge: _Edge, ids: Collection[str], now: float
) -> Collection[str]:
    """The target ids that ``ids`` of the source node imply along ``edge``."""
    target_type, target_relation = edge.target
    source_type, source_relation = edge.source
    if edge.kind == "computed":
        return ids
    store = engine.store
    if edge.kind == "userset":
        return store.object_ids_for_subjects(
            conn, target_type, target_relation, source_type, source_relation, ids, now=now
        )
    key = (target_type, edge.tupleset)
    reverse = engine._reverse_virtual.get(key)
    if reverse is None:
        return store.object_ids_for_subjects(
            conn, target_type, edge.tupleset, source_type, "", ids, now=now
        )
    # A virtual tupleset (a file's parent): ask its reverse for all ids at once.
    found: set[str] = set()
    for related in reverse(conn, list(ids)).values():
        if isinstance(related, ObjectIds):
            if related.type == target_type:
                found.update(related.ids)
        else:
            found.update(o.id for o in related if o.type == target_type)
    return found


# --- list subjects --------------------------------------------------------------------


class _Loader:
    """Live direct subjects of objects, loaded in batches (stored and virtual)."""

    def __init__(self, engine: PermissionEngine, conn: Connection, now: float):
        self._engine = engine
        self._conn = conn
        self._now = now
        self._subjects: dict[ObjectRef, dict[str, list[SubjectRef]]] = {}

    def loaded(self, obj: ObjectRef) -> bool:
        return obj in self._subjects

    def load(self, objects: Iterable[ObjectRef]) -> None:
        wanted = {obj for obj in objects if obj not in self._subjects}
        if not wanted:
            return
        engine, now = self._engine, self._now
        schema = engine.schema
        stored = engine.store.tuples_for_objects(self._conn, wanted)
        for obj, rels in stored.items():
            grouped: dict[str, list[SubjectRef]] = defaultdict(list)
            for rel in rels:
                # Expired tuples and tuples the schema no longer admits count as absent.
                if not rel.is_expired(now) and schema.allows_subject(
                    obj.type, rel.relation, rel.subject
                ):
                    grouped[rel.relation].append(rel.subject)
            self._subjects[obj] = grouped
        by_type: dict[str, list[ObjectRef]] = defaultdict(list)
        for obj in wanted:
            by_type[obj.type].append(obj)
        for (type_name, relation), compute in engine._virtual.items():
            batch = by_type.get(type_name)
            if not batch:
                continue
            answers = compute(self._conn, [obj.id for obj in batch])
            for obj in batch:
                self._subjects[obj][relation] = [
                    s
                    for s in answers.get(obj.id, ())
                    if schema.allows_subject(type_name, relation, s)
                ]

    def subjects(self, obj: ObjectRef, relation: str) -> Sequence[SubjectRef]:
        if obj not in self._subjects:
            self.load([obj])
        return self._subjects[obj].get(relation, ())


@dataclass
class _SubjectSearch:
    """The state of one list_subjects call."""

    engine: PermissionEngine
    loader: _Loader
    subject_type: str
    subject_relation: str
    exact: set[SubjectRef]
    candidates: set[SubjectRef]
    # Whether a wildcard of subject_type was met: None no, True on an exact path.
    wildcard: bool | None = None

    def found(self, subject: SubjectRef, exact: bool) -> None:
        if exact:
            self.exact.add(subject)
        else:
            self.candidates.add(subject)

    def walk(
        self, obj: ObjectRef, relation: str, rewrite: Rewrite, exact: bool
    ) -> Iterable[tuple[ObjectRef, str, bool]]:
        """Record subjects at ``obj#relation``; yield the nodes it leads to."""
        if isinstance(rewrite, DirectTypes):
            for s in self.loader.subjects(obj, relation):
                if s.is_wildcard:
                    if s.type == self.subject_type and not self.subject_relation:
                        self.wildcard = bool(self.wildcard) or exact
                    continue
                if s.type == self.subject_type and s.relation == self.subject_relation:
                    self.found(s, exact)
                if s.relation:
                    yield s.object, s.relation, exact
        elif isinstance(rewrite, ComputedUserset):
            yield obj, rewrite.relation, exact
        elif isinstance(rewrite, TupleToUserset):
            schema = self.engine.schema
            for s in self.loader.subjects(obj, rewrite.tupleset):
                plain = not s.relation and not s.is_wildcard
                if plain and schema.has_relation(s.type, rewrite.computed):
                    yield s.object, rewrite.computed, exact
        elif isinstance(rewrite, Union):
            for child in rewrite.children:
                yield from self.walk(obj, relation, child, exact)
        elif isinstance(rewrite, Intersection):
            # All operands: a subject may pass one by a wildcard and be named in another.
            for child in rewrite.children:
                yield from self.walk(obj, relation, child, False)
        elif isinstance(rewrite, Exclusion):
            yield from self.walk(obj, relation, rewrite.base, False)
            yield from self.walk(obj, relation, rewrite.subtract, False)


def list_subjects(
    engine: PermissionEngine,
    conn: Connection,
    obj: ObjectRef,
    relation: str,
    subject_type: str,
    subject_relation: str = "",
) -> set[SubjectRef]:
    """The subjects ``subject_type:id[#subject_relation]`` for which ``check`` is True.

    Concrete subjects are those named somewhere in the graph below ``obj#relation`` (plus
    usersets ``subject_type:id#subject_relation`` reached there). ``subject_type:*`` is in
    the result iff a subject without any tuples would pass; every concrete subject of the
    graph that passes is listed as well, so with a wildcard in the result a subject that is
    not listed passes exactly when it is not named in the graph at all.
    """
    engine._require_relation(obj.type, relation)
    if not obj.id or obj.id == WILDCARD:
        raise NexusValidationError(f"invalid object id {obj.id!r}", code="invalid_object")
    engine._require_type(subject_type)
    if subject_relation:
        engine._require_relation(subject_type, subject_relation)
    schema = engine.schema
    search = _SubjectSearch(
        engine, _Loader(engine, conn, engine._clock()), subject_type, subject_relation, set(), set()
    )
    # (object, relation) -> visited exactly? (a node first met as a candidate is walked
    # again when an exact path reaches it)
    visited: dict[tuple[ObjectRef, str], bool] = {}
    frontier: list[tuple[ObjectRef, str, bool]] = [(obj, relation, True)]
    while frontier:
        search.loader.load(o for o, _, _ in frontier)
        later: list[tuple[ObjectRef, str, bool]] = []
        work = frontier
        while work:
            current, rel, exact = work.pop()
            seen = visited.get((current, rel))
            if seen is not None and (seen or not exact):
                continue
            visited[(current, rel)] = exact
            if subject_relation and current.type == subject_type and rel == subject_relation:
                # A userset is implicitly in itself (OpenFGA): group:x#member in group:x.
                search.found(SubjectRef(current.type, current.id, rel), exact)
            rewrite = schema.rewrite(current.type, rel)
            if rewrite is None:
                continue
            for step in search.walk(current, rel, rewrite, exact):
                (work if search.loader.loaded(step[0]) else later).append(step)
        frontier = later
    result = set(search.exact)
    unsure = sorted(search.candidates - search.exact)
    if unsure:
        answers = engine.check_batch(conn, [(s, relation, obj) for s in unsure])
        result.update(s for s, allowed in zip(unsure, answers, strict=True) if allowed)
    if search.wildcard is not None:
        anyone = SubjectRef(subject_type, WILDCARD)
        if search.wildcard or engine.check(conn, anyone, relation, obj):
            result.add(anyone)
    return result
