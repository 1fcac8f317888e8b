"""Every table Nexus keeps, in SQLAlchemy Core.

Timestamps are float seconds since the epoch (UTC): they compare and sort the same on SQLite
and PostgreSQL and convert without time-zone surprises.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

# 64-bit ids on PostgreSQL; SQLite only autoincrements a column declared INTEGER.
Id = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# --- identity ---------------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # HMAC-SHA256 of the whole key under the server secret; the key itself is never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(32), nullable=False),
    Column("description", String(500), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Index("ix_api_keys_user_id", "user_id"),
)

groups = Table(
    "groups",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("description", String(500), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(64), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    # No foreign key: the built-in system identity (not a users row) may own sessions too.
    Column("user_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", String(1000), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Index("ix_sessions_user_id", "user_id"),
)

# --- authz ------------------------------------------------------------------------------

relationships = Table(
    "relationships",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("object_type", String(64), nullable=False),
    Column("object_id", String(256), nullable=False),
    Column("relation", String(64), nullable=False),
    Column("subject_type", String(64), nullable=False),
    Column("subject_id", String(256), nullable=False),
    # '' when the subject is a plain object (user:bob); 'member' for group:dev#member.
    Column("subject_relation", String(64), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("expires_at", Float, nullable=True),
    UniqueConstraint(
        "object_type",
        "object_id",
        "relation",
        "subject_type",
        "subject_id",
        "subject_relation",
        name="uq_relationships_tuple",
    ),
    # Walks from a subject upwards (its groups) and list_objects ask by subject and relation
    # (migration 0002).
    Index(
        "ix_relationships_subject",
        "subject_type",
        "subject_id",
        "subject_relation",
        "relation",
        "object_type",
    ),
    # Never reuse an id: a tuple must not outlive its row and reappear under a new one.
    sqlite_autoincrement=True,
)

# One row: bumped in the same transaction as every relationship write, so any process can
# tell whether its cached answers are still current.
authz_revision = Table(
    "authz_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False),
)

# --- metadata (the file tree) -----------------------------------------------------------

entries = Table(
    "entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "parent_id",
        Id,
        ForeignKey("entries.id", ondelete="CASCADE"),
        nullable=True,
    ),
    Column("name", String(255), nullable=False),
    Column("kind", String(8), nullable=False),  # 'file' or 'dir'
    Column("restricted", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=0),
    Column("size", BigInteger, nullable=False, default=0),
    Column("blob_hash", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=False),
    # Who owned the entry when it was made: its creator, or the user whose inbox it is in.
    Column("owner", String(64), nullable=False),
    UniqueConstraint("parent_id", "name", name="uq_entries_parent_name"),
    # Stable ids are never reused: grants hang on them.
    sqlite_autoincrement=True,
)

versions = Table(
    "versions",
    metadata,
    Column(
        "entry_id",
        Id,
        ForeignKey("entries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version", Integer, primary_key=True),
    Column("blob_hash", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_versions_blob_hash", "blob_hash"),
)

# At most one lock per file, on its stable id: it follows renames and dies with the entry
# (migration 0003). A row whose expires_at has passed is free to be replaced.
locks = Table(
    "locks",
    metadata,
    Column(
        "entry_id",
        Id,
        ForeignKey("entries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # SHA-256 of the token: the token itself is shown once, to the holder, and never stored.
    Column("token_hash", String(64), nullable=False),
    Column("holder", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_locks_holder", "holder"),
)

# --- activity log (migration 0004) --------------------------------------------------------

# Paths compare byte by byte on both databases (PostgreSQL's "C" collation; SQLite's default
# BINARY), so "every path under /a" is the index range ["/a/", "/a0").
ActivityPath = String(4096).with_variant(String(4096, collation="C"), "postgresql")

# One row per mutation (committed with it) and per refused attempt (see
# nexus.files.activity). No foreign keys: events outlive the entries, users and keys they name.
activity = Table(
    "activity",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("time", Float, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("key_id", String(32), nullable=True),
    Column("action", String(32), nullable=False),
    Column("outcome", String(32), nullable=False),
    # The path as it was (a move's source), and a move's destination.
    Column("path", ActivityPath, nullable=True),
    Column("target", ActivityPath, nullable=True),
    # The entry acted on and the folder it was in then: who may read both now sees the event.
    Column("entry_id", Id, nullable=True),
    Column("parent_id", Id, nullable=True),
    # Small JSON object: version, size, relation, subject, error code...
    Column("details", String(2000), nullable=False, default="{}"),
    Index("ix_activity_path", "path", "id"),
    Index("ix_activity_actor", "actor", "id"),
    Index("ix_activity_time", "time"),
    # Monotonic and never reused: the id is the pagination cursor.
    sqlite_autoincrement=True,
)
