"""What the database announces (storage.watch): on PostgreSQL a watch listens on its own
connection and gives a new stamp for each announcement about its schema, each lost connection
and each fork; a database that cannot announce never has a stamp."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine
from storage.watch import ChangeWatch, watch

CHANNEL = "retrobot_test_channel"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def announcing(engine: Engine, database_url: str) -> Engine:
    """The engine of a database that announces changes: PostgreSQL's (SQLite cannot)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL announces; SQLite cannot")
    return engine


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``check`` comes true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def listening(engine: Engine, channel: str = CHANNEL) -> ChangeWatch:
    """The watch of ``channel`` on ``engine``, once it listens."""
    found = watch(engine, channel)
    assert isinstance(found, ChangeWatch)
    assert eventually(lambda: found.stamp() is not None), "the watch never listened"
    return found


def announce(engine: Engine, schema: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("SELECT pg_notify(:channel, coalesce(:schema, current_schema()))"),
            {"channel": CHANNEL, "schema": schema},
        )


def test_sqlite_announces_nothing_so_nothing_read_is_kept(
    engine: Engine, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's side")
    assert watch(engine, CHANNEL).stamp() is None


def test_an_announcement_about_its_schema_gives_a_new_stamp_and_others_do_not(
    announcing: Engine,
) -> None:
    engine = announcing
    found = listening(engine)
    first = found.stamp()
    announce(engine, schema="another_schema")
    time.sleep(0.2)
    assert found.stamp() == first
    announce(engine)
    assert eventually(lambda: found.stamp() != first)
    assert found.stamp() is not None
    assert watch(engine, CHANNEL) is found  # one watch a channel and engine


def test_a_lost_connection_keeps_nothing_until_it_listens_again(
    announcing: Engine,
) -> None:
    engine = announcing
    found = listening(engine)
    before, backend = found.stamp(), found.backend_pid
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    assert eventually(lambda: found.backend_pid != backend and found.stamp() is not None)
    assert found.stamp() != before


def test_disposing_of_the_engine_stops_it_and_a_forked_child_listens_on_its_own(
    announcing: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = announcing
    found = listening(engine)
    parent = found.backend_pid
    monkeypatch.setattr("storage.watch.getpid", lambda: -1)  # as in a child after fork
    assert found.stamp() is None  # the parent's thread is not the child's
    assert eventually(lambda: found.stamp() is not None and found.backend_pid != parent)
    engine.dispose()
    assert eventually(lambda: not watching_threads())  # without a stamp asked meanwhile


def watching_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"watch-{CHANNEL}" and t.is_alive()]
