"""A migrated database (SQLite, and PostgreSQL where TEST_DATABASE_URL is set) holding the
seeded organisation of seed.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from storage.db import make_engine, migrate, session_factory
from tests.bot.member_data.seed import seed


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The seeded organisation's database."""
    engine = make_engine(database_url)
    migrate(engine)
    with session_factory(engine)() as session:
        seed(session)
    yield engine
    engine.dispose()
