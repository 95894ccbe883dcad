"""The roles of each team, kept between requests while the database announces no change.

Every `/tension` shows the roles of the person's teams, and they change a few times a year. On
PostgreSQL each change is announced by the database itself (migration 0018, storage.watch), so a
process keeps what it read until the next announcement, whoever made the change. A change
committed by this process counts at once, before its announcement comes back. Without
announcements (SQLite, or the watch's connection lost) nothing is kept: every read asks. Nothing
is kept longer than :data:`KEEP_SECONDS` either, in case announcements cannot reach the process
(docs/deploy.md).
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from bot.roles.model import RoleInfo
from storage.models import Role, RoleHolder
from storage.watch import watch

CHANNEL = "retrobot_roles"  # the channel migration 0018's triggers announce on
# Kept no longer than this even when nothing was announced: behind a proxy that pools
# connections by transaction (PgBouncer's transaction mode), a LISTEN hears nothing.
KEEP_SECONDS = 60.0

Read = Callable[[Collection[str]], dict[str, list[RoleInfo]]]


class RolesCache:
    """Each team's roles as last read, for one engine's database."""

    def __init__(self, engine: Engine) -> None:
        self._watch = watch(engine, CHANNEL)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._teams: dict[str, tuple[float, tuple[RoleInfo, ...]]] = {}

    def roles_of_teams(self, team_ids: Collection[str], read: Read) -> dict[str, list[RoleInfo]]:
        """Each team's roles: those kept, and ``read`` for the rest (kept when nothing changed
        while they were read)."""
        stamp = self._current()
        if stamp is None:
            return read(team_ids)
        with self._lock:
            if self._stamp != stamp:
                self._teams.clear()
                self._stamp = stamp
            oldest = time.monotonic() - KEEP_SECONDS
            found = {
                team: list(kept[1])
                for team in team_ids
                if (kept := self._teams.get(team)) is not None and kept[0] > oldest
            }
        missing = [team for team in team_ids if team not in found]
        if not missing:
            return found
        read_at = time.monotonic()
        fresh = read(missing)
        with self._lock:
            if self._stamp == stamp and self._current() == stamp:
                self._teams.update((team, (read_at, tuple(roles))) for team, roles in fresh.items())
        return found | fresh

    def _current(self) -> tuple[int, int] | None:
        announced = self._watch.stamp()
        return None if announced is None else (announced, _last_roles_commit)


# Each transaction of this process that changed roles, when it commits, takes the next number;
# the last one taken is part of every stamp (a plain read: a reader that sees the one before
# reads the database again next time).
_commits = itertools.count(1)
_last_roles_commit = 0
_CACHES: weakref.WeakKeyDictionary[Engine, RolesCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def roles_cache(engine: Engine) -> RolesCache:
    """The one cache of ``engine``'s database in this process."""
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            cache = _CACHES[engine] = RolesCache(engine)
        return cache


_ROLES_CHANGED = "retrobot_roles_changed"
_ROLE_TABLES = frozenset({Role.__tablename__, RoleHolder.__tablename__})


@event.listens_for(OrmSession, "after_flush")
def _note_roles_flushed(session: OrmSession, flush_context: Any) -> None:
    """Roles or holders added, changed or removed as objects."""
    if any(
        isinstance(item, Role | RoleHolder)
        for item in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info[_ROLES_CHANGED] = True


@event.listens_for(OrmSession, "do_orm_execute")
def _note_roles_written(state: ORMExecuteState) -> None:
    """Roles or holders inserted, updated or deleted by a statement run on a session."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _ROLE_TABLES:
            state.session.info[_ROLES_CHANGED] = True


@event.listens_for(OrmSession, "after_commit")
def _count_roles_committed(session: OrmSession) -> None:
    global _last_roles_commit
    if session.info.pop(_ROLES_CHANGED, False):
        _last_roles_commit = next(_commits)


@event.listens_for(OrmSession, "after_rollback")
def _forget_roles_flushed(session: OrmSession) -> None:
    session.info.pop(_ROLES_CHANGED, None)
