"""Shifts and do-not-disturb: each member's working pattern, and the DMs held for it.

Revision ID: 0011_shifts
Revises: 0008_decisions
Create Date: 2026-12-08

working_pattern holds what a member set on the App Home (one row per team they are in);
shift_hold records when a scheduled DM was decided to go (or that it will not, off shift until
its deadline), so a restart neither sends it early nor forgets it. New statuses (``off_shift``
on a check-in prompt, an advice request, an objection round's ask) are plain strings: no change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_shifts"
down_revision: str | Sequence[str] | None = "0009_retros"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create working_pattern and shift_hold with their indexes."""
    op.create_table(
        "working_pattern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("starts", sa.String(), nullable=False),
        sa.Column("ends", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_working_pattern_team_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_pattern")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_working_pattern_team_id_user_id")),
    )
    op.create_index(op.f("ix_working_pattern_user_id"), "working_pattern", ["user_id"])
    op.create_table(
        "shift_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("send_at", sa.DateTime(), nullable=True),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_shift_hold_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_hold")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_shift_hold_kind_ref_id")),
    )
    op.create_index(op.f("ix_shift_hold_user_id"), "shift_hold", ["user_id"])
    op.create_index(op.f("ix_shift_hold_team_id"), "shift_hold", ["team_id"])
    op.create_index(op.f("ix_shift_hold_decided_at"), "shift_hold", ["decided_at"])


def downgrade() -> None:
    """Drop both tables."""
    for table in ("shift_hold", "working_pattern"):
        op.drop_table(table)
