"""The engine, sessions and health check of storage.db, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import DetachedInstanceError
from sqlalchemy.pool import StaticPool
from sqlmodel import select

import storage
from storage.db import make_engine, migrate, ping, redact_url, session_factory
from storage.models import Team
from tests.storage.factories import make_team


def sqlite_pragmas(engine: Engine) -> tuple[str, int, int]:
    """The journal mode, foreign-key switch and busy timeout of one pooled connection."""
    with engine.connect() as connection:
        return (
            connection.exec_driver_sql("PRAGMA journal_mode").scalar_one(),
            connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one(),
            connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one(),
        )


def test_every_sqlite_connection_uses_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'retrobot.db'}")
    try:
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30_000
        engine.dispose()  # brand-new connections get the same settings
        assert sqlite_pragmas(engine) == ("wal", 1, 30_000)
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_database_shared_by_every_session() -> None:
    engine = make_engine("sqlite://")
    try:
        assert isinstance(engine.pool, StaticPool)
        migrate(engine)
        new_session = session_factory(engine)
        with new_session() as session:
            make_team(session)
            session.commit()
        with new_session() as session:
            assert session.exec(select(Team.id)).all() == ["north"]
        assert sqlite_pragmas(engine)[1:] == (1, 30_000)
    finally:
        engine.dispose()


def test_a_relative_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///data/retrobot.db")
    try:
        assert ping(engine)
        assert (tmp_path / "data" / "retrobot.db").is_file()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgres://bob:secret@db.example/retrobot",
        "postgresql://bob:secret@db.example/retrobot",
        "postgresql+psycopg://bob:secret@db.example/retrobot",
    ],
)
def test_postgresql_urls_use_psycopg_with_pre_ping(url: str) -> None:
    engine = make_engine(url)  # creating an engine does not connect
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert engine.url.password == "secret"
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
        assert engine.pool.size() == 5  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_postgresql_pool_size_can_be_chosen() -> None:
    engine = make_engine("postgresql://bob@db.example/retrobot", pool_size=12)
    try:
        assert engine.pool.size() == 12  # type: ignore[attr-defined]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://bob:s3cr%40t@host:5432/db",
            "postgresql+psycopg://bob:***@host:5432/db",
        ),
        ("postgres://bob:secret@host/db", "postgresql+psycopg://bob:***@host/db"),
        ("postgresql://bob@host/db", "postgresql+psycopg://bob@host/db"),
        ("postgresql://host/db?user=bob&password=secret", "postgresql+psycopg://host/db?"),
        ("sqlite:///retrobot.db", "sqlite:///retrobot.db"),
        ("not a url://bob:secret@host", "not a url://bob:***@host"),
    ],
)
def test_redact_url_hides_the_password(url: str, shown: str) -> None:
    assert redact_url(url).startswith(shown)
    assert "secret" not in redact_url(url)
    assert "s3cr" not in redact_url(url)


def test_ping_answers_true_when_the_database_answers(engine: Engine) -> None:
    assert ping(engine) is True


def test_ping_answers_false_when_the_database_is_unreachable() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert ping(engine) is False
    finally:
        engine.dispose()


def test_sessions_keep_objects_readable_after_commit(engine: Engine) -> None:
    with session_factory(engine)() as session:
        team = make_team(session)
        session.commit()
    # Expired on commit, this read would need the closed session and raise.
    try:
        assert team.name == "North Neighbourhood Team"
    except DetachedInstanceError:  # pragma: no cover - the failure this test exists to catch
        pytest.fail("the session expired the team on commit")


def test_sessions_see_the_migrated_schema(engine: Engine) -> None:
    with session_factory(engine)() as session:
        assert session.exec(select(Team)).all() == []
        assert session.connection().execute(text("SELECT 1")).scalar_one() == 1


def test_storage_imports_nothing_of_the_rest_of_the_app() -> None:
    package = Path(storage.__file__).parent
    forbidden = {"bot", "handlers", "prompts"}
    offenders = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in forbidden]
    assert offenders == []


def test_a_database_error_and_the_engines_logs_never_hold_what_was_typed(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    typed = "Typed: I cried in the car after the visit"
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE story (text TEXT NOT NULL CHECK (length(text) < 5))"))
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    level = engine_logger.level
    engine_logger.setLevel(logging.DEBUG)  # as `retrobot -v` and a DEBUG root logger do
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(SQLAlchemyError) as refused, engine.begin() as connection:
            connection.execute(text("INSERT INTO story VALUES (:text)"), {"text": typed})
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE story"))
            connection.execute(text("CREATE TABLE story (text TEXT)"))
            connection.execute(text("INSERT INTO story VALUES (:text)"), {"text": typed})
            assert connection.execute(text("SELECT text FROM story")).scalar_one() == typed
    finally:
        engine_logger.setLevel(level)

    assert "INSERT INTO story" in str(refused.value)  # the statement, without its values
    assert typed not in str(refused.value)
    assert "SELECT text FROM story" in caplog.text  # the statements are logged, not the values
    assert typed not in caplog.text
