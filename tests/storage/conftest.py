"""Database fixtures: each test gets a database of its own, on SQLite and on PostgreSQL.

``database_url`` runs a test twice, on a fresh SQLite file and, when TEST_DATABASE_URL names a
PostgreSQL server, in a fresh schema there (dropped afterwards), so tests stay repeatable and
may run side by side. Nothing here is specific to storage: these fixtures can move up to
tests/conftest.py as they are.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import make_engine, migrate, normalise_url, session_factory

TEST_DATABASE_URL_VARIABLE = "TEST_DATABASE_URL"


def _postgresql_schema_url(base_url: str, schema: str) -> str:
    """``base_url`` with every connection's search_path set to ``schema``."""
    url = normalise_url(base_url)
    options = " ".join(filter(None, [url.query.get("options"), f"-csearch_path={schema}"]))
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'retrobot.db'}"
        return
    base_url = os.environ.get(TEST_DATABASE_URL_VARIABLE)
    if not base_url:
        pytest.skip(f"{TEST_DATABASE_URL_VARIABLE} is not set")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base_url, pool_size=1)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield _postgresql_schema_url(base_url, schema)
        with admin.begin() as connection:
            # A connection the test forgot to close would otherwise make this wait for ever.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest schema."""
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session as the app opens them (objects stay readable after commit)."""
    with session_factory(engine)() as session:
        yield session
