"""index relationships by subject, relation and object type

The permission engine walks tuples upwards from a subject (bob -> his groups -> theirs) and
list_objects walks them in reverse ("which files name these groups as can_read"). Both ask
by subject *and* relation; the old (subject_type, subject_id) index made them read every
tuple naming the subject (thousands for an active user) and filter afterwards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 17:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = ["subject_type", "subject_id", "subject_relation", "relation", "object_type"]


def upgrade() -> None:
    with op.batch_alter_table("relationships", schema=None) as batch_op:
        batch_op.drop_index("ix_relationships_subject")
        batch_op.create_index("ix_relationships_subject", _COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("relationships", schema=None) as batch_op:
        batch_op.drop_index("ix_relationships_subject")
        batch_op.create_index(
            "ix_relationships_subject", ["subject_type", "subject_id"], unique=False
        )
