"""Explain a permission check in the words of the file tree: paths, group names, inheritance.

Who may ask is exactly who may check (PermissionOperations.prepare_check: yourself anywhere
you see, others only on objects you own, admins anywhere; the 403/404 rule). The engine's
explanation names ``file:<id>`` and ``group:<name>#member``; here they become paths and
groups. What a caller may not learn stays out: for directories the caller cannot read, the
grants held by others there are neither listed nor counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection

from nexus.api.models import ExplainResult
from nexus.authz import Attempt, Explanation, Gap, ObjectRef, Relationship, Step, SubjectRef
from nexus.authz.explain import describe_gap, describe_step, iso, render_tried
from nexus.files.access import Access
from nexus.files.check_lookups import CheckLookups
from nexus.files.grant_visibility import GrantVisibility
from nexus.files.permission_ops import PermissionOperations, file_relation
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime
from nexus.files.schema import OBJECT_TYPE_FILE, TREE_RELATIONS
from nexus.files.snapshot import snapshot_read
from nexus.paths import normalize


class _Names:
    """The namer for explanations: paths for files, ``group x`` for groups, user ids."""

    def __init__(self, runtime: Runtime, conn: Connection, files: Iterable[ObjectRef]):
        ids = {int(obj.id) for obj in files if obj.type == OBJECT_TYPE_FILE and obj.id.isdigit()}
        self.paths = runtime.tree.paths_of_many(conn, ids) if ids else {}

    def object(self, obj: ObjectRef) -> str:
        if obj.type == OBJECT_TYPE_FILE and obj.id.isdigit():
            return self.paths.get(int(obj.id), f"file #{obj.id}")
        return f"{obj.type} {obj.id}"

    def subject(self, subject: SubjectRef) -> str:
        if subject.type == "user":
            return "everyone" if subject.is_wildcard else subject.id
        return f"group {subject.id}"


class ExplainOperations:
    def __init__(self, runtime: Runtime, access: Access, permissions: PermissionOperations):
        self.runtime = runtime
        self.access = access
        self.permissions = permissions

    def explain(
        self,
        principal: Principal,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> ExplainResult:
        """Why the check of the same arguments answers what it does (see module doc)."""
        with snapshot_read(self.runtime.db) as conn:
            revision = self.runtime.engine.revision(conn)
            # Validates and authorizes exactly as check does (and raises what it raises).
            lookups = CheckLookups(self.runtime, self.access, conn, principal)
            question = self.permissions.prepare_check(
                lookups, subject_type, subject_id, object_type, object_id, relation
            )
            path = normalize(object_id)
            relation = file_relation(relation)
            name = _label(subject_type, subject_id)
            if question is True:  # only an admin subject is answered without evaluating
                return ExplainResult(
                    allowed=True,
                    summary=f"{name} has {relation} on {path} because {name} is an admin",
                    steps=[f"{name} is an admin: admins hold every permission on every file"],
                    revision=revision,
                )
            if question is False:
                return _unevaluated(lookups, path, relation, name, revision)
            subject, relation, obj = question
            explanation = self.runtime.engine.explain(conn, subject, relation, obj)
            return _Render(self, conn, principal, explanation, revision).result()


def _unevaluated(
    lookups: CheckLookups, path: str, relation: str, name: str, revision: int
) -> ExplainResult:
    """A denial decided before evaluation: an object the caller does not see (absent or
    hidden, answered alike), or a disabled subject."""
    if lookups.visible(path):
        reason = f"the account of {name} is disabled"
    elif lookups.principal.is_admin:
        reason = f"{path} does not exist"
    else:
        reason = f"{path} does not exist or you cannot see it"
    return ExplainResult(
        allowed=False,
        summary=f"{name} does not have {relation} on {path}: {reason}",
        missing=reason,
        revision=revision,
    )


class _Render:
    """One explanation in words."""

    def __init__(
        self,
        ops: ExplainOperations,
        conn: Connection,
        principal: Principal,
        explanation: Explanation,
        revision: int,
    ):
        self.ops = ops
        self.conn = conn
        self.principal = principal
        self.x = explanation
        self.revision = revision
        self.names = _Names(ops.runtime, conn, _objects(explanation))
        self.visibility = GrantVisibility(ops.runtime, ops.access, conn, principal)
        self.who = self.names.subject(explanation.subject)

    def result(self) -> ExplainResult:
        x = self.x
        target = self.names.object(x.object)
        if x.allowed:
            chain = self.chain()
            summary = f"{self.who} has {x.relation} on {target}"
            return ExplainResult(
                allowed=True,
                summary=f"{summary}: {chain}" if chain else summary,
                steps=[self.step(s) for s in x.path],
                revision=self.revision,
            )
        missing = self.missing()
        return ExplainResult(
            allowed=False,
            summary=f"{self.who} does not have {x.relation} on {target}",
            tried=render_tried(x.tried, x.subject, self.names, hide=self.hide),
            missing=missing,
            revision=self.revision,
        )

    # --- allowed ----------------------------------------------------------------------

    def step(self, step: Step) -> str:
        """One link, subject side first, in the words of files and groups."""
        rel, premises = step.relationship, [self.x.path[i] for i in step.parts]
        where = self.names.object(step.object)
        by = f" (granted by {rel.created_by})" if rel is not None and rel.created_by else ""
        added = f" (added by {rel.created_by})" if rel is not None and rel.created_by else ""
        until = f", until {iso(rel.expires_at)}" if rel and rel.expires_at is not None else ""
        if step.how == "direct" and rel is not None and step.object.type == "group":
            return f"{self.who} is a member of {where}{added}{until}"
        if step.how == "userset" and rel is not None and step.object.type == "group":
            inner = self.names.subject(rel.subject)
            return f"{inner} is a member of {where}, so its members are too{added}{until}"
        if step.how in ("direct", "wildcard", "userset") and rel is not None:
            holder = self.names.subject(rel.subject)
            return f"{holder} has {step.relation} on {where}{by}{until}"
        if step.how == "computed" and premises:
            return f"{premises[0].relation} on {where} includes {step.relation}"
        if step.how == "tupleset" and rel is not None and rel.relation in TREE_RELATIONS:
            parent = self.names.object(premises[0].object)
            return f"{where} inherits {premises[0].relation} from its directory {parent}"
        return describe_step(step, self.x.path, self.x.subject, self.names)

    def chain(self) -> str:
        """The linear granting chain as one sentence (the file schema has no 'and')."""
        path = self.x.path
        if any(s.parts != ((i - 1,) if i else ()) for i, s in enumerate(path)):
            return ""  # not a chain: the numbered steps say it
        clauses: list[str] = []
        inherited: list[str] = []
        for index, step in enumerate(path):
            rel = step.relationship
            where = self.names.object(step.object)
            if step.how == "tupleset" and rel is not None and rel.relation in TREE_RELATIONS:
                inherited.append(where)
                following = path[index + 1] if index + 1 < len(path) else None
                if following is not None and following.how == "tupleset":
                    continue
                through = f" (through {', '.join(inherited[:-1])})" if len(inherited) > 1 else ""
                clauses.append(f"inherited by {inherited[-1]}{through}")
                inherited = []
            elif step.how == "computed":
                clauses.append(f"which includes {step.relation}")
            elif index == 0 and step.object.type == "group":
                clauses.append(f"{self.who} is in {where}")
            elif index == 0 and rel is not None:
                holder = self.names.subject(rel.subject)
                clauses.append(f"{holder} has {step.relation} on {where}")
            elif step.how == "userset" and step.object.type == "group":
                clauses.append(f"which is in {where}")
            elif step.how == "userset":
                clauses.append(f"which has {step.relation} on {where}")
            else:
                return ""
        return ", ".join(clauses)

    # --- denied -----------------------------------------------------------------------

    def hide(self, obj: ObjectRef) -> bool:
        """Whether the caller may not see who else holds grants on ``obj`` (decision 6:
        grants on an entry are for those who can read it)."""
        return self.visibility.hides(obj)

    def missing(self) -> str:
        """The nearest missing link the caller may be told about."""
        for gap in self.x.gaps:
            if gap.kind == "not_member":
                if gap.grant is not None and not self.hide(gap.grant.object):
                    return self.not_member(gap.grant)
            elif gap.kind == "expired" and gap.grant is not None:
                when = iso(gap.grant.expires_at) if gap.grant.expires_at is not None else "?"
                where = self.names.object(gap.grant.object)
                holder = self.names.subject(gap.grant.subject)
                return f"the grant of {gap.grant.relation} on {where} to {holder} expired at {when}"
            elif gap.kind == "no_grant":
                return self.no_grant(gap)
            else:
                return describe_gap(gap, self.x.subject, self.names)
        return f"no grant gives {self.who} {self.x.relation}"

    def not_member(self, grant: Relationship) -> str:
        group = self.names.subject(grant.subject)
        where = self.names.object(grant.object)
        return f"{group} has {grant.relation} on {where}, but {self.who} is not a member of {group}"

    def no_grant(self, gap: Gap) -> str:
        subject = self.x.subject
        relations = _or(gap.relations) or gap.relation
        if subject.is_wildcard:
            holders = "everyone"
        elif subject.type == "group":
            holders = f"{self.who} or any group it is in"
        else:
            holders = f"{self.who} or any group {self.who} is in"
        text = f"no {relations} grant for {holders} on {self.names.object(gap.object)}"
        # Where the walk stopped would tell whether a folder is restricted: that is not the
        # caller's to learn for a folder it cannot read, so the list ends at the first one.
        reached = list(gap.reached)
        hidden_at = next((i for i, o in enumerate(reached) if self.hide(o)), None)
        if hidden_at is not None:
            reached = reached[: hidden_at + 1]
        directories = [self.names.object(o) for o in reached]
        if hidden_at is not None:
            directories[-1] += f" and whatever {directories[-1]} inherits from"
        if directories:
            text += f" or the directories it inherits from ({', '.join(directories)})"
        last = reached[-1] if reached else gap.object
        entry = self.ops.runtime.tree.get(self.conn, int(last.id)) if last.id.isdigit() else None
        if entry is not None and entry.restricted and not self.hide(last):
            text += f"; {self.names.object(last)} is restricted, so grants above it do not count"
        return text


def _or(words: Sequence[str]) -> str:
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


def _label(subject_type: str, subject_id: str) -> str:
    """How a subject named in a request reads (as the namer reads engine subjects)."""
    if subject_type == "group":
        return f"group {subject_id}"
    return "everyone" if subject_id == "*" else subject_id


def _objects(explanation: Explanation) -> list[ObjectRef]:
    """Every object an explanation mentions, to name them all in one query."""
    found: list[ObjectRef] = [explanation.object]

    def add(rel: Relationship | None) -> None:
        if rel is not None:
            found.extend([rel.object, rel.subject.object])

    for step in explanation.path:
        found.append(step.object)
        add(step.relationship)
    pending: list[Sequence[Attempt]] = [explanation.tried]
    while pending:
        for attempt in pending.pop():
            found.append(attempt.object)
            add(attempt.via)
            pending.append(attempt.children)
    for gap in explanation.gaps:
        found.append(gap.object)
        found.extend(gap.reached)
        add(gap.grant)
        for step in gap.proof:
            add(step.relationship)
    return found
