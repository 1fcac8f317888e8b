"""Turning (subject_type, subject_id) arguments into engine subjects, and back."""

from __future__ import annotations

from sqlalchemy import Connection

from nexus.authz import SubjectRef
from nexus.errors import NexusValidationError, shown
from nexus.files.runtime import Runtime
from nexus.files.schema import SUBJECT_TYPES
from nexus.files.validation import require_text

WILDCARD = "*"


def subject_ref(
    runtime: Runtime, conn: Connection, subject_type: object, subject_id: object
) -> SubjectRef:
    """``user bob`` -> user:bob, ``user *`` -> user:*, ``group dev`` -> group:dev#member.

    The user or group must exist, so a typo is an error instead of a silent dead grant.
    Call it only once the caller is authorized to learn that: `unknown_user` against a 403
    would tell anyone which accounts exist (parse with :func:`parse_subject` before).
    """
    subject = parse_subject(subject_type, subject_id)
    require_existing(runtime, conn, subject)
    return subject


def parse_subject(subject_type: object, subject_id: object) -> SubjectRef:
    """The subject named, checked for form only (no lookup, so no existence leaks)."""
    kind = require_text("subject_type", subject_type)
    ident = require_text("subject_id", subject_id)
    if kind not in SUBJECT_TYPES:
        raise NexusValidationError(
            f"unknown subject type {shown(kind)}: use one of {', '.join(SUBJECT_TYPES)}",
            code="unknown_subject_type",
        )
    if kind == "user":
        return SubjectRef("user", ident)
    return SubjectRef("group", ident, "member")


def require_existing(runtime: Runtime, conn: Connection, subject: SubjectRef) -> None:
    if subject.type == "user":
        if subject.id != WILDCARD and runtime.users.get(conn, subject.id) is None:
            raise NexusValidationError(f"no such user: {shown(subject.id)}", code="unknown_user")
    elif runtime.groups.get(conn, subject.id) is None:
        raise NexusValidationError(f"no such group: {shown(subject.id)}", code="unknown_group")


def subject_label(subject: SubjectRef) -> tuple[str, str]:
    """The (subject_type, subject_id) users see: group:dev#member reads as ('group', 'dev')."""
    return subject.type, subject.id
