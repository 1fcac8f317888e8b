"""Grant, revoke, check and list permissions on files."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from nexus.api.models import CheckResult, GrantResult, PermissionRecord, RevokeResult
from nexus.authz import ObjectRef, Relationship, RelationshipFilter, SubjectRef
from nexus.errors import (
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
    shown,
)
from nexus.files.access import Access, denied
from nexus.files.activity import audited, record_change
from nexus.files.check_lookups import CheckLookups
from nexus.files.creation import Creator, retry_create_races
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime, file_ref
from nexus.files.schema import GRANTABLE_RELATIONS, OBJECT_TYPE_FILE
from nexus.files.snapshot import snapshot_read
from nexus.files.subjects import parse_subject, require_existing, subject_label
from nexus.files.timestamps import iso
from nexus.files.validation import require_text
from nexus.metadata import DIRECTORY, Entry
from nexus.paths import normalize

# Relations people see in listings: the file relations plus group membership and management.
VISIBLE_RELATIONS = (*GRANTABLE_RELATIONS, "member", "manager")


def file_relation(value: object) -> str:
    relation = require_text("relation", value)
    if relation not in GRANTABLE_RELATIONS:
        raise NexusValidationError(
            f"unknown relation {shown(relation)}: use one of {', '.join(GRANTABLE_RELATIONS)}",
            code="unknown_relation",
        )
    return relation


def file_object_type(value: object) -> str:
    object_type = require_text("object_type", value)
    if object_type != OBJECT_TYPE_FILE:
        raise NexusValidationError(
            f"unknown object type {shown(object_type)}: permissions are granted on 'file' objects "
            "(files and directories); group membership has its own calls",
            code="unknown_object_type",
        )
    return object_type


class PermissionOperations:
    def __init__(self, runtime: Runtime, access: Access, creator: Creator):
        self.runtime = runtime
        self.access = access
        self.creator = creator

    @audited("grant", path="object_id")
    def grant(
        self,
        principal: Principal,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> GrantResult:
        """Grant ``relation`` on a file or directory; granting twice changes nothing.

        A path that does not exist yet is created as a directory (owned by the granter), so
        the grant has a stable id to hang on, as `nexus rebac grant ... /workspace/shared`
        in the tutorial expects.
        """
        now = self.runtime.now()

        def attempt() -> GrantResult:
            with self.runtime.db.write() as conn:
                created, record = self.write_in(
                    conn,
                    principal,
                    subject_type,
                    subject_id,
                    object_type,
                    object_id,
                    relation,
                    now=now,
                    create_missing=True,
                )
                revision = self.runtime.relationships.revision(conn)
            return GrantResult(created=created, relationship=record, revision=revision)

        # A folder made by someone else meanwhile is granted on like any existing one.
        return retry_create_races(attempt)

    def write_in(
        self,
        conn: Connection,
        principal: Principal,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
        *,
        now: float,
        create_missing: bool,
    ) -> tuple[bool, PermissionRecord]:
        """One grant inside the caller's write transaction: (newly stored?, the record).

        ``create_missing``: a path that does not exist becomes a directory owned by the
        granter (`grant`); otherwise it is refused by the 403/404 rule (bulk writes).
        """
        file_object_type(object_type)
        relation = file_relation(relation)
        path = normalize(object_id)
        subject = parse_subject(subject_type, subject_id)
        if subject.id == "*" and relation != "can_read":
            raise NexusValidationError(
                "only can_read may be granted to every user ('*')", code="subject_not_allowed"
            )
        resolved = self.access.resolve(conn, path)
        if not resolved.exists and create_missing:
            entry = self.creator.create(conn, principal, resolved, DIRECTORY)
        elif resolved.exists and self.access.sees(conn, principal, path, resolved.entry):
            entry = resolved.entry
        elif create_missing:
            # Answer exactly as for an absent name the caller may not create.
            raise denied(path)
        else:
            raise self.access.hidden(conn, principal, resolved)
        self.require_owner(conn, principal, entry, path)
        require_existing(self.runtime, conn, subject)  # only now: owners may learn it
        tuple_ = Relationship(file_ref(entry.id), relation, subject, now, principal.user_id)
        created = self.runtime.engine.write(conn, tuple_)
        if created:
            details = {"relation": relation, "subject": _subject_text(subject)}
            record_change(self.runtime, conn, principal, "grant", path, entry, details=details)
        return created, self._record(tuple_, path)

    @audited("revoke", path="object_id")
    def revoke(
        self,
        principal: Principal,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> RevokeResult:
        file_object_type(object_type)
        relation = file_relation(relation)
        path = normalize(object_id)
        with self.runtime.db.write() as conn:
            subject = parse_subject(subject_type, subject_id)
            entry = self.access.find(conn, principal, path).entry
            self.require_owner(conn, principal, entry, path)
            require_existing(self.runtime, conn, subject)
            removed = self.delete_keeping_owners(conn, _exact(entry, relation, subject))
            if removed == 0:
                raise NexusFileNotFoundError(
                    f"no such grant: {subject_type} {subject_id} has no direct {relation} "
                    f"on {path}",
                    path=path,
                    code="relationship_not_found",
                )
            details = {"relation": relation, "subject": _subject_text(subject)}
            record_change(self.runtime, conn, principal, "revoke", path, entry, details=details)
            revision = self.runtime.relationships.revision(conn)
        return RevokeResult(deleted=True, revision=revision)

    def check(
        self,
        principal: Principal,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> CheckResult:
        """Whether the subject holds ``relation``. Callers may ask about themselves; about
        others only on objects they own (admins: anywhere)."""
        with snapshot_read(self.runtime.db) as conn:
            revision = self.runtime.engine.revision(conn)
            lookups = CheckLookups(self.runtime, self.access, conn, principal)
            answer = self.prepare_check(
                lookups, subject_type, subject_id, object_type, object_id, relation
            )
            if not isinstance(answer, bool):
                answer = self.runtime.engine.check(conn, *answer)
        return CheckResult(allowed=answer, revision=revision)

    def prepare_check(
        self,
        lookups: CheckLookups,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> bool | tuple[SubjectRef, str, ObjectRef]:
        """Authorize one check: the answer when no evaluation is needed (an object the
        caller does not see, an admin or disabled subject), else the engine's question.
        Raises what the check answers (the 403/404 rule, non-owners asking about others)."""
        conn, principal = lookups.conn, lookups.principal
        file_object_type(object_type)
        relation = file_relation(relation)
        path = normalize(object_id)
        asks_about_self = subject_type == "user" and subject_id == principal.user_id
        # Authorize before looking the subject up: whether an account exists is for
        # admins and the object's owners only (not an unknown_user against a 403).
        parse_subject(subject_type, subject_id)
        if principal.is_admin:
            lookups.subject(subject_type, subject_id)
        if not lookups.visible(path):
            if asks_about_self or principal.is_admin:
                return False
            raise self.access.hidden(conn, principal, lookups.resolve(path))
        entry = lookups.resolve(path).entry
        if not asks_about_self and not lookups.owns(path):
            raise _not_owner(path)
        subject = lookups.subject(subject_type, subject_id)
        if subject.type == "user" and subject.id != "*":
            user = lookups.user(subject.id)
            if user is not None and user.is_admin:
                return True
            if user is not None and user.disabled:
                return False
        return subject, relation, file_ref(entry.id)

    def list(
        self,
        principal: Principal,
        *,
        object_type: str | None = None,
        object_id: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        relation: str | None = None,
    ) -> list[PermissionRecord]:
        """Direct grants. On an object: for anyone who can read it. By subject: admins for
        anyone, others for themselves."""
        if relation is not None and relation not in VISIBLE_RELATIONS:
            file_relation(relation)
        if (subject_type is None) != (subject_id is None):
            raise NexusValidationError(
                "give subject_type and subject_id together", code="invalid_subject"
            )
        with self.runtime.db.read() as conn:
            query = RelationshipFilter(relation=relation)
            if object_id is not None:
                file_object_type(object_type or OBJECT_TYPE_FILE)
                path = normalize(object_id)
                entry = self.access.find(conn, principal, path).entry
                query = RelationshipFilter(
                    object_type=OBJECT_TYPE_FILE, object_id=str(entry.id), relation=relation
                )
            elif object_type is not None:
                file_object_type(object_type)
            if subject_type is not None or subject_id is not None:
                # Non-admins filtering by a subject learn nothing of whether it exists (an
                # unknown one simply holds no grants); admins are told of a typo.
                subject = parse_subject(subject_type, subject_id)
                if principal.is_admin:
                    require_existing(self.runtime, conn, subject)
                query = RelationshipFilter(
                    object_type=query.object_type,
                    object_id=query.object_id,
                    relation=relation,
                    subject_type=subject.type,
                    subject_id=subject.id,
                    subject_relation=subject.relation,
                )
            if object_id is None and not principal.is_admin:
                own = query.subject_type == "user" and query.subject_id == principal.user_id
                if query.subject_type is None:
                    query = RelationshipFilter(
                        relation=relation, subject_type="user", subject_id=principal.user_id
                    )
                elif not own:
                    raise NexusPermissionError(
                        "only admins may list other users' permissions", code="permission_denied"
                    )
            group_relation = relation is not None and relation not in GRANTABLE_RELATIONS
            if query.object_type == OBJECT_TYPE_FILE and group_relation:
                return []  # member and manager are group relations: no file holds them
            tuples = self.runtime.engine.read(conn, query)
            paths: dict[str, str] = {}
            records: list[PermissionRecord] = []
            for tuple_ in tuples:
                if tuple_.relation not in VISIBLE_RELATIONS:
                    continue
                shown_id = tuple_.object.id
                if tuple_.object.type == OBJECT_TYPE_FILE:
                    if shown_id not in paths:
                        paths[shown_id] = self.runtime.tree.path_of(conn, int(shown_id))
                    shown_id = paths[shown_id]
                records.append(self._record(tuple_, shown_id))
        return records

    def delete_keeping_owners(self, conn: Connection, query: RelationshipFilter) -> int:
        """Delete the file grants ``query`` matches, refusing (400 ``last_owner``, nothing
        deleted) to take the last live direct owner grant from any entry: only an admin
        could manage it afterwards. Grant another owner first, then remove this one."""
        engine = self.runtime.engine
        touched: set[str] = set()
        if query.relation in (None, "owner"):
            touched = {t.object.id for t in engine.read(conn, replace(query, relation="owner"))}
        deleted = engine.delete(conn, query)
        now = self.runtime.now()
        for object_id in sorted(touched):
            left = engine.read(
                conn,
                RelationshipFilter(
                    object_type=OBJECT_TYPE_FILE, object_id=object_id, relation="owner"
                ),
            )
            if not any(not t.is_expired(now) for t in left):
                path = self.runtime.tree.path_of(conn, int(object_id))
                raise NexusValidationError(
                    f"refusing to remove the last owner of {path}: grant another owner "
                    "first (an entry without owners can be managed only by admins)",
                    path=path,
                    code="last_owner",
                )
        return deleted

    def require_owner(
        self, conn: Connection, principal: Principal, entry: Entry, path: str
    ) -> None:
        if not self.access.can(conn, principal, "owner", entry):
            raise _not_owner(path)

    @staticmethod
    def _record(tuple_: Relationship, shown_object_id: str) -> PermissionRecord:
        subject_type, subject_id = subject_label(tuple_.subject)
        return PermissionRecord(
            subject_type=subject_type,
            subject_id=subject_id,
            relation=tuple_.relation,
            object_type=tuple_.object.type,
            object_id=shown_object_id,
            granted_by=tuple_.created_by,
            created=iso(tuple_.created_at),
        )


def _subject_text(subject: SubjectRef) -> str:
    """user:bob, group:dev#member: a subject as the activity log shows it."""
    subject_type, subject_id = subject_label(subject)
    return f"{subject_type}:{subject_id}"


def _not_owner(path: str) -> NexusPermissionError:
    return NexusPermissionError(
        f"permission denied: only owners of {path} (and admins) may manage its permissions",
        path=path,
    )


def _exact(entry: Entry, relation: str, subject: SubjectRef) -> RelationshipFilter:
    return RelationshipFilter(
        object_type=OBJECT_TYPE_FILE,
        object_id=str(entry.id),
        relation=relation,
        subject_type=subject.type,
        subject_id=subject.id,
        subject_relation=subject.relation,
    )
