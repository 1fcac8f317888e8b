"""activity: the activity log (every mutation and every refused attempt)

Paths use the "C" collation on PostgreSQL so prefix queries are byte-ordered index ranges,
as on SQLite.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PATH = sa.String(length=4096).with_variant(sa.String(length=4096, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("time", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("path", _PATH, nullable=True),
        sa.Column("target", _PATH, nullable=True),
        sa.Column("entry_id", _ID, nullable=True),
        sa.Column("parent_id", _ID, nullable=True),
        sa.Column("details", sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index("ix_activity_path", ["path", "id"], unique=False)
        batch_op.create_index("ix_activity_actor", ["actor", "id"], unique=False)
        batch_op.create_index("ix_activity_time", ["time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_time")
        batch_op.drop_index("ix_activity_actor")
        batch_op.drop_index("ix_activity_path")
    op.drop_table("activity")
