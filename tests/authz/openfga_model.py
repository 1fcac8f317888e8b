"""A literal, slow model of how OpenFGA (v1.22, the ``fga`` CLI) answers a check.

It exists to tell the differential test which answers of OpenFGA are *determined* and
which vary from run to run, and why. OpenFGA evaluates the operands of ``and``, ``but not``
and ``or`` concurrently and, on a cycle, answers "not allowed, cycle detected" (call it C)
instead of plainly false (F). Unions wait for every branch, so they are deterministic, but:

* ``a and b`` returns whichever non-allowed operand *arrives first*: with one operand F
  and another C, the answer is F or C depending on goroutine scheduling;
* ``a but not b`` returns as soon as one side decides: base F versus subtract C, or base
  C versus subtract T (allowed), race the same way.

F and C both mean "denied" at the top, but a C under an enclosing ``but not`` denies where
an F grants. So such checks flip between runs of the very same ``fga model test``; the
differential test asks this model for the set of possible outcomes and only compares
answers that OpenFGA determines.

The model follows OpenFGA's ``LocalChecker`` step by step and shares no code with our
engine's evaluation (only the type-graph answers of ``nexus.authz.typegraph``, which
encode which relations OpenFGA resolves with its cycle-free recursive strategy):

* a node (object, relation) already on the current path is a cycle: C (a path is one
  chain of nested checks, like OpenFGA's per-request visited set);
* a userset subject is in itself: ``check(group:g#member, member, group:g)`` is allowed;
* no type-graph path from the subject's kind to the relation: F without reading tuples;
* relations OpenFGA resolves recursively (plain subjects only): cycles below are F.

One more source of variation is left out on purpose: for those relations OpenFGA's
planner picks between the recursive strategy and its default search by Thompson sampling
(a randomised bandit over measured latencies), and the default search would flag the
cycle. In fresh stores it picked the recursive one in 1,200 of 1,200 tries (two cases,
150 stores, 4 runs), so the model assumes it; should it ever pick the other, fga answers
outside the prediction and the run fails as a model error rather than passing silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import product

from nexus.authz import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Intersection,
    Rewrite,
    Schema,
    TupleToUserset,
    Union,
)
from nexus.authz.typegraph import TypeGraph

T, F, C = "T", "F", "C"  # allowed, not allowed, not allowed with a cycle detected
Outcomes = frozenset[str]
ALLOWED: Outcomes = frozenset({T})
DENIED: Outcomes = frozenset({F})
CYCLE: Outcomes = frozenset({C})
_Node = tuple[str, str]  # ("type:id", relation)


class TooExpensive(Exception):
    """The path-by-path search exceeded its budget (dense graphs): no prediction."""


@dataclass
class OpenFGAModel:
    schema: Schema
    tuples: Iterable[tuple[str, str, str]]  # (user, relation, object) as in fga test files
    budget: int = 200_000
    _stored: dict[_Node, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for user, relation, obj in self.tuples:
            self._stored[(obj, relation)].append(user)
        self._graph = TypeGraph(self.schema)

    def outcomes(self, user: str, relation: str, obj: str) -> Outcomes:
        """Every outcome (T, F, C) a run of OpenFGA may give for this check."""
        self._user = user
        self._user_type, _, rest = user.partition(":")
        self._user_relation = rest.partition("#")[2]
        self._memo: dict[tuple[_Node, frozenset[_Node], bool], Outcomes] = {}
        self._steps = 0
        return self._resolve((obj, relation), frozenset(), False)

    # --- one ResolveCheck ------------------------------------------------------------

    def _resolve(self, node: _Node, path: frozenset[_Node], recursive: bool) -> Outcomes:
        """``recursive``: inside a relation OpenFGA resolves with its recursive strategy."""
        if node in path:
            return DENIED if recursive else CYCLE
        obj, relation = node
        object_type = obj.partition(":")[0]
        if self._user_relation and self._user == f"{obj}#{relation}":
            return ALLOWED
        if not self._graph.reaches(object_type, relation, self._user_type, self._user_relation):
            return DENIED
        key = (node, path, recursive)
        found = self._memo.get(key)
        if found is not None:
            return found
        self._steps += 1
        if self._steps > self.budget:
            raise TooExpensive(f"more than {self.budget} steps")
        if not self._user_relation and self._graph.resolves_recursion(
            object_type, relation, self._user_type
        ):
            recursive = True
        rewrite = self.schema.rewrite(object_type, relation)
        assert rewrite is not None
        result = self._rewrite(node, rewrite, path | {node}, recursive)
        self._memo[key] = result
        return result

    def _rewrite(
        self, node: _Node, rewrite: Rewrite, path: frozenset[_Node], recursive: bool
    ) -> Outcomes:
        obj = node[0]
        if isinstance(rewrite, DirectTypes):
            return self._direct(node, path, recursive)
        if isinstance(rewrite, ComputedUserset):
            return self._resolve((obj, rewrite.relation), path, recursive)
        if isinstance(rewrite, TupleToUserset):
            targets = [
                (parent, rewrite.computed)
                for parent in self._stored.get((obj, rewrite.tupleset), [])
                if "#" not in parent
                and self.schema.has_relation(parent.partition(":")[0], rewrite.computed)
            ]
            return union(self._resolve(t, path, recursive) for t in targets)
        if isinstance(rewrite, Union):
            return union(self._rewrite(node, c, path, recursive) for c in rewrite.children)
        if isinstance(rewrite, Intersection):
            return intersection([self._rewrite(node, c, path, recursive) for c in rewrite.children])
        assert isinstance(rewrite, Exclusion)
        return exclusion(
            self._rewrite(node, rewrite.base, path, recursive),
            self._rewrite(node, rewrite.subtract, path, recursive),
        )

    def _direct(self, node: _Node, path: frozenset[_Node], recursive: bool) -> Outcomes:
        branches: list[Outcomes] = []
        for stored in self._stored.get(node, []):
            if stored == self._user:
                return ALLOWED
            stored_type, _, stored_id = stored.partition(":")
            if stored_id == "*" and stored_type == self._user_type and not self._user_relation:
                return ALLOWED
            userset_obj, _, userset_rel = stored.partition("#")
            if userset_rel:
                branches.append(self._resolve((userset_obj, userset_rel), path, recursive))
        return union(branches)


# --- OpenFGA's reducers on sets of possible outcomes -------------------------------------


def union(branches: Iterable[Outcomes]) -> Outcomes:
    """Allowed if any branch is; else C if any branch flagged a cycle (deterministic)."""
    options = list(branches)
    result: set[str] = set()
    if any(T in b for b in options):
        result.add(T)
    if all(b - ALLOWED for b in options):  # every branch can refuse
        if any(C in b for b in options):
            result.add(C)
        if all(F in b for b in options):
            result.add(F)
    return frozenset(result)


def intersection(branches: list[Outcomes]) -> Outcomes:
    """Allowed if all are; else whichever refusing operand arrives first (F or C)."""
    result = {o for b in branches for o in b if o != T}
    if all(T in b for b in branches):
        result.add(T)
    return frozenset(result)


def exclusion(base: Outcomes, subtract: Outcomes) -> Outcomes:
    """The first side to decide wins: base F/C or subtract T/C decide; T/F wait."""
    return _combine([base, subtract], _exclusion_one)


def _exclusion_one(choice: tuple[str, ...]) -> Outcomes:
    base, subtract = choice
    decided: set[str] = set()
    if base != T:
        decided.add(base)  # base F -> F, base C -> C
    if subtract == C:
        decided.add(C)
    elif subtract == T:
        decided.add(F)
    return frozenset(decided) or ALLOWED


def _combine(branches: list[Outcomes], one: Callable[[tuple[str, ...]], Outcomes]) -> Outcomes:
    result: set[str] = set()
    for choice in product(*(sorted(b) for b in branches)):
        result |= one(choice)
    return frozenset(result)
