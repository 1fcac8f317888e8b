"""The typed schema: types, their relations and the rewrite rule of each relation.

A schema is validated once when it is built, so the engine can trust every reference it
follows at check time (a relation named in a rewrite exists, a tupleset is a direct relation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from nexus.authz.model import WILDCARD, SubjectRef
from nexus.errors import NexusValidationError


class SchemaError(NexusValidationError):
    """The schema text or structure is invalid; the message says where and why."""

    def __init__(
        self,
        message: str,
        *,
        type_name: str | None = None,
        relation: str | None = None,
        line: int | None = None,
    ):
        super().__init__(message, code="invalid_schema")
        self.type_name = type_name
        self.relation = relation
        self.line = line


@dataclass(frozen=True, slots=True)
class TypeRestriction:
    """One entry of a direct type list: ``user``, ``user:*`` or ``group#member``."""

    type: str
    relation: str = ""
    wildcard: bool = False

    def __post_init__(self) -> None:
        if self.wildcard and self.relation:
            raise SchemaError(f"{self.type}:*#{self.relation}: a wildcard cannot have a relation")

    def __str__(self) -> str:
        if self.wildcard:
            return f"{self.type}:*"
        return f"{self.type}#{self.relation}" if self.relation else self.type

    def admits(self, subject: SubjectRef) -> bool:
        if subject.type != self.type:
            return False
        if self.wildcard:
            return subject.is_wildcard
        if subject.id == WILDCARD and not subject.relation:
            return False
        return subject.relation == self.relation


@dataclass(frozen=True, slots=True)
class DirectTypes:
    """``[user, group#member, user:*]``: tuples stored on the relation itself."""

    allowed: tuple[TypeRestriction, ...]


@dataclass(frozen=True, slots=True)
class ComputedUserset:
    """Another relation of the same object (``define viewer: editor``)."""

    relation: str


@dataclass(frozen=True, slots=True)
class TupleToUserset:
    """``computed from tupleset``: follow the tupleset's objects, ask them for ``computed``."""

    tupleset: str
    computed: str


@dataclass(frozen=True, slots=True)
class Union:
    children: tuple[Rewrite, ...]


@dataclass(frozen=True, slots=True)
class Intersection:
    children: tuple[Rewrite, ...]


@dataclass(frozen=True, slots=True)
class Exclusion:
    """``base but not subtract``."""

    base: Rewrite
    subtract: Rewrite


Rewrite = DirectTypes | ComputedUserset | TupleToUserset | Union | Intersection | Exclusion


@dataclass(frozen=True)
class TypeDefinition:
    name: str
    relations: Mapping[str, Rewrite] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read-only view: the engine shares schemas between threads.
        object.__setattr__(self, "relations", MappingProxyType(dict(self.relations)))


def iter_rewrites(rewrite: Rewrite) -> Iterable[Rewrite]:
    """The rewrite and all rewrites nested in it, depth first."""
    yield rewrite
    if isinstance(rewrite, Union | Intersection):
        for child in rewrite.children:
            yield from iter_rewrites(child)
    elif isinstance(rewrite, Exclusion):
        yield from iter_rewrites(rewrite.base)
        yield from iter_rewrites(rewrite.subtract)


def direct_types_of(rewrite: Rewrite) -> tuple[TypeRestriction, ...]:
    """Every restriction of the DirectTypes in ``rewrite``: what a stored tuple may name.

    Only the union-reachable parts count as writable: OpenFGA treats the direct list
    the same wherever it sits, so we collect it from anywhere in the rewrite.
    """
    found: list[TypeRestriction] = []
    for part in iter_rewrites(rewrite):
        if isinstance(part, DirectTypes):
            found.extend(part.allowed)
    return tuple(found)


class Schema:
    """A validated set of type definitions."""

    def __init__(self, types: Iterable[TypeDefinition]):
        by_name: dict[str, TypeDefinition] = {}
        for typedef in types:
            if typedef.name in by_name:
                raise SchemaError(f"type {typedef.name!r} is defined twice", type_name=typedef.name)
            by_name[typedef.name] = typedef
        self._types: Mapping[str, TypeDefinition] = MappingProxyType(by_name)
        self._direct: dict[tuple[str, str], tuple[TypeRestriction, ...]] = {
            (t.name, name): direct_types_of(rewrite)
            for t in by_name.values()
            for name, rewrite in t.relations.items()
        }
        # (object type, relation, subject type, subject relation, wildcard) -> admitted:
        # checks ask this for every tuple they read.
        self._admits: dict[tuple[str, str, str, str, bool], bool] = {}
        _validate(self)

    @property
    def types(self) -> Mapping[str, TypeDefinition]:
        return self._types

    def __repr__(self) -> str:
        return f"Schema(types={list(self._types)!r})"

    def has_type(self, type_name: str) -> bool:
        return type_name in self._types

    def has_relation(self, type_name: str, relation: str) -> bool:
        typedef = self._types.get(type_name)
        return typedef is not None and relation in typedef.relations

    def relation_names(self, type_name: str) -> tuple[str, ...]:
        """The relations of ``type_name`` in definition order (empty for unknown types)."""
        typedef = self._types.get(type_name)
        return tuple(typedef.relations) if typedef else ()

    def rewrite(self, type_name: str, relation: str) -> Rewrite | None:
        typedef = self._types.get(type_name)
        return typedef.relations.get(relation) if typedef else None

    def direct_types(self, type_name: str, relation: str) -> tuple[TypeRestriction, ...]:
        """What may be stored on ``type_name#relation`` (empty: computed only, not writable)."""
        return self._direct.get((type_name, relation), ())

    def allows_subject(self, object_type: str, relation: str, subject: SubjectRef) -> bool:
        """Whether the relation's direct type list admits ``subject`` (grants are checked so)."""
        key = (object_type, relation, subject.type, subject.relation, subject.is_wildcard)
        known = self._admits.get(key)
        if known is None:
            known = any(r.admits(subject) for r in self.direct_types(object_type, relation))
            if subject.type in self._types:  # only forms the schema can name: a bounded memo
                self._admits[key] = known
        return known


def _validate(schema: Schema) -> None:
    for typedef in schema.types.values():
        for name, rewrite in typedef.relations.items():
            for part in iter_rewrites(rewrite):
                _validate_part(schema, typedef, name, part)
    _check_entrypoints(schema)


def _fail(typedef: TypeDefinition, relation: str, problem: str) -> SchemaError:
    return SchemaError(
        f"type {typedef.name}, relation {relation}: {problem}",
        type_name=typedef.name,
        relation=relation,
    )


def _validate_part(schema: Schema, typedef: TypeDefinition, name: str, part: Rewrite) -> None:
    if isinstance(part, DirectTypes):
        if not part.allowed:
            raise _fail(typedef, name, "empty type restriction []")
        if len(set(part.allowed)) != len(part.allowed):
            raise _fail(typedef, name, "a type restriction is listed twice")
        for restriction in part.allowed:
            if not schema.has_type(restriction.type):
                raise _fail(typedef, name, f"unknown type {restriction.type!r} in [{restriction}]")
            if restriction.relation and not schema.has_relation(
                restriction.type, restriction.relation
            ):
                raise _fail(
                    typedef,
                    name,
                    f"type {restriction.type!r} has no relation {restriction.relation!r}",
                )
    elif isinstance(part, ComputedUserset):
        if part.relation not in typedef.relations:
            raise _fail(typedef, name, f"unknown relation {part.relation!r}")
    elif isinstance(part, TupleToUserset):
        _validate_tupleset(schema, typedef, name, part)


def _validate_tupleset(
    schema: Schema, typedef: TypeDefinition, name: str, part: TupleToUserset
) -> None:
    tupleset = typedef.relations.get(part.tupleset)
    if tupleset is None:
        raise _fail(typedef, name, f"unknown relation {part.tupleset!r} in 'from {part.tupleset}'")
    if not isinstance(tupleset, DirectTypes):
        raise _fail(
            typedef,
            name,
            f"'from {part.tupleset}': {part.tupleset!r} must be a direct relation ([type, ...])",
        )
    for restriction in tupleset.allowed:
        if restriction.relation or restriction.wildcard:
            raise _fail(
                typedef,
                name,
                f"'from {part.tupleset}': {part.tupleset!r} may only list plain types, "
                f"not {restriction}",
            )
    if not any(schema.has_relation(r.type, part.computed) for r in tupleset.allowed):
        raise _fail(
            typedef,
            name,
            f"'{part.computed} from {part.tupleset}': none of the types of "
            f"{part.tupleset!r} has a relation {part.computed!r}",
        )


def _check_entrypoints(schema: Schema) -> None:
    """Reject what OpenFGA rejects: relations without an entrypoint, and computed cycles.

    Mirrors OpenFGA's model validation (``hasEntrypoints`` and ``HasCycle`` in its
    typesystem) rule for rule, so a model is accepted here exactly when OpenFGA accepts it.
    A relation needs a path to a concrete subject type that does not loop back through a
    relation already on the path; in ``x and y`` and ``x but not y`` *every* operand needs
    one (so ``[user] but not d from parent`` inside ``d`` is rejected). ``a: b or [user]``
    with ``b: a`` has entrypoints but is a computed cycle, which OpenFGA rejects too.
    """
    for typedef in schema.types.values():
        for name, rewrite in typedef.relations.items():
            found, loop = _has_entrypoint(schema, typedef.name, name, rewrite, {})
            if not found:
                problem = (
                    "no entrypoint, potential loop: it can only be satisfied through "
                    "itself (no direct type to start from)"
                    if loop
                    else "no entrypoint: no tuple can ever satisfy this relation (every "
                    "operand of 'and' and 'but not' needs a path to a type of subject "
                    "that does not lead back to the relation itself)"
                )
                raise _fail(typedef, name, problem)
            if _has_computed_cycle(schema, typedef.name, name, rewrite, set()):
                raise _fail(
                    typedef,
                    name,
                    "cycle: it refers back to itself through computed relations "
                    "(e.g. 'a: b or [user]' with 'b: a')",
                )


# type -> relation -> "has an entrypoint" (False while still being explored). Copied
# *shallowly* at each step as OpenFGA does: the inner maps are shared, so what one branch
# learns is seen by its siblings. That decides some answers, so keep it that way.
_Visited = dict[str, dict[str, bool]]


def _has_entrypoint(
    schema: Schema, type_name: str, relation: str, rewrite: Rewrite, visited: _Visited
) -> tuple[bool, bool]:
    """(has an entrypoint, failed because of a loop) for ``rewrite`` inside type#relation."""
    here = dict(visited)
    if type_name in here:
        here[type_name][relation] = False
    else:
        here[type_name] = {relation: False}
    if isinstance(rewrite, DirectTypes):
        # OpenFGA uses the relation's whole type list here, wherever [..] sits in it.
        for allowed in schema.direct_types(type_name, relation):
            if not allowed.relation:
                here[type_name][relation] = True
                return True, False
            if allowed.relation in here.get(allowed.type, {}):
                continue
            target = schema.rewrite(allowed.type, allowed.relation)
            assert target is not None  # validated before
            if _has_entrypoint(schema, allowed.type, allowed.relation, target, here)[0]:
                return True, False
        return False, False
    if isinstance(rewrite, ComputedUserset):
        known = here.get(type_name, {}).get(rewrite.relation)
        if known is not None:
            return known, True
        target = schema.rewrite(type_name, rewrite.relation)
        assert target is not None
        return _has_entrypoint(schema, type_name, rewrite.relation, target, here)
    if isinstance(rewrite, TupleToUserset):
        for allowed in schema.direct_types(type_name, rewrite.tupleset):
            target = schema.rewrite(allowed.type, rewrite.computed)
            if target is None:
                continue
            known = here.get(allowed.type, {}).get(rewrite.computed)
            if known is not None:
                if known:
                    return True, False
                continue
            if _has_entrypoint(schema, allowed.type, rewrite.computed, target, here)[0]:
                return True, False
        return False, False
    # Operators hand their own caller's map (not ``here``) to every operand.
    if isinstance(rewrite, Union):
        loop = False
        for child in rewrite.children:
            found, child_loop = _has_entrypoint(schema, type_name, relation, child, visited)
            if found:
                return True, False
            loop = loop or child_loop
        return False, loop
    operands = (
        (rewrite.base, rewrite.subtract) if isinstance(rewrite, Exclusion) else rewrite.children
    )
    for part in operands:
        found, loop = _has_entrypoint(schema, type_name, relation, part, visited)
        if not found:
            return False, loop
    return True, False


def _has_computed_cycle(
    schema: Schema, type_name: str, relation: str, rewrite: Rewrite, visited: set[str]
) -> bool:
    """Whether ``rewrite`` reaches type#relation again through computed relations only."""
    visited.add(f"{type_name}#{relation}")
    seen = set(visited)
    if isinstance(rewrite, DirectTypes | TupleToUserset):
        return False
    if isinstance(rewrite, ComputedUserset):
        if f"{type_name}#{rewrite.relation}" in visited:
            return True
        target = schema.rewrite(type_name, rewrite.relation)
        assert target is not None
        return _has_computed_cycle(schema, type_name, rewrite.relation, target, seen)
    children = (
        (rewrite.base, rewrite.subtract) if isinstance(rewrite, Exclusion) else rewrite.children
    )
    return any(_has_computed_cycle(schema, type_name, relation, c, seen) for c in children)
