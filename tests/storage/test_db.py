"""The engine, sessions and health check of storage.db, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm.exc import DetachedInstanceError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, select

import storage
from storage.db import (
    alembic_config,
    is_busy_or_unreachable,
    make_engine,
    migrate,
    ping,
    redact_url,
    saving_engine,
    session_factory,
)
from storage.models import Team
from tests.conftest import SchemaTemplates, _postgresql_schema_url, _ReusedSchemas
from tests.storage.factories import make_team
from tests.storage.test_migrations import schema_differences


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
def test_postgresql_urls_use_psycopg_pinging_connections_that_lay_idle(url: str) -> None:
    engine = make_engine(url)  # creating an engine does not connect
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert engine.url.password == "secret"
        # Not before every use (a round trip each time): after lying idle (the test below).
        assert not engine.pool._pre_ping  # type: ignore[attr-defined]
        assert event.contains(engine, "checkout", storage.db._ping_if_idle)
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


def _wait_for_a_busy_database(connection: Connection) -> str:
    """How long the connection's statements wait for a busy database, as the database says."""
    if connection.dialect.name == "sqlite":
        return str(connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one())
    return str(connection.exec_driver_sql("SHOW lock_timeout").scalar_one())


def test_the_saving_engine_waits_briefly_on_every_connection_and_the_engine_as_it_did(
    engine: Engine,
) -> None:
    with engine.connect() as connection:
        usual = _wait_for_a_busy_database(connection)
    saving = saving_engine(engine, 1.5)
    assert saving_engine(engine, 1.5) is saving  # one per engine, its pool kept
    with saving.connect() as first, saving.connect() as second:
        for connection in (first, second):
            assert _wait_for_a_busy_database(connection) in ("1500", "1500ms")
            connection.rollback()  # as a session's rollback, and the pool's reset, do
            assert _wait_for_a_busy_database(connection) in ("1500", "1500ms")
    with engine.connect() as connection:
        assert _wait_for_a_busy_database(connection) == usual
        assert usual not in ("1500", "1500ms")


def test_a_session_on_the_saving_engine_commits_its_own_work_in_the_same_database(
    engine: Engine,
) -> None:
    with Session(saving_engine(engine, 1.5)) as session:
        make_team(session)
        session.commit()
    with session_factory(engine)() as other:
        assert [team.id for team in other.exec(select(Team))] == ["north"]


def test_the_saving_engine_goes_with_its_engine(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'retrobot.db'}")
    saving = saving_engine(engine, 1.5)
    with saving.connect():
        pass
    assert saving.pool.checkedin() == 1
    engine.dispose()
    assert saving.pool.checkedin() == 0
    memory = make_engine("sqlite://")
    try:
        # In memory, one shared connection is the whole database: nothing to wait for.
        assert saving_engine(memory, 1.5) is memory
    finally:
        memory.dispose()


def _refusal(engine: Engine, statement: str) -> DBAPIError:
    """The error ``statement`` meets, on a connection that waits a tenth of a second at most."""
    with saving_engine(engine, 0.1).connect() as connection:
        with pytest.raises(DBAPIError) as refused:
            connection.exec_driver_sql(statement)
        connection.rollback()
    return refused.value


def test_a_busy_database_is_told_apart_from_one_that_refuses_for_good(engine: Engine) -> None:
    insert = "INSERT INTO team (id, name, channel, timezone) VALUES ('x', 'X', 'C1', 'UTC')"
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(engine.url.database or "", timeout=0)
        other.execute("BEGIN IMMEDIATE")
    else:
        holder = engine.connect()
        holder.exec_driver_sql("LOCK TABLE team IN EXCLUSIVE MODE")
    try:
        busy = _refusal(engine, insert)
    finally:
        if engine.dialect.name == "sqlite":
            other.rollback()
            other.close()
        else:
            holder.rollback()
            holder.close()
    assert is_busy_or_unreachable(busy), busy
    assert not is_busy_or_unreachable(_refusal(engine, "INSERT INTO no_such_table VALUES (1)"))
    assert not is_busy_or_unreachable(ValueError("not the database's"))


def _backend_now(engine: Engine) -> int:
    """The server process behind the connection the pool hands out next."""
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _end_the_pooled_connection(engine: Engine, admin: Engine) -> int:
    """Have the server end the connection the pool holds (idle, just used), and wait until its
    process has gone; its backend's pid."""
    backend = _backend_now(engine)  # back to the pool afterwards, idle
    with admin.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
        for _ in range(100):
            gone = other.exec_driver_sql(
                f"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = {backend}"
            ).scalar_one()
            if gone:
                break
            time.sleep(0.02)
    return backend


def test_a_postgresql_connection_the_server_ended_is_replaced_unseen_without_a_round_trip(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose a connection")
    admin = make_engine(engine.url.render_as_string(hide_password=False))
    pinged: list[str] = []
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 3600.0)  # never asked
    event.listen(engine, "before_cursor_execute", lambda *args: pinged.append(args[2]))
    try:
        gone = _end_the_pooled_connection(engine, admin)
        pinged.clear()
        assert _backend_now(engine) != gone
        assert pinged == ["SELECT pg_backend_pid()"]  # no SELECT 1 first
    finally:
        admin.dispose()


def test_a_postgresql_connection_that_lay_idle_is_asked_before_use(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For one lost without a word (a proxy that dropped it): its socket shows nothing."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose a connection")
    admin = make_engine(engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(storage.db, "_ended_by_server", lambda connection: False)
    try:
        monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 3600.0)
        _end_the_pooled_connection(engine, admin)
        with pytest.raises(DBAPIError) as lost:  # used a moment ago: not asked, so it shows
            _backend_now(engine)
        assert lost.value.connection_invalidated and is_busy_or_unreachable(lost.value)
        monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 0.0)
        gone = _end_the_pooled_connection(engine, admin)
        assert _backend_now(engine) != gone  # asked first, found gone, replaced
        # One asked and found there is handed out idle: it can commit by itself, as saves do.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
            assert connection.connection.dbapi_connection.info.transaction_status == 0
    finally:
        admin.dispose()


def test_a_database_out_of_reach_is_busy_or_unreachable() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        with pytest.raises(DBAPIError) as refused:
            engine.connect()
    finally:
        engine.dispose()
    assert is_busy_or_unreachable(refused.value)


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
        with engine.begin() as connection:  # the schema goes on to the next test as it came
            connection.execute(text("DROP TABLE IF EXISTS story"))

    assert "INSERT INTO story" in str(refused.value)  # the statement, without its values
    assert typed not in str(refused.value)
    assert "SELECT text FROM story" in caplog.text  # the statements are logged, not the values
    assert typed not in caplog.text


def test_the_suite_s_database_is_a_faithful_copy_of_the_newest_schema(database_url: str) -> None:
    """The suite's databases are copies of one migrated per test process (tests/conftest.py):
    the copy must hold exactly the models' schema, at the newest revision, with no rows."""
    engine = make_engine(database_url)
    try:
        assert schema_differences(engine, SQLModel.metadata) == []
        with engine.connect() as connection:
            head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
            assert MigrationContext.configure(connection).get_current_revision() == head
            for table in inspect(connection).get_table_names():
                if table != "alembic_version":
                    count = connection.exec_driver_sql(f'SELECT count(*) FROM "{table}"')
                    assert count.scalar() == 0, table
    finally:
        engine.dispose()


@pytest.fixture
def reused_schemas(tmp_path: Path) -> Iterator[tuple[str, _ReusedSchemas]]:
    """The suite's PostgreSQL schemas, taken and given back as its tests do, in a pool of
    their own."""
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    templates = SchemaTemplates(tmp_path)
    schemas = templates.postgresql_schemas(base_url)
    if schemas is None:
        pytest.skip("pg_dump is not installed: each test's schema is migrated instead")
    yield base_url, schemas
    templates.close()


def _rows_and_next_id(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            teams = connection.exec_driver_sql("SELECT count(*) FROM team").scalar_one()
            next_id = connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('tension', 'id'))"
            ).scalar_one()
        return teams, next_id
    finally:
        engine.dispose()


def test_a_schema_given_back_is_taken_again_empty_with_its_ids_from_one(
    reused_schemas: tuple[str, _ReusedSchemas],
) -> None:
    base_url, schemas = reused_schemas
    schema = schemas.take()
    url = _postgresql_schema_url(base_url, schema)
    engine = make_engine(url)
    with Session(engine) as session:
        make_team(session)
        session.commit()
    engine.dispose()
    assert _rows_and_next_id(url) == (1, 1)
    assert _rows_and_next_id(url) == (1, 2)
    schemas.give_back(schema)

    assert schemas.take() == schema
    assert _rows_and_next_id(url) == (0, 1)


CHANGES = {
    "revision": ["UPDATE alembic_version SET version_num = 'elsewhere'"],
    "trigger": [
        "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse BEFORE INSERT ON tension FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
    "column": ["ALTER TABLE tension ADD COLUMN colour TEXT"],
    "table": ["CREATE TABLE story (text TEXT)"],
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_schema_a_test_changed_is_replaced_by_a_fresh_one(
    reused_schemas: tuple[str, _ReusedSchemas], change: str
) -> None:
    base_url, schemas = reused_schemas
    changed = schemas.take()
    engine = make_engine(_postgresql_schema_url(base_url, changed))
    try:
        with engine.begin() as connection:
            for statement in CHANGES[change]:
                connection.exec_driver_sql(statement)
        schemas.give_back(changed)

        fresh = schemas.take()
        assert fresh != changed
        assert not inspect(engine).has_schema(changed)  # dropped, not left behind
        assert _rows_and_next_id(_postgresql_schema_url(base_url, fresh)) == (0, 1)
    finally:
        engine.dispose()


def test_closing_the_pool_drops_every_schema_it_made_also_one_never_given_back(
    reused_schemas: tuple[str, _ReusedSchemas],
) -> None:
    base_url, schemas = reused_schemas
    kept, given = schemas.take(), schemas.take()
    schemas.give_back(given)

    schemas.close()

    engine = make_engine(base_url)
    try:
        assert not inspect(engine).has_schema(kept)
        assert not inspect(engine).has_schema(given)
    finally:
        engine.dispose()


def test_a_schema_a_connection_still_holds_is_replaced_by_a_fresh_one(
    reused_schemas: tuple[str, _ReusedSchemas], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, schemas = reused_schemas
    monkeypatch.setattr(_ReusedSchemas, "EMPTY_WAIT", "100ms")
    monkeypatch.setattr(_ReusedSchemas, "DROP_WAIT", "100ms")
    held = schemas.take()
    holder = make_engine(_postgresql_schema_url(base_url, held)).connect()
    try:
        holder.exec_driver_sql("LOCK TABLE team")  # a test's connection left in a transaction
        schemas.give_back(held)
        fresh = schemas.take()
        assert fresh != held
        assert _rows_and_next_id(_postgresql_schema_url(base_url, fresh)) == (0, 1)
    finally:
        holder.close()
        holder.engine.dispose()
