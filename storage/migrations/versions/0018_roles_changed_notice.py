"""PostgreSQL announces each change to the roles: a NOTIFY on the channel retrobot_roles.

Revision ID: 0018_roles_changed_notice
Revises: 0017_decision_log_index
Create Date: 2026-12-07

The tension modal shows the roles of the person's teams, read on every `/tension`. A process
may now keep them between requests, for as long as the database has announced no change to
them (storage.watch, bot.roles.cache): after every statement that changes a role or who holds
one, whichever process or command runs it, these triggers send the schema's name on the channel
``retrobot_roles`` when the change commits. SQLite has no such announcements: nothing changes
there, and every `/tension` reads the roles as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_roles_changed_notice"
down_revision: str | Sequence[str] | None = "0017_decision_log_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "retrobot_roles"
TABLES = ("role", "role_holder")


def upgrade() -> None:
    """On PostgreSQL: a function that announces the change, and a trigger on each table."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION retrobot_roles_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_SCHEMA); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION retrobot_roles_changed()"
        )


def downgrade() -> None:
    """The triggers and the function gone."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_changed ON {table}")
    op.execute("DROP FUNCTION retrobot_roles_changed()")
