"""A person's own data: the record of each `retrobot forget`.

Revision ID: 0014_member_erasure
Revises: 0013_story_consent
Create Date: 2026-12-10

One row per erasure: who ran it, when, a hash of the member's Slack id (never the id) and how
many rows of each table it changed. No content, no foreign key: it outlives every team's rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_member_erasure"
down_revision: str | Sequence[str] | None = "0013_story_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the member_erasure table."""
    op.create_table(
        "member_erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_hash", sa.String(), nullable=False),
        sa.Column("run_by", sa.String(), nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_erasure")),
    )
    op.create_index(op.f("ix_member_erasure_member_hash"), "member_erasure", ["member_hash"])


def downgrade() -> None:
    """Drop the member_erasure table."""
    op.drop_index(op.f("ix_member_erasure_member_hash"), table_name="member_erasure")
    op.drop_table("member_erasure")
