"""Deciding: proposals, their amendments, advice, the objection round, and the decision log.

Revision ID: 0008_decisions
Revises: 0007_tension_request_key
Create Date: 2026-12-06

One row per proposal (posted once in the team channel, updated in place); one per amendment;
one per person asked for advice and one per member in an integrated decision's objection round
(each with its DM's delivery, claimed before it is posted, so a restart never asks twice); one
per adopted decision, with its review date. Every foreign key is the first column of an index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_decisions"
down_revision: str | Sequence[str] | None = "0007_tension_request_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = sa.String(length=32)


def _delivery_columns() -> list[sa.Column]:
    """The columns of a DM that asks one person (advice, objection round)."""
    return [
        sa.Column("status", STATUS, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("dm_channel", sa.String(), nullable=True),
        sa.Column("dm_ts", sa.String(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    """Create the proposal, proposal_amendment, advice, objection and decision tables."""
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("proposer", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("method", STATUS, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decide_by", sa.Date(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("ask_teams", sa.JSON(), nullable=False),
        sa.Column("ask_roles", sa.JSON(), nullable=False),
        sa.Column("tension_id", sa.Integer(), nullable=True),
        sa.Column("source_permalink", sa.String(), nullable=True),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.Column("round_closed_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("request_key", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_proposal_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
    )
    op.create_index(op.f("ix_proposal_decide_by"), "proposal", ["decide_by"])
    op.create_index(op.f("ix_proposal_proposer"), "proposal", ["proposer"])
    op.create_index("ix_proposal_request_key", "proposal", ["request_key"], unique=True)
    op.create_index(op.f("ix_proposal_status"), "proposal", ["status"])
    op.create_index("ix_proposal_team_id_status", "proposal", ["team_id", "status"])

    op.create_table(
        "proposal_amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decide_by", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_amendment_proposal_id_proposal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_amendment")),
        sa.UniqueConstraint(
            "proposal_id", "version", name=op.f("uq_proposal_amendment_proposal_id_version")
        ),
    )

    op.create_table(
        "advice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("from_team", sa.String(), nullable=True),
        sa.Column("coach", sa.Boolean(), nullable=False),
        *_delivery_columns(),
        sa.Column("answer", STATUS, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_version", sa.Integer(), nullable=True),
        sa.Column("earlier", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_advice_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advice")),
        sa.UniqueConstraint("proposal_id", "user_id", name=op.f("uq_advice_proposal_id_user_id")),
    )
    op.create_index(op.f("ix_advice_status"), "advice", ["status"])
    op.create_index(op.f("ix_advice_user_id"), "advice", ["user_id"])

    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        *_delivery_columns(),
        sa.Column("asked_version", sa.Integer(), nullable=False),
        sa.Column("answer", STATUS, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_version", sa.Integer(), nullable=True),
        sa.Column("objection", sa.Text(), nullable=False),
        sa.Column("objected_at", sa.DateTime(), nullable=True),
        sa.Column("objected_version", sa.Integer(), nullable=True),
        sa.Column("resolution", STATUS, nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_objection_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
        sa.UniqueConstraint(
            "proposal_id", "user_id", name=op.f("uq_objection_proposal_id_user_id")
        ),
    )
    op.create_index(op.f("ix_objection_status"), "objection", ["status"])
    op.create_index(op.f("ix_objection_user_id"), "objection", ["user_id"])

    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("kind", STATUS, nullable=False),
        sa.Column("role_id", sa.String(), nullable=True),
        sa.Column("method", STATUS, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("shaped_by", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("unanswered", sa.JSON(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("review_tension_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_decision_proposal_id_proposal")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_decision_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_decision_proposal_id")),
    )
    op.create_index(op.f("ix_decision_decided_at"), "decision", ["decided_at"])
    op.create_index(op.f("ix_decision_review_date"), "decision", ["review_date"])
    op.create_index(op.f("ix_decision_team_id"), "decision", ["team_id"])


def downgrade() -> None:
    """Drop the tables, children first."""
    for table in ("decision", "objection", "advice", "proposal_amendment", "proposal"):
        op.drop_table(table)
