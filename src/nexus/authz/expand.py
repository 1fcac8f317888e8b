"""Expand: the userset tree of ``object#relation``, for explaining and debugging grants.

Each rewrite rule becomes a node; direct nodes carry the live subjects stored (or computed
by a virtual relation) on the object, and every userset among them is expanded in turn, as
is every object a tupleset leads to. A relation already being expanded higher up the same
branch appears once more as a leaf marked ``cycle=True``. Loads go through the batched
loader of lookup.py: the usersets or tupleset objects of one node are read together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection

from nexus.authz.lookup import _Loader
from nexus.authz.model import WILDCARD, ObjectRef, SubjectRef
from nexus.authz.schema import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Intersection,
    Rewrite,
    TupleToUserset,
    Union,
)
from nexus.errors import NexusValidationError

if TYPE_CHECKING:
    from nexus.authz.engine import PermissionEngine

Kind = Literal["direct", "computed", "tupleset", "union", "intersection", "exclusion"]

_INFINITY = 1 << 30


@dataclass(frozen=True, slots=True)
class ExpandNode:
    """One rewrite rule of ``object#relation`` and what it leads to."""

    object: ObjectRef
    relation: str
    kind: Kind
    # "direct": the live stored (or virtual) subjects; "tupleset": the tupleset's objects.
    subjects: tuple[SubjectRef, ...] = ()
    # Sub-trees: usersets and tupleset objects expanded, or the operands of union etc.
    children: tuple[ExpandNode, ...] = ()
    # Not expanded again: this relation is already being expanded above on this branch.
    cycle: bool = False


def _kind(rewrite: Rewrite) -> Kind:
    if isinstance(rewrite, DirectTypes):
        return "direct"
    if isinstance(rewrite, ComputedUserset):
        return "computed"
    if isinstance(rewrite, TupleToUserset):
        return "tupleset"
    if isinstance(rewrite, Union):
        return "union"
    if isinstance(rewrite, Intersection):
        return "intersection"
    return "exclusion"


@dataclass
class _Expander:
    engine: PermissionEngine
    loader: _Loader
    max_depth: int
    # (object, relation) being expanded on the current branch -> its depth.
    stack: dict[tuple[ObjectRef, str], int] = field(default_factory=dict)
    # Finished sub-trees that do not depend on a cycle cut above them: shared, not redone.
    memo: dict[tuple[ObjectRef, str], ExpandNode] = field(default_factory=dict)

    def relation(self, obj: ObjectRef, relation: str) -> tuple[ExpandNode, int]:
        """The tree of ``obj#relation`` and the lowest depth of a cycle cut inside it."""
        key = (obj, relation)
        known = self.memo.get(key)
        if known is not None:
            return known, _INFINITY
        rewrite = self.engine.schema.rewrite(obj.type, relation)
        assert rewrite is not None  # callers only follow relations the type has
        depth = self.stack.get(key)
        if depth is not None:
            return ExpandNode(obj, relation, _kind(rewrite), cycle=True), depth
        depth = len(self.stack)
        if depth >= self.max_depth:
            from nexus.authz.engine import DepthExceededError  # engine imports this module

            raise DepthExceededError(
                f"expanding {relation} needs more than {self.max_depth} nested steps "
                "(folders or groups nested too deeply)"
            )
        self.stack[key] = depth
        try:
            node, low = self.rewrite(obj, relation, rewrite)
        finally:
            del self.stack[key]
        if low >= depth:
            # Its cycles (if any) close inside it: the same tree wherever it is reached.
            self.memo[key] = node
            return node, _INFINITY
        return node, low

    def rewrite(self, obj: ObjectRef, relation: str, rewrite: Rewrite) -> tuple[ExpandNode, int]:
        kind = _kind(rewrite)
        if isinstance(rewrite, DirectTypes):
            subjects = tuple(self.loader.subjects(obj, relation))
            usersets = [(s.object, s.relation) for s in subjects if s.relation]
            return self._node(obj, relation, kind, subjects, usersets)
        if isinstance(rewrite, ComputedUserset):
            return self._node(obj, relation, kind, (), [(obj, rewrite.relation)])
        if isinstance(rewrite, TupleToUserset):
            schema = self.engine.schema
            subjects = tuple(
                s
                for s in self.loader.subjects(obj, rewrite.tupleset)
                if not s.relation and not s.is_wildcard
            )
            targets = [
                (s.object, rewrite.computed)
                for s in subjects
                if schema.has_relation(s.type, rewrite.computed)
            ]
            return self._node(obj, relation, kind, subjects, targets)
        operands = (
            (rewrite.base, rewrite.subtract)
            if isinstance(rewrite, Exclusion)
            else rewrite.children
            if isinstance(rewrite, Union | Intersection)
            else ()
        )
        low = _INFINITY
        children: list[ExpandNode] = []
        for operand in operands:
            child, child_low = self.rewrite(obj, relation, operand)
            children.append(child)
            low = min(low, child_low)
        return ExpandNode(obj, relation, kind, children=tuple(children)), low

    def _node(
        self,
        obj: ObjectRef,
        relation: str,
        kind: Kind,
        subjects: tuple[SubjectRef, ...],
        follow: list[tuple[ObjectRef, str]],
    ) -> tuple[ExpandNode, int]:
        self.loader.load(o for o, _ in follow)  # one batch for all of them
        low = _INFINITY
        children: list[ExpandNode] = []
        for target, target_relation in follow:
            child, child_low = self.relation(target, target_relation)
            children.append(child)
            low = min(low, child_low)
        return ExpandNode(obj, relation, kind, subjects, tuple(children)), low


def expand(
    engine: PermissionEngine,
    conn: Connection,
    obj: ObjectRef,
    relation: str,
    *,
    max_depth: int | None = None,
) -> ExpandNode:
    """The userset tree of ``obj#relation``; DepthExceededError past ``max_depth`` nested
    relations (default: the engine's bound)."""
    engine._require_relation(obj.type, relation)
    if not obj.id or obj.id == WILDCARD:
        raise NexusValidationError(f"invalid object id {obj.id!r}", code="invalid_object")
    limit = engine._max_depth if max_depth is None else max_depth
    if limit < 1:
        raise NexusValidationError(
            f"max_depth must be at least 1, not {limit}", code="invalid_depth"
        )
    loader = _Loader(engine, conn, engine._clock())
    node, _low = _Expander(engine, loader, limit).relation(obj, relation)
    return node
