"""The Alembic migrations: they build exactly the models' schema, once, on every database."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Column, Engine, MetaData, String, inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage import db
from storage.db import (
    MIGRATIONS_DIR,
    _check_foreign_keys,
    alembic_config,
    make_engine,
    migrate,
    newest_revision,
    render_migration_item,
)
from tests.conftest import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (not the suite's migrated copy): these tests migrate it themselves."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


TABLES = {
    "team",
    "member",
    "coach",
    "checkin_round",
    "checkin_prompt",
    "checkin_response",
    "tension",
    "feedback",
    "feedback_request",
    "feedback_request_recipient",
    "sent_digest",
    "refused_delivery",
    "processed_event",
    "scheduler_lock",
    # Roles (bot/roles)
    "role",
    "role_holder",
    "role_change",
    "role_turn",
    "tension_role",
    # Circles (bot/circles)
    "circle_notice",
    # Deciding (bot/decisions).
    "proposal",
    "proposal_amendment",
    "advice",
    "objection",
    "decision",
    # Retrospective and team health (issue 18)
    "retrospective",
    "retro_participant",
    "reflection",
    "retro_vote",
    "health_answer",
    "retro_improvement",
    # Shifts and do-not-disturb (bot/shifts).
    "working_pattern",
    "shift_hold",
    # A person's own data (bot/data/member_forget.py): the record of each erasure.
    "member_erasure",
}


def schema_differences(engine: Engine, metadata: MetaData) -> list[object]:
    """What Alembic's autogenerate would change to turn the database into ``metadata``."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database's alembic_version table."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_models_declare_every_table() -> None:
    assert set(SQLModel.metadata.tables) == TABLES


def reflected(engine: Engine) -> dict[str, dict[str, object]]:
    """Every table as the database describes it: its columns (type, nullability, default),
    keys, indexes and constraints, in no particular order."""
    described = inspect(engine)
    tables: dict[str, dict[str, object]] = {}
    for table in described.get_table_names():
        tables[table] = {
            "columns": {
                column["name"]: (str(column["type"]), column["nullable"], column.get("default"))
                for column in described.get_columns(table)
            },
            "primary key": described.get_pk_constraint(table),
            "foreign keys": sorted(map(repr, described.get_foreign_keys(table))),
            "indexes": sorted(map(repr, described.get_indexes(table))),
            "unique": sorted(map(repr, described.get_unique_constraints(table))),
            "checks": sorted(
                (check["name"], " ".join(check["sqltext"].split()))
                for check in described.get_check_constraints(table)
            ),
        }
    return tables


def upgraded_by_alembic(database_url: str, revision: str = "head") -> Engine:
    """The database brought to ``revision`` by running the migrations one by one."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()
    return engine


def test_the_migrations_build_exactly_the_models_schema(database_url: str) -> None:
    engine = upgraded_by_alembic(database_url)
    try:
        assert schema_differences(engine, SQLModel.metadata) == []
    finally:
        engine.dispose()


def replayed_a_migration(connection: object) -> None:
    raise AssertionError("a new database was migrated step by step")


def sqlite_objects(engine: Engine) -> set[tuple[str, str, str]]:
    """Every table, index, trigger and view SQLite holds, by kind, name and table."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT type, name, tbl_name FROM sqlite_master")
        return {(kind, name, table) for kind, name, table in rows}


def test_a_new_sqlite_database_gets_the_schema_the_migrations_build_in_one_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty SQLite database is made from the models and stamped, with no migration
    replayed: the same tables, columns, defaults, keys, indexes and triggers as the migrations
    give (in the models' column order), and without Alembic's imports."""
    replayed = upgraded_by_alembic(f"sqlite:///{tmp_path / 'replayed.db'}")
    monkeypatch.setattr(db, "_upgrade", replayed_a_migration)
    created = make_engine(f"sqlite:///{tmp_path / 'created.db'}")
    try:
        migrate(created)

        assert current_revision(created) == newest_revision()
        assert reflected(created) == reflected(replayed)
        assert sqlite_objects(created) == sqlite_objects(replayed)
    finally:
        created.dispose()
        replayed.dispose()


def test_a_new_postgresql_database_takes_the_migrations(tmp_path: Path) -> None:
    """They make what the models do not declare: the roles' change announcements (0018)."""
    with fresh_database("postgresql", tmp_path) as database_url:
        engine = make_engine(database_url)
        try:
            migrate(engine)

            with engine.connect() as connection:
                triggers = connection.exec_driver_sql(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                    " AND tgrelid::regclass::text IN ('role', 'role_holder')"
                )
                names = sorted(name for (name,) in triggers)
            assert names == ["role_changed", "role_holder_changed"]
        finally:
            engine.dispose()


def test_a_database_at_an_older_revision_is_migrated_from_there(database_url: str) -> None:
    engine = upgraded_by_alembic(database_url, "0017_decision_log_index")
    try:
        migrate(engine)

        assert current_revision(engine) == newest_revision()
        assert schema_differences(engine, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_the_schema_comparison_notices_a_column_the_migrations_lack(engine: Engine) -> None:
    changed = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["tension"].append_column(Column("colour", String(), nullable=True))

    differences = schema_differences(engine, changed)

    assert [(d[0], d[3].name) for d in differences] == [("add_column", "colour")]  # type: ignore[index]


def test_migrate_stamps_the_newest_revision_and_can_run_again(engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    assert current_revision(engine) == head

    migrate(engine)

    assert current_revision(engine) == head
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}


def test_the_newest_revision_read_from_the_scripts_is_alembic_s_head() -> None:
    assert newest_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_scripts_with_two_newest_revisions_are_left_to_alembic_which_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "versions").mkdir()
    (tmp_path / "script.py.mako").write_text((MIGRATIONS_DIR / "script.py.mako").read_text())
    for name, before in (("0001", None), ("0002_a", "0001"), ("0002_b", "0001")):
        (tmp_path / "versions" / f"{name}.py").write_text(
            f"revision: str = {name!r}\ndown_revision: str | None = {before!r}\n"
            "def upgrade() -> None: ...\ndef downgrade() -> None: ...\n"
        )
    monkeypatch.setattr(db, "MIGRATIONS_DIR", tmp_path)
    newest_revision.cache_clear()
    try:
        with pytest.raises(CommandError, match="multiple heads"):
            newest_revision()
    finally:
        newest_revision.cache_clear()


def test_a_process_starting_on_a_migrated_database_does_not_import_alembic(
    engine: Engine, database_url: str
) -> None:
    """Every worker and command start asks whether the schema is the newest: one read, and
    none of Alembic's 0.15 s of imports, which only a migration needs."""
    starts = (
        "import sys; from storage.db import make_engine, migrate; "
        "engine = make_engine(sys.argv[1]); migrate(engine); engine.dispose(); "
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))"
    )
    started = subprocess.run(
        [sys.executable, "-c", starts, database_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "[]"
    assert current_revision(engine) == newest_revision()


def test_downgrading_to_nothing_and_upgrading_again(engine: Engine) -> None:
    with engine.connect() as connection:
        command.downgrade(alembic_config(connection), "base")
        connection.commit()
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}

    migrate(engine)

    assert schema_differences(engine, SQLModel.metadata) == []


def test_concurrent_processes_migrate_once(database_url: str) -> None:
    engines = [make_engine(database_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def start_up(engine: Engine) -> None:
        start.wait()
        try:
            migrate(engine)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=start_up, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        assert schema_differences(engines[0], SQLModel.metadata) == []
    finally:
        for engine in engines:
            engine.dispose()


def test_migrate_works_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    engine = make_engine(f"sqlite:///{tmp_path / 'retrobot.db'}")
    try:
        migrate(engine)
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()
    assert list(elsewhere.iterdir()) == []  # no alembic.ini or anything else left behind


def test_migrate_leaves_the_logging_configuration_alone(engine: Engine) -> None:
    root = logging.getLogger()
    app_logger = logging.getLogger("retrobot.test")
    before = (root.level, list(root.handlers))

    migrate(engine)

    assert (root.level, list(root.handlers)) == before
    assert app_logger.disabled is False


def test_migrations_spell_out_their_columns_instead_of_importing_the_models() -> None:
    allowed = {"__future__", "collections", "typing", "alembic", "sqlalchemy"}
    scripts = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    assert scripts, "no migration scripts found"
    imported = set()
    for path in scripts:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or ".").split(".")[0])
    assert imported <= allowed


def test_autogenerated_migrations_spell_columns_in_plain_sqlalchemy(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"render_item": render_migration_item}
            )
            operations = produce_migrations(context, SQLModel.metadata).upgrade_ops
            assert operations is not None
            code = render_python_code(operations, render_item=render_migration_item)
    finally:
        engine.dispose()

    assert "storage" not in code and "sqlmodel" not in code
    assert "sa.DateTime()" in code and "sa.String(length=32)" in code


def test_env_py_connects_by_itself_when_run_from_the_alembic_command_line(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'retrobot.db'}"
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", url)

    command.upgrade(config, "head")

    engine = make_engine(url)
    try:
        assert schema_differences(engine, SQLModel.metadata) == []
    finally:
        engine.dispose()


def orphan_member(engine: Engine) -> None:
    """Insert, with foreign keys off, a member of a team that does not exist."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.exec_driver_sql(
            "INSERT INTO member (team_id, user_id, active) VALUES ('nowhere', 'U01', 1)"
        )
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def test_a_sqlite_migration_that_breaks_foreign_keys_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'retrobot.db'}")
    try:
        migrate(engine)
        orphan_member(engine)
        with engine.connect() as connection, pytest.raises(RuntimeError, match="foreign keys"):
            _check_foreign_keys(connection)
        migrate(engine)  # nothing to migrate: an old orphan does not stop the app starting
    finally:
        engine.dispose()
