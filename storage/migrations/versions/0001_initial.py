"""Create every table of retrobot's first schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Spell every column out here: a migration must not import storage.models, so that it stays
valid as the models change. Datetimes are naive UTC (storage.types.UTCDateTime); statuses are
plain strings (storage.types.StrEnumType); constraint names follow storage.models' convention.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = sa.String(length=32)


def upgrade() -> None:
    """Create every table, constraint and index."""
    op.create_table(
        "team",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
    )

    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("timezone", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("away_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_member_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_member_team_id_user_id")),
    )
    op.create_index(op.f("ix_member_user_id"), "member", ["user_id"])

    op.create_table(
        "coach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_coach_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_coach_team_id_user_id")),
    )
    op.create_index(op.f("ix_coach_user_id"), "coach", ["user_id"])

    op.create_table(
        "checkin_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("meeting_at", sa.DateTime(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("agenda_channel", sa.String(), nullable=True),
        sa.Column("agenda_ts", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_checkin_round_team_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_round")),
        sa.UniqueConstraint(
            "team_id", "meeting_date", name=op.f("uq_checkin_round_team_id_meeting_date")
        ),
    )

    op.create_table(
        "checkin_prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["checkin_round.id"],
            name=op.f("fk_checkin_prompt_round_id_checkin_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_prompt")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_checkin_prompt_round_id_user_id")),
    )

    op.create_table(
        "checkin_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("metric_values", sa.JSON(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("mood BETWEEN 1 AND 5", name=op.f("ck_checkin_response_mood_range")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["checkin_round.id"],
            name=op.f("fk_checkin_response_round_id_checkin_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_response")),
        sa.UniqueConstraint(
            "round_id", "user_id", name=op.f("uq_checkin_response_round_id_user_id")
        ),
    )

    op.create_table(
        "tension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("raised_by", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("source_permalink", sa.String(), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("outcome", STATUS, nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("triage_note", sa.Text(), nullable=False),
        sa.Column("governance", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("needs_met", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("triaged_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_tension_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tension")),
    )
    op.create_index(op.f("ix_tension_team_id_status"), "tension", ["team_id", "status"])
    op.create_index(op.f("ix_tension_raised_by"), "tension", ["raised_by"])
    op.create_index(op.f("ix_tension_created_at"), "tension", ["created_at"])

    op.create_table(
        "feedback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("requester", sa.String(), nullable=False),
        sa.Column("about", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_feedback_request_team_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_request")),
    )
    op.create_index(op.f("ix_feedback_request_requester"), "feedback_request", ["requester"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("giver", sa.String(), nullable=True),
        sa.Column("receiver", sa.String(), nullable=False),
        sa.Column("kind", STATUS, nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("dm_channel", sa.String(), nullable=True),
        sa.Column("dm_ts", sa.String(), nullable=True),
        sa.Column("thanked_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_feedback_team_id_team")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["feedback_request.id"],
            name=op.f("fk_feedback_request_id_feedback_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(op.f("ix_feedback_team_id"), "feedback", ["team_id"])
    op.create_index(op.f("ix_feedback_receiver"), "feedback", ["receiver"])
    op.create_index(op.f("ix_feedback_created_at"), "feedback", ["created_at"])

    op.create_table(
        "feedback_request_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("dm_ts", sa.String(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["feedback_request.id"],
            name=op.f("fk_feedback_request_recipient_request_id_feedback_request"),
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_request_recipient_feedback_id_feedback"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_request_recipient")),
        sa.UniqueConstraint(
            "request_id", "user_id", name=op.f("uq_feedback_request_recipient_request_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_feedback_request_recipient_user_id"), "feedback_request_recipient", ["user_id"]
    )

    op.create_table(
        "sent_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", STATUS, nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("iso_week", sa.String(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_sent_digest_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_digest")),
        sa.UniqueConstraint(
            "kind",
            "recipient",
            "team_id",
            "iso_week",
            name=op.f("uq_sent_digest_kind_recipient_team_id_iso_week"),
        ),
    )
    op.create_index(op.f("ix_sent_digest_team_id"), "sent_digest", ["team_id"])

    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_event")),
    )
    op.create_index(op.f("ix_processed_event_received_at"), "processed_event", ["received_at"])

    op.create_table(
        "scheduler_lock",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lock")),
    )


def downgrade() -> None:
    """Drop every table (and with them their indexes), dependants first."""
    for table in (
        "scheduler_lock",
        "processed_event",
        "sent_digest",
        "feedback_request_recipient",
        "feedback",
        "feedback_request",
        "tension",
        "checkin_response",
        "checkin_prompt",
        "checkin_round",
        "coach",
        "member",
        "team",
    ):
        op.drop_table(table)
