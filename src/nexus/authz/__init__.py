"""Zanzibar-style relationship-based permissions, independent of files.

Parse a schema with :func:`parse_schema`, keep tuples in a :class:`RelationshipStore`, and ask
a :class:`PermissionEngine` whether ``subject relation object`` holds.
"""

from nexus.authz.dsl import parse_schema
from nexus.authz.engine import DepthExceededError, PermissionEngine, VirtualRelation
from nexus.authz.expand import ExpandNode
from nexus.authz.explain import Attempt, Explanation, Gap, Namer, RefNamer, Step
from nexus.authz.lookup import ObjectIds, ReverseVirtualRelation
from nexus.authz.model import (
    WILDCARD,
    ObjectRef,
    Relationship,
    RelationshipFilter,
    SubjectRef,
)
from nexus.authz.schema import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Intersection,
    Rewrite,
    Schema,
    SchemaError,
    TupleToUserset,
    TypeDefinition,
    TypeRestriction,
    Union,
)
from nexus.authz.store import DIRTY_KEY, RelationshipStore, is_dirty

__all__ = [
    "DIRTY_KEY",
    "WILDCARD",
    "Attempt",
    "ComputedUserset",
    "DepthExceededError",
    "DirectTypes",
    "Exclusion",
    "ExpandNode",
    "Explanation",
    "Gap",
    "Intersection",
    "Namer",
    "ObjectIds",
    "ObjectRef",
    "PermissionEngine",
    "RefNamer",
    "Relationship",
    "RelationshipFilter",
    "RelationshipStore",
    "ReverseVirtualRelation",
    "Rewrite",
    "Schema",
    "SchemaError",
    "Step",
    "SubjectRef",
    "TupleToUserset",
    "TypeDefinition",
    "TypeRestriction",
    "Union",
    "VirtualRelation",
    "is_dirty",
    "parse_schema",
]
