"""Peer feedback: find the requests due soon without reading them all.

Revision ID: 0005_feedback
Revises: 0004_checkins
Create Date: 2026-11-27

``ix_feedback_request_due_date`` lets the hourly reminder job pick the feedback requests due in
the next days out of years of them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_feedback"
down_revision: str | Sequence[str] | None = "0004_checkins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index feedback_request.due_date."""
    op.create_index(op.f("ix_feedback_request_due_date"), "feedback_request", ["due_date"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(op.f("ix_feedback_request_due_date"), table_name="feedback_request")
