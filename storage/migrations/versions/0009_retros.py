"""Retrospective and team health: retrospectives, who took part, reflections, votes, health
answers, and the improvements they became.

Revision ID: 0009_retros
Revises: 0008_decisions
Create Date: 2026-11-28

Who took part (retro_participant) is a table apart from what anyone wrote (reflection,
health_answer), so that once reflection closes nothing links an anonymous reflection to its
author. retrospective.in_progress_team (the team's id until it closes, unique) keeps one
retrospective in progress per team.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_retros"
down_revision: str | Sequence[str] | None = "0008_decisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the six retrospective tables and their indexes."""
    op.create_table(
        "retrospective",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("in_progress_team", sa.String(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("health_questions", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("reflection_closes_at", sa.DateTime(), nullable=False),
        sa.Column("reflection_closed_at", sa.DateTime(), nullable=True),
        sa.Column("voting_closes_at", sa.DateTime(), nullable=True),
        sa.Column("voting_closed_at", sa.DateTime(), nullable=True),
        sa.Column("reflect_reminders_at", sa.DateTime(), nullable=True),
        sa.Column("vote_reminders_at", sa.DateTime(), nullable=True),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("chart_posted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_retrospective_team_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrospective")),
        sa.UniqueConstraint("in_progress_team", name=op.f("uq_retrospective_in_progress_team")),
    )
    op.create_index(op.f("ix_retrospective_status"), "retrospective", ["status"])
    op.create_index("ix_retrospective_team_id_opened_at", "retrospective", ["team_id", "opened_at"])
    op.create_table(
        "health_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(), nullable=True),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_health_answer_score_range")),
        sa.ForeignKeyConstraint(
            ["retro_id"],
            ["retrospective.id"],
            name=op.f("fk_health_answer_retro_id_retrospective"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_answer")),
        sa.UniqueConstraint(
            "retro_id",
            "author",
            "question",
            name=op.f("uq_health_answer_retro_id_author_question"),
        ),
    )
    op.create_index(op.f("ix_health_answer_retro_id"), "health_answer", ["retro_id"])
    op.create_table(
        "reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["retro_id"], ["retrospective.id"], name=op.f("fk_reflection_retro_id_retrospective")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection")),
    )
    op.create_index(op.f("ix_reflection_retro_id"), "reflection", ["retro_id"])
    op.create_table(
        "retro_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("dm_channel", sa.String(), nullable=True),
        sa.Column("dm_ts", sa.String(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reflected", sa.Boolean(), nullable=False),
        sa.Column("voted", sa.Boolean(), nullable=False),
        sa.Column("reflect_reminded", sa.Boolean(), nullable=False),
        sa.Column("vote_reminded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["retro_id"],
            ["retrospective.id"],
            name=op.f("fk_retro_participant_retro_id_retrospective"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_participant")),
        sa.UniqueConstraint(
            "retro_id", "user_id", name=op.f("uq_retro_participant_retro_id_user_id")
        ),
    )
    op.create_index(op.f("ix_retro_participant_user_id"), "retro_participant", ["user_id"])
    op.create_table(
        "retro_improvement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("reflection_id", sa.Integer(), nullable=False),
        sa.Column("tension_id", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reflection_id"],
            ["reflection.id"],
            name=op.f("fk_retro_improvement_reflection_id_reflection"),
        ),
        sa.ForeignKeyConstraint(
            ["retro_id"],
            ["retrospective.id"],
            name=op.f("fk_retro_improvement_retro_id_retrospective"),
        ),
        sa.ForeignKeyConstraint(
            ["tension_id"], ["tension.id"], name=op.f("fk_retro_improvement_tension_id_tension")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_improvement")),
        sa.UniqueConstraint(
            "retro_id", "reflection_id", name=op.f("uq_retro_improvement_retro_id_reflection_id")
        ),
    )
    op.create_index(op.f("ix_retro_improvement_retro_id"), "retro_improvement", ["retro_id"])
    op.create_index(
        op.f("ix_retro_improvement_reflection_id"), "retro_improvement", ["reflection_id"]
    )
    op.create_index(op.f("ix_retro_improvement_tension_id"), "retro_improvement", ["tension_id"])
    op.create_table(
        "retro_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("reflection_id", sa.Integer(), nullable=False),
        sa.Column("voter", sa.String(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.CheckConstraint("slot BETWEEN 1 AND 3", name=op.f("ck_retro_vote_slot_range")),
        sa.ForeignKeyConstraint(
            ["reflection_id"],
            ["reflection.id"],
            name=op.f("fk_retro_vote_reflection_id_reflection"),
        ),
        sa.ForeignKeyConstraint(
            ["retro_id"], ["retrospective.id"], name=op.f("fk_retro_vote_retro_id_retrospective")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_vote")),
        sa.UniqueConstraint(
            "reflection_id", "voter", name=op.f("uq_retro_vote_reflection_id_voter")
        ),
        sa.UniqueConstraint(
            "retro_id", "voter", "slot", name=op.f("uq_retro_vote_retro_id_voter_slot")
        ),
    )
    op.create_index(op.f("ix_retro_vote_retro_id"), "retro_vote", ["retro_id"])


def downgrade() -> None:
    """Drop the tables, newest first."""
    op.drop_index(op.f("ix_retro_vote_retro_id"), table_name="retro_vote")
    op.drop_table("retro_vote")
    for index in ("tension_id", "reflection_id", "retro_id"):
        op.drop_index(op.f(f"ix_retro_improvement_{index}"), table_name="retro_improvement")
    op.drop_table("retro_improvement")
    op.drop_index(op.f("ix_retro_participant_user_id"), table_name="retro_participant")
    op.drop_table("retro_participant")
    op.drop_index(op.f("ix_reflection_retro_id"), table_name="reflection")
    op.drop_table("reflection")
    op.drop_index(op.f("ix_health_answer_retro_id"), table_name="health_answer")
    op.drop_table("health_answer")
    op.drop_index("ix_retrospective_team_id_opened_at", table_name="retrospective")
    op.drop_index(op.f("ix_retrospective_status"), table_name="retrospective")
    op.drop_table("retrospective")
