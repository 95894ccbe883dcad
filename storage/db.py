"""The database engine, migrations and sessions, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlmodel import Session

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant works as long as every retrobot process uses the same one: it names the
# PostgreSQL advisory lock that lets one process migrate while the others wait.
MIGRATION_LOCK_KEY = 0x7265_7472_6F62  # "retrob"

SQLITE_BUSY_TIMEOUT_MS = 30_000
DEFAULT_POOL_SIZE = 5
DEFAULT_MAX_OVERFLOW = 10
POOL_RECYCLE_SECONDS = 1_800  # under the idle timeouts of typical proxies and load balancers
CONNECT_TIMEOUT_SECONDS = 10  # so /healthz answers "down" instead of hanging


def normalise_url(url: str) -> URL:
    """Parse ``url``, sending postgres:// and postgresql:// to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """Create the engine for ``url``: SQLite tuned for concurrent use, or pooled PostgreSQL."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(parsed)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "postgresql":
        kwargs["pool_size"] = pool_size or DEFAULT_POOL_SIZE
        kwargs["max_overflow"] = DEFAULT_MAX_OVERFLOW
        kwargs["pool_recycle"] = POOL_RECYCLE_SECONDS
        if "connect_timeout" not in parsed.query:
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    elif pool_size:
        kwargs["pool_size"] = pool_size
    return create_engine(parsed, **kwargs)


def _make_sqlite_engine(url: URL) -> Engine:
    """A SQLite engine whose every connection uses WAL, foreign keys and a busy timeout."""
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    # The busy timeout from the very first statement: the pragmas below run before theirs is set,
    # and switching a new file to WAL waits for the other processes starting up at once.
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    kwargs: dict[str, Any] = {"connect_args": connect_args}
    if in_memory:
        # One shared connection, or each session would see its own empty database.
        kwargs["poolclass"] = StaticPool
    elif not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    """Set the per-connection pragmas SQLite does not remember (WAL is kept, set it anyway)."""
    cursor = dbapi_connection.cursor()
    try:
        # The busy timeout first, for every statement after it; switching a new file to WAL
        # takes a lock it does not always cover, so that switch waits its own way as long.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, taking turns with other connections doing the same.

    Switching a new file to WAL needs a moment's exclusive lock, for which SQLite does not wait
    (the busy timeout does not apply): processes starting together on a new database would see
    "database is locked". So try again, briefly, until the busy timeout has passed.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


_PASSWORD_IN_QUERY = re.compile(r"(?i)([?&](?:password|passwd|pwd)=)[^&]*")
_PASSWORD_IN_NETLOC = re.compile(r"(://[^:/@]*:)[^@/]*@")


def redact_url(url: str) -> str:
    """The URL as the engine uses it with the password hidden, fit for a log line."""
    try:
        shown = normalise_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        # Not a URL SQLAlchemy understands; hide anything that looks like a password anyway.
        shown = _PASSWORD_IN_NETLOC.sub(r"\1***@", url)
    return _PASSWORD_IN_QUERY.sub(r"\1***", shown)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the packaged migrations, without any alembic.ini."""
    from alembic.config import Config  # Alembic only where migrations run: `check` needs none

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def render_migration_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic hook: write retrobot's column types as the plain SQLAlchemy types they store.

    An autogenerated migration then spells its columns in ``sa.`` terms only and never imports
    storage or sqlmodel, so it stays valid whatever becomes of them.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration; concurrent callers migrate only once."""
    from alembic import command
    from alembic.migration import MigrationContext

    with engine.connect() as connection, _migration_lock(connection):
        logger.info("Migrating %s to the newest schema", redact_url(str(engine.url)))
        try:
            before = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(alembic_config(connection), "head")
            after = MigrationContext.configure(connection).get_current_revision()
            if connection.dialect.name == "sqlite" and after != before:
                _check_foreign_keys(connection)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """Hold a database-wide lock so that one process migrates while the others wait."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()  # the lock belongs to the session and outlives this transaction
        try:
            yield
        finally:
            try:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
            except SQLAlchemyError:
                # The lock dies with the connection, discarded here: no reason to fail start-up.
                logger.exception("Could not release the migration lock")
                connection.invalidate()
    elif dialect == "sqlite":
        # Table rebuilds in batch migrations must not trip over foreign keys half-way;
        # the pragma is a no-op inside a transaction, so it is switched before BEGIN.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        # Take SQLite's write lock first, so a second process waits (busy_timeout) and then
        # finds the schema already migrated instead of racing it.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    else:
        yield


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a SQLite migration that left rows pointing at nothing."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"The migration left rows with broken foreign keys: {broken[:5]}")


def session_factory(engine: Engine) -> Callable[[], Session]:
    """A factory of sessions whose objects stay readable after commit (expire_on_commit False)."""
    from sqlmodel import Session  # the ORM where sessions are made: `check` only pings

    def new_session() -> Session:
        """Open a session on the engine."""
        return Session(engine, expire_on_commit=False)

    return new_session


def ping(engine: Engine) -> bool:
    """True when the database answers ``SELECT 1``; False on any database error."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.warning("Database ping failed for %s", redact_url(str(engine.url)), exc_info=True)
        return False
    return True
