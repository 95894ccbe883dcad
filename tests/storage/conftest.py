"""Storage fixtures: an engine and a session on the migrated database of ``database_url``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import make_engine, migrate, session_factory


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
