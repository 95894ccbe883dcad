"""Messages Slack refused: triage DMs, shared appreciations and agendas (issue 15, item 12).

Revision ID: 0015_refused_delivery
Revises: 0014_member_erasure
Create Date: 2026-12-06

One row per refusal: the team, what the message was, Slack's error and when. No text and no
recipient: `retrobot status` counts them per team and kind.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_refused_delivery"
down_revision: str | Sequence[str] | None = "0014_member_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the refused_delivery table."""
    op.create_table(
        "refused_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("refused_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_refused_delivery_team_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_delivery")),
    )
    op.create_index(op.f("ix_refused_delivery_team_id"), "refused_delivery", ["team_id"])
    op.create_index(op.f("ix_refused_delivery_refused_at"), "refused_delivery", ["refused_at"])


def downgrade() -> None:
    """Drop the refused_delivery table."""
    op.drop_index(op.f("ix_refused_delivery_refused_at"), table_name="refused_delivery")
    op.drop_index(op.f("ix_refused_delivery_team_id"), table_name="refused_delivery")
    op.drop_table("refused_delivery")
