"""Deciding: the role change a proposal asks for, applied when it is adopted.

Revision ID: 0016_proposal_role_change
Revises: 0015_refused_delivery
Create Date: 2026-12-06

``proposal.role_change`` holds what the proposal does to one of its team's roles (create,
change, assign or remove: the role's id and name, the new words, holders and rotation), or NULL
when it changes none. When the proposal is adopted the change is applied once and kept in
``role_change`` with the decision; when it could no longer be made (a holder left the team), the
reason is kept here beside it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_proposal_role_change"
down_revision: str | Sequence[str] | None = "0015_refused_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add proposal.role_change, NULL for every proposal made before."""
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("role_change", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("role_change")
