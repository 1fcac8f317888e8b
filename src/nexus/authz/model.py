"""Value types of the permission engine: objects, subjects, relationship tuples, filters.

They are frozen, slotted and hashable so they can be dictionary keys and cache entries, and
so nobody can change a tuple the cache shares between threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

WILDCARD = "*"


class ObjectRef(NamedTuple):
    """An object: ``document:readme``.

    A named tuple rather than a dataclass: checks hash and compare these hundreds of
    thousands of times per listing, and tuples do both in C.
    """

    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> ObjectRef:
        """``"type:id"`` -> ObjectRef; the id may itself contain colons."""
        type_, sep, id_ = text.partition(":")
        if not sep or not type_ or not id_:
            raise ValueError(f"not an object reference (type:id): {text!r}")
        return cls(type_, id_)


class SubjectRef(NamedTuple):
    """A subject: ``user:bob``, the wildcard ``user:*`` or a userset ``group:dev#member``
    (a named tuple for the same reason as ObjectRef)."""

    type: str
    id: str
    relation: str = ""

    def __str__(self) -> str:
        base = f"{self.type}:{self.id}"
        return f"{base}#{self.relation}" if self.relation else base

    @property
    def is_wildcard(self) -> bool:
        return self.id == WILDCARD and not self.relation

    @property
    def is_userset(self) -> bool:
        return bool(self.relation)

    @property
    def object(self) -> ObjectRef:
        """The object part (``group:dev`` of ``group:dev#member``)."""
        return ObjectRef(self.type, self.id)

    @classmethod
    def parse(cls, text: str) -> SubjectRef:
        """``"user:bob"``, ``"user:*"`` or ``"group:dev#member"`` -> SubjectRef."""
        # '#' separates the relation; ids must not contain it (it would be ambiguous).
        base, _, relation = text.rpartition("#") if "#" in text else (text, "", "")
        obj = ObjectRef.parse(base)
        return cls(obj.type, obj.id, relation)


@dataclass(frozen=True, slots=True)
class Relationship:
    """One stored tuple ``object#relation@subject``."""

    object: ObjectRef
    relation: str
    subject: SubjectRef
    created_at: float = 0.0
    created_by: str | None = None
    # None: never expires. At or before "now" the tuple counts as absent.
    expires_at: float | None = None

    def __str__(self) -> str:
        return f"{self.object}#{self.relation}@{self.subject}"

    @property
    def key(self) -> tuple[ObjectRef, str, SubjectRef]:
        """What makes a tuple unique (timestamps and author are bookkeeping)."""
        return (self.object, self.relation, self.subject)

    def is_expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True, slots=True)
class RelationshipFilter:
    """Selects tuples; every field left as None matches anything."""

    object_type: str | None = None
    object_id: str | None = None
    relation: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    subject_relation: str | None = None

    @property
    def is_empty(self) -> bool:
        return all(
            value is None
            for value in (
                self.object_type,
                self.object_id,
                self.relation,
                self.subject_type,
                self.subject_id,
                self.subject_relation,
            )
        )

    @classmethod
    def for_tuple(cls, obj: ObjectRef, relation: str, subject: SubjectRef) -> RelationshipFilter:
        """Exactly one tuple."""
        return cls(obj.type, obj.id, relation, subject.type, subject.id, subject.relation)

    def matches(self, rel: Relationship) -> bool:
        checks = (
            (self.object_type, rel.object.type),
            (self.object_id, rel.object.id),
            (self.relation, rel.relation),
            (self.subject_type, rel.subject.type),
            (self.subject_id, rel.subject.id),
            (self.subject_relation, rel.subject.relation),
        )
        return all(want is None or want == have for want, have in checks)
