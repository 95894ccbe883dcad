"""Weekly summaries and coach digests: keep what each recipient read.

Revision ID: 0003_digests
Revises: 0002_tensions
Create Date: 2026-11-27

``sent_digest.body`` holds the text (mrkdwn) a coach received about one team, or the team
summary as posted, so `/retro digest` shows a team exactly what its coaches were sent. Rows
written before this migration get an empty body.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_digests"
down_revision: str | Sequence[str] | None = "0002_tensions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add sent_digest.body."""
    with op.batch_alter_table("sent_digest") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop sent_digest.body."""
    with op.batch_alter_table("sent_digest") as batch:
        batch.drop_column("body")
