"""Check-ins: the teller's consent to share their story beyond the team (issue 20).

Revision ID: 0013_story_consent
Revises: 0012_roles
Create Date: 2026-12-01

The organisation report shows a story only when its teller ticked "my story may be shared
beyond the team" in the check-in. Off by default, so every story told before stays in its team.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_story_consent"
down_revision: str | Sequence[str] | None = "0012_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add checkin_response.story_beyond_team, false for every answer already given."""
    with op.batch_alter_table("checkin_response") as batch:
        batch.add_column(
            sa.Column("story_beyond_team", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("checkin_response") as batch:
        batch.drop_column("story_beyond_team")
