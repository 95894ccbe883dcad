"""The database engine, migrations and sessions, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import ast
import logging
import re
import select
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
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
# A pooled PostgreSQL connection idle this long is pinged before it is used again.
PING_AFTER_IDLE_SECONDS = 1.0
# The pool of the engine that stores submissions (saving_engine): a save holds a connection
# for one short statement, and waits for one no longer than for the database itself.
SAVING_POOL_SIZE = 3
SAVING_MAX_OVERFLOW = 2


def normalise_url(url: str) -> URL:
    """Parse ``url``, sending postgres:// and postgresql:// to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class _NoRows(logging.Filter):
    """Drop the result rows SQLAlchemy logs at DEBUG: they hold what people typed."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the engine's INFO lines (statements, parameters hidden) and above."""
        return record.levelno > logging.DEBUG


_NO_ROWS = _NoRows()


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """Create the engine for ``url``: SQLite tuned for concurrent use, or pooled PostgreSQL.

    No log line and no error message ever holds a statement's parameters or a row: they are
    what people typed (a tension, a story kept from the team). ``hide_parameters`` keeps them
    out of the engine's INFO lines and of every database error; the filter drops its rows.
    """
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(_NO_ROWS)
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(parsed)
    if parsed.get_backend_name() != "postgresql":
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if pool_size:
            kwargs["pool_size"] = pool_size
        return create_engine(parsed, **kwargs)
    return _make_postgresql_engine(parsed, pool_size=pool_size or DEFAULT_POOL_SIZE)


def _make_postgresql_engine(
    url: URL,
    *,
    pool_size: int,
    max_overflow: int = DEFAULT_MAX_OVERFLOW,
    lock_timeout_ms: int | None = None,
    pool_timeout: float | None = None,
) -> Engine:
    """Pooled PostgreSQL; with ``lock_timeout_ms``, every connection waits for a lock at most
    that long (set when it is made, so no statement of its own on each use)."""
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    if lock_timeout_ms is not None:
        # Beside any options the URL gives (a search_path, say): the driver takes one string.
        given = url.query.get("options")
        given = given if isinstance(given, str) else " ".join(given or ())
        wait = f"-c lock_timeout={lock_timeout_ms}"
        connect_args["options"] = " ".join(filter(None, [given, wait]))
    kwargs: dict[str, Any] = {
        "hide_parameters": True,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_recycle": POOL_RECYCLE_SECONDS,
        "connect_args": connect_args,
    }
    if pool_timeout is not None:
        kwargs["pool_timeout"] = pool_timeout
    engine = create_engine(url, **kwargs)
    event.listen(engine, "handle_error", _without_row_details)
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _note_idle_since(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Before a pooled connection is used, make sure the server still has it; one that is gone
    (a server restarted, connections terminated) is replaced by a fresh one, unseen.

    SQLAlchemy's ``pool_pre_ping`` asks the server before every use: a round trip on every
    request, for connections that were in use a moment ago. Here a connection is looked at
    without asking: a server that ends a connection tells it so (its last message, then the
    end of the stream), so the socket of an idle connection that has anything to read has been
    ended. Only one that lay idle :data:`PING_AFTER_IDLE_SECONDS` is asked (``SELECT 1``), for
    a connection lost without a word (a proxy or a network that dropped it meanwhile).
    """
    if _ended_by_server(dbapi_connection):
        raise DisconnectionError("the server ended the pooled connection")
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        # The SELECT began a transaction (the driver's default): end it, so the connection is
        # handed out idle, as the pool keeps it (one to be switched to autocommit must be).
        dbapi_connection.rollback()
    except Exception as error:  # any failure: the pool discards it and connects afresh
        raise DisconnectionError("the pooled connection did not answer") from error


def _ended_by_server(dbapi_connection: Any) -> bool:
    """True when an idle psycopg connection is broken, or its socket has something to read
    (the server's farewell, or the end of the stream): a poll, no round trip."""
    if getattr(dbapi_connection, "broken", False) or getattr(dbapi_connection, "closed", False):
        return True
    try:
        socket_fd = dbapi_connection.pgconn.socket
    except Exception:  # no socket left to look at: the connection is gone
        return True
    poller = select.poll()
    poller.register(socket_fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def saving_engine(engine: Engine, seconds: float) -> Engine:
    """An engine on ``engine``'s database whose connections wait for a busy database at most
    ``seconds`` (SQLite's busy timeout, PostgreSQL's lock timeout, and the wait for a pooled
    connection too): for storing what a person submits before their modal closes.

    The wait is set on each connection when it is made, so a save runs its own statements and
    nothing else (setting it and resetting it around each save were two more statements, and on
    PostgreSQL two more round trips, on every submission). It has a small pool of its own, made
    once per engine and disposed with it. An in-memory SQLite database is ``engine`` itself: its
    one shared connection never waits for another.
    """
    with _SAVING_LOCK:
        siblings = _SAVING_ENGINES.get(engine)
        if siblings is None:
            siblings = _SAVING_ENGINES[engine] = {}
            event.listen(engine, "engine_disposed", partial(_dispose_siblings, siblings))
        sibling = siblings.get(seconds)
        if sibling is None:
            sibling = siblings[seconds] = _make_saving_engine(engine, seconds)
        return sibling


def _dispose_siblings(siblings: dict[float, Engine], engine: Engine) -> None:
    for sibling in siblings.values():
        if sibling is not engine:
            sibling.dispose()


def _make_saving_engine(engine: Engine, seconds: float) -> Engine:
    milliseconds = max(1, int(seconds * 1000))
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if isinstance(engine.pool, StaticPool):
            return engine
        return _make_sqlite_engine(url, busy_timeout_ms=milliseconds, pool_timeout=seconds)
    if url.get_backend_name() != "postgresql":
        return engine
    return _make_postgresql_engine(
        url,
        pool_size=SAVING_POOL_SIZE,
        max_overflow=SAVING_MAX_OVERFLOW,
        lock_timeout_ms=milliseconds,
        pool_timeout=seconds,
    )


_SAVING_ENGINES: weakref.WeakKeyDictionary[Engine, dict[float, Engine]] = (
    weakref.WeakKeyDictionary()
)
_SAVING_LOCK = threading.Lock()


def _without_row_details(context: Any) -> Exception | None:
    """PostgreSQL's error message, without its DETAIL: a failed INSERT's DETAIL quotes the
    row ("Failing row contains (…)"), which is what someone typed. The error keeps its class,
    SQLSTATE and primary message; only the details go."""
    original = context.original_exception
    diag = getattr(original, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if not primary or str(original) == primary:
        return None
    try:
        plain = type(original)(primary)
    except Exception:  # an error class that cannot be made from its message: leave it
        return None
    return DBAPIError.instance(
        context.statement,
        context.parameters,
        plain,
        context.dialect.loaded_dbapi.Error,
        hide_parameters=True,
        dialect=context.dialect,
        ismulti=bool(context.execution_context and context.execution_context.executemany),
    )


def _make_sqlite_engine(
    url: URL, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, pool_timeout: float | None = None
) -> Engine:
    """A SQLite engine whose every connection uses WAL, foreign keys and a busy timeout."""
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    # The busy timeout from the very first statement: the pragmas below run before theirs is set,
    # and switching a new file to WAL waits for the other processes starting up at once.
    connect_args = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
    kwargs: dict[str, Any] = {"connect_args": connect_args, "hide_parameters": True}
    if in_memory:
        # One shared connection, or each session would see its own empty database.
        kwargs["poolclass"] = StaticPool
    elif not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    if pool_timeout is not None and not in_memory:
        kwargs["pool_timeout"] = pool_timeout
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", partial(_configure_sqlite_connection, busy_timeout_ms))
    return engine


def _configure_sqlite_connection(
    busy_timeout_ms: int, dbapi_connection: Any, connection_record: Any
) -> None:
    """Set the per-connection pragmas SQLite does not remember (WAL is kept, set it anyway)."""
    cursor = dbapi_connection.cursor()
    try:
        # The busy timeout first, for every statement after it; switching a new file to WAL
        # takes a lock it does not always cover, so that switch waits its own way as long.
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
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


# A migration script's own lines naming it and the one it follows (Alembic's template).
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@cache
def newest_revision() -> str | None:
    """The newest migration's revision: read once per process, as the scripts never change
    under a running process.

    Read from the scripts' own ``revision`` and ``down_revision`` lines, not through Alembic:
    importing Alembic costs a process about 0.15 s, and every process start needs this answer
    while only the first after an upgrade needs Alembic. Scripts that do not name exactly one
    newest revision (a branch) are left to Alembic, which tells the head or refuses."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        lines = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        revision = ast.literal_eval(lines.get("revision", "None"))
        if not isinstance(revision, str):
            continue
        revisions.add(revision)
        before = ast.literal_eval(lines.get("down_revision", "None"))
        followed.update([before] if isinstance(before, str) else before or ())
    heads = revisions - followed
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# Alembic's table of the revision a database is at, as Alembic itself creates it.
_ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
# The revision(s) a database is stamped with, read as Alembic reads them (the connection's schema).
_STAMPED = _ALEMBIC_VERSION.select()


def _is_newest(engine: Engine) -> bool:
    """True when the database's schema is already at the newest migration: the usual case at
    every start but the first after an upgrade, told by one read, with no lock and no Alembic
    (its table read as Alembic reads it: ``alembic_version`` in the connection's schema)."""
    with engine.connect() as connection:
        try:
            current = connection.execute(_STAMPED).all()
        except (OperationalError, ProgrammingError):  # no such table: never migrated
            current = []
        connection.rollback()
    return len(current) == 1 and current[0][0] == newest_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration; concurrent callers migrate only once.

    A schema already at the newest migration is left as it is without taking the migration
    lock (a schema only ever moves forward), so workers and commands start without Alembic's
    round of checks. An empty SQLite database (the demo's, a first local run's) is given the
    newest schema in one go, as the models declare it, and stamped with the newest revision
    (Alembic's own advice for a new database; the tests hold the two schemas to be the same)
    instead of replaying every migration. PostgreSQL always takes the migrations: they also
    make what the models do not declare (the roles' change announcements, 0018)."""
    if _is_newest(engine):
        return
    with engine.connect() as connection, _migration_lock(connection):
        try:
            if _is_empty(connection):
                logger.info("Creating the newest schema in %s", redact_url(str(engine.url)))
                _create_newest(connection)
            else:
                logger.info("Migrating %s to the newest schema", redact_url(str(engine.url)))
                _upgrade(connection)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise


def _is_empty(connection: Connection) -> bool:
    """True for a SQLite database with none of retrobot's tables and no migration's stamp."""
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)

    if connection.dialect.name != "sqlite":
        return False
    present = set(inspect(connection).get_table_names())
    if present & set(SQLModel.metadata.tables):
        return False
    if "alembic_version" not in present:
        return True
    return connection.execute(_STAMPED).first() is None


def _create_newest(connection: Connection) -> None:
    """Create every table as the models declare it, stamped with the newest revision (the
    database has none of them: :func:`_is_empty` looked, so none is looked for again)."""
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(connection, checkfirst=False)
    _ALEMBIC_VERSION.create(connection, checkfirst=True)
    connection.execute(_ALEMBIC_VERSION.insert().values(version_num=newest_revision()))


def _upgrade(connection: Connection) -> None:
    """Run the migrations from the database's revision to the newest (Alembic)."""
    from alembic import command
    from alembic.migration import MigrationContext

    before = MigrationContext.configure(connection).get_current_revision()
    command.upgrade(alembic_config(connection), "head")
    after = MigrationContext.configure(connection).get_current_revision()
    if connection.dialect.name == "sqlite" and after != before:
        _check_foreign_keys(connection)


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


# SQLite's primary result codes for a database another connection is writing to.
_SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
# PostgreSQL's SQLSTATEs for a wait cut short or a server not taking work now; class 08 (a
# connection lost or refused) is matched by its prefix.
_POSTGRESQL_BUSY_STATES = frozenset(
    {
        "55P03",  # lock_not_available: the lock timeout of saving_engine passed
        "57014",  # query_canceled: a statement timeout passed
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "53300",  # too_many_connections
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: starting up or shutting down
    }
)


def is_busy_or_unreachable(error: BaseException) -> bool:
    """True when ``error`` says the database could not take a statement now — busy with
    another writer, past its wait, or out of reach — so the same statement may well succeed in
    a moment; False for one it refused for good (a broken schema, a constraint)."""
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    cause = error.orig
    if isinstance(cause, sqlite3.Error):
        return (getattr(cause, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_BUSY_CODES
    state = getattr(cause, "sqlstate", None)
    if state is None:
        # psycopg's own errors (a connection refused, the server gone) carry no SQLSTATE.
        return isinstance(error, OperationalError)
    return state in _POSTGRESQL_BUSY_STATES or state.startswith("08")
