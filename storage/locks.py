"""The locks that let one process at a time do something: lead the scheduler, update an agenda.

Locks live with the data they guard. On PostgreSQL the scheduler's lock is a session advisory
lock on a dedicated connection (released when the process or its connection dies); elsewhere it
is a ``scheduler_lock`` row with a lease the holder renews, which any process may take once the
lease has run out. The same lease rows let SQLite take turns at other work (an agenda's update)
without holding the whole database while Slack is called.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, delete, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, col

from storage.models import SchedulerLock

logger = logging.getLogger(__name__)

# Any constant works as long as every retrobot process uses the same one (storage.db's migration
# lock uses another).
SCHEDULER_LOCK_KEY = 0x7265_7472_6F63  # "retroc"
LOCK_NAME = "scheduler"
LEASE = timedelta(seconds=30)  # a leader that stops renewing is replaced within this (+ a poll)


class Database(Protocol):
    """What a lease needs of the running app: its engine, sessions and clock (bot's Services)."""

    @property
    def engine(self) -> Engine:
        """The engine of the database the locks live in."""

    def session(self) -> AbstractContextManager[Session]:
        """A session, closed (and rolled back on error) when the block ends."""

    def now(self) -> datetime:
        """The current moment in UTC (tests move it on)."""


class LeaderLock(Protocol):
    """A lock at most one process holds; acquiring never blocks."""

    def acquire(self) -> bool:
        """Take the lock if it is free (or already ours); True when we hold it."""

    def renew(self) -> bool:
        """Confirm we still hold it; False when it was lost."""

    def release(self) -> None:
        """Give it up, if held."""

    def forget(self) -> None:
        """In a forked child: drop the parent's hold without touching it."""


class AdvisoryLock:
    """A PostgreSQL session advisory lock held on a connection of its own.

    The lock lives as long as the connection: when the process dies its connection closes and
    PostgreSQL frees the lock. TCP keepalives on both ends notice a machine that vanished.
    """

    def __init__(self, engine: Engine, key: int = SCHEDULER_LOCK_KEY) -> None:
        # No pool: closing the connection really closes it, so the lock can never linger.
        self._engine = create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": 10,
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        )
        self.key = key
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """Try pg_try_advisory_lock on a new connection; keep the connection if we got it."""
        if self._connection is not None:
            return self.renew()
        try:
            connection = self._engine.connect()
        except SQLAlchemyError:
            logger.warning("Cannot reach the database to take the scheduler lock", exc_info=True)
            return False
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
            connection.commit()
            if got:
                for setting in ("tcp_keepalives_idle = 10", "tcp_keepalives_interval = 5"):
                    connection.execute(text(f"SET {setting}"))
                connection.commit()
        except SQLAlchemyError:
            logger.warning("Could not take the scheduler lock", exc_info=True)
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def renew(self) -> bool:
        """The lock is ours as long as its connection answers."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except SQLAlchemyError:
            logger.warning("Lost the scheduler lock's connection", exc_info=True)
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Unlock and close the connection (closing alone would free it too)."""
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.commit()
        except SQLAlchemyError:
            logger.warning("Could not unlock the scheduler lock; closing its connection")
        self._drop()

    def forget(self) -> None:
        """In a forked child: forget the parent's connection (psycopg never closes it here)."""
        self._connection = None
        self._engine.dispose(close=False)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                logger.debug("Closing the lock connection failed", exc_info=True)


class LeaseLock:
    """A ``scheduler_lock`` row naming the holder until its lease runs out (SQLite and others).

    The holder renews the lease well before it expires; any process may take a lease that has
    run out. The clock is the database's (the app's) clock, so tests can move time on.
    """

    def __init__(
        self,
        database: Database,
        *,
        holder: str,
        lease: timedelta = LEASE,
        name: str = LOCK_NAME,
    ) -> None:
        self.database = database
        self.holder = holder
        self.lease = lease
        self.name = name

    def acquire(self) -> bool:
        """Take the lease if nobody holds it, it has run out, or it is already ours."""
        now = self.database.now()
        with self.database.session() as session:
            taken = session.execute(
                update(SchedulerLock)
                .where(
                    col(SchedulerLock.name) == self.name,
                    (col(SchedulerLock.holder) == self.holder)
                    | (col(SchedulerLock.expires_at) <= now),
                )
                .values(holder=self.holder, expires_at=now + self.lease)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken:
                session.commit()
                return True
            if session.get(SchedulerLock, self.name) is not None:
                return False
            session.add(
                SchedulerLock(name=self.name, holder=self.holder, expires_at=now + self.lease)
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

    def renew(self) -> bool:
        """Extend our lease; False when someone else holds it now."""
        now = self.database.now()
        with self.database.session() as session:
            kept = session.execute(
                update(SchedulerLock)
                .where(
                    col(SchedulerLock.name) == self.name, col(SchedulerLock.holder) == self.holder
                )
                .values(expires_at=now + self.lease)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
        return bool(kept)

    def release(self) -> None:
        """Give the lease up at once, so another process need not wait for it to run out."""
        with self.database.session() as session:
            session.execute(
                delete(SchedulerLock).where(
                    col(SchedulerLock.name) == self.name, col(SchedulerLock.holder) == self.holder
                )
            )
            session.commit()

    def forget(self) -> None:
        """Nothing is held open: the lease is a row."""


def instance_name() -> str:
    """This process's name in the lock: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def make_lock(database: Database, *, holder: str | None = None) -> LeaderLock:
    """The right lock for the database: an advisory lock on PostgreSQL, else a lease row."""
    if database.engine.dialect.name == "postgresql":
        return AdvisoryLock(database.engine)
    return LeaseLock(database, holder=holder or instance_name())
