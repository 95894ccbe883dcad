"""Alembic's entry point for retrobot: runs on the connection storage.db.migrate() hands over.

Run from the alembic command line instead, it connects to DATABASE_URL. It never configures
logging, so the application's own logging setup stays as it is.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.db import make_engine, render_migration_item

target_metadata = SQLModel.metadata


def run_migrations(connection: Connection) -> None:
    """Configure the migration context on ``connection`` and run the pending migrations."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_migration_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Use the connection handed over by storage.db.migrate(), or connect to DATABASE_URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    engine = make_engine(url or "sqlite:///retrobot.db")
    try:
        with engine.connect() as new_connection:
            run_migrations(new_connection)
            new_connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("retrobot's migrations run against a database; offline (--sql) mode is off.")
run_online()
