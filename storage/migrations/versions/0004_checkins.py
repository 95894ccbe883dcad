"""Check-in rounds: claiming a prompt, deferring it past the night, the reminder, team questions.

Revision ID: 0004_checkins
Revises: 0003_digests
Create Date: 2026-11-27

``checkin_prompt.claimed_at`` marks the moment a process took a prompt to post its DM (status
``sending``), so two processes never post the same DM and a claim left by a process that died
is reconciled with Slack before anything is posted again. ``checkin_prompt.not_before`` holds a
DM back until a sensible hour in a member's own time zone; ``checkin_prompt.reminder_ts`` is the
reminder's message, updated with the DM once the member answers. ``checkin_response.answers``
keeps the answers to a team's own questions (app.yaml ``questions``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_checkins"
down_revision: str | Sequence[str] | None = "0003_digests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns."""
    with op.batch_alter_table("checkin_prompt") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("not_before", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("reminder_ts", sa.String(), nullable=True))
    with op.batch_alter_table("checkin_response") as batch:
        batch.add_column(sa.Column("answers", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("checkin_response") as batch:
        batch.drop_column("answers")
    with op.batch_alter_table("checkin_prompt") as batch:
        batch.drop_column("reminder_ts")
        batch.drop_column("not_before")
        batch.drop_column("claimed_at")
