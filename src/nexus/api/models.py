"""Request and response bodies of HTTP API v1 (JSON; file bodies travel as raw bytes).

Timestamps are ISO 8601 strings in UTC without an offset (``2026-12-03T13:45:00.123456``),
so ``datetime.fromisoformat`` reads them and they compare with ``datetime.utcnow()``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, WithJsonSchema
from typing_extensions import TypedDict

from nexus.api.described import (
    MAX_TOKEN_CHARS,
    AnyPath,
    Email,
    ExpectedVersion,
    Name,
    ObjectTypeName,
    RelationName,
    SubjectId,
    SubjectTypeName,
    TtlSeconds,
    Version,
    text,
)

API_PREFIX = "/api/v1"

SubjectType = Literal["user", "group"]
Relation = Literal["owner", "can_write", "can_read", "can_execute"]
EntryType = Literal["file", "directory"]


class StrictModel(BaseModel):
    """A request body: no unknown fields, and every value of the type the document gives
    (no 0 for false, no "5" for 5)."""

    model_config = ConfigDict(extra="forbid", strict=True)


# --- errors -----------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable class code, e.g. permission_denied, not_found")
    reason: str = Field(description="Finer stable code, e.g. invalid_path, unknown_relation")
    message: str
    path: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# --- health and identity ----------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class WhoAmI(BaseModel):
    user_id: str
    is_admin: bool


# --- files ------------------------------------------------------------------------------


# A file's info is a plain dict everywhere (service, server, both clients): a listing
# holds 10,000 of them, and a pydantic model per entry cost more than the rest of it.
# pydantic validates and serializes the TypedDicts through TypeAdapters (below); they need
# typing_extensions' TypedDict on Python 3.11.
class FileInfo(TypedDict):
    path: str
    name: str
    type: EntryType
    size: int
    modified: str
    created: str
    version: Annotated[
        int, Field(description="Content version of a file (1, 2, ...); 0 for directories")
    ]
    etag: Annotated[str | None, Field(description="SHA-256 of the content; null for directories")]
    owner: Annotated[
        str | None,
        Field(
            description="Who created the entry (the recipient, for an inbox delivery); null once "
            "that account is deleted. Not the current owner grants: see list_permissions."
        ),
    ]
    # Always present in records we build; the default reads bodies of servers without it.
    restricted: Annotated[bool, Field(default=False)]


# What read_with_metadata() reports about the version it read (a subset of FileInfo).
READ_METADATA_KEYS = ("path", "type", "size", "modified", "created", "version", "etag", "owner")


class FileList(TypedDict):  # the body of GET /files/list
    entries: list[FileInfo]


# Built once: a TypeAdapter compiles its validator and serializer when it is made.
FILE_INFO: TypeAdapter[FileInfo] = TypeAdapter(FileInfo)
FILE_LIST: TypeAdapter[FileList] = TypeAdapter(FileList)


class Exists(BaseModel):
    exists: bool


class MkdirRequest(StrictModel):
    path: AnyPath
    parents: bool = True
    exist_ok: bool = True


class MoveRequest(StrictModel):
    src: AnyPath
    dst: AnyPath


class CopyRequest(StrictModel):
    src: AnyPath
    dst: AnyPath


class RestrictRequest(StrictModel):
    path: AnyPath
    restricted: bool = True


class Deleted(BaseModel):
    path: str
    deleted: bool = True


# --- versions and storage ---------------------------------------------------------------


class VersionInfo(BaseModel):
    version: int
    size: int
    etag: str = Field(description="SHA-256 of the version's content")
    created: str = Field(description="When this version was written")
    created_by: str = Field(description="The user id that wrote it")
    current: bool = Field(description="Whether it is the file's current content")


class VersionList(BaseModel):
    path: str
    versions: list[VersionInfo] = Field(description="Every kept version, newest first")


class RestoreRequest(StrictModel):
    path: AnyPath
    version: Version = Field(strict=True, description="The kept version whose content comes back")
    if_version: ExpectedVersion | None = Field(
        default=None, strict=True, description="Only if the file is still at this version"
    )


class StorageSweep(BaseModel):
    versions_removed: int = Field(description="Old versions dropped by the retention rules")
    blobs_removed: int = Field(description="Stored contents no file or version referred to")
    bytes_freed: int
    temp_files_removed: int = Field(description="Leftovers of interrupted writes")


# --- activity log -----------------------------------------------------------------------


class ActivityEvent(BaseModel):
    id: int = Field(description="Increasing event id; pass as `before` to page further")
    time: str = Field(description="When it happened (UTC)")
    actor: str = Field(
        description="The user id that acted (or tried to); `system` for the local admin socket"
    )
    key_id: str | None = Field(description="The API key used (your own events, and admins)")
    action: str = Field(
        description="write, append, mkdir, delete, move, restrict, grant, ...; admin actions: "
        "create_user, update_user, delete_user, create_key, revoke_key, create_group, "
        "add_member, ..., audit"
    )
    outcome: str = Field(description="ok, or why it was refused: denied, not_found, locked")
    path: str | None = Field(
        description="The path as it was then (a move's source); null for admin actions"
    )
    target: str | None = Field(description="A move's destination")
    details: dict[str, Any] = Field(
        description="version, size, relation, subject, code, ...; an admin action's subject: "
        "user, key_id and prefix, group, member_group, session"
    )


class ActivityPage(BaseModel):
    events: list[ActivityEvent] = Field(description="Newest first")
    next_before: int | None = Field(
        description="Pass as `before` for the next page; null when nothing older is left"
    )


# --- permissions ------------------------------------------------------------------------


class PermissionRequest(StrictModel):
    subject_type: SubjectTypeName
    subject_id: SubjectId
    object_type: ObjectTypeName = "file"
    object_id: AnyPath
    relation: RelationName


class PermissionRecord(BaseModel):
    subject_type: str
    subject_id: str
    relation: str
    object_type: str
    object_id: str
    granted_by: str | None
    created: str


class GrantResult(BaseModel):
    created: bool = Field(description="False when the relationship already existed")
    relationship: PermissionRecord
    revision: int


class RevokeResult(BaseModel):
    deleted: bool
    revision: int


class CheckResult(BaseModel):
    allowed: bool
    # Optional so clients still read answers of servers that predate revisions.
    revision: int | None = Field(
        default=None, description="The relationship revision the check was evaluated at"
    )


class PermissionList(BaseModel):
    permissions: list[PermissionRecord]


# --- permission engine operations: batch check, lookups, expand, bulk writes -----------


# Checks per batch and relationships per bulk write; more is refused (``batch_too_large``).
MAX_BATCH_SIZE = 1000


class BatchCheckRequest(StrictModel):
    checks: list[PermissionRequest] = Field(
        description="At most 1000 checks", json_schema_extra={"maxItems": MAX_BATCH_SIZE}
    )


class BatchCheckResult(BaseModel):
    results: list[bool] = Field(description="One answer per check, in request order")
    revision: int = Field(description="The relationship revision every check was evaluated at")


class ObjectList(BaseModel):
    paths: list[str] = Field(description="Sorted paths on which the subject has the relation")
    revision: int


class SubjectInfo(BaseModel):
    subject_type: str = Field(description="user, group (a group's members) or file (a parent)")
    subject_id: str = Field(description="User id, group name, path; '*' means every user")


class SubjectList(BaseModel):
    subjects: list[SubjectInfo]
    revision: int


ExpandKind = Literal["direct", "computed", "tupleset", "union", "intersection", "exclusion"]


class ExpandTree(BaseModel):
    """One node of the userset tree of ``object#relation``."""

    kind: ExpandKind
    object_type: str
    object_id: str = Field(description="A path for files, a name for groups")
    relation: str
    subjects: list[SubjectInfo] = Field(
        default_factory=list, description="'direct' nodes: the subjects stored on the relation"
    )
    children: list[ExpandTree] = Field(default_factory=list)
    cycle: bool = Field(default=False, description="Already expanded above; not repeated")
    hidden: bool = Field(
        default=False,
        description="An entry the caller cannot read: its grants (and what it inherits) "
        "are not shown",
    )


class ExpandResult(BaseModel):
    tree: ExpandTree
    revision: int


class WriteRelationshipsRequest(StrictModel):
    relationships: list[PermissionRequest] = Field(
        description="At most 1000 relationships", json_schema_extra={"maxItems": MAX_BATCH_SIZE}
    )


class WriteRelationshipsResult(BaseModel):
    written: int = Field(description="Relationships newly stored")
    unchanged: int = Field(description="Relationships that already existed")
    revision: int


class DeleteRelationshipsRequest(StrictModel):
    object_type: ObjectTypeName = "file"
    object_id: AnyPath | None = Field(default=None, description="Path of the object")
    relation: RelationName | None = None
    subject_type: SubjectTypeName | None = None
    subject_id: SubjectId | None = None


class DeleteRelationshipsResult(BaseModel):
    deleted: int
    revision: int


# --- explain ----------------------------------------------------------------------------


class ExplainResult(BaseModel):
    """Why a check (same request as /permissions/check) answers what it does."""

    allowed: bool = Field(description="Always the answer /permissions/check gives")
    summary: str = Field(description="One readable sentence")
    steps: list[str] = Field(
        default_factory=list, description="Allowed: the granting chain, from subject to object"
    )
    tried: list[str] = Field(
        default_factory=list,
        description="Denied: what was evaluated and why it failed, indented as a tree",
    )
    missing: str | None = Field(default=None, description="Denied: the nearest missing link")
    revision: int = Field(description="The relationship revision it was evaluated at")


# --- groups -----------------------------------------------------------------------------


class GroupCreate(StrictModel):
    name: Name
    description: Annotated[str, text(500)] = ""


class GroupInfo(BaseModel):
    name: str
    description: str
    created: str
    created_by: str
    members: list[str] = Field(description="Direct members as 'user:bob' or 'group:dev'")


class GroupChange(GroupInfo):
    """GroupInfo after a change of the group's relationships (creating it, adding or removing
    a member) and the relationship revision as of that change, like GrantResult's."""

    revision: int


class GroupList(BaseModel):
    groups: list[GroupInfo]


class GroupMemberRequest(StrictModel):
    subject_type: SubjectType = "user"
    subject_id: Name = Field(description="A user id or a group name")


# --- locks ------------------------------------------------------------------------------

# Any JSON value: the service checks ttls and tokens itself, so a string or a bool gets the
# same stable error code (invalid_ttl, invalid_token) over HTTP as embedded.
LockTtl = Annotated[
    Any,
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
    Field(description="Seconds until the lock expires (at most the server's max_lock_ttl)"),
]
LockToken = Annotated[
    Any, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_TOKEN_CHARS})
]


class LockRequest(StrictModel):
    path: AnyPath
    ttl: LockTtl


class ExtendLockRequest(StrictModel):
    path: AnyPath
    token: LockToken
    ttl: LockTtl


class UnlockRequest(StrictModel):
    path: AnyPath
    token: Annotated[
        Any,
        WithJsonSchema({"type": ["string", "null"], "minLength": 1, "maxLength": MAX_TOKEN_CHARS}),
        Field(description="The lock's token; null lets an admin break someone else's lock"),
    ] = None


class LockInfo(BaseModel):
    path: str
    locked: bool
    holder: str | None = Field(description="Who holds the lock; null when not locked")
    created: str | None
    expires: str | None


class NewLock(LockInfo):
    """A lock just taken: LockInfo plus the token, shown only to its holder, only now."""

    token: str


class Unlocked(BaseModel):
    path: str
    unlocked: bool = True


# --- sessions ---------------------------------------------------------------------------


class SessionCreate(StrictModel):
    name: Annotated[str, text(200, blank=False)]
    description: Annotated[str, text(1000)] | None = None
    ttl: TtlSeconds | None = Field(default=None, description="Seconds until the session expires")


class SessionInfo(BaseModel):
    id: str
    name: str
    description: str | None
    created: str
    expires: str | None
    user_id: str
    path: str


class SessionList(BaseModel):
    sessions: list[SessionInfo]


# --- admin: users and keys --------------------------------------------------------------


class UserCreate(StrictModel):
    id: Name
    name: Annotated[str, text(200, blank=False)]
    email: Email
    admin: bool = False


class UserInfo(BaseModel):
    id: str
    name: str
    email: str
    is_admin: bool
    disabled: bool
    created: str


class UserList(BaseModel):
    users: list[UserInfo]


class UserUpdate(StrictModel):
    disabled: bool | None = None
    admin: bool | None = None


class KeyCreate(StrictModel):
    description: Annotated[str, text(500)] = ""
    expires_in: TtlSeconds | None = Field(default=None, description="Seconds until the key expires")


class KeyInfo(BaseModel):
    id: str
    user_id: str
    prefix: str
    description: str
    created: str
    expires: str | None
    revoked: bool


class NewKey(BaseModel):
    key: str = Field(description="The API key; shown only in this response")
    info: KeyInfo


class KeyList(BaseModel):
    keys: list[KeyInfo]
