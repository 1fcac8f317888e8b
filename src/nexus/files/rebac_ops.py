"""The permission engine's operations for people and agents: batch checks, "what can X
read", "who can write this", the userset tree, and relationship writes and deletes in bulk.

Files travel as paths and groups as names; entry ids never leave the server. Every answer
carries the relationship revision it was evaluated at (reads run in one snapshot).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Protocol

from sqlalchemy import Connection

from nexus.api.models import (
    MAX_BATCH_SIZE,
    BatchCheckResult,
    DeleteRelationshipsResult,
    ExpandResult,
    ExpandTree,
    ObjectList,
    SubjectInfo,
    SubjectList,
    WriteRelationshipsResult,
)
from nexus.authz import ObjectRef, RelationshipFilter, SubjectRef
from nexus.errors import (
    ERROR_CLASSES,
    NexusError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files.access import Access
from nexus.files.activity import record_change
from nexus.files.check_lookups import CheckLookups
from nexus.files.grant_visibility import GrantVisibility
from nexus.files.namespaces import SESSIONS, session_id_of
from nexus.files.permission_ops import (
    PermissionOperations,
    file_object_type,
    file_relation,
)
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime, file_ref, user_ref
from nexus.files.schema import GRANTABLE_RELATIONS, OBJECT_TYPE_FILE
from nexus.files.snapshot import snapshot_read
from nexus.files.subjects import WILDCARD, parse_subject, require_existing, subject_label
from nexus.identity import SYSTEM_USER
from nexus.metadata import Entry
from nexus.paths import normalize

_IN_SESSIONS = SESSIONS + "/"
_REQUEST_FIELDS = ("subject_type", "subject_id", "relation", "object_type", "object_id")


class _ExpandNode(Protocol):
    """The shape of nexus.authz.expand.ExpandNode that this module reads."""

    @property
    def object(self) -> ObjectRef: ...
    @property
    def relation(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def subjects(self) -> Sequence[SubjectRef]: ...
    @property
    def children(self) -> Sequence[_ExpandNode]: ...
    @property
    def cycle(self) -> bool: ...


class RebacOperations:
    def __init__(self, runtime: Runtime, access: Access, permissions: PermissionOperations):
        self.runtime = runtime
        self.access = access
        self.permissions = permissions

    # --- batch check ---------------------------------------------------------------------

    def check_batch(
        self, principal: Principal, checks: Sequence[Mapping[str, str]]
    ) -> BatchCheckResult:
        """Each check answered as `check` answers it, all at one revision. A check the
        caller may not ask (or bad input) fails the whole batch, naming its index."""
        _bounded("checks", checks)
        engine = self.runtime.engine
        with snapshot_read(self.runtime.db) as conn:
            revision = engine.revision(conn)
            lookups = CheckLookups(self.runtime, self.access, conn, principal)
            lookups.preload(_paths_of(checks), ownership=_asks_about_others(principal, checks))
            answers: list[bool] = []
            pending: list[int] = []  # positions the engine answers
            questions: list[tuple[SubjectRef, str, ObjectRef]] = []
            for index, item in enumerate(checks):
                try:
                    answer = self.permissions.prepare_check(lookups, **_request(item))
                except NexusError as error:
                    raise _at("checks", index, error) from None
                if isinstance(answer, bool):
                    answers.append(answer)
                else:
                    pending.append(len(answers))
                    answers.append(False)
                    questions.append(answer)
            for position, allowed in zip(pending, engine.check_batch(conn, questions), strict=True):
                answers[position] = allowed
        return BatchCheckResult(results=answers, revision=revision)

    # --- lookups -------------------------------------------------------------------------

    def list_objects(
        self,
        principal: Principal,
        relation: str,
        path: str = "/",
        subject_type: str = "user",
        subject_id: str | None = None,
    ) -> ObjectList:
        """Paths at or below ``path`` on which the subject has ``relation``, sorted.

        Non-admins may ask about themselves, about every user (``*``) and about groups they
        belong to; whatever the subject, only entries the caller can see are listed.
        """
        relation = file_relation(relation)
        path = normalize(path)
        tree = self.runtime.tree
        with snapshot_read(self.runtime.db) as conn:
            revision = self.runtime.engine.revision(conn)
            root = self.access.find(conn, principal, path).entry
            subject, is_self = self._lookup_subject(conn, principal, subject_type, subject_id)
            found: dict[int, str]
            if self._is_admin_subject(conn, principal, subject, is_self):
                # Admins hold every relation everywhere (as `check` answers).
                found = tree.subtree_paths(conn, root.id, path) or {}
            elif self._is_disabled(conn, subject):
                found = {}
            else:
                objects = self.runtime.engine.list_objects(conn, subject, relation, "file")
                ids = {int(obj.id) for obj in objects if obj.id.isdigit()}
                found = self._paths_below(conn, root.id, path, ids)
            found = self._without_expired_sessions(conn, found)
            if not (is_self or principal.is_admin):
                found = self._seen_by(conn, principal, found)
        return ObjectList(paths=sorted(found.values()), revision=revision)

    def list_subjects(
        self, principal: Principal, path: str, relation: str, expand_groups: bool = False
    ) -> SubjectList:
        """Who has ``relation`` on ``path``: users and groups holding it by a grant on the
        entry or on a folder it inherits from; with ``expand_groups``, users only, members
        of (nested) groups included. For anyone who can read the entry."""
        relation = file_relation(relation)
        path = normalize(path)
        engine = self.runtime.engine
        with snapshot_read(self.runtime.db) as conn:
            revision = engine.revision(conn)
            obj = file_ref(self.access.find(conn, principal, path).entry.id)
            visibility = GrantVisibility(self.runtime, self.access, conn, principal)
            node: _ExpandNode = engine.expand(conn, obj, relation)
            visibility.preload(_file_refs(node))
            granted = _granted_subjects(node, visibility.hides)
            if expand_groups:
                subjects = set(engine.list_subjects(conn, obj, relation, "user"))
                if any(visibility.hides(ref) for ref in _file_refs(node)):
                    subjects = self._reached_by(conn, subjects, granted)
            else:
                subjects = granted
            inactive = self._inactive_users(conn)
            shown = sorted(
                subject_label(s) for s in subjects if not (s.type == "user" and s.id in inactive)
            )
        return SubjectList(
            subjects=[SubjectInfo(subject_type=t, subject_id=i) for t, i in shown],
            revision=revision,
        )

    def expand(self, principal: Principal, path: str, relation: str) -> ExpandResult:
        """The userset tree of ``path#relation`` with paths and group names; for anyone who
        can read the entry. It names the folders the entry inherits from and their grants;
        a folder the caller cannot read is a leaf marked ``hidden`` (grant_visibility.py)."""
        relation = file_relation(relation)
        path = normalize(path)
        engine = self.runtime.engine
        with snapshot_read(self.runtime.db) as conn:
            revision = engine.revision(conn)
            obj = file_ref(self.access.find(conn, principal, path).entry.id)
            node: _ExpandNode = engine.expand(conn, obj, relation)
            visibility = GrantVisibility(self.runtime, self.access, conn, principal)
            visibility.preload(_file_refs(node))
            ids = {int(ref.id) for ref in _file_refs(node) if ref.id.isdigit()}
            paths = self.runtime.tree.paths_of_many(conn, ids)
        return ExpandResult(tree=_tree_model(node, paths, visibility.hides), revision=revision)

    # --- relationship writes -------------------------------------------------------------

    def write_relationships(
        self, principal: Principal, relationships: Sequence[Mapping[str, str]]
    ) -> WriteRelationshipsResult:
        """Grant every relationship or none: each needs the caller to own its (existing)
        object, as `grant` does; the first one refused rolls the whole batch back."""
        _bounded("relationships", relationships)
        now = self.runtime.now()
        written = 0
        with self.runtime.db.write() as conn:
            for index, item in enumerate(relationships):
                try:
                    created, _record = self.permissions.write_in(
                        conn, principal, **_request(item), now=now, create_missing=False
                    )
                except NexusError as error:
                    raise _at("relationships", index, error) from None
                written += created
            revision = self.runtime.engine.revision(conn)
        return WriteRelationshipsResult(
            written=written, unchanged=len(relationships) - written, revision=revision
        )

    def delete_relationships(
        self,
        principal: Principal,
        *,
        object_type: str = OBJECT_TYPE_FILE,
        object_id: str | None = None,
        relation: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
    ) -> DeleteRelationshipsResult:
        """Delete the grants matching every filter given (file relations only; group
        membership has its own calls). Non-admins must name an object they own; admins
        may delete a subject's grants across objects."""
        if object_id is None and relation is None and subject_type is None and subject_id is None:
            raise NexusValidationError(
                "refusing to delete with an empty filter: name an object, a relation or a subject",
                code="empty_filter",
            )
        file_object_type(object_type)
        relations = GRANTABLE_RELATIONS if relation is None else (file_relation(relation),)
        if (subject_type is None) != (subject_id is None):
            raise NexusValidationError(
                "give subject_type and subject_id together", code="invalid_subject"
            )
        with self.runtime.db.write() as conn:
            subject = None
            if subject_type is not None:
                subject = parse_subject(subject_type, subject_id)
            entry_id = None
            entry: Entry | None = None
            path: str | None = None
            if object_id is not None:
                path = normalize(object_id)
                entry = self.access.find(conn, principal, path).entry
                self.permissions.require_owner(conn, principal, entry, path)
                entry_id = str(entry.id)
            elif not principal.is_admin:
                raise NexusPermissionError(
                    "only admins may delete relationships across objects: name an object you "
                    "own (object_id)",
                    code="permission_denied",
                )
            elif subject is None:
                raise NexusValidationError(
                    "name an object or a subject: deleting a relation on every object is refused",
                    code="filter_too_broad",
                )
            if subject is not None:
                # Only now, once authorized: the existence of an account is not for all.
                require_existing(self.runtime, conn, subject)
            deleted = 0
            for name in relations:
                deleted += self.permissions.delete_keeping_owners(
                    conn,
                    RelationshipFilter(
                        object_type=OBJECT_TYPE_FILE,
                        object_id=entry_id,
                        relation=name,
                        subject_type=None if subject is None else subject.type,
                        subject_id=None if subject is None else subject.id,
                        subject_relation=None if subject is None else subject.relation,
                    ),
                )
            if deleted:
                details = {
                    "relation": relation,
                    "subject": None if subject is None else f"{subject.type}:{subject.id}",
                    "deleted": deleted,
                }
                record_change(self.runtime, conn, principal, "revoke", path, entry, details=details)
            revision = self.runtime.engine.revision(conn)
        return DeleteRelationshipsResult(deleted=deleted, revision=revision)

    # --- internals -----------------------------------------------------------------------

    def _lookup_subject(
        self,
        conn: Connection,
        principal: Principal,
        subject_type: str,
        subject_id: str | None,
    ) -> tuple[SubjectRef, bool]:
        """The subject of list_objects and whether it is the caller; refuses non-admins
        asking about someone else (other than every user or a group they are in)."""
        if subject_id is None or (subject_type == "user" and subject_id == principal.user_id):
            if subject_type != "user":
                raise NexusValidationError(
                    "subject_id is required unless the subject is yourself",
                    code="invalid_subject",
                )
            return user_ref(principal.user_id), True
        # Authorized before the lookup: non-admins learn nothing of which accounts exist.
        subject = parse_subject(subject_type, subject_id)
        if principal.is_admin:
            require_existing(self.runtime, conn, subject)
            return subject, False
        if subject.id == WILDCARD and subject.type == "user":
            return subject, False
        if subject.type == "group" and self.runtime.engine.check(
            conn, user_ref(principal.user_id), "member", subject.object
        ):
            return subject, False
        raise NexusPermissionError(
            "only admins may list what other users or groups can access (you may ask about "
            "yourself, '*' and groups you belong to)",
            code="permission_denied",
        )

    def _is_admin_subject(
        self, conn: Connection, principal: Principal, subject: SubjectRef, is_self: bool
    ) -> bool:
        if is_self:
            return principal.is_admin
        if subject.type != "user" or subject.id == WILDCARD:
            return False
        user = self.runtime.users.get(conn, subject.id)
        return user is not None and user.is_admin and not user.disabled

    def _is_disabled(self, conn: Connection, subject: SubjectRef) -> bool:
        if subject.type != "user" or subject.id == WILDCARD:
            return False
        user = self.runtime.users.get(conn, subject.id)
        return user is not None and user.disabled

    def _paths_below(
        self, conn: Connection, root_id: int, path: str, ids: set[int]
    ) -> dict[int, str]:
        """The paths of those ``ids`` at or below ``path``. A folder no bigger than twice
        the answer is read whole (cheap, and mostly what is asked: "what can I read in
        this project"); otherwise the answer's own entries are looked up with their
        ancestors. Either way the cost is bounded by the size of the answer."""
        tree = self.runtime.tree
        below = tree.subtree_paths(conn, root_id, path, limit=2 * len(ids) + 100)
        if below is not None:
            return {entry_id: below[entry_id] for entry_id in ids if entry_id in below}
        return {
            entry_id: entry_path
            for entry_id, entry_path in tree.paths_of_many(conn, ids).items()
            if _is_at_or_below(entry_path, path)
        }

    def _reached_by(
        self, conn: Connection, users: set[SubjectRef], granted: set[SubjectRef]
    ) -> set[SubjectRef]:
        """Those of ``users`` that the grants the caller may see account for: the users
        granted, the members of the groups granted, or all when everyone is granted. (The
        file schema is unions only, so these grants alone give each of them access.)"""
        if SubjectRef("user", WILDCARD) in granted:
            return users
        reached = {s for s in granted if s.type == "user"}
        for group in (s for s in granted if s.type == "group"):
            reached |= self.runtime.engine.list_subjects(conn, group.object, "member", "user")
        return users & reached

    def _inactive_users(self, conn: Connection) -> set[str]:
        """Users not to list: disabled accounts (`check` denies them whatever their grants
        say) and the built-in ``system`` identity, which owns the namespace roots and so
        would appear on every entry."""
        disabled = {user.id for user in self.runtime.users.list_users(conn) if user.disabled}
        return disabled | {SYSTEM_USER}

    def _without_expired_sessions(self, conn: Connection, found: dict[int, str]) -> dict[int, str]:
        # An expired session is gone for every reader even before the sweeper removes it.
        expired: dict[str, bool] = {}
        kept: dict[int, str] = {}
        for entry_id, entry_path in found.items():
            session = session_id_of(entry_path) if entry_path.startswith(_IN_SESSIONS) else None
            if session is not None:
                if session not in expired:
                    expired[session] = self.access.is_expired_session(conn, entry_path)
                if expired[session]:
                    continue
            kept[entry_id] = entry_path
        return kept

    def _seen_by(
        self, conn: Connection, principal: Principal, found: dict[int, str]
    ) -> dict[int, str]:
        """Only the entries the caller can read (a group's or everyone's access may reach
        further than the caller's under another schema; never list those)."""
        refs = {entry_id: file_ref(entry_id) for entry_id in found}
        seen = self.runtime.engine.check_many(
            conn, user_ref(principal.user_id), "can_read", list(refs.values())
        )
        return {entry_id: found[entry_id] for entry_id, ref in refs.items() if seen[ref]}


def _bounded(name: str, items: Collection[object]) -> None:
    if len(items) > MAX_BATCH_SIZE:
        raise NexusValidationError(
            f"too many {name}: {len(items)} (at most {MAX_BATCH_SIZE} per call)",
            code="batch_too_large",
        )


def _paths_of(items: Sequence[Mapping[str, str]]) -> set[str]:
    """The valid object paths of a batch (a bad one fails later, at its index)."""
    found: set[str] = set()
    for item in items:
        try:
            found.add(normalize(item.get("object_id")))
        except NexusError:
            continue
    return found


def _asks_about_others(principal: Principal, items: Sequence[Mapping[str, str]]) -> bool:
    return any(
        not (item.get("subject_type") == "user" and item.get("subject_id") == principal.user_id)
        for item in items
    )


def _request(item: Mapping[str, str]) -> dict[str, str]:
    """The five fields of a check or relationship (object_type defaults to 'file')."""
    fields = {"object_type": OBJECT_TYPE_FILE, **item}
    unknown = sorted(set(fields) - set(_REQUEST_FIELDS))
    missing = [field for field in _REQUEST_FIELDS if field not in fields]
    if unknown or missing:
        raise NexusValidationError(
            f"expected the fields {', '.join(_REQUEST_FIELDS)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else ""),
            code="invalid_argument",
        )
    return {field: fields[field] for field in _REQUEST_FIELDS}


def _at(name: str, index: int, error: NexusError) -> NexusError:
    """The same error (class, reason, path), saying which item of a batch caused it."""
    cls = next((c for c in ERROR_CLASSES if isinstance(error, c)), NexusError)
    return cls(f"{name}[{index}]: {error.message}", path=error.path, code=error.detail_code)


def _is_at_or_below(entry_path: str, path: str) -> bool:
    return path == "/" or entry_path == path or entry_path.startswith(path + "/")


def _granted_subjects(node: _ExpandNode, hides: Callable[[ObjectRef], bool]) -> set[SubjectRef]:
    """Users, ``user:*`` and groups stored on the file side of the tree (the entry and the
    folders it inherits from, but none the caller may not see the grants of), without
    descending into the groups' members."""
    found: set[SubjectRef] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.object.type != OBJECT_TYPE_FILE or hides(current.object):
            continue
        if current.kind == "direct":
            for subject in current.subjects:
                if subject.type == "user" or (subject.type == "group" and subject.relation):
                    found.add(subject)
        stack.extend(current.children)
    return found


def _file_refs(node: _ExpandNode) -> Iterable[ObjectRef]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.object.type == OBJECT_TYPE_FILE:
            yield current.object
        for subject in current.subjects:
            if subject.type == OBJECT_TYPE_FILE:
                yield subject.object
        stack.extend(current.children)


def _shown_id(ref: ObjectRef, paths: Mapping[int, str]) -> str:
    if ref.type != OBJECT_TYPE_FILE:
        return ref.id
    # An id never leaves the server; an entry gone mid-walk cannot happen in one snapshot.
    return paths.get(int(ref.id), "(deleted)") if ref.id.isdigit() else "(unknown)"


def _tree_model(
    node: _ExpandNode, paths: Mapping[int, str], hides: Callable[[ObjectRef], bool]
) -> ExpandTree:
    if hides(node.object):
        # Its path is all the caller learns (it is in the path asked about anyway).
        return ExpandTree(
            kind=node.kind,
            object_type=node.object.type,
            object_id=_shown_id(node.object, paths),
            relation=node.relation,
            hidden=True,
        )
    subjects = [
        SubjectInfo(subject_type=s.type, subject_id=_shown_id(s.object, paths))
        for s in node.subjects
    ]
    return ExpandTree.model_validate(
        {
            "kind": node.kind,
            "object_type": node.object.type,
            "object_id": _shown_id(node.object, paths),
            "relation": node.relation,
            "subjects": subjects,
            "children": [_tree_model(child, paths, hides) for child in node.children],
            "cycle": node.cycle,
        }
    )
