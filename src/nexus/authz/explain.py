"""Explanations: the chain of relationships behind an allowed check, or why a check failed.

The explainer evaluates a check with exactly the engine's rules and order (the same rewrite
walk, three-valued cycle handling, memo and provisional results, depth bound, expiry and
schema filtering), reusing the engine's loading, so its ``allowed`` always equals
``engine.check``. Along the way it keeps two records:

* a proof for every result that is True: the facts it rests on, each a stored tuple, a
  virtual edge or a rule of the schema, flattened into ``Explanation.path``;
* an attempt tree for everything evaluated, bounded and turned into ``Explanation.tried``,
  from which the nearest missing link of a denial (``gaps``, ``missing``) is chosen.

Explaining is for people: it favours readable, complete records over speed, reads past the
engine's caches and never fills them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from sqlalchemy import Connection

from nexus.authz.model import ObjectRef, Relationship, SubjectRef
from nexus.authz.schema import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Intersection,
    Rewrite,
    TupleToUserset,
    Union,
)

Method = Literal[
    "direct",
    "wildcard",
    "userset",
    "computed",
    "tupleset",
    "virtual",
    "intersection",
    "exclusion",
    "self",  # the subject is this very userset (group:g#member is in group:g#member)
]
AttemptKind = Literal[
    "relation",  # object#relation as a whole; children: the parts of its rule
    "direct",  # the tuples stored on the relation; children: the usersets followed
    "tupleset",  # 'x from y'; children: object#x for every object y leads to
    "union",  # a nested 'or'
    "intersection",
    "exclusion",
    "cycle",  # already being evaluated further up: never grants
    "repeat",  # a relation evaluated elsewhere in the tree (shown once)
    "undefined",  # 'x from y' reached an object whose type has no relation x
    "unreachable",  # no rule of the schema leads from here to subjects of this kind
    "membership",  # a group the subject's memberships (walked upwards) do not include
    "truncated",  # the tree was cut here to stay readable
]
GapKind = Literal[
    "unreachable", "excluded", "intersection", "expired", "not_member", "undetermined", "no_grant"
]

# Bounds of the attempt tree of a denial: enough to read, never a dump of the graph.
MAX_ATTEMPTS = 200
MAX_ATTEMPT_DEPTH = 24

_INFINITY = 1 << 30
_T = TypeVar("_T")

if TYPE_CHECKING:
    # The engine imports this module to delegate ``explain``; ours is imported late.
    from nexus.authz.engine import PermissionEngine, _Context


@dataclass(frozen=True, slots=True)
class Step:
    """One link of a granting chain: the subject holds ``relation`` on ``object`` by ``how``.

    ``relationship`` is the stored tuple (or, with ``virtual``, the computed edge) the link rests
    on; ``parts`` are the positions in ``Explanation.path`` of the earlier steps it builds
    on (a userset's membership, the relation a computed one follows from, the target of a
    tupleset, the conditions of an intersection or the base of an exclusion). Inside an
    intersection or exclusion, a step about the same object and relation is one condition
    of the later step that lists it, not a grant on its own.
    """

    object: ObjectRef
    relation: str
    how: Method
    relationship: Relationship | None = None
    virtual: bool = False
    parts: tuple[int, ...] = ()
    note: str = ""  # exclusion: what did not exclude it


@dataclass(frozen=True, slots=True)
class Attempt:
    """One evaluated branch of a check, with whether it granted (None: only a cycle)."""

    kind: AttemptKind
    object: ObjectRef
    relation: str
    granted: bool | None
    rule: str = ""  # the schema rule this part evaluates ("can_write from inherit_parent")
    via: Relationship | None = None  # the userset grant or tupleset edge that led here
    virtual: bool = False  # ``via`` is computed, not stored
    targets: int = 0  # direct: usersets followed; tupleset: objects it leads to
    expired: tuple[Relationship, ...] = ()  # direct: tuples that would count but expired
    children: tuple[Attempt, ...] = ()
    omitted: int = 0  # truncated: how many branches are not shown


@dataclass(frozen=True, slots=True)
class Gap:
    """A missing link of a denial, structured so callers can word it in their own terms.

    unreachable:  no rule of the schema leads from ``object#relation`` to subjects of the
                  checked kind: no grant could ever give it.
    excluded:     ``object#relation`` would hold, but ``rule`` excludes the subject
                  (``proof`` shows why the excluding relation holds).
    intersection: ``object#relation`` needs all of its parts; ``rule`` does not hold
                  (``relations`` are the rules that did).
    expired:      ``grant`` would have counted but has expired.
    not_member:   ``grant`` gives the relation to a userset the subject is not in
                  (``object#relation`` is that userset).
    undetermined: only a cycle through ``object#relation`` could have granted it.
    no_grant:     no grant of ``relations`` on ``object`` to the subject or a userset it is
                  in, nor on the objects ``reached`` through the tuplesets ``through``.
    """

    kind: GapKind
    object: ObjectRef
    relation: str
    grant: Relationship | None = None
    rule: str = ""
    relations: tuple[str, ...] = ()
    reached: tuple[ObjectRef, ...] = ()
    through: tuple[str, ...] = ()
    proof: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    allowed: bool
    subject: SubjectRef
    relation: str
    object: ObjectRef
    path: tuple[Step, ...]  # allowed: the granting chain, subject side first, ends at object
    tried: tuple[Attempt, ...]  # denied: the branches of object#relation and why each failed
    missing: str | None  # denied: the nearest missing link, in words
    gaps: tuple[Gap, ...] = ()  # denied: every missing link found, nearest first


class Namer(Protocol):
    """How objects and subjects are called in text (the files layer uses paths and names)."""

    def object(self, obj: ObjectRef) -> str: ...

    def subject(self, subject: SubjectRef) -> str: ...


class RefNamer:
    """Names things by their references: ``file:42``, ``group:dev#member``."""

    def object(self, obj: ObjectRef) -> str:
        return str(obj)

    def subject(self, subject: SubjectRef) -> str:
        return str(subject)


# --- evaluation ---------------------------------------------------------------------------


@dataclass(eq=False)
class _Fact:
    """A proof that the subject holds object#relation (or one condition of it)."""

    object: ObjectRef
    relation: str
    how: Method
    relationship: Relationship | None = None
    virtual: bool = False
    premises: tuple[_Fact, ...] = ()
    note: str = ""


_Edge = tuple[Relationship | None, bool, "_Try"]  # (via, via is virtual, child)


@dataclass(eq=False)
class _Try:
    kind: AttemptKind
    object: ObjectRef
    relation: str
    granted: bool | None
    rule: str = ""
    children: list[_Edge] = field(default_factory=list)
    expired: tuple[Relationship, ...] = ()
    targets: int = 0
    fact: _Fact | None = None  # the proof, when granted
    # intersection, exclusion: the rule of each evaluated part (children may be relation
    # nodes, whose own rule is their definition rather than the part's text)
    part_rules: tuple[str, ...] = ()


# (granted, lowest cut stack position it depended on, proof when granted, attempt record)
_Outcome = tuple[bool | None, int, _Fact | None, _Try]


class _Explainer:
    """Mirrors PermissionEngine._check and friends step for step, keeping records."""

    def __init__(self, engine: PermissionEngine, ctx: _Context):
        self.engine = engine
        self.ctx = ctx
        self.memo: dict[tuple[ObjectRef, str], tuple[bool | None, _Fact | None, _Try]] = {}
        self.provisional: dict[
            int, dict[tuple[ObjectRef, str], tuple[bool | None, _Fact | None, _Try]]
        ] = {}
        self.stack: dict[tuple[ObjectRef, str], int] = {}

    def check(self, obj: ObjectRef, relation: str) -> _Outcome:
        key = (obj, relation)
        if key in self.memo:
            result, fact, node = self.memo[key]
            return result, _INFINITY, fact, node
        for low, entries in self.provisional.items():
            if key in entries:
                result, fact, node = entries[key]
                return result, low, fact, node
        position = self.stack.get(key)
        subject = self.ctx.subject
        if position is not None:
            # As the engine: a cycle is undetermined, or plainly false in a recursion
            # OpenFGA walks to its end (typegraph.py).
            exact = not subject.relation and self.engine._typegraph.resolves_recursion(
                obj.type, relation, subject.type
            )
            granted = False if exact else None
            return granted, position, None, _Try("cycle", obj, relation, granted)
        rewrite = self.engine.schema.rewrite(obj.type, relation)
        if rewrite is None:
            return False, _INFINITY, None, _Try("undefined", obj, relation, False)
        if subject.relation == relation and subject.object == obj:
            fact = _Fact(obj, relation, "self")
            return True, _INFINITY, fact, _Try("relation", obj, relation, True, fact=fact)
        if not self.engine._typegraph.reaches(obj.type, relation, subject.type, subject.relation):
            return False, _INFINITY, None, _Try("unreachable", obj, relation, False)
        position = len(self.stack)
        if position >= self.engine._max_depth:
            from nexus.authz.engine import DepthExceededError, _too_deep

            raise DepthExceededError(_too_deep(relation, self.engine._max_depth))
        self.stack[key] = position
        try:
            result, low, fact, part = self.rewrite(obj, relation, rewrite)
        finally:
            del self.stack[key]
            for level in [level for level in self.provisional if level >= position]:
                del self.provisional[level]
        children: list[_Edge] = part.children if part.kind == "union" else [(None, False, part)]
        node = _Try("relation", obj, relation, result, rule_text(rewrite), children, fact=fact)
        if low >= position:
            self.memo[key] = (result, fact, node)
            return result, _INFINITY, fact, node
        self.provisional.setdefault(low, {})[key] = (result, fact, node)
        return result, low, fact, node

    def rewrite(self, obj: ObjectRef, relation: str, rewrite: Rewrite) -> _Outcome:
        if isinstance(rewrite, DirectTypes):
            return self.direct(obj, relation, rewrite)
        if isinstance(rewrite, ComputedUserset):
            result, low, inner, node = self.check(obj, rewrite.relation)
            fact: _Fact | None = None
            if result is True:
                fact = _Fact(obj, relation, "computed", premises=(_need(inner),))
            return result, low, fact, node
        if isinstance(rewrite, TupleToUserset):
            return self.tupleset(obj, relation, rewrite)
        if isinstance(rewrite, Union):
            return self.union(obj, relation, rewrite)
        if isinstance(rewrite, Intersection):
            return self.intersection(obj, relation, rewrite)
        return self.exclusion(obj, relation, rewrite)

    def union(self, obj: ObjectRef, relation: str, rewrite: Union) -> _Outcome:
        result, low, winner, edges = self.any(
            rewrite.children, lambda c: self.rewrite(obj, relation, c), lambda c: None
        )
        fact = winner[1] if winner else None
        node = _Try("union", obj, relation, result, rule_text(rewrite), edges, fact=fact)
        return result, low, fact, node

    def intersection(self, obj: ObjectRef, relation: str, rewrite: Intersection) -> _Outcome:
        rule = rule_text(rewrite)
        low = _INFINITY
        undetermined = False
        edges: list[_Edge] = []
        facts: list[_Fact] = []
        granted: bool | None = True
        for child in rewrite.children:
            result, child_low, fact, node = self.rewrite(obj, relation, child)
            low = min(low, child_low)
            edges.append((None, False, node))
            if result is False:
                granted = False
                break
            undetermined = undetermined or result is None
            if fact is not None:
                facts.append(fact)
        if granted and undetermined:
            granted = None
        proof = None
        if granted:
            proof = _Fact(obj, relation, "intersection", premises=tuple(facts))
        node = _Try("intersection", obj, relation, granted, rule, edges, fact=proof)
        node.part_rules = tuple(rule_text(c) for c in rewrite.children[: len(edges)])
        return granted, low, proof, node

    def exclusion(self, obj: ObjectRef, relation: str, rewrite: Exclusion) -> _Outcome:
        node = _Try("exclusion", obj, relation, False, rule_text(rewrite))
        node.part_rules = (rule_text(rewrite.base), rule_text(rewrite.subtract))
        base, low, base_fact, base_node = self.rewrite(obj, relation, rewrite.base)
        node.children.append((None, False, base_node))
        if base is False:
            return False, low, None, node
        subtract, sub_low, _sub_fact, sub_node = self.rewrite(obj, relation, rewrite.subtract)
        low = min(low, sub_low)
        node.children.append((None, False, sub_node))
        if subtract is True:
            return False, low, None, node
        if base is None or subtract is None:
            node.granted = None
            return None, low, None, node
        note = f"not {node.part_rules[1]}"
        node.granted = True
        node.fact = _Fact(obj, relation, "exclusion", premises=(_need(base_fact),), note=note)
        return True, low, node.fact, node

    def direct(self, obj: ObjectRef, relation: str, rewrite: DirectTypes) -> _Outcome:
        subject = self.ctx.subject
        virtual = (obj.type, relation) in self.engine._virtual
        rule = rule_text(rewrite)
        usersets: list[SubjectRef] = []
        # Groups the engine settled from the subject's memberships without walking down.
        settled: list[_Edge] = []
        for candidate in self.engine._direct_subjects(self.ctx, obj, relation):
            how: Method | None = None
            fact: _Fact | None = None
            if candidate == subject:
                how = "virtual" if virtual else "direct"
            elif candidate.is_wildcard:
                if candidate.type == subject.type and not subject.relation:
                    how = "wildcard"
            elif candidate.relation:
                if (candidate.type, candidate.relation) in self.engine._membership_relations:
                    found = self.engine._memberships(self.ctx)
                    level = found.usersets.get(candidate)
                    if level is not None and len(self.stack) + level <= self.engine._max_depth:
                        how = "userset"
                        fact = self.membership(candidate, found.usersets)
                    elif (
                        level is None
                        and not found.incomplete
                        and self.engine._cycles_are_false(self.ctx, candidate)
                    ):
                        group = candidate.object
                        outside = _Try("membership", group, candidate.relation, False)
                        outside.expired = self.expired_for(group, candidate.relation)
                        via = self.tuple_for(obj, relation, candidate, virtual)
                        settled.append((via, virtual, outside))
                        continue
                if how is None:
                    usersets.append(candidate)
            if how is not None:
                tuple_ = self.tuple_for(obj, relation, candidate, virtual)
                premises = (fact,) if fact is not None else ()
                found_fact = _Fact(obj, relation, how, tuple_, virtual, premises)
                node = _Try("direct", obj, relation, True, rule, settled, fact=found_fact)
                return True, _INFINITY, found_fact, node
        result, low, winner, edges = self.any(
            usersets,
            lambda u: self.check(u.object, u.relation),
            lambda u: (self.tuple_for(obj, relation, u, virtual), virtual),
        )
        granted: _Fact | None = None
        if winner is not None:
            userset, inner = winner
            tuple_ = self.tuple_for(obj, relation, userset, virtual)
            granted = _Fact(obj, relation, "userset", tuple_, virtual, (inner,))
        node = _Try("direct", obj, relation, result, rule, settled + edges, fact=granted)
        node.targets = len(usersets) + len(settled)
        node.expired = () if virtual else self.expired_for(obj, relation)
        return result, low, granted, node

    def membership(self, userset: SubjectRef, levels: Mapping[SubjectRef, int]) -> _Fact:
        """The chain of stored tuples by which the subject is in ``userset``, rebuilt from
        the memberships the engine walked upwards (``levels``: userset -> tuples up)."""
        subject = self.ctx.subject
        level = levels[userset]
        obj, relation = userset.object, userset.relation
        for candidate in self.engine._direct_subjects(self.ctx, obj, relation):
            tuple_ = self.tuple_for(obj, relation, candidate, False)
            if candidate == subject:
                return _Fact(obj, relation, "direct", tuple_)
            wildcard = candidate.is_wildcard and candidate.type == subject.type
            if wildcard and not subject.relation:
                return _Fact(obj, relation, "wildcard", tuple_)
            if candidate.relation and levels.get(candidate) == level - 1:
                inner = self.membership(candidate, levels)
                return _Fact(obj, relation, "userset", tuple_, False, (inner,))
        raise AssertionError(f"{subject} is in {userset} but no tuple shows it")

    def tupleset(self, obj: ObjectRef, relation: str, rewrite: TupleToUserset) -> _Outcome:
        virtual = (obj.type, rewrite.tupleset) in self.engine._virtual
        targets = [
            s
            for s in self.engine._direct_subjects(self.ctx, obj, rewrite.tupleset)
            if not s.relation and not s.is_wildcard
        ]
        result, low, winner, edges = self.any(
            targets,
            lambda t: self.check(t.object, rewrite.computed),
            lambda t: (self.tuple_for(obj, rewrite.tupleset, t, virtual), virtual),
        )
        fact: _Fact | None = None
        if winner is not None:
            target, inner = winner
            edge = self.tuple_for(obj, rewrite.tupleset, target, virtual)
            fact = _Fact(obj, relation, "tupleset", edge, virtual, (inner,))
        node = _Try("tupleset", obj, relation, result, rule_text(rewrite), edges, fact=fact)
        node.targets = len(targets)
        return result, low, fact, node

    def any(
        self,
        items: Iterable[_T],
        branch: Callable[[_T], _Outcome],
        via: Callable[[_T], tuple[Relationship, bool] | None],
    ) -> tuple[bool | None, int, tuple[_T, _Fact] | None, list[_Edge]]:
        """The engine's ``_any``: the first granting branch wins; the depth bound is only
        raised when no branch granted."""
        from nexus.authz.engine import DepthExceededError

        low = _INFINITY
        undetermined = False
        error: DepthExceededError | None = None
        edges: list[_Edge] = []
        for item in items:
            try:
                result, branch_low, fact, node = branch(item)
            except DepthExceededError as exc:
                error = exc
                continue
            low = min(low, branch_low)
            link = via(item)
            edges.append((link[0], link[1], node) if link else (None, False, node))
            if result is True:
                return True, low, (item, _need(fact)), edges
            undetermined = undetermined or result is None
        if error is not None:
            raise error
        return (None if undetermined else False), low, None, edges

    def tuple_for(
        self, obj: ObjectRef, relation: str, subject: SubjectRef, virtual: bool
    ) -> Relationship:
        """The live stored tuple behind a subject (a virtual edge is made up on the spot)."""
        if not virtual:
            for rel in self.ctx.tuples[obj].get(relation, ()):
                if rel.subject == subject and not rel.is_expired(self.ctx.now):
                    return rel
        return Relationship(obj, relation, subject)

    def expired_for(self, obj: ObjectRef, relation: str) -> tuple[Relationship, ...]:
        """Expired tuples on obj#relation naming the subject (or its wildcard): they would
        have granted it. (An expired userset grant is not listed: the subject may not even
        be in that userset.)"""
        subject = self.ctx.subject
        found = []
        if obj not in self.ctx.tuples:
            self.engine._prefetch(self.ctx, [obj])
        for rel in self.ctx.tuples[obj].get(relation, ()):
            candidate = rel.subject
            wildcard = candidate.is_wildcard and candidate.type == subject.type
            if rel.is_expired(self.ctx.now) and (
                candidate == subject or (wildcard and not subject.relation)
            ):
                found.append(rel)
        return tuple(found)


def _need(fact: _Fact | None) -> _Fact:
    # A True result always carries its proof; anything else is a bug in the mirror.
    assert fact is not None, "a granting branch without a proof"
    return fact


def explain(
    engine: PermissionEngine, conn: Connection, subject: SubjectRef, relation: str, obj: ObjectRef
) -> Explanation:
    """Why ``check(subject, relation, obj)`` answers what it answers (see module doc)."""
    from nexus.authz.engine import _Context

    engine._require_relation(obj.type, relation)
    # revision=None: read the store directly, neither reading nor filling the shared
    # caches (same transaction, same tuples as a check would see).
    ctx = _Context(conn=conn, subject=subject, now=engine._clock(), revision=None)
    engine._prefetch(ctx, [obj])
    explainer = _Explainer(engine, ctx)
    result, _low, fact, node = explainer.check(obj, relation)
    if result is True:
        return Explanation(True, subject, relation, obj, _flatten(_need(fact)), (), None)
    gaps = _find_gaps(node, obj, relation)
    missing = describe_gap(gaps[0], subject, RefNamer()) if gaps else None
    return Explanation(False, subject, relation, obj, (), _attempts(node), missing, gaps)


# --- records into results -----------------------------------------------------------------


def _flatten(root: _Fact) -> tuple[Step, ...]:
    """Proof tree -> steps, premises before what rests on them, shared premises once."""
    steps: list[Step] = []
    index: dict[int, int] = {}

    def visit(fact: _Fact) -> int:
        known = index.get(id(fact))
        if known is not None:
            return known
        parts = tuple(visit(p) for p in fact.premises)
        step = Step(
            fact.object, fact.relation, fact.how, fact.relationship, fact.virtual, parts, fact.note
        )
        steps.append(step)
        index[id(fact)] = len(steps) - 1
        return len(steps) - 1

    visit(root)
    return tuple(steps)


def _attempts(root: _Try) -> tuple[Attempt, ...]:
    """The attempt records as a bounded tree: each relation is expanded once only."""
    budget = [MAX_ATTEMPTS]
    expanded: set[int] = set()

    def convert(node: _Try, via: Relationship | None, virtual: bool, depth: int) -> Attempt:
        budget[0] -= 1
        if node.kind == "relation" and id(node) in expanded:
            return Attempt(
                "repeat", node.object, node.relation, node.granted, node.rule, via, virtual
            )
        expanded.add(id(node))
        children: list[Attempt] = []
        if node.granted is not True:  # a granting branch is explained by its proof
            for position, (child_via, child_virtual, child) in enumerate(node.children):
                if budget[0] <= 0 or depth >= MAX_ATTEMPT_DEPTH:
                    left = len(node.children) - position
                    children.append(
                        Attempt("truncated", node.object, node.relation, None, omitted=left)
                    )
                    break
                children.append(convert(child, child_via, child_virtual, depth + 1))
        return Attempt(
            node.kind,
            node.object,
            node.relation,
            node.granted,
            node.rule,
            via,
            virtual,
            node.targets,
            node.expired,
            tuple(children),
        )

    top = convert(root, None, False, 0)
    return top.children if root.kind == "relation" else (top,)


def _find_gaps(root: _Try, obj: ObjectRef, relation: str) -> tuple[Gap, ...]:
    """Every missing link in the failed branches, nearest (closest to granting) first."""
    by_kind: dict[GapKind, list[Gap]] = {kind: [] for kind in _GAP_ORDER}
    direct_here: list[str] = []
    reached: list[ObjectRef] = []
    through: list[str] = []
    queue: deque[tuple[_Try, bool]] = deque([(root, False)])
    seen: set[int] = set()
    while queue:
        node, in_userset = queue.popleft()
        if id(node) in seen or node.granted is True:
            continue
        seen.add(id(node))
        kids = [child for _via, _virtual, child in node.children]
        rules = node.part_rules
        if node.kind == "exclusion" and len(kids) == 2 and kids[0].granted and kids[1].granted:
            proof = _flatten(kids[1].fact) if kids[1].fact else ()
            by_kind["excluded"].append(
                Gap("excluded", node.object, node.relation, rule=rules[1], proof=proof)
            )
        elif node.kind == "intersection" and kids and kids[-1].granted is False:
            held = tuple(rule for rule, k in zip(rules, kids, strict=True) if k.granted)
            by_kind["intersection"].append(
                Gap("intersection", node.object, node.relation, rule=rules[-1], relations=held)
            )
        elif node.kind == "cycle":
            by_kind["undetermined"].append(Gap("undetermined", node.object, node.relation))
        elif node.kind == "membership":
            for rel in node.expired:
                by_kind["expired"].append(Gap("expired", node.object, node.relation, grant=rel))
        elif node.kind == "direct":
            for rel in node.expired:
                by_kind["expired"].append(Gap("expired", node.object, node.relation, grant=rel))
            for via, _virtual, child in node.children:
                if child.granted is False and via is not None:
                    by_kind["not_member"].append(
                        Gap("not_member", via.subject.object, via.subject.relation, grant=via)
                    )
            if not in_userset:
                if node.object == obj:
                    if node.relation not in direct_here:
                        direct_here.append(node.relation)
                elif node.object not in reached:
                    reached.append(node.object)
        elif node.kind == "tupleset" and not in_userset and node.children:
            name = node.rule.rsplit(" from ", 1)[-1]
            if name not in through:
                through.append(name)
        for _via, _virtual, child in node.children:
            queue.append((child, in_userset or node.kind == "direct"))
    if root.kind == "unreachable":
        by_kind["unreachable"].append(Gap("unreachable", obj, relation))
    by_kind["no_grant"].append(
        Gap(
            "no_grant",
            obj,
            relation,
            relations=tuple(direct_here),
            reached=tuple(reached),
            through=tuple(through),
        )
    )
    return tuple(gap for kind in _GAP_ORDER for gap in _unique(by_kind[kind]))


_GAP_ORDER: tuple[GapKind, ...] = (
    "unreachable",
    "excluded",
    "intersection",
    "expired",
    "not_member",
    "undetermined",
    "no_grant",
)


def _unique(gaps: Sequence[Gap]) -> list[Gap]:
    found: list[Gap] = []
    for gap in gaps:
        if gap not in found:
            found.append(gap)
    return found


# --- words --------------------------------------------------------------------------------


def rule_text(rewrite: Rewrite) -> str:
    """A rewrite in the schema's own notation."""
    if isinstance(rewrite, DirectTypes):
        return "[" + ", ".join(str(r) for r in rewrite.allowed) + "]"
    if isinstance(rewrite, ComputedUserset):
        return rewrite.relation
    if isinstance(rewrite, TupleToUserset):
        return f"{rewrite.computed} from {rewrite.tupleset}"
    if isinstance(rewrite, Union):
        return " or ".join(_operand(c) for c in rewrite.children)
    if isinstance(rewrite, Intersection):
        return " and ".join(_operand(c) for c in rewrite.children)
    return f"{_operand(rewrite.base)} but not {_operand(rewrite.subtract)}"


def _operand(rewrite: Rewrite) -> str:
    text = rule_text(rewrite)
    return f"({text})" if isinstance(rewrite, Union | Intersection) or " but not " in text else text


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _or(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _and(words: Sequence[str]) -> str:
    return "' and '".join(words)


def describe_gap(gap: Gap, subject: SubjectRef, namer: Namer) -> str:
    """One sentence for a missing link."""
    who = namer.subject(subject)
    where = namer.object(gap.object)
    if gap.kind == "unreachable":
        return (
            f"{gap.relation} on {where} can never be held by a {kind_of(subject)}: no rule of "
            "the schema leads there"
        )
    if gap.kind == "excluded":
        because = [
            _tuple_text(s.relationship, namer) for s in gap.proof if s.relationship is not None
        ]
        reason = f" ({'; '.join(because)})" if because else ""
        return f"{who} is excluded from {gap.relation} on {where} by '{gap.rule}'{reason}"
    if gap.kind == "intersection":
        held = f" ('{_and(list(gap.relations))}' did)" if gap.relations else ""
        return (
            f"{gap.relation} on {where} needs all of its conditions, and '{gap.rule}' does not "
            f"hold for {who}{held}"
        )
    if gap.kind == "expired" and gap.grant is not None:
        when = iso(gap.grant.expires_at) if gap.grant.expires_at is not None else "?"
        return f"the grant {_tuple_text(gap.grant, namer)} expired at {when}"
    if gap.kind == "not_member" and gap.grant is not None:
        userset = gap.grant.subject
        return (
            f"{namer.subject(userset)} has {gap.grant.relation} on "
            f"{namer.object(gap.grant.object)}, but {who} is not in {namer.subject(userset)}"
        )
    if gap.kind == "undetermined":
        return (
            f"only a cycle through {gap.relation} on {where} could grant it, and cycles never grant"
        )
    relations = _or(list(gap.relations)) or gap.relation
    text = f"no {relations} grant for {who} or any userset it is in on {where}"
    if gap.reached:
        objects = _or([namer.object(o) for o in gap.reached])
        text += f" or on {objects} (reached through {_or(list(gap.through))})"
    return text


def _tuple_text(rel: Relationship, namer: Namer) -> str:
    return f"{namer.subject(rel.subject)} has {rel.relation} on {namer.object(rel.object)}"


def describe_step(step: Step, path: Sequence[Step], subject: SubjectRef, namer: Namer) -> str:
    """One line for one step of a granting chain (generic words; see the files layer)."""
    text = _step_text(step, path, subject, namer)
    position = next((i for i, s in enumerate(path) if s is step), -1)
    for later in path[position + 1 :]:
        same = (later.object, later.relation) == (step.object, step.relation)
        if same and later.how in ("intersection", "exclusion") and position in later.parts:
            return f"condition: {text}"
    return text


def _step_text(step: Step, path: Sequence[Step], subject: SubjectRef, namer: Namer) -> str:
    where = namer.object(step.object)
    premises = [path[i] for i in step.parts]
    refs = ", ".join(str(i + 1) for i in step.parts)
    if step.how in ("direct", "virtual") and step.relationship is not None:
        kind = "computed" if step.virtual else "tuple"
        return (
            f"{namer.subject(subject)} has {step.relation} on {where} ({kind} {step.relationship})"
        )
    if step.how == "wildcard" and step.relationship is not None:
        return f"{namer.subject(step.relationship.subject)} has {step.relation} on {where}"
    if step.how == "userset" and step.relationship is not None:
        return (
            f"{namer.subject(step.relationship.subject)} has {step.relation} on {where}, and "
            f"{namer.subject(subject)} is in it (step {refs})"
        )
    if step.how == "computed" and premises:
        return f"{step.relation} on {where} follows from {premises[0].relation} (step {refs})"
    if step.how == "tupleset" and premises and step.relationship is not None:
        target = premises[0]
        return (
            f"{step.relation} on {where} follows from {target.relation} on "
            f"{namer.object(target.object)}, its {step.relationship.relation} (step {refs})"
        )
    if step.how == "self":
        return f"{namer.subject(subject)} is {step.relation} of {where} by definition"
    if step.how == "intersection":
        return f"{step.relation} on {where}: all of its conditions hold (steps {refs})"
    return f"{step.relation} on {where}: step {refs} holds and {step.note}"


def _expired_text(expired: Sequence[Relationship], namer: Namer) -> str:
    text = ""
    for rel in expired:
        when = iso(rel.expires_at) if rel.expires_at is not None else "?"
        text += f"; {_tuple_text(rel, namer)} expired at {when}"
    return text


def kind_of(subject: SubjectRef) -> str:
    """What sort of subject this is, as the schema's type restrictions name it."""
    return f"{subject.type}#{subject.relation}" if subject.relation else subject.type


def describe_attempt(attempt: Attempt, subject: SubjectRef, namer: Namer) -> str:
    """One line for one node of the attempt tree."""
    where = namer.object(attempt.object)
    status = {True: "granted", False: "not granted", None: "undetermined (cycle)"}[attempt.granted]
    lead = ""
    via = attempt.via
    if via is not None and via.subject.relation:
        lead = f"through {_tuple_text(via, namer)}: "
    elif via is not None:  # a tupleset edge: this object is the origin's parent (say)
        lead = f"{where} is the {via.relation} of {namer.object(via.object)}: "
    kind = attempt.kind
    if kind == "relation":
        return f"{lead}{attempt.relation} on {where}: {status}"
    if kind == "repeat":
        return f"{lead}{attempt.relation} on {where}: {status} (see above)"
    if kind == "cycle":
        return f"{lead}{attempt.relation} on {where}: a cycle (already being checked), never grants"
    if kind == "unreachable":
        return f"{lead}{attempt.relation} on {where}: no rule leads from it to {kind_of(subject)}"
    if kind == "membership":
        userset = SubjectRef(attempt.object.type, attempt.object.id, attempt.relation)
        text = f"{lead}{namer.subject(subject)} is not in {namer.subject(userset)}"
        return text + _expired_text(attempt.expired, namer)
    if kind == "undefined":
        return f"{lead}{where} has no relation {attempt.relation}: not granted"
    if kind == "truncated":
        return f"... {attempt.omitted} more branch(es) not shown"
    if kind == "direct":
        text = f"direct grants of {attempt.relation} on {where}: "
        if attempt.granted:
            text += "one for " + namer.subject(subject)
        elif attempt.targets:
            grants = "grant" if attempt.targets == 1 else "grants"
            text += f"none for {namer.subject(subject)}; {attempt.targets} userset {grants}, below"
        else:
            text += f"none for {namer.subject(subject)}"
        return text + _expired_text(attempt.expired, namer)
    if kind == "tupleset":
        tupleset = attempt.rule.rsplit(" from ", 1)[-1]
        if not attempt.targets:
            return f"{attempt.rule} on {where}: {where} has no {tupleset}"
        return f"{attempt.rule} on {where}: {status}"
    return f"{attempt.rule} on {where}: {status}"


def render_tried(
    tried: Sequence[Attempt],
    subject: SubjectRef,
    namer: Namer,
    *,
    hide: Callable[[ObjectRef], bool] | None = None,
) -> list[str]:
    """The attempt tree as indented lines. ``hide(obj)``: the reader may not see who else
    holds grants on obj, so usersets followed there are summarised, not listed."""
    lines: list[str] = []

    def walk(attempt: Attempt, depth: int) -> None:
        if attempt.kind == "direct" and hide is not None and hide(attempt.object):
            # Not even how many other grants there are: only the subject's own.
            own = replace(attempt, targets=0, children=())
            text = describe_attempt(own, subject, namer) + " (other grants here are not shown)"
            lines.append("  " * depth + text)
            return
        if attempt.kind == "tupleset" and hide is not None and hide(attempt.object):
            # Whether it has a parent to inherit from would tell whether it is restricted,
            # and what lies above it is as hidden as it is.
            where = namer.object(attempt.object)
            text = f"{attempt.rule} on {where}: not shown (you cannot read {where})"
            lines.append("  " * depth + text)
            return
        lines.append("  " * depth + describe_attempt(attempt, subject, namer))
        for child in attempt.children:
            walk(child, depth + 1)

    for attempt in tried:
        walk(attempt, 0)
    return lines
