"""Roles and circles: a team's roles, their holders and history, turns at meetings, tensions
about a role; what a circle posts once.

Revision ID: 0012_roles
Revises: 0008_decisions (for now: the integrator chains it after 0011_shifts)
Create Date: 2026-12-06

``role`` (seeded once per team from app.yaml: its ``seed`` changes say it was), its holders
(``role_holder``), every change with the decision that made it (``role_change``, unique per role
and decision so a decision applied twice changes a role once), who holds a rotating role for
each meeting (``role_turn``, unique per role and meeting: a restart rotates nothing twice), and
the role a tension was raised about (``tension_role``), and the messages a circle posts once
(``circle_notice``: its issues in common under an agenda, its decisions in member channels).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_roles"
down_revision: str | Sequence[str] | None = "0011_shifts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the roles tables and their indexes."""
    op.create_table(
        "role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("accountabilities", sa.JSON(), nullable=False),
        sa.Column("expertise", sa.JSON(), nullable=False),
        sa.Column("rotation", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_role_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_role_team_id_key")),
    )
    op.create_table(
        "role_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("meeting_date", sa.Date(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["role.id"], name=op.f("fk_role_change_role_id_role")),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_role_change_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_change")),
        sa.UniqueConstraint(
            "role_id", "decision_id", name=op.f("uq_role_change_role_id_decision_id")
        ),
    )
    op.create_index(op.f("ix_role_change_role_id"), "role_change", ["role_id"], unique=False)
    op.create_index(
        "ix_role_change_team_id_changed_at", "role_change", ["team_id", "changed_at"], unique=False
    )
    op.create_table(
        "role_holder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["role.id"], name=op.f("fk_role_holder_role_id_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_holder")),
        sa.UniqueConstraint("role_id", "user_id", name=op.f("uq_role_holder_role_id_user_id")),
    )
    op.create_index(op.f("ix_role_holder_user_id"), "role_holder", ["user_id"], unique=False)
    op.create_table(
        "role_turn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("meeting_at", sa.DateTime(), nullable=False),
        sa.Column("holder", sa.String(), nullable=True),
        sa.Column("previous", sa.String(), nullable=True),
        sa.Column("rotated", sa.Boolean(), nullable=False),
        sa.Column("kept_reason", sa.String(), nullable=True),
        sa.Column("announce_status", sa.String(length=32), nullable=True),
        sa.Column("announced_ts", sa.String(), nullable=True),
        sa.Column("brief_status", sa.String(length=32), nullable=True),
        sa.Column("briefed_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["role.id"], name=op.f("fk_role_turn_role_id_role")),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_role_turn_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_turn")),
        sa.UniqueConstraint(
            "role_id", "meeting_date", name=op.f("uq_role_turn_role_id_meeting_date")
        ),
    )
    op.create_index(op.f("ix_role_turn_team_id"), "role_turn", ["team_id"], unique=False)
    op.create_table(
        "tension_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tension_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["role_id"], ["role.id"], name=op.f("fk_tension_role_role_id_role")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_tension_role_team_id_team")
        ),
        sa.ForeignKeyConstraint(
            ["tension_id"], ["tension.id"], name=op.f("fk_tension_role_tension_id_tension")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tension_role")),
        sa.UniqueConstraint("tension_id", name=op.f("uq_tension_role_tension_id")),
    )
    op.create_index(op.f("ix_tension_role_role_id"), "tension_role", ["role_id"], unique=False)
    op.create_index(op.f("ix_tension_role_team_id"), "tension_role", ["team_id"], unique=False)
    # Circles (bot/circles): what a circle posts once.
    op.create_table(
        "circle_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("ts", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["team.id"], name=op.f("fk_circle_notice_circle_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_notice")),
        sa.UniqueConstraint(
            "circle_id", "kind", "key", name=op.f("uq_circle_notice_circle_id_kind_key")
        ),
    )


def downgrade() -> None:
    """Drop the roles tables."""
    for table in (
        "circle_notice",
        "tension_role",
        "role_turn",
        "role_holder",
        "role_change",
        "role",
    ):
        op.drop_table(table)
