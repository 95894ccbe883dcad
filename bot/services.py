"""What every listener and job needs, in one object that Bolt's context carries by name."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NoReturn

from slack_sdk import WebClient
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session

from bot.core.config import AppConfig
from bot.core.errors import CouldNotSaveError
from bot.core.settings import Settings
from bot.slack import pacing
from bot.slack.client import make_client
from bot.slack.pacing import Pace
from prompts import Renderer
from storage import circles, db, queries, roster

logger = logging.getLogger(__name__)


# How long storing a modal's submission waits for a busy database before saying so: well inside
# Slack's 3 s for the ack, which waits for it.
SAVE_WAIT_SECONDS = 1.5

# How often a process rereads who is in each team's Slack user group from the database.
ROSTER_REFRESH_SECONDS = 60.0


def utcnow() -> datetime:
    """The current moment, timezone-aware in UTC (the one clock; tests freeze it)."""
    return datetime.now(UTC)


@dataclass
class Services:
    """The session factory, renderer, clock, configuration and settings of a running retrobot."""

    config: AppConfig
    settings: Settings
    engine: Engine
    renderer: Renderer = field(default_factory=Renderer)
    clock: Callable[[], datetime] = utcnow
    # The pace of the DMs and posts this process sends (rounds, asks, reflection DMs, reminders):
    # Slack's (bot.slack.pacing.PACE) unless set; the demo, whose local Slack keeps no rate
    # limit, sends them unpaced. Read through :meth:`pace`.
    dm_pace: Pace | None = None

    def __post_init__(self) -> None:
        self._session_factory = db.session_factory(self.engine)
        self._client: WebClient | None = None
        self._listed = self._with_rosters = self.config
        self._rosters_read = time.monotonic()

    @property
    def listed_config(self) -> AppConfig:
        """app.yaml as loaded: its teams' members without the people found in user groups."""
        return self._listed if self.config is self._with_rosters else self.config

    def refresh_rosters(self) -> None:
        """Let ``config`` know the people of each team's Slack user group, as the database last
        recorded them (each check-in round reads the groups): app.yaml lists only some people
        of such a team, and everything that asks who is in a team asks ``config``."""
        listed = self._listed = self.listed_config  # app.yaml may have been loaded again
        self._rosters_read = time.monotonic()
        team_ids = listed.roster_team_ids  # user groups' people, and circles' representatives
        if not team_ids:
            self.config = self._with_rosters = listed
            return
        with self.session() as session:
            rosters = queries.active_members_of_teams(session, team_ids)
        self.config = self._with_rosters = listed.with_rosters(rosters)

    def keep_rosters_fresh(self) -> None:
        """Refresh the user groups' people now and then (cheap to call on every request)."""
        if (
            self.config is not self._with_rosters
            or time.monotonic() - self._rosters_read > ROSTER_REFRESH_SECONDS
        ):
            self.refresh_rosters()

    @property
    def client(self) -> WebClient:
        """The Web API client for work that no Slack request started (jobs, the command line)."""
        if self._client is None:
            self._client = make_client(self.settings.bot_token, self.settings.slack_api_url)
        return self._client

    def pace(self) -> Pace:
        """The pace of this process's DMs and posts: ``dm_pace`` when set, else Slack's."""
        return self.dm_pace or pacing.PACE

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A database session for one use case; closed afterwards, rolled back on error."""
        session = self._session_factory()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A Core connection on which each statement commits by itself, for a hot path whose
        work is one statement: no ORM session (~0.1 ms a request), and no BEGIN and COMMIT
        around it, which on PostgreSQL are round trips and on SQLite calls out of Python that
        each queue for its lock again (docs/benchmarks.md, the fourth profile)."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection

    @property
    def saving_engine(self) -> Engine:
        """The engine that stores submissions: the same database, each connection waiting for a
        busy one at most :data:`SAVE_WAIT_SECONDS` (storage.db.saving_engine)."""
        return db.saving_engine(self.engine, SAVE_WAIT_SECONDS)

    @contextmanager
    def saving(self) -> Iterator[Connection]:
        """A connection (each statement committing by itself) for storing what a person has
        just submitted, before their modal closes: it waits for a busy database at most
        :data:`SAVE_WAIT_SECONDS`, and a database that cannot take it becomes
        :class:`CouldNotSaveError` — the modal then stays open with everything typed in it."""
        try:
            with self.saving_engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                yield connection
        except (OperationalError, DBAPIError, PoolTimeoutError) as error:
            _could_not_save(error)

    @contextmanager
    def saving_session(self) -> Iterator[Session]:
        """A session for storing what a person has just submitted, before their modal closes,
        where the rules that store it take a Session: like :meth:`saving`, it waits for a busy
        database at most :data:`SAVE_WAIT_SECONDS`, and a database that cannot take it now
        (busy, or out of reach) becomes :class:`CouldNotSaveError`. One that refuses it for good
        (a broken schema) is a fault, not a reason to try again: its error goes on, to be logged
        with its traceback and the person told. The session commits as the rules do."""
        try:
            with Session(self.saving_engine, expire_on_commit=False) as session:
                try:
                    yield session
                except BaseException:
                    session.rollback()
                    raise
        except (DBAPIError, PoolTimeoutError) as error:
            if not db.is_busy_or_unreachable(error):
                raise
            _could_not_save(error)

    def now(self) -> datetime:
        """The current moment in UTC."""
        return self.clock()


def _could_not_save(error: Exception) -> NoReturn:
    """Say in the log that a submission could not be stored in time, and raise the error that
    keeps its modal open."""
    # The error's class only: its message and parameters may quote what was typed.
    logger.warning("Could not store a submission in time (%s)", type(error).__name__)
    raise CouldNotSaveError("couldn't save just now") from None


def open_services(settings: Settings, config: AppConfig) -> Services:
    """Connect to the database, migrate it, mirror app.yaml's teams into it, and bundle it all."""
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    services = Services(config=config, settings=settings, engine=engine)
    with services.session() as session:
        sync_teams(session, config)
    services.refresh_rosters()
    return services


def sync_teams(session: Session, config: AppConfig) -> None:
    """Mirror app.yaml's teams, members and coaches into the database (nothing is deleted),
    in a few set-based statements; a circle's members are its member teams' representatives,
    as their roles stand."""
    roster.mirror_teams(
        session,
        [
            roster.TeamRoster(
                team_id=team.id,
                name=team.name,
                channel=team.channel,
                timezone=team.timezone,
                members=[(m.id, m.name, m.timezone or team.timezone) for m in team.members],
                coaches=[(c.id, c.timezone or team.timezone) for c in team.coaches],
                keep_unlisted_members=team.usergroup is not None,
            )
            for team in config.teams
            if config.find_circle(team.id) is None
        ],
    )
    for team in config.teams:
        if config.find_circle(team.id) is not None:  # its members: sync_circle_members, below
            queries.upsert_team(
                session,
                team_id=team.id,
                name=team.name,
                channel=team.channel,
                timezone=team.timezone,
            )
    sync_circle_members(session, config)
    session.commit()


def sync_circle_members(session: Session, config: AppConfig) -> None:
    """Make each circle's members its representatives: the holders of its representatives'
    role in its member teams (bot/circles). Flushed, not committed."""
    if not config.circles:
        return
    reps = circles.representatives(
        session, [(c.id, c.teams, c.representatives) for c in config.circles]
    )
    for circle in config.circles:
        queries.sync_members(
            session,
            team_id=circle.id,
            members=[(user_id, None, None) for user_id in reps.get(circle.id, [])],
            coaches=[],
        )
    session.flush()
