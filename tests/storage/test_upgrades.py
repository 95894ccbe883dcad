"""Upgrades keep data: a database made by the first migration, full of rows, upgraded to the
newest schema, still holds every row with every value it had.

The rows below are written against revision 0001's tables (which never change), so every
migration added later runs over them: one that drops, rewrites or loses a value fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, select
from sqlmodel import Session, SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.db import alembic_config, make_engine, migrate
from tests.conftest import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (not the suite's migrated copy): these tests migrate it themselves."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


FIRST = "0001"
T = datetime(2026, 6, 1, 9, 0)  # stored as naive UTC, as storage.types.UTCDateTime writes it

FIRST_ROWS: dict[str, list[dict[str, Any]]] = {
    "team": [
        {
            "id": "north",
            "name": "North Neighbourhood Team",
            "channel": "C0NORTH",
            "timezone": "Europe/London",
            "active": True,
            "updated_at": T,
        },
        {
            "id": "south",
            "name": "South — “Ünïcode” & <team>",
            "channel": "C0SOUTH",
            "timezone": "America/New_York",
            "active": False,
            "updated_at": T,
        },
    ],
    "member": [
        {"id": 1, "team_id": "north", "user_id": "U0ANA", "name": "Ana", "timezone": None,
         "active": True, "away_until": None},
        {"id": 2, "team_id": "north", "user_id": "U0BEN", "name": None,
         "timezone": "Europe/Madrid", "active": False, "away_until": date(2026, 6, 9)},
        {"id": 3, "team_id": "south", "user_id": "U0ANA", "name": "Ana 😀", "timezone": None,
         "active": True, "away_until": None},
    ],
    "coach": [
        {"id": 1, "team_id": "north", "user_id": "U0COACH", "timezone": None, "active": True},
        {"id": 2, "team_id": "south", "user_id": "U0COACH", "timezone": "Europe/London",
         "active": False},
    ],
    "checkin_round": [
        {"id": 1, "team_id": "north", "meeting_date": date(2026, 6, 2),
         "meeting_at": datetime(2026, 6, 2, 9, 0), "opens_at": datetime(2026, 6, 1, 9, 0),
         "status": "closed", "created_at": T, "agenda_channel": "C0NORTH",
         "agenda_ts": "1780390800.000100"},
        {"id": 2, "team_id": "north", "meeting_date": date(2026, 6, 9),
         "meeting_at": datetime(2026, 6, 9, 9, 0), "opens_at": datetime(2026, 6, 8, 9, 0),
         "status": "open", "created_at": T, "agenda_channel": None, "agenda_ts": None},
    ],
    "checkin_prompt": [
        {"id": 1, "round_id": 1, "user_id": "U0ANA", "status": "answered", "channel": "D0ANA",
         "message_ts": "1780304400.000200", "error": None, "created_at": T,
         "sent_at": datetime(2026, 6, 1, 9, 0, 1), "reminded_at": None},
        {"id": 2, "round_id": 1, "user_id": "U0BEN", "status": "failed", "channel": None,
         "message_ts": None, "error": "user_disabled", "created_at": T, "sent_at": None,
         "reminded_at": None},
        {"id": 3, "round_id": 2, "user_id": "U0ANA", "status": "sent", "channel": "D0ANA",
         "message_ts": "1780909200.000300", "error": None, "created_at": T,
         "sent_at": datetime(2026, 6, 8, 9, 0, 2), "reminded_at": datetime(2026, 6, 8, 13, 0)},
    ],
    "checkin_response": [
        {"id": 1, "round_id": 1, "user_id": "U0ANA", "mood": 4,
         "note": "Tired but OK\nsecond line", "shared": True,
         "metric_values": {"visits": 31, "hours": 37.5}, "checklist": {"rota": True,
         "audit": False}, "progress": "Rota drafted", "story": "Mrs K smiled 😀",
         "created_at": T, "updated_at": T},
        {"id": 2, "round_id": 2, "user_id": "U0ANA", "mood": None, "note": "", "shared": False,
         "metric_values": {}, "checklist": {}, "progress": "", "story": "", "created_at": T,
         "updated_at": T},
    ],
    "tension": [
        {"id": 1, "team_id": "north", "raised_by": "U0ANA",
         "text": "<!channel> handovers & rota", "area": "Rota",
         "source_permalink": "https://example.slack.com/archives/C0NORTH/p1", "private": False,
         "status": "triaged", "outcome": "next_action", "owner": "U0BEN",
         "due_date": date(2026, 6, 16), "triage_note": "Ben drafts it", "governance": False,
         "done_at": None, "needs_met": True, "created_at": T,
         "triaged_at": datetime(2026, 6, 2, 9, 30), "resolved_at": None, "updated_at": T},
        {"id": 2, "team_id": "north", "raised_by": "U0BEN", "text": "Lone working at night",
         "area": "", "source_permalink": None, "private": True, "status": "open",
         "outcome": None, "owner": None, "due_date": None, "triage_note": "",
         "governance": True, "done_at": None, "needs_met": None, "created_at": T,
         "triaged_at": None, "resolved_at": None, "updated_at": T},
    ],
    "feedback_request": [
        {"id": 1, "team_id": "north", "requester": "U0ANA", "about": "My first triage",
         "due_date": date(2026, 6, 12), "created_at": T},
        {"id": 2, "team_id": None, "requester": "U0BEN", "about": "", "due_date": None,
         "created_at": T},
    ],
    "feedback": [
        {"id": 1, "team_id": "north", "giver": "U0BEN", "receiver": "U0ANA",
         "kind": "appreciation", "values": ["Compassion", "Trust"],
         "text": "Thank you for Friday", "shared": True, "anonymous": False, "request_id": 1,
         "dm_channel": "D0ANA", "dm_ts": "1780304400.000400",
         "thanked_at": datetime(2026, 6, 2, 8, 0), "created_at": T},
        {"id": 2, "team_id": None, "giver": None, "receiver": "U0BEN", "kind": "suggestion",
         "values": [], "text": "Maybe shorter notes?", "shared": False, "anonymous": True,
         "request_id": None, "dm_channel": None, "dm_ts": None, "thanked_at": None,
         "created_at": T},
    ],
    "feedback_request_recipient": [
        {"id": 1, "request_id": 1, "user_id": "U0BEN", "dm_ts": "1780304400.000500",
         "reminded_at": None, "answered_at": datetime(2026, 6, 1, 12, 0), "feedback_id": 1},
        {"id": 2, "request_id": 1, "user_id": "U0COACH", "dm_ts": None,
         "reminded_at": datetime(2026, 6, 3, 9, 0), "answered_at": None, "feedback_id": None},
    ],
    "sent_digest": [
        {"id": 1, "kind": "coach_digest", "recipient": "U0COACH", "team_id": "north",
         "iso_week": "2026-W23", "status": "sent", "message_ts": "1780304400.000600",
         "error": None, "created_at": T, "sent_at": datetime(2026, 6, 1, 7, 30)},
        {"id": 2, "kind": "team_summary", "recipient": "C0NORTH", "team_id": "north",
         "iso_week": "2026-W23", "status": "failed", "message_ts": None,
         "error": "not_in_channel", "created_at": T, "sent_at": None},
    ],
    "processed_event": [
        {"event_id": "Ev0001", "received_at": T},
        {"event_id": "tension:V0VIEW", "received_at": T},
    ],
    "scheduler_lock": [
        {"name": "scheduler", "holder": "host-1:4242", "expires_at": datetime(2026, 6, 1, 9, 1)},
    ],
}  # fmt: skip


@pytest.fixture
def first_engine(database_url: str) -> Iterator[Engine]:
    """A database migrated to the first revision only."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), FIRST)
        connection.commit()
    yield engine
    engine.dispose()


def reflected(engine: Engine) -> MetaData:
    metadata = MetaData()
    metadata.reflect(bind=engine)
    return metadata


def rows_of(engine: Engine, metadata: MetaData, name: str, columns: list[str]) -> list[dict]:
    table = metadata.tables[name]
    key = list(table.primary_key.columns)
    with engine.connect() as connection:
        found = connection.execute(select(*(table.c[c] for c in columns)).order_by(*key))
        return [dict(row) for row in found.mappings()]


def test_the_rows_fill_every_table_of_the_first_revision(first_engine: Engine) -> None:
    tables = set(reflected(first_engine).tables) - {"alembic_version"}
    assert set(FIRST_ROWS) == tables
    for name, rows in FIRST_ROWS.items():
        columns = set(reflected(first_engine).tables[name].columns.keys())
        assert all(set(row) == columns for row in rows), name


def fill(engine: Engine) -> None:
    """Insert FIRST_ROWS into the tables as the first revision made them."""
    with engine.begin() as connection:
        for table in reflected(engine).sorted_tables:
            if table.name in FIRST_ROWS:
                connection.execute(table.insert(), FIRST_ROWS[table.name])


def test_upgrading_from_the_first_migration_keeps_every_row_and_value(
    first_engine: Engine,
) -> None:
    fill(first_engine)

    migrate(first_engine)

    new = reflected(first_engine)
    for name, rows in FIRST_ROWS.items():
        assert rows_of(first_engine, new, name, list(rows[0])) == rows, name


def test_every_row_of_the_first_revision_reads_back_through_the_newest_models(
    first_engine: Engine,
) -> None:
    fill(first_engine)

    migrate(first_engine)

    models = {
        model.__table__.name: model  # type: ignore[attr-defined]
        for model in SQLModel.__subclasses__()
        if hasattr(model, "__table__")
    }
    with Session(first_engine) as session:
        for name, rows in FIRST_ROWS.items():
            loaded = session.exec(select(models[name])).all()  # type: ignore[call-overload]
            assert len(loaded) == len(rows), name
