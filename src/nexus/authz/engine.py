"""The permission engine: evaluates checks against a schema and the stored tuples.

A check walks the rewrite rules depth first. Tuples are loaded breadth first beforehand, one
query per level of the object graph for all objects at once, so checking 10,000 siblings
costs a handful of queries and their shared ancestors are loaded once.

Correctness rules that shape the code:

* The process-wide tuple cache is valid for one revision only. Each call reads the current
  revision through the caller's connection and never mixes states: entries are added only
  under the revision they were read at.
* A connection whose transaction wrote tuples ("dirty") neither reads nor fills the cache:
  it must see its own uncommitted writes, and they may still roll back.
* Cycles (group A in B in A, parent loops) are cut: a relation already being evaluated
  higher up the stack counts as "not granted" there, so they terminate and never grant.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, filterfalse
from operator import itemgetter
from typing import TypeVar

from sqlalchemy import Connection

from nexus.authz import expand as _expand
from nexus.authz import explain as _explain
from nexus.authz import lookup as _lookup
from nexus.authz.expand import ExpandNode
from nexus.authz.explain import Explanation
from nexus.authz.lookup import ReverseVirtualRelation
from nexus.authz.model import WILDCARD, ObjectRef, Relationship, RelationshipFilter, SubjectRef
from nexus.authz.schema import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Intersection,
    Rewrite,
    Schema,
    TupleToUserset,
    Union,
    iter_rewrites,
)
from nexus.authz.store import RelationshipStore, is_dirty
from nexus.authz.typegraph import TypeGraph
from nexus.errors import NexusValidationError

VirtualRelation = Callable[[Connection, Sequence[str]], Mapping[str, Sequence[SubjectRef]]]
"""Computes a relation's subjects for many object ids at once (ids missing: no subjects)."""

DEFAULT_MAX_DEPTH = 50
DEFAULT_CACHE_OBJECTS = 100_000
DEFAULT_CACHE_ANSWERS = 200_000
# From this many objects on, check_many loads only the tuples that concern its subject.
DEFAULT_SUBJECT_LOAD_BATCH = 64

_INFINITY = 1 << 30
# Stack entries standing for the node a batch is being evaluated at (see _relation_set).
_BATCH = ObjectRef("", "")
_NO_TUPLES: Mapping[str, tuple[Relationship, ...]] = {}
_T = TypeVar("_T")
# An ObjectRef's type and id, read in C by map() (a batch of 10,000 objects in a listing).
_TYPE_OF = itemgetter(0)
_ID_OF = itemgetter(1)
_K = TypeVar("_K")
_V = TypeVar("_V")
# An object's tuples by relation; shared read-only between threads once cached.
_Grouped = Mapping[str, tuple[Relationship, ...]]


@dataclass(frozen=True, slots=True)
class _Memberships:
    """The usersets of plain-membership relations (see ``_membership_relations``) that a
    subject is in, found by walking stored tuples upwards from it."""

    # userset -> how many tuples up from the subject (1: a direct member).
    usersets: Mapping[SubjectRef, int]
    # The walk stopped at the depth bound: absence from ``usersets`` proves nothing.
    incomplete: bool
    # The earliest expiry among the tuples it used: valid only until then.
    valid_until: float


# (granted: True/False/None = undetermined by a cycle, lowest cut stack position)
_Result = tuple[bool | None, int]


@dataclass
class _SetResult:
    """A rule applied to a batch: the objects it grants, and those whose evaluation hit the
    depth bound without being granted (a single check of one of those raises)."""

    granted: set[ObjectRef] = field(default_factory=set)
    failed: tuple[set[ObjectRef], DepthExceededError] | None = None

    def fail(self, objects: Iterable[ObjectRef], error: DepthExceededError) -> None:
        if self.failed is None:
            self.failed = (set(), error)
        self.failed[0].update(objects)

    def merge(self, other: _SetResult) -> None:
        self.granted |= other.granted
        if other.failed:
            self.fail(other.failed[0], other.failed[1])

    def settled(self) -> _SetResult:
        """Failures of objects another rule granted do not count (as in a union)."""
        if self.failed:
            left = self.failed[0] - self.granted
            self.failed = (left, self.failed[1]) if left else None
        return self


class DepthExceededError(NexusValidationError):
    """A check needed more nested steps than the engine allows."""

    def __init__(self, message: str):
        super().__init__(message, code="depth_exceeded")


def _too_deep(relation: str, max_depth: int) -> str:
    # No object ids: the caller named paths, and ids are internal (a hidden entry's too).
    return (
        f"checking {relation} needs more than {max_depth} nested steps "
        "(folders or groups nested too deeply)"
    )


class _RevisionCache:
    """What the engine learned at one revision, shared by all threads, LRU-bounded.

    Three maps: an object's stored tuples, a virtual relation's subjects for an object, and
    whole check answers. Every entry belongs to ``revision``; moving to a newer revision
    empties all three, so nothing computed at an older one is ever served.
    """

    def __init__(self, max_objects: int, max_answers: int):
        self._max_objects = max_objects
        self._max_answers = max_answers
        self._lock = threading.Lock()
        self._revision = -1
        self._tuples: OrderedDict[ObjectRef, _Grouped] = OrderedDict()
        self._virtual: OrderedDict[tuple[ObjectRef, str], tuple[SubjectRef, ...]] = OrderedDict()
        # (subject, relation) -> valid until (the earliest expiry they saw) -> object ->
        # allowed; LRU over (subject, relation), bounded by the number of answers.
        self._answers: OrderedDict[tuple[SubjectRef, str], dict[float, dict[ObjectRef, bool]]] = (
            OrderedDict()
        )
        self._answer_count = 0
        self._memberships: OrderedDict[SubjectRef, _Memberships] = OrderedDict()

    def sync(self, revision: int) -> bool:
        """Move to ``revision`` if it is newer; True if the cache serves that revision now.

        A caller with an older snapshot (it read the revision before another thread saw a
        newer one) must bypass the cache rather than roll it back.
        """
        with self._lock:
            if revision > self._revision:
                self._tuples.clear()
                self._virtual.clear()
                self._answers.clear()
                self._answer_count = 0
                self._memberships.clear()
                self._revision = revision
            return revision == self._revision

    def tuples(self, revision: int, objects: Iterable[ObjectRef]) -> dict[ObjectRef, _Grouped]:
        return self._get(revision, self._tuples, objects)

    def put_tuples(self, revision: int, loaded: Mapping[ObjectRef, _Grouped]) -> None:
        self._put(revision, self._tuples, loaded, self._max_objects)

    def virtual(
        self, revision: int, keys: Iterable[tuple[ObjectRef, str]]
    ) -> dict[tuple[ObjectRef, str], tuple[SubjectRef, ...]]:
        return self._get(revision, self._virtual, keys)

    def put_virtual(
        self, revision: int, loaded: Mapping[tuple[ObjectRef, str], tuple[SubjectRef, ...]]
    ) -> None:
        self._put(revision, self._virtual, loaded, self._max_objects)

    def answers(
        self,
        revision: int,
        subject: SubjectRef,
        relation: str,
        objects: Sequence[ObjectRef],
        now: float,
    ) -> dict[ObjectRef, bool]:
        """The cached answers among ``objects`` (one lock for a whole listing)."""
        found: dict[ObjectRef, bool] = {}
        with self._lock:
            if revision != self._revision:
                return found
            key = (subject, relation)
            buckets = self._answers.get(key)
            if buckets is None:
                return found
            self._answers.move_to_end(key)
            for until in [until for until in buckets if until <= now]:
                # A tuple these answers relied on has expired: they may be wrong now.
                self._answer_count -= len(buckets.pop(until))
            wanted: set[ObjectRef] | None = None
            for bucket in buckets.values():
                if len(bucket) * 8 < len(objects):
                    # A few answers (a cold listing's folder itself) against 10,000
                    # objects: walk the answers instead of the objects.
                    if wanted is None:
                        wanted = set(objects)
                    for obj, answer in bucket.items():
                        if obj in wanted:
                            found[obj] = answer
                    continue
                for obj in objects:
                    allowed = bucket.get(obj)
                    if allowed is not None:
                        found[obj] = allowed
        return found

    def put_answers(
        self,
        revision: int,
        subject: SubjectRef,
        relation: str,
        answers: Mapping[ObjectRef, bool],
        valid_until: float,
    ) -> None:
        """Remember ``answers`` until ``valid_until`` (the earliest expiry they relied on).

        Kept as one dict per (subject, relation) and expiry, not one entry per answer: a
        listing puts 10,000 at once, and the LRU bound evicts whole (subject, relation)s.
        """
        with self._lock:
            if revision != self._revision:
                return
            key = (subject, relation)
            buckets = self._answers.get(key)
            if buckets is None:
                buckets = self._answers[key] = {}
            self._answers.move_to_end(key)
            bucket = buckets.get(valid_until)
            if bucket is None:
                bucket = buckets[valid_until] = {}
            before = len(bucket)
            bucket.update(answers)
            self._answer_count += len(bucket) - before
            while self._answer_count > self._max_answers and len(self._answers) > 1:
                _key, evicted = self._answers.popitem(last=False)
                self._answer_count -= sum(len(b) for b in evicted.values())

    def _get(self, revision: int, store: OrderedDict[_K, _V], keys: Iterable[_K]) -> dict[_K, _V]:
        found: dict[_K, _V] = {}
        with self._lock:
            if revision != self._revision or not store:
                return found  # (a new revision starts empty: a listing's 10,000 misses)
            if isinstance(keys, Sequence) and len(store) * 8 < len(keys):
                # A few cached (the folder's ancestors) against a cold listing's 10,000
                # objects: walk the cache instead of probing it per object.
                wanted = set(keys)
                for key in [key for key in store if key in wanted]:
                    store.move_to_end(key)
                    found[key] = store[key]
                return found
            for key in keys:
                entry = store.get(key)
                if entry is not None:
                    store.move_to_end(key)
                    found[key] = entry
        return found

    def _put(
        self, revision: int, store: OrderedDict[_K, _V], loaded: Mapping[_K, _V], limit: int
    ) -> None:
        with self._lock:
            if revision != self._revision:
                return  # the world moved on while we were reading; don't store old state
            for key, value in loaded.items():
                store[key] = value
                store.move_to_end(key)
            while len(store) > limit:
                store.popitem(last=False)

    def memberships(self, revision: int, subject: SubjectRef, now: float) -> _Memberships | None:
        found = self._get(revision, self._memberships, [subject]).get(subject)
        return found if found is not None and found.valid_until > now else None

    def put_memberships(self, revision: int, subject: SubjectRef, found: _Memberships) -> None:
        self._put(revision, self._memberships, {subject: found}, self._max_objects)

    def clear(self) -> None:
        with self._lock:
            self._tuples.clear()
            self._virtual.clear()
            self._answers.clear()
            self._answer_count = 0
            self._memberships.clear()
            self._revision = -1

    def __len__(self) -> int:
        with self._lock:
            return len(self._tuples)


@dataclass
class _Context:
    """The state of one check or check_many call (one subject, one snapshot)."""

    conn: Connection
    subject: SubjectRef
    now: float
    # The revision this call reads at, or None: the connection is dirty, bypass the cache.
    revision: int | None
    # object -> tuples grouped by relation.
    tuples: dict[ObjectRef, _Grouped] = field(default_factory=dict)
    # (object, virtual relation) -> subjects.
    virtual: dict[tuple[ObjectRef, str], Sequence[SubjectRef]] = field(default_factory=dict)
    # (object, relation) -> result, for results that did not depend on a cut cycle.
    memo: dict[tuple[ObjectRef, str], bool | None] = field(default_factory=dict)
    # Results that depended on a cycle cut at a stack position still being evaluated:
    # reusable only until that position completes (then its value is known, and they
    # were computed assuming it undetermined). Keyed by that position.
    provisional: dict[int, dict[tuple[ObjectRef, str], bool | None]] = field(default_factory=dict)
    # (object, relation) being evaluated -> its position on the stack.
    stack: dict[tuple[ObjectRef, str], int] = field(default_factory=dict)
    # The earliest expiry among the live tuples this call looked at: its answers may
    # change then, so they are cached no longer than that.
    valid_until: float = float("inf")
    # The subject's plain memberships, computed on first need.
    memberships: _Memberships | None = None
    # Load only the tuples that can matter to this subject (big batches; see _load).
    for_subject: bool = False
    # A batch's virtual edges as computed: (type, relation) -> object id -> subjects. Kept
    # apart from ``virtual`` so 10,000 siblings cost no key per object (see _check_set).
    batch_edges: dict[tuple[str, str], Mapping[str, Sequence[SubjectRef]]] = field(
        default_factory=dict
    )
    # The same edges grouped: (type, relation) -> [(edges, the batch's objects that have
    # them)], one group per distinct edge sequence (siblings share one: a listing has one).
    batch_groups: dict[tuple[str, str], list[tuple[Sequence[SubjectRef], set[ObjectRef]]]] = field(
        default_factory=dict
    )


class PermissionEngine:
    """Checks ``subject relation object`` against a schema; validates and stores grants."""

    def __init__(
        self,
        store: RelationshipStore,
        schema: Schema,
        virtual_relations: Mapping[tuple[str, str], VirtualRelation] | None = None,
        *,
        reverse_virtual_relations: Mapping[tuple[str, str], ReverseVirtualRelation] | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        cache_objects: int = DEFAULT_CACHE_OBJECTS,
        cache_answers: int = DEFAULT_CACHE_ANSWERS,
        virtual_relations_bump_revision: bool = False,
        subject_load_batch: int = DEFAULT_SUBJECT_LOAD_BATCH,
        clock: Callable[[], float] = time.time,
    ):
        """``virtual_relations_bump_revision``: the owner of the virtual relations promises
        to call ``store.bump`` in the transaction of every change to what they return for
        an existing object (new objects need no bump). Only then are they cached, and only
        then are whole answers cached (an answer may depend on them)."""
        self.store = store
        self.schema = schema
        # Type-level answers that make checks agree with OpenFGA on cycles (typegraph.py).
        self._typegraph = TypeGraph(schema)
        self._virtual = dict(virtual_relations or {})
        # The inverse of each virtual relation, for list_objects (see lookup.py).
        self._reverse_virtual = dict(reverse_virtual_relations or {})
        for type_name, relation in self._reverse_virtual:
            if (type_name, relation) not in self._virtual:
                raise NexusValidationError(
                    f"reverse of {type_name}#{relation} given, but it is no virtual relation",
                    code="unknown_relation",
                )
        for type_name, relation in self._virtual:
            if not schema.direct_types(type_name, relation):
                raise NexusValidationError(
                    f"virtual relation {type_name}#{relation} must be a direct relation "
                    "of the schema",
                    code="unknown_relation",
                )
        self._virtual_by_type: dict[str, list[str]] = defaultdict(list)
        for type_name, relation in self._virtual:
            self._virtual_by_type[type_name].append(relation)
        self._max_depth = max_depth
        self._clock = clock
        self._cache = _RevisionCache(cache_objects, cache_answers)
        self._subject_load_batch = subject_load_batch
        self._cache_virtual = virtual_relations_bump_revision or not self._virtual
        self._membership_relations = _membership_relations(schema, frozenset(self._virtual))
        self._membership_relation_names = sorted({r for _t, r in self._membership_relations})
        # Which relations of a type lead to other objects (tuplesets), for prefetching.
        self._tuplesets: dict[str, frozenset[str]] = {
            t.name: frozenset(
                part.tupleset
                for rewrite in t.relations.values()
                for part in iter_rewrites(rewrite)
                if isinstance(part, TupleToUserset)
            )
            for t in schema.types.values()
        }
        # Tupleset relations some type stores (not virtual): a listing reads all their tuples.
        self._stored_tuplesets = frozenset(
            name
            for type_name, names in self._tuplesets.items()
            for name in names
            if (type_name, name) not in self._virtual
        )
        # Every kind of userset a tuple may name (group#member).
        self._userset_kinds = frozenset(
            (allowed.type, allowed.relation)
            for typedef in schema.types.values()
            for name in typedef.relations
            for allowed in schema.direct_types(typedef.name, name)
            if allowed.relation
        )
        self._virtual_leaves = _virtual_leaves(schema, frozenset(self._virtual))
        self._union_only = not any(
            isinstance(part, Intersection | Exclusion)
            for typedef in schema.types.values()
            for rewrite in typedef.relations.values()
            for part in iter_rewrites(rewrite)
        )
        self._union_order = _union_order(schema) if self._union_only else {}

    # --- checks ----------------------------------------------------------------------

    def check(self, conn: Connection, subject: SubjectRef, relation: str, obj: ObjectRef) -> bool:
        """Whether ``subject`` has ``relation`` on ``obj``."""
        return self.check_many(conn, subject, relation, [obj])[obj]

    def check_many(
        self,
        conn: Connection,
        subject: SubjectRef,
        relation: str,
        objects: Sequence[ObjectRef],
    ) -> dict[ObjectRef, bool]:
        """``check`` for many objects of any types, sharing loads and intermediate results."""
        for type_name in set(map(_TYPE_OF, objects)):
            self._require_relation(type_name, relation)
        revision = None if is_dirty(conn) else self.store.revision(conn)
        if revision is not None and not self._cache.sync(revision):
            revision = None  # an older snapshot than the cache's: read past it
        now = self._clock()
        results: dict[ObjectRef, bool] = {}
        if revision is not None and self._cache_virtual:
            results = self._cache.answers(revision, subject, relation, objects, now)
            if len(results) == len(objects):
                return results
        ctx = _Context(conn=conn, subject=subject, now=now, revision=revision)
        todo = list(filterfalse(results.__contains__, objects)) if results else list(objects)
        if len(todo) >= self._subject_load_batch:
            # A listing: most of its objects' tuples name other people. Reading only
            # what concerns this subject beats reading (and caching) them all.
            ctx.for_subject = not self._memberships(ctx).incomplete
        fresh: dict[ObjectRef, bool] = {}
        if ctx.for_subject and self._union_only:
            granted = self._check_set(ctx, relation, todo)
            fresh = dict.fromkeys(todo, False)
            fresh.update(dict.fromkeys(granted, True))
        else:
            self._prefetch(ctx, todo)
            for obj in todo:
                if obj not in fresh:
                    fresh[obj] = self._evaluate(ctx, obj, relation)
        if revision is not None and self._cache_virtual:
            self._cache.put_answers(revision, subject, relation, fresh, ctx.valid_until)
        if not results:
            return fresh
        results.update(fresh)
        return results

    def check_batch(
        self, conn: Connection, requests: Sequence[tuple[SubjectRef, str, ObjectRef]]
    ) -> list[bool]:
        """Many independent checks at one revision; answers in request order.

        Requests sharing a subject and relation are evaluated together, so their common
        ancestors and groups are loaded and evaluated once.
        """
        groups: dict[tuple[SubjectRef, str], list[ObjectRef]] = defaultdict(list)
        for subject, relation, obj in requests:
            groups[(subject, relation)].append(obj)
        answers: dict[tuple[SubjectRef, str, ObjectRef], bool] = {}
        for (subject, relation), objects in groups.items():
            for obj, allowed in self.check_many(conn, subject, relation, objects).items():
                answers[(subject, relation, obj)] = allowed
        return [answers[request] for request in requests]

    # --- grants ----------------------------------------------------------------------

    def write(self, conn: Connection, rel: Relationship) -> bool:
        """Store a tuple after checking it fits the schema; False if it already existed."""
        self.validate(rel)
        return self.store.write(conn, rel)

    def write_on_new_object(self, conn: Connection, rel: Relationship) -> bool:
        """``write`` for a tuple on an object made in this very transaction, without a new
        revision, so making a file does not empty every cache of every process.

        The caller vouches that no other transaction can have seen ``rel.object`` (it was
        created in this one, under an id never used before) and that no tuple names it as
        a subject. Then no cached answer, tuple list or membership reached it: nothing
        computed at the current revision changes, and the first check that reaches the
        object after the commit loads its tuples from the database. The transaction is
        marked as having written tuples, so its own checks still bypass the shared caches
        (should it roll back, nothing of it was cached: SQLite may then hand the id out
        again).
        """
        self.validate(rel)
        return self.store.write(conn, rel, bump=False)

    def grant(
        self,
        conn: Connection,
        obj: ObjectRef,
        relation: str,
        subject: SubjectRef,
        *,
        created_by: str | None = None,
        expires_at: float | None = None,
    ) -> bool:
        """``write`` with the timestamp filled in."""
        rel = Relationship(obj, relation, subject, self._clock(), created_by, expires_at)
        return self.write(conn, rel)

    def revoke(self, conn: Connection, obj: ObjectRef, relation: str, subject: SubjectRef) -> bool:
        """Delete one tuple; False if it was not there."""
        return self.delete(conn, RelationshipFilter.for_tuple(obj, relation, subject)) > 0

    def delete(self, conn: Connection, flt: RelationshipFilter) -> int:
        self._validate_filter(flt)
        return self.store.delete(conn, flt)

    def read(self, conn: Connection, flt: RelationshipFilter) -> list[Relationship]:
        self._validate_filter(flt)
        return self.store.read(conn, flt)

    def revision(self, conn: Connection) -> int:
        return self.store.revision(conn)

    def clear_cache(self) -> None:
        self._cache.clear()

    def validate(self, rel: Relationship) -> None:
        """Raise NexusValidationError unless ``rel`` may be stored under the schema."""
        obj, subject = rel.object, rel.subject
        self._require_relation(obj.type, rel.relation)
        if not obj.id or obj.id == "*":
            raise NexusValidationError(f"invalid object id {obj.id!r}", code="invalid_object")
        if not subject.id:
            raise NexusValidationError("empty subject id", code="invalid_subject")
        if (obj.type, rel.relation) in self._virtual:
            raise NexusValidationError(
                f"{obj.type}#{rel.relation} is computed by the server and cannot be written",
                code="relation_not_writable",
            )
        if not self.schema.direct_types(obj.type, rel.relation):
            raise NexusValidationError(
                f"{obj.type}#{rel.relation} is computed from other relations and cannot be "
                "granted directly",
                code="relation_not_writable",
            )
        self._require_type(subject.type)
        if subject.relation and subject.object == obj and subject.relation == rel.relation:
            # Every userset is implicitly in itself: storing it would add nothing (OpenFGA
            # refuses it the same way).
            raise NexusValidationError(
                f"{rel} is implicit and cannot be written", code="implicit_tuple"
            )
        if subject.relation:
            if subject.id == "*":
                raise NexusValidationError(
                    f"{subject}: a wildcard cannot have a relation", code="invalid_subject"
                )
            self._require_relation(subject.type, subject.relation)
        if not self.schema.allows_subject(obj.type, rel.relation, subject):
            allowed = ", ".join(str(r) for r in self.schema.direct_types(obj.type, rel.relation))
            raise NexusValidationError(
                f"{subject} cannot be granted {obj.type}#{rel.relation} (allowed: {allowed})",
                code="subject_not_allowed",
            )

    # --- lookups -----------------------------------------------------------------------

    def list_objects(
        self, conn: Connection, subject: SubjectRef, relation: str, object_type: str
    ) -> set[ObjectRef]:
        """Every object of ``object_type`` on which ``check(subject, relation, object)``
        is True (reverse expansion, see lookup.py)."""
        return _lookup.list_objects(self, conn, subject, relation, object_type)

    def list_subjects(
        self,
        conn: Connection,
        obj: ObjectRef,
        relation: str,
        subject_type: str,
        subject_relation: str = "",
    ) -> set[SubjectRef]:
        """The subjects ``subject_type:id[#subject_relation]`` for which ``check`` is True;
        ``subject_type:*`` stands for every subject without tuples (see lookup.py)."""
        return _lookup.list_subjects(self, conn, obj, relation, subject_type, subject_relation)

    def expand(
        self, conn: Connection, obj: ObjectRef, relation: str, *, max_depth: int | None = None
    ) -> ExpandNode:
        """The userset tree of ``obj#relation`` (see expand.py)."""
        return _expand.expand(self, conn, obj, relation, max_depth=max_depth)

    # --- explain -----------------------------------------------------------------------

    def explain(
        self, conn: Connection, subject: SubjectRef, relation: str, obj: ObjectRef
    ) -> Explanation:
        """Why ``check`` answers what it does: the granting chain, or what was tried and
        the nearest missing link (see explain.py); ``allowed`` always equals ``check``."""
        return _explain.explain(self, conn, subject, relation, obj)

    # --- validation helpers ------------------------------------------------------------

    def _require_type(self, type_name: str) -> None:
        if not self.schema.has_type(type_name):
            raise NexusValidationError(f"unknown type {type_name!r}", code="unknown_type")

    def _require_relation(self, type_name: str, relation: str) -> None:
        self._require_type(type_name)
        if not self.schema.has_relation(type_name, relation):
            known = ", ".join(self.schema.relation_names(type_name)) or "none"
            raise NexusValidationError(
                f"type {type_name!r} has no relation {relation!r} (relations: {known})",
                code="unknown_relation",
            )

    def _validate_filter(self, flt: RelationshipFilter) -> None:
        if flt.object_type is not None:
            self._require_type(flt.object_type)
            if flt.relation is not None:
                self._require_relation(flt.object_type, flt.relation)
        if flt.subject_type is not None:
            self._require_type(flt.subject_type)
            if flt.subject_relation:
                self._require_relation(flt.subject_type, flt.subject_relation)

    # --- loading ---------------------------------------------------------------------

    def _prefetch(self, ctx: _Context, roots: Iterable[ObjectRef]) -> None:
        """Load tuples breadth first from ``roots`` along usersets, tuplesets, virtuals."""
        frontier = {obj for obj in roots if obj not in ctx.tuples}
        for _ in range(self._max_depth + 1):
            if not frontier:
                return
            self._follow_virtual(ctx, frontier)
            self._load(ctx, frontier)
            following: set[ObjectRef] = set()
            for obj in frontier:
                for target in self._neighbours(ctx, obj):
                    if target not in ctx.tuples:
                        following.add(target)
            frontier = following

    def _follow_virtual(self, ctx: _Context, frontier: set[ObjectRef]) -> None:
        """Add to ``frontier`` everything reachable from it along virtual edges (a file's
        whole chain of parent directories), so their tuples load in the same query instead
        of one query per level. The tree answers these from its per-transaction memo."""
        growing = frontier
        while growing:
            self._load_virtual(ctx, growing)
            reached: set[ObjectRef] = set()
            for obj in growing:
                for relation in self._virtual_by_type.get(obj.type, ()):
                    for subject in ctx.virtual.get((obj, relation), ()):
                        target = subject.object
                        if target not in ctx.tuples and target not in frontier:
                            reached.add(target)
            frontier |= reached
            growing = reached

    def _neighbours(self, ctx: _Context, obj: ObjectRef) -> Iterable[ObjectRef]:
        tuplesets = self._tuplesets.get(obj.type, frozenset())
        membership = self._membership_relations
        for relation, rels in ctx.tuples[obj].items():
            for rel in rels:
                subject = rel.subject
                if subject.relation:
                    # Groups are answered by walking up from the subject: don't load them.
                    if (subject.type, subject.relation) not in membership:
                        yield subject.object
                elif relation in tuplesets and not subject.is_wildcard:
                    yield subject.object
        for relation in self._virtual_by_type.get(obj.type, ()):
            for subject in ctx.virtual.get((obj, relation), ()):
                yield subject.object

    def _load(self, ctx: _Context, objects: Iterable[ObjectRef]) -> None:
        """Fill ``ctx.tuples`` for ``objects``: from the cache when allowed, else the store."""
        known = ctx.tuples
        wanted = list(filterfalse(known.__contains__, objects))
        if not wanted:
            return
        revision = ctx.revision
        missing = wanted
        if revision is not None:
            cached = self._cache.tuples(revision, wanted)
            if cached:
                known.update(cached)
                missing = list(filterfalse(known.__contains__, wanted))
        if not missing:
            return
        if ctx.for_subject:
            memberships: dict[tuple[str, str], set[str]] = defaultdict(set)
            others = self._userset_kinds
            if self._union_only:
                # Groups the subject is not in can be left unread only where a group loop
                # can never matter: with 'and'/'but not' in the schema, a loop it would
                # have met makes a check undetermined rather than false (OpenFGA's rule).
                others = self._userset_kinds - self._membership_relations
                for userset in self._memberships(ctx).usersets:
                    memberships[(userset.type, userset.relation)].add(userset.id)
            partial = self.store.tuples_for_subject(
                ctx.conn,
                missing,
                ctx.subject,
                memberships=memberships,
                other_usersets=others,
                tuplesets=self._stored_tuplesets,
            )
            # Partial: only right for this subject, so never shared through the cache.
            ctx.tuples.update(dict.fromkeys(missing, _NO_TUPLES))
            for obj, rels in partial.items():
                ctx.tuples[obj] = self._admitted(obj, rels)
            return
        loaded = {
            obj: self._admitted(obj, rels)
            for obj, rels in self.store.tuples_for_objects(ctx.conn, missing).items()
        }
        if revision is not None:
            self._cache.put_tuples(revision, loaded)
        ctx.tuples.update(loaded)

    def _admitted(self, obj: ObjectRef, rels: Iterable[Relationship]) -> _Grouped:
        """``rels`` by relation, without those the schema no longer admits (written under
        an older schema): they count as absent rather than granting what it now forbids."""
        grouped: dict[str, list[Relationship]] = defaultdict(list)
        allows = self.schema.allows_subject
        for rel in rels:
            if allows(obj.type, rel.relation, rel.subject):
                grouped[rel.relation].append(rel)
        return {relation: tuple(group) for relation, group in grouped.items()}

    def _load_virtual(self, ctx: _Context, objects: Iterable[ObjectRef]) -> None:
        """Ask each virtual relation once for all ``objects`` of its type; cached only when
        its owner bumps the revision on changes (see ``__init__``)."""
        by_type: dict[str, list[ObjectRef]] = defaultdict(list)
        for obj in objects:
            by_type[obj.type].append(obj)
        cacheable = ctx.revision is not None and self._cache_virtual
        for (type_name, relation), compute in self._virtual.items():
            todo = [o for o in by_type.get(type_name, ()) if (o, relation) not in ctx.virtual]
            if not todo:
                continue
            if cacheable:
                assert ctx.revision is not None
                ctx.virtual.update(self._cache.virtual(ctx.revision, ((o, relation) for o in todo)))
                todo = [o for o in todo if (o, relation) not in ctx.virtual]
                if not todo:
                    continue
            answers = compute(ctx.conn, [o.id for o in todo])
            found: dict[tuple[ObjectRef, str], tuple[SubjectRef, ...]] = {}
            known = ctx.virtual
            for obj in todo:
                key = (obj, relation)
                subjects = answers.get(obj.id)
                if subjects is None:
                    # An object without an answer may not exist yet: don't remember that.
                    known[key] = ()
                    continue
                # Tuples pass through uncopied (the tree hands out one per parent).
                known[key] = found[key] = (
                    subjects if isinstance(subjects, tuple) else tuple(subjects)
                )
            if cacheable and found:
                assert ctx.revision is not None
                self._cache.put_virtual(ctx.revision, found)

    def _direct_subjects(self, ctx: _Context, obj: ObjectRef, relation: str) -> list[SubjectRef]:
        """The live subjects stored (or computed) on ``obj#relation`` that fit the schema."""
        if (obj.type, relation) in self._virtual:
            if (obj, relation) not in ctx.virtual:
                self._load_virtual(ctx, [obj])
            candidates: Iterable[SubjectRef] = ctx.virtual[(obj, relation)]
        else:
            if obj not in ctx.tuples:
                self._prefetch(ctx, [obj])
            live: list[SubjectRef] = []
            for rel in ctx.tuples[obj].get(relation, ()):
                expires_at = rel.expires_at
                if expires_at is not None:
                    if expires_at <= ctx.now:
                        continue
                    ctx.valid_until = min(ctx.valid_until, expires_at)
                live.append(rel.subject)
            return live  # admitted by the schema when loaded (see _admitted)
        # Computed subjects are held to the schema like stored ones.
        return [s for s in candidates if self.schema.allows_subject(obj.type, relation, s)]

    # --- evaluation of a batch, set at a time (union-only schemas) ----------------------

    def _check_set(
        self, ctx: _Context, relation: str, objects: Sequence[ObjectRef]
    ) -> set[ObjectRef]:
        """The ``objects`` on which the subject has ``relation``: a listing's batch.

        Each rule is applied to the whole batch at once instead of object by object:
        ``x from parent`` groups the objects by parent and checks each parent once, and
        direct tuples are looked at only on the few objects that have any (the load read
        only the tuples that concern this subject). Exact only where every answer is plain
        reachability, i.e. schemas without 'and'/'but not' (the caller makes sure).
        """
        types = set(map(_TYPE_OF, objects))
        by_type: dict[str, Sequence[ObjectRef]]
        if len(types) == 1:  # a listing: all files
            by_type = {types.pop(): objects}
        else:
            lists: dict[str, list[ObjectRef]] = defaultdict(list)
            for obj in objects:
                lists[obj.type].append(obj)
            by_type = dict(lists)
        granted: set[ObjectRef] = set()
        for type_name, batch in by_type.items():
            self._prefetch_set(ctx, type_name, relation, batch)
            found = self._relation_set(ctx, type_name, relation, batch, 0)
            if found.failed:
                # As a single check of one of them would: the depth bound decided it.
                raise found.failed[1]
            granted |= found.granted
        return granted

    def _prefetch_set(
        self, ctx: _Context, type_name: str, relation: str, batch: Sequence[ObjectRef]
    ) -> None:
        """Load what ``relation`` reads on ``batch``: its virtual edges and tuples, then
        (the usual way) the few objects they lead to, such as the shared parent."""
        ids = list(map(_ID_OF, batch))
        leads: set[ObjectRef] = set()
        for name in self._virtual_leaves.get((type_name, relation), ()):
            edges_of = self._virtual[(type_name, name)](ctx.conn, ids)
            ctx.batch_edges[(type_name, name)] = edges_of
            groups = _edge_groups(batch, edges_of)
            ctx.batch_groups[(type_name, name)] = groups
            for edges, _members in groups:
                leads.update(subject.object for subject in edges)
        self._load(ctx, batch)
        tuples = ctx.tuples
        for obj in filter(tuples.get, batch):  # those with tuples (in C: most have none)
            leads.update(self._neighbours(ctx, obj))
        self._prefetch(ctx, [obj for obj in leads if obj not in tuples])

    def _relation_set(
        self,
        ctx: _Context,
        type_name: str,
        relation: str,
        batch: Sequence[ObjectRef],
        depth: int,
    ) -> _SetResult:
        """``_check`` of ``relation`` for every object of ``batch`` (all of ``type_name``);
        ``depth`` is the stack position a single check of one of them would be at."""
        result = _SetResult()
        rewrite = self.schema.rewrite(type_name, relation)
        if rewrite is None:
            return result
        subject = ctx.subject
        if subject.relation == relation and subject.type == type_name:
            result.granted.update(obj for obj in batch if obj.id == subject.id)
        if not self._typegraph.reaches(type_name, relation, subject.type, subject.relation):
            return result
        remaining = list(filterfalse(result.granted.__contains__, batch))
        if depth >= self._max_depth:
            result.fail(
                remaining,
                DepthExceededError(_too_deep(relation, self._max_depth)),
            )
            return result
        # A single check would have this node on the stack below whatever it asks next.
        key = (_BATCH, str(depth))
        ctx.stack[key] = depth
        try:
            for part in self._union_parts(rewrite):
                if not remaining:
                    break
                found = self._part_set(ctx, type_name, relation, part, remaining, depth)
                result.merge(found)
                if found.granted:
                    remaining = list(filterfalse(found.granted.__contains__, remaining))
        finally:
            del ctx.stack[key]
        return result.settled()

    def _union_parts(self, rewrite: Rewrite) -> Iterable[Rewrite]:
        """The operands of a (nested) union in evaluation order; a lone rule is itself."""
        if not isinstance(rewrite, Union):
            yield rewrite
            return
        for child in self._union_order.get(id(rewrite), rewrite.children):
            yield from self._union_parts(child)

    def _part_set(
        self,
        ctx: _Context,
        type_name: str,
        relation: str,
        part: Rewrite,
        batch: Sequence[ObjectRef],
        depth: int,
    ) -> _SetResult:
        if isinstance(part, ComputedUserset):
            return self._relation_set(ctx, type_name, part.relation, batch, depth + 1)
        if isinstance(part, TupleToUserset):
            return self._tupleset_set(ctx, type_name, part, batch)
        assert isinstance(part, DirectTypes), part  # union-only schemas have nothing else
        if (type_name, relation) in self._virtual:
            edges_of = ctx.batch_edges.get((type_name, relation), {})
            holders = [obj for obj in batch if edges_of.get(obj.id)]
            for obj in holders:  # where _check_direct looks for them
                ctx.virtual[(obj, relation)] = tuple(edges_of[obj.id])
        else:
            tuples = ctx.tuples
            # filter() in C skips the many objects without tuples (a listing's loads read
            # only those concerning the subject).
            holders = [obj for obj in filter(tuples.get, batch) if relation in tuples[obj]]
        return self._each(holders, lambda obj: self._check_direct(ctx, obj, relation))

    def _tupleset_set(
        self,
        ctx: _Context,
        type_name: str,
        rewrite: TupleToUserset,
        batch: Sequence[ObjectRef],
    ) -> _SetResult:
        """``computed from tupleset`` for a batch. Computed edges (a file's parent) come as
        one shared tuple per parent: each distinct one is checked once for all siblings."""
        tupleset = rewrite.tupleset
        if (type_name, tupleset) not in self._virtual:
            tuples = ctx.tuples
            holders = [obj for obj in filter(tuples.get, batch) if tupleset in tuples[obj]]
            return self._each(holders, lambda obj: self._check_tupleset(ctx, obj, rewrite))
        # The groups by edge sequence were made once for the whole batch (_prefetch_set);
        # each is evaluated only if some of this batch is in it.
        result = _SetResult()
        allows = self.schema.allows_subject
        computed = rewrite.computed
        for edges, members in ctx.batch_groups.get((type_name, tupleset), ()):
            objects = members.intersection(batch)
            if not objects:
                continue
            targets = [
                s.object
                for s in edges
                if not s.relation and not s.is_wildcard and allows(type_name, tupleset, s)
            ]
            try:
                granted, _low = _any(targets, lambda t: self._check(ctx, t, computed))
            except DepthExceededError as exc:
                result.fail(objects, exc)
                continue
            if granted is True:
                result.granted.update(objects)
        return result

    @staticmethod
    def _each(items: Sequence[ObjectRef], check: Callable[[ObjectRef], _Result]) -> _SetResult:
        """``check`` each item: those it grants, and those it failed on (depth bound)."""
        result = _SetResult()
        for item in items:
            try:
                granted, _low = check(item)
            except DepthExceededError as exc:
                result.fail([item], exc)
                continue
            if granted is True:
                result.granted.add(item)
        return result

    # --- evaluation --------------------------------------------------------------------

    def _evaluate(self, ctx: _Context, obj: ObjectRef, relation: str) -> bool:
        if self._granted_by_known_branch(ctx, obj, relation):
            return True
        if self._has_nothing(ctx, obj, relation):
            return False
        result, _low = self._check(ctx, obj, relation)
        return result is True  # undetermined (a cycle) never grants

    def _has_nothing(self, ctx: _Context, obj: ObjectRef, relation: str) -> bool:
        """Whether ``obj`` has no (loaded) tuple and no virtual edge that ``relation``'s rules
        read (a virtual relation itself, or one followed as a tupleset).

        Every rule then bottoms out in empty direct lists and empty tuplesets, and with all
        leaves false no union, intersection or exclusion grants: the answer is no, without
        walking the rules (half of a listing of private folders is such objects). A userset
        subject naming the object itself is the exception (it is implicitly in itself).
        """
        grouped = ctx.tuples.get(obj)
        if grouped is None or grouped:
            return False
        subject = ctx.subject
        if subject.relation and subject.type == obj.type and subject.id == obj.id:
            return False
        for virtual in self._virtual_leaves.get((obj.type, relation), ()):
            edges = ctx.virtual.get((obj, virtual))
            if edges is None or edges:
                return False
        return True

    def _granted_by_known_branch(self, ctx: _Context, obj: ObjectRef, relation: str) -> bool:
        """Whether a branch of a union is already known to grant, e.g. ``can_read from
        parent`` once the parent's answer is in: in a listing every sibling after the first
        is then decided in one lookup. Sound because a union with one granting branch
        grants whatever the others give, and memo answers are final for the call."""
        rewrite = self.schema.rewrite(obj.type, relation)
        if not isinstance(rewrite, Union):
            return False
        memo = ctx.memo
        for child in rewrite.children:
            if isinstance(child, ComputedUserset):
                if memo.get((obj, child.relation)) is True:
                    return True
            elif isinstance(child, TupleToUserset):
                if (obj.type, child.tupleset) in self._virtual:
                    if (obj, child.tupleset) not in ctx.virtual:
                        continue  # not loaded: let the full evaluation decide
                    targets: Iterable[SubjectRef] = ctx.virtual[(obj, child.tupleset)]
                else:
                    targets = (
                        rel.subject
                        for rel in ctx.tuples.get(obj, {}).get(child.tupleset, ())
                        if rel.expires_at is None
                    )
                for target in targets:
                    if (
                        not target.relation
                        and not target.is_wildcard
                        and memo.get((target.object, child.computed)) is True
                        and self.schema.allows_subject(obj.type, child.tupleset, target)
                    ):
                        return True
        return False

    def _check(self, ctx: _Context, obj: ObjectRef, relation: str) -> _Result:
        """(granted, lowest stack position of a cut cycle this result depended on).

        "granted" is three-valued as in OpenFGA: None means "undetermined, it depends on a
        cycle" (OpenFGA's depth-first search flags it so), and ``x but not (undetermined)``
        does not grant. Except where OpenFGA walks a recursion to its end instead (see
        typegraph.py): there the cycle is simply false, as the least fixed point has it.
        """
        key = (obj, relation)
        memo = ctx.memo
        if key in memo:
            return memo[key], _INFINITY
        if ctx.provisional:
            for low, entries in ctx.provisional.items():
                if key in entries:
                    return entries[key], low
        position = ctx.stack.get(key)
        subject = ctx.subject
        if position is not None:  # a cycle
            exact = not subject.relation and self._typegraph.resolves_recursion(
                obj.type, relation, subject.type
            )
            return (False if exact else None), position
        rewrite = self.schema.rewrite(obj.type, relation)
        if rewrite is None:
            return False, _INFINITY  # e.g. 'x from parent' where this parent type lacks x
        if subject.relation == relation and subject.object == obj:
            return True, _INFINITY  # a userset is implicitly in itself (group:g#member)
        if not self._typegraph.reaches(obj.type, relation, subject.type, subject.relation):
            return False, _INFINITY  # no kind of path to such subjects: plainly false
        position = len(ctx.stack)
        if position >= self._max_depth:
            raise DepthExceededError(_too_deep(relation, self._max_depth))
        ctx.stack[key] = position
        try:
            result, low = self._rewrite(ctx, obj, relation, rewrite)
        finally:
            del ctx.stack[key]
            # Whatever assumed this node undetermined is stale now that it is decided.
            if ctx.provisional:
                for level in [level for level in ctx.provisional if level >= position]:
                    del ctx.provisional[level]
        if low >= position:
            # Independent of anything still on the stack: valid for the whole call.
            ctx.memo[key] = result
            return result, _INFINITY
        # Depends on a cycle cut above us: reuse it while that node is still being
        # evaluated (like a visited set, this keeps a cycle from being walked again).
        ctx.provisional.setdefault(low, {})[key] = result
        return result, low

    def _rewrite(self, ctx: _Context, obj: ObjectRef, relation: str, rewrite: Rewrite) -> _Result:
        if isinstance(rewrite, DirectTypes):
            return self._check_direct(ctx, obj, relation)
        if isinstance(rewrite, ComputedUserset):
            return self._check(ctx, obj, rewrite.relation)
        if isinstance(rewrite, TupleToUserset):
            return self._check_tupleset(ctx, obj, rewrite)
        if isinstance(rewrite, Union):
            children = self._union_order.get(id(rewrite), rewrite.children)
            return _any(children, lambda c: self._rewrite(ctx, obj, relation, c))
        if isinstance(rewrite, Intersection):
            low = _INFINITY
            undetermined = False
            for child in rewrite.children:
                result, child_low = self._rewrite(ctx, obj, relation, child)
                low = min(low, child_low)
                if result is False:
                    return False, low
                undetermined = undetermined or result is None
            return (None if undetermined else True), low
        base, low = self._rewrite(ctx, obj, relation, rewrite.base)
        if base is False:
            return False, low
        subtract, sub_low = self._rewrite(ctx, obj, relation, rewrite.subtract)
        low = min(low, sub_low)
        if subtract is True:
            return False, low
        if base is None or subtract is None:
            return None, low
        return True, low

    def _check_direct(self, ctx: _Context, obj: ObjectRef, relation: str) -> _Result:
        subject = ctx.subject
        usersets: list[SubjectRef] = []
        membership = self._membership_relations
        for candidate in self._direct_subjects(ctx, obj, relation):
            if candidate == subject:
                return True, _INFINITY
            if candidate.is_wildcard:
                # user:* grants every user (but a userset subject is not "a user").
                if candidate.type == subject.type and not subject.relation:
                    return True, _INFINITY
            elif candidate.relation:
                if (candidate.type, candidate.relation) in membership:
                    # A group: look it up among the subject's groups instead of walking
                    # down through every group granted here (there may be hundreds).
                    found = self._memberships(ctx)
                    level = found.usersets.get(candidate)
                    # Counted with the steps above it, the chain must respect the depth bound.
                    if level is not None and len(ctx.stack) + level <= self._max_depth:
                        return True, _INFINITY
                    if (
                        level is None
                        and not found.incomplete
                        and self._cycles_are_false(ctx, candidate)
                    ):
                        continue  # plainly false: OpenFGA flags no cycle below it either
                usersets.append(candidate)
        return _any(usersets, lambda u: self._check(ctx, u.object, u.relation))

    def _cycles_are_false(self, ctx: _Context, userset: SubjectRef) -> bool:
        """Whether "not among the subject's groups" is the whole answer for ``userset``:
        where OpenFGA would flag a cycle below it instead, the walk must go down."""
        subject = ctx.subject
        return self._typegraph.cycles_are_false(
            userset.type, userset.relation, subject.type, subject.relation
        )

    def _memberships(self, ctx: _Context) -> _Memberships:
        """The subject's plain memberships: walked upwards, one query per nesting level."""
        if ctx.memberships is not None:
            return ctx.memberships
        subject, revision = ctx.subject, ctx.revision
        found = None
        if revision is not None:
            found = self._cache.memberships(revision, subject, ctx.now)
        if found is None:
            found = self._walk_memberships(ctx)
            if revision is not None:
                self._cache.put_memberships(revision, subject, found)
        ctx.memberships = found
        ctx.valid_until = min(ctx.valid_until, found.valid_until)
        return found

    def _walk_memberships(self, ctx: _Context) -> _Memberships:
        subject = ctx.subject
        relations = self._membership_relations
        found: dict[SubjectRef, int] = {}
        if subject.relation and (subject.type, subject.relation) in relations:
            found[subject] = 0  # a userset is (implicitly) in itself, as in OpenFGA
        frontier = [subject]
        if not subject.relation:
            frontier.append(SubjectRef(subject.type, WILDCARD))
        valid_until = float("inf")
        for level in range(1, self._max_depth + 1):
            if not frontier:
                return _Memberships(found, False, valid_until)
            reached: list[SubjectRef] = []
            for obj, relation, via, expires_at in self.store.containing(
                ctx.conn, frontier, self._membership_relation_names, now=ctx.now
            ):
                userset = SubjectRef(obj.type, obj.id, relation)
                if (obj.type, relation) not in relations or userset in found:
                    continue
                if not self.schema.allows_subject(obj.type, relation, via):
                    continue  # written under an older schema: counts as absent
                if expires_at is not None:
                    valid_until = min(valid_until, expires_at)
                found[userset] = level
                reached.append(userset)
            frontier = reached
        return _Memberships(found, bool(frontier), valid_until)

    def _check_tupleset(self, ctx: _Context, obj: ObjectRef, rewrite: TupleToUserset) -> _Result:
        targets = [
            s.object
            for s in self._direct_subjects(ctx, obj, rewrite.tupleset)
            if not s.relation and not s.is_wildcard
        ]
        return _any(targets, lambda t: self._check(ctx, t, rewrite.computed))


def _edge_groups(
    batch: Sequence[ObjectRef], edges_of: Mapping[str, Sequence[SubjectRef]]
) -> list[tuple[Sequence[SubjectRef], set[ObjectRef]]]:
    """The objects of ``batch`` with edges, grouped by the identity of their edge sequence:
    siblings share one (the tree hands out one per parent), and hashing 10,000 equal tuples
    would cost more. In order of first appearance in ``batch``."""
    values = list(edges_of.values())
    distinct = [
        edges for edges in dict(zip(map(id, values), values, strict=True)).values() if edges
    ]
    if not distinct:
        return []
    if len(distinct) == 1:
        # A listing: one parent for all. Its members are those with any edges, found in C.
        members = set(compress(batch, map(edges_of.get, map(_ID_OF, batch))))
        return [(distinct[0], members)] if members else []
    by_edges: dict[int, tuple[Sequence[SubjectRef], set[ObjectRef]]] = {}
    for obj in batch:
        edges = edges_of.get(obj.id)
        if edges:
            group = by_edges.get(id(edges))
            if group is None:
                group = by_edges[id(edges)] = (edges, set())
            group[1].add(obj)
    return list(by_edges.values())


def _union_order(schema: Schema) -> dict[int, tuple[Rewrite, ...]]:
    """id(union) -> its operands, cheapest and likeliest first: direct tuples, then
    ``x from parent`` (grants usually sit on a folder above), then other relations. So
    ``can_read`` of a file five levels below a shared folder climbs ``can_read`` first
    instead of exploring ``can_write`` and ``can_execute`` all the way up.

    The engine uses it only for schemas without ``and``/``but not``: there every answer
    is plain reachability and the order cannot change it. With them, which cycle is cut first
    decides what an enclosing ``but not`` sees (OpenFGA races on the same cases), and
    reordering made check_many and single checks disagree on a random model; the
    schema's own order is kept.
    """
    parts = [
        part
        for typedef in schema.types.values()
        for rewrite in typedef.relations.values()
        for part in iter_rewrites(rewrite)
    ]

    def rank(part: Rewrite) -> int:
        if isinstance(part, DirectTypes):
            return 0
        return 1 if isinstance(part, TupleToUserset) else 2

    return {
        id(part): tuple(sorted(part.children, key=rank))
        for part in parts
        if isinstance(part, Union)
    }


def _virtual_leaves(
    schema: Schema, virtual: frozenset[tuple[str, str]]
) -> dict[tuple[str, str], frozenset[str]]:
    """(type, relation) -> the virtual relations of the same object its rules read: as a
    direct relation (``parent`` itself) or as a tupleset (``x from inherit_parent``),
    through computed relations of the same object."""
    leaves: dict[tuple[str, str], frozenset[str]] = {}
    for typedef in schema.types.values():
        for start in typedef.relations:
            found: set[str] = set()
            seen: set[str] = set()
            todo = [start]
            while todo:
                name = todo.pop()
                if name in seen:
                    continue
                seen.add(name)
                if (typedef.name, name) in virtual:
                    found.add(name)
                rewrite = typedef.relations.get(name)
                for part in iter_rewrites(rewrite) if rewrite is not None else ():
                    if isinstance(part, ComputedUserset):
                        todo.append(part.relation)
                    elif (
                        isinstance(part, TupleToUserset)
                        and (typedef.name, part.tupleset) in virtual
                    ):
                        found.add(part.tupleset)
            leaves[(typedef.name, start)] = frozenset(found)
    return leaves


def _membership_relations(
    schema: Schema, virtual: frozenset[tuple[str, str]]
) -> frozenset[tuple[str, str]]:
    """Relations defined only by a direct type list whose usersets are again such relations
    (``define member: [user, group#member]``): being in one means a chain of stored tuples
    from the subject up, so the engine can find them by walking upwards from the subject.
    Virtual relations are left out: their tuples are not in the table."""
    # Only relations some direct type list names as a userset (group#member) matter.
    named = {
        (r.type, r.relation)
        for t in schema.types.values()
        for name in t.relations
        for r in schema.direct_types(t.name, name)
        if r.relation
    }
    found = {
        (t.name, name)
        for t in schema.types.values()
        for name, rewrite in t.relations.items()
        if isinstance(rewrite, DirectTypes) and (t.name, name) not in virtual
    }
    changed = True
    while changed:
        changed = False
        for node in sorted(found):
            if any(
                r.relation and (r.type, r.relation) not in found for r in schema.direct_types(*node)
            ):
                found.discard(node)
                changed = True
    return frozenset(found & named)


def _any(items: Iterable[_T], branch: Callable[[_T], _Result]) -> _Result:
    """Union semantics: one granting branch suffices, even if another hit the depth bound
    (the bound is only reported when it could have changed the answer)."""
    low = _INFINITY
    undetermined = False
    error: DepthExceededError | None = None
    for item in items:
        try:
            result, branch_low = branch(item)
        except DepthExceededError as exc:
            error = exc
            continue
        low = min(low, branch_low)
        if result is True:
            return True, low
        undetermined = undetermined or result is None
    if error is not None:
        raise error
    return (None if undetermined else False), low
