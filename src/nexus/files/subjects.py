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
    """
    kind = require_text("subject_type", subject_type)
    ident = require_text("subject_id", subject_id)
    if kind not in SUBJECT_TYPES:
        raise NexusValidationError(
            f"unknown subject type {shown(kind)}: use one of {', '.join(SUBJECT_TYPES)}",
            code="unknown_subject_type",
        )
    if kind == "user":
        if ident == WILDCARD:
            return SubjectRef("user", WILDCARD)
        if runtime.users.get(conn, ident) is None:
            raise NexusValidationError(f"no such user: {shown(ident)}", code="unknown_user")
        return SubjectRef("user", ident)
    if runtime.groups.get(conn, ident) is None:
        raise NexusValidationError(f"no such group: {shown(ident)}", code="unknown_group")
    return SubjectRef("group", ident, "member")


def subject_label(subject: SubjectRef) -> tuple[str, str]:
    """The (subject_type, subject_id) users see: group:dev#member reads as ('group', 'dev')."""
    return subject.type, subject.id
