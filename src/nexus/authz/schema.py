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
        return any(r.admits(subject) for r in self.direct_types(object_type, relation))


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
    """Reject relations no tuple can ever satisfy (e.g. ``define a: b`` with ``define b: a``).

    Least fixed point: start with "no entrypoint" everywhere and propagate until stable,
    so cycles without a direct base stay unsatisfiable.
    """
    reachable: set[tuple[str, str]] = set()

    def satisfiable(type_name: str, rewrite: Rewrite) -> bool:
        if isinstance(rewrite, DirectTypes):
            return any(not r.relation or (r.type, r.relation) in reachable for r in rewrite.allowed)
        if isinstance(rewrite, ComputedUserset):
            return (type_name, rewrite.relation) in reachable
        if isinstance(rewrite, TupleToUserset):
            tupleset = schema.direct_types(type_name, rewrite.tupleset)
            return any((r.type, rewrite.computed) in reachable for r in tupleset)
        if isinstance(rewrite, Union):
            return any(satisfiable(type_name, c) for c in rewrite.children)
        if isinstance(rewrite, Intersection):
            return all(satisfiable(type_name, c) for c in rewrite.children)
        return satisfiable(type_name, rewrite.base)

    changed = True
    while changed:
        changed = False
        for typedef in schema.types.values():
            for name, rewrite in typedef.relations.items():
                key = (typedef.name, name)
                if key not in reachable and satisfiable(typedef.name, rewrite):
                    reachable.add(key)
                    changed = True
    for typedef in schema.types.values():
        for name in typedef.relations:
            if (typedef.name, name) not in reachable:
                raise _fail(
                    typedef,
                    name,
                    "no entrypoint: no tuple can ever satisfy this relation "
                    "(it only refers to itself or to relations without direct types)",
                )
