"""The roles the tension modal shows, kept between requests while the database announces no
change (bot.roles.cache): on PostgreSQL read once and then kept, a change committed here shown at
once and one made anywhere else as soon as it is announced, nothing kept without the
announcements' connection; on SQLite read every time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import event, text, update

from bot.roles import usecases
from bot.roles.cache import CHANNEL
from bot.roles.model import ChangeKind, RoleChangeRequest
from bot.services import Services
from storage.db import make_engine
from storage.models import Role
from storage.watch import ChangeWatch, watch
from tests.bot.roles.test_service import decide
from tests.conftest import ANA
from tests.storage.test_watch import eventually, listening


@pytest.fixture
def reads(services: Services) -> Iterator[list[str]]:
    """Each SELECT of the roles the app's engine runs."""
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM role " in statement:
            seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", note)
    yield seen
    event.remove(services.engine, "before_cursor_execute", note)


@pytest.fixture
def announced(services: Services, database_url: str) -> bool:
    """Whether the database announces changes; when it does, the roles' watch is listening."""
    usecases.ensure_seeded(services)
    if not database_url.startswith("postgresql"):
        return False
    listening(services.engine, CHANNEL)
    return True


def north_names(services: Services) -> list[str]:
    return [role.name for role in usecases.team_roles(services, team_id="north")]


def test_the_roles_are_read_once_while_nothing_changes(
    services: Services, announced: bool, reads: list[str]
) -> None:
    first = north_names(services)
    assert (
        north_names(services)
        == first
        == [
            "Rota organiser",
            "Facilitator",
            "Tissue viability lead",
            "Training circle rep",
        ]
    )
    assert len(reads) == (1 if announced else 2)


def test_a_change_committed_here_is_shown_at_once(
    services: Services, announced: bool, reads: list[str]
) -> None:
    north_names(services)
    decide(
        services,
        RoleChangeRequest(ChangeKind.CREATE, "falls", name="Falls lead", holders=(ANA,)),
        21,
    )
    assert "Falls lead" in north_names(services)  # no wait for the announcement
    decide(services, RoleChangeRequest(ChangeKind.REMOVE, "falls"), 22)
    assert "Falls lead" not in north_names(services)


def test_a_change_made_elsewhere_is_shown_once_announced(
    services: Services, announced: bool, database_url: str
) -> None:
    north_names(services)
    elsewhere = make_engine(database_url)  # as another worker or `retrobot import` would
    try:
        with elsewhere.begin() as connection:
            connection.execute(
                update(Role).where(Role.key == "rota").values(name="Rota keeper")  # type: ignore[arg-type]
            )
    finally:
        elsewhere.dispose()
    if announced:
        assert eventually(lambda: "Rota keeper" in north_names(services), timeout=2.0)
    else:
        assert "Rota keeper" in north_names(services)


def test_a_lost_announcements_connection_drops_what_was_kept(
    services: Services, announced: bool, reads: list[str]
) -> None:
    if not announced:
        pytest.skip("SQLite announces nothing: every read asks (the first test)")
    found = watch(services.engine, CHANNEL)
    assert isinstance(found, ChangeWatch)
    north_names(services)
    north_names(services)
    assert len(reads) == 1
    before = found.stamp()
    with services.engine.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": found.backend_pid})
    assert eventually(lambda: found.stamp() != before)  # lost (None), or listening again
    north_names(services)
    assert len(reads) == 2  # what was read before the loss is not trusted


def test_nothing_is_kept_longer_than_a_minute_even_unannounced(
    services: Services, announced: bool, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    north_names(services)
    north_names(services)
    assert len(reads) == (1 if announced else 2)
    now = time.monotonic()
    monkeypatch.setattr("bot.roles.cache.time.monotonic", lambda: now + 61)
    north_names(services)
    assert len(reads) == (2 if announced else 3)
