"""Tensions to closure: who triaged a tension and on which meeting's agenda; agenda messages.

Revision ID: 0002_tensions
Revises: 0001
Create Date: 2026-11-27

``tension.triaged_by`` names who triaged it (a stale Triage button says so),
``tension.triaged_round_id`` the check-in round whose agenda it was triaged on, and
``ix_tension_owner`` finds a person's next actions and projects. ``checkin_round.agenda_messages``
remembers the agenda's thread replies, so posting again updates them instead of adding more.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_tensions"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns, the foreign key and the owner index."""
    with op.batch_alter_table("checkin_round") as batch:
        batch.add_column(
            sa.Column("agenda_messages", sa.JSON(), nullable=False, server_default="{}")
        )
    with op.batch_alter_table("tension") as batch:
        batch.add_column(sa.Column("triaged_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("triaged_round_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_tension_triaged_round_id_checkin_round"),
            "checkin_round",
            ["triaged_round_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_tension_owner"), ["owner"])


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("tension") as batch:
        batch.drop_index(op.f("ix_tension_owner"))
        batch.drop_constraint(op.f("fk_tension_triaged_round_id_checkin_round"), type_="foreignkey")
        batch.drop_column("triaged_round_id")
        batch.drop_column("triaged_by")
    with op.batch_alter_table("checkin_round") as batch:
        batch.drop_column("agenda_messages")
