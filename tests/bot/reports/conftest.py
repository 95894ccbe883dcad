"""Fixtures for the organisation report: the seeded organisation on each database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from bot.core.config import AppConfig
from storage.db import make_engine, migrate, session_factory
from tests.bot.reports.seed import Seeded, report_config, seed


@pytest.fixture
def org() -> AppConfig:
    """The seeded organisation's configuration."""
    return report_config()


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A session on a freshly migrated database (SQLite, or PostgreSQL where configured)."""
    engine = make_engine(database_url)
    migrate(engine)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def seeded(session: Session, org: AppConfig) -> Seeded:
    """Three weeks of the organisation's history, written."""
    return seed(session, org)
