"""Tensions: the request that raised one, unique, in place of a separate claim row.

Revision ID: 0007_tension_request_key
Revises: 0006_retention
Create Date: 2026-11-27

Storing a tension from its modal used to insert a processed_event row first, so that a double
submission stored one tension; the tension's own unique request_key now decides, and the
submission costs one statement fewer (issue 9's ack throughput). Tensions raised before keep
None, which the unique index allows any number of.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_tension_request_key"
down_revision: str | Sequence[str] | None = "0006_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add tension.request_key with its unique index."""
    op.add_column("tension", sa.Column("request_key", sa.String(), nullable=True))
    op.create_index("ix_tension_request_key", "tension", ["request_key"], unique=True)


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("ix_tension_request_key", table_name="tension")
    with op.batch_alter_table("tension") as batch:
        batch.drop_column("request_key")
