"""Changes the database itself announces, for values a process may keep between requests.

On PostgreSQL a trigger announces each change to a few tables on a channel (``NOTIFY``, sent
when the change commits; the migration that adds it names the channel and the tables), and a
:class:`ChangeWatch` listens on its own connection, in a thread of its own. A value read from
those tables may be kept as long as the watch's :meth:`~ChangeWatch.stamp` is the one it was
read under: every announcement, every lost connection and every reconnection gives a new one.

A database that cannot announce (SQLite), a watch not listening yet, or one whose connection
was lost has no stamp: nothing read may be kept, and every read goes to the database. So a kept
value is never older than the announcement of a change on its way to this process (about a
millisecond), whichever process or command made the change, and however it was made.
"""

from __future__ import annotations

import logging
import threading
import weakref
from os import getpid
from typing import Any

from sqlalchemy import Engine, event

logger = logging.getLogger(__name__)

# How long the listening thread waits for an announcement before it looks whether it should
# stop; and how long it waits before connecting again after losing its connection, at most.
WAIT_SECONDS = 0.5
RECONNECT_WAIT_SECONDS = 30.0


class ChangeWatch:
    """The announcements on one channel of ``engine``'s PostgreSQL database, for its schema.

    The thread starts at the first :meth:`stamp`, and again in a forked child (threads do not
    survive a fork); disposing of the engine stops it.
    """

    def __init__(self, engine: Engine, channel: str) -> None:
        self._engine = engine
        self._channel = channel
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False
        self._stop: threading.Event | None = None
        self._pid: int | None = None
        self.backend_pid: int | None = None  # the listening connection's server process

    def stamp(self) -> int | None:
        """The generation of what the database has announced, or None while nothing read may
        be kept (not listening yet, or the connection lost)."""
        with self._lock:
            if self._pid != getpid():
                self._start()
            return self._generation if self._listening else None

    def stop(self) -> None:
        """Stop listening: nothing read may be kept until the watch listens again."""
        with self._lock:
            self._generation += 1
            self._listening = False
            if self._stop is not None:
                self._stop.set()
            self._stop, self._pid = None, None

    def _start(self) -> None:
        if self._stop is not None:
            self._stop.set()  # the thread of the process this one was forked from, if any
        self._generation += 1
        self._listening = False
        self._stop = threading.Event()
        self._pid = getpid()
        thread = threading.Thread(
            target=self._listen, args=(self._stop,), name=f"watch-{self._channel}", daemon=True
        )
        thread.start()

    def _listen(self, stop: threading.Event) -> None:
        """Listen until stopped, connecting again after a lost connection."""
        wait = WAIT_SECONDS
        while not stop.is_set():
            try:
                self._listen_once(stop)
                wait = WAIT_SECONDS
            except Exception as error:  # a lost or refused connection: never kept values
                self._advance(stop, listening=False)
                logger.warning(
                    "Listening for changes on %s stopped (%s); trying again in %g s",
                    self._channel,
                    type(error).__name__,
                    wait,
                )
                stop.wait(wait)
                wait = min(wait * 2, RECONNECT_WAIT_SECONDS)

    def _listen_once(self, stop: threading.Event) -> None:
        pooled = self._engine.raw_connection()
        connection: Any = pooled.driver_connection
        pooled.detach()  # its own connection, never handed back to the pool
        try:
            connection.autocommit = True
            self.backend_pid = connection.info.backend_pid
            schema = connection.execute("SELECT current_schema()").fetchone()[0]
            connection.execute(f'LISTEN "{self._channel}"')
            self._advance(stop, listening=True)  # whatever changed before it listened
            while not stop.is_set():
                if any(
                    note.payload == schema
                    for note in connection.notifies(timeout=WAIT_SECONDS, stop_after=64)
                ):
                    self._advance(stop)
        finally:
            connection.close()

    def _advance(self, stop: threading.Event, *, listening: bool | None = None) -> None:
        """A new generation (and, when given, whether it listens), unless ``stop``'s thread
        is no longer the watch's own."""
        with self._lock:
            if self._stop is stop:
                self._generation += 1
                if listening is not None:
                    self._listening = listening


class _NoAnnouncements:
    """The watch of a database that announces nothing: no read is ever kept."""

    def stamp(self) -> None:
        return None

    def stop(self) -> None:
        return None


_NOTHING = _NoAnnouncements()
_WATCHES: weakref.WeakKeyDictionary[Engine, dict[str, ChangeWatch]] = weakref.WeakKeyDictionary()
_WATCHES_LOCK = threading.Lock()


def watch(engine: Engine, channel: str) -> ChangeWatch | _NoAnnouncements:
    """The one watch of ``channel`` on ``engine``'s database (stopped when it is disposed)."""
    if engine.url.get_backend_name() != "postgresql":
        return _NOTHING
    with _WATCHES_LOCK:
        watches = _WATCHES.get(engine)
        if watches is None:
            watches = _WATCHES[engine] = {}
            event.listen(engine, "engine_disposed", _stop_all(watches))
        found = watches.get(channel)
        if found is None:
            found = watches[channel] = ChangeWatch(engine, channel)
        return found


def _stop_all(watches: dict[str, ChangeWatch]) -> Any:
    def stop(engine: Engine) -> None:
        for each in watches.values():
            each.stop()

    return stop
