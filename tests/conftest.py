"""Shared fixtures: databases (SQLite, and PostgreSQL where TEST_DATABASE_URL names one), the
configuration, the local Slack stand-in, and the real app served over HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import freezegun
import psycopg
import pytest

from bot.app import create_app
from bot.core.config import AppConfig, parse_config
from bot.core.settings import Settings
from bot.server import LocalServer, make_wsgi_app
from bot.services import Services, open_services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.db import make_engine, migrate, normalise_url

# pytest times each test with clocks it imported from `time` into _pytest.timing; freezegun would
# swap them for its frozen ones, and --durations would print years. Only that module: ignoring
# all of "_pytest" would hand real time to a test body, whose caller is _pytest.python.
freezegun.configure(extend_ignore_list=["_pytest.timing"])


def pytest_configure(config: pytest.Config) -> None:
    """.ci/run installs Chromium (for tests/bot/reports/test_browser.py) while pip installs, and
    names in RETROBOT_CI_CHROMIUM_DONE the file it makes when the install has ended: wait for it
    before any test module looks for Chromium."""
    done = os.environ.get("RETROBOT_CI_CHROMIUM_DONE")
    if not done:
        return
    deadline = time.monotonic() + 900
    while not Path(done).exists() and time.monotonic() < deadline:
        time.sleep(0.5)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``'s worker count: half as many again as there are cores. A good part of each
    test waits rather than computes (the database, a served app's answer, a second process
    starting), so one worker per core leaves cores idle; on the 2-core CI machine three
    workers were quicker than two and than four (docs/benchmarks.md, The whole CI).
    PYTEST_XDIST_AUTO_NUM_WORKERS still decides when it is set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return max(2, (os.cpu_count() or 1) * 3 // 2)


# The folders whose files each take tens of seconds (the journeys start processes and servers;
# the benchmarks' smoke runs start several). Run first, they overlap the thousands of quick
# tests; run last (as pytest-xdist's default order, most tests first, put them) one worker
# finishes them alone while the others wait.
_LONG_FILES_FIRST = ("journeys", "bench")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long files first, each file's tests kept together and in order (with
    ``--no-loadscope-reorder`` in pyproject.toml, workers take the files in this order)."""
    items.sort(key=lambda item: item.path.parent.name not in _LONG_FILES_FIRST)


SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"

# The people of the test organisation. North has four members and a coach; South has two
# members, one of whom (U0SHARED) is also in North; U0OUTSIDE is in no team.
ANA, BEN, CARA, DEV = "U0ANA", "U0BEN", "U0CARA", "U0DEV"
SHARED, SAM = "U0SHARED", "U0SAM"
COACH, SOUTH_COACH = "U0COACH", "U0SCOACH"
OUTSIDER = "U0OUTSIDE"
NORTH_CHANNEL, SOUTH_CHANNEL = "C0NORTH", "C0SOUTH"

TEST_APP_YAML = f"""
organisation:
  name: Riverside Community Care
  values: [Compassion, Trust, Accountability, Courage]
defaults:
  timezone: Europe/London
  tactical: {{day: tuesday, time: "10:00", checkin_lead: 24h, reminder_after: 4h, agenda_lead: 30m}}
  digest: {{day: monday, time: "08:30"}}
teams:
  - id: north
    name: North Neighbourhood Team
    channel: {NORTH_CHANNEL}
    members: [{ANA}, {BEN}, {CARA}, {DEV}, {SHARED}]
    coaches: [{COACH}]
    metrics:
      - {{id: visits, label: Client visits, unit: visits}}
  - id: south
    name: South Neighbourhood Team
    channel: {SOUTH_CHANNEL}
    members: [{SHARED}, {SAM}]
    coaches: [{SOUTH_COACH}]
    timezone: Europe/London
"""


def _postgresql_schema_url(base_url: str, schema: str) -> str:
    """``base_url`` with every connection's search_path set to ``schema``."""
    url = normalise_url(base_url)
    options = " ".join(filter(None, [url.query.get("options"), f"-csearch_path={schema}"]))
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, schema_templates: SchemaTemplates
) -> Iterator[str]:
    """A database at the newest schema with no rows: a fresh SQLite file copied from one
    migrated once per test process (:class:`SchemaTemplates`), or a PostgreSQL schema of the
    test's own, made from that template or emptied after an earlier test of the same process
    (:class:`_ReusedSchemas`). Tests of the migrations themselves start from
    :func:`fresh_database` instead.

    A schema of its own per test keeps PostgreSQL runs repeatable and lets several run side by
    side on one server.
    """
    with fresh_database(request.param, tmp_path, templates=schema_templates) as url:
        yield url


class SchemaTemplates:
    """The newest schema, migrated once per test process and copied for each test: a SQLite
    file copied, or the DDL of a migrated PostgreSQL schema (``pg_dump``) replayed under a new
    name. Migrating from nothing takes 0.2 s on SQLite and nearly 1 s on PostgreSQL, for each
    of some three thousand tests; a copy takes milliseconds. Without ``pg_dump`` each test's
    schema is migrated as before."""

    TOKEN = "retrobot_template_schema"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._sqlite: Path | None = None
        self._scripts: dict[str, str | None] = {}
        self._reused: dict[str, _ReusedSchemas] = {}

    def postgresql_schemas(self, base_url: str) -> _ReusedSchemas | None:
        """The schemas tests take in turn on ``base_url``; None without the template's DDL."""
        if base_url not in self._reused:
            script = self.postgresql_script(base_url)
            if script is None:
                return None
            self._reused[base_url] = _ReusedSchemas(base_url, script)
        return self._reused[base_url]

    def close(self) -> None:
        for schemas in self._reused.values():
            schemas.close()

    def sqlite_copy(self, target: Path) -> None:
        if self._sqlite is None:
            path = self.directory / "template.db"
            engine = make_engine(f"sqlite:///{path}")
            migrate(engine)
            engine.dispose()
            self._sqlite = path
        shutil.copyfile(self._sqlite, target)

    def postgresql_script(self, base_url: str) -> str | None:
        """The DDL (and the alembic_version row) of a migrated schema named TOKEN; None when
        pg_dump cannot give it."""
        if base_url not in self._scripts:
            self._scripts[base_url] = self._dump(base_url)
        return self._scripts[base_url]

    def _dump(self, base_url: str) -> str | None:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            return None
        schema = f"template_{uuid.uuid4().hex[:16]}"
        admin = make_engine(base_url, pool_size=1)
        try:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            engine = make_engine(_postgresql_schema_url(base_url, schema))
            migrate(engine)
            engine.dispose()
            dumped = subprocess.run(
                [
                    pg_dump,
                    f"--schema={schema}",
                    "--inserts",
                    "--no-owner",
                    "--no-privileges",
                    f"--dbname={_libpq_url(base_url)}",
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()
        if dumped.returncode != 0:
            return None
        # psql's own commands (\restrict) are not SQL; the rest names the schema throughout.
        lines = [line for line in dumped.stdout.splitlines() if not line.startswith("\\")]
        return "\n".join(lines).replace(schema, self.TOKEN)


@pytest.fixture(scope="session")
def schema_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaTemplates]:
    templates = SchemaTemplates(tmp_path_factory.mktemp("schema-template"))
    yield templates
    templates.close()


class _ReusedSchemas:
    """PostgreSQL schemas made from the template, emptied and handed to the next test.

    Making a schema from the template's DDL takes about 0.3 s here and dropping it 0.1 s, for
    each of some 1,500 PostgreSQL tests; checking and emptying one takes 20–40 ms. A schema
    goes back to the idle list when its test ends, and is emptied just before the next test
    takes it: every row of every table deleted, every sequence back at 1, in one transaction
    that waits at most 2 s for a lock, after a check that it still has the template's shape
    (``_shape``).
    A schema a test changed (a trigger, a table, a column), or one a connection still holds,
    is dropped and a fresh one made instead. The idle schemas are dropped when the test
    process ends.
    """

    EMPTY_WAIT, DROP_WAIT = "2s", "10s"  # for a lock a test's connection still holds
    SHAPE = """
        WITH owned AS (
            SELECT objid FROM pg_depend
            WHERE refclassid = 'pg_namespace'::regclass AND refobjid = %(schema)s::regnamespace
              AND classid = 'pg_class'::regclass
        )
        SELECT (SELECT count(*) FROM pg_depend
                WHERE refclassid = 'pg_namespace'::regclass
                  AND refobjid = %(schema)s::regnamespace),
               (SELECT count(*) FROM pg_depend
                WHERE refclassid = 'pg_class'::regclass AND refobjid IN (SELECT objid FROM owned)),
               (SELECT count(*) FROM pg_attribute
                WHERE attrelid IN (SELECT objid FROM owned) AND attnum > 0 AND NOT attisdropped)
    """

    def __init__(self, base_url: str, script: str) -> None:
        self._script = script
        self._connection = psycopg.connect(_libpq_url(base_url), autocommit=True)
        self._idle: list[str] = []
        self._made_here: set[str] = set()  # every schema made and not yet dropped
        self._template_shape: tuple[object, ...] | None = None
        self._emptying = ""

    def take(self) -> str:
        while self._idle:
            schema = self._idle.pop()
            if self._emptied(schema):
                return schema
            self._drop(schema)
        return self._made()

    def give_back(self, schema: str) -> None:
        self._idle.append(schema)

    def close(self) -> None:
        """Drop every schema this pool made, idle or still taken (a test that took one and
        never gave it back), or one a connection held when it was first dropped."""
        for schema in sorted(self._made_here):
            self._drop(schema)
        self._connection.close()

    def _made(self) -> str:
        schema = f"test_{uuid.uuid4().hex[:16]}"
        self._made_here.add(schema)
        self._connection.execute(self._script.replace(SchemaTemplates.TOKEN, schema).encode())
        if self._template_shape is None:
            self._template_shape = self._shape(schema)
            self._emptying = self._emptying_sql(schema)
        return schema

    def _shape(self, schema: str) -> tuple[object, ...]:
        """What a test that created, altered or dropped anything in ``schema`` would change:
        how many objects it holds, how many depend on its tables (indexes, constraints,
        triggers, defaults), its tables' columns, and its revision. Every lookup is by
        index: the catalogs of a server that has made and dropped thousands of schemas are
        large, and scanning them took 40 ms a test."""
        counts = self._connection.execute(self.SHAPE, {"schema": schema}).fetchone()
        revision = self._connection.execute(
            f"SELECT string_agg(version_num, ',') FROM \"{schema}\".alembic_version"
        ).fetchone()
        return (*(counts or ()), revision[0] if revision else None)

    def _emptying_sql(self, schema: str) -> str:
        """Every table's DELETE, those that others point at last, then every sequence reset."""
        from sqlmodel import SQLModel

        present = {
            row[0]
            for row in self._connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            )
        } - {"alembic_version"}
        ordered = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name in present]
        ordered += sorted(present - set(ordered))
        deletes = "".join(f'DELETE FROM "{{schema}}"."{name}";' for name in ordered)
        return deletes + (
            "SELECT setval(c.oid, 1, false) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = '{schema}'::regnamespace;"
        )

    def _emptied(self, schema: str) -> bool:
        try:
            if self._shape(schema) != self._template_shape:
                return False
            with self._connection.transaction():
                self._connection.execute(f"SET LOCAL lock_timeout = '{self.EMPTY_WAIT}'")
                self._connection.execute(self._emptying.replace("{schema}", schema).encode())
        except psycopg.Error:
            return False
        return True

    def _drop(self, schema: str) -> None:
        """Drop ``schema``; one a connection still holds is tried again at the end."""
        try:
            with self._connection.transaction():
                # A connection a test forgot to close would otherwise make this wait for ever.
                self._connection.execute(f"SET LOCAL lock_timeout = '{self.DROP_WAIT}'")
                self._connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        except psycopg.errors.LockNotAvailable:
            return  # tried again by close()
        self._made_here.discard(schema)


def _libpq_url(base_url: str) -> str:
    return (
        normalise_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


@contextmanager
def fresh_database(
    kind: str, directory: Path, *, templates: SchemaTemplates | None = None
) -> Iterator[str]:
    """The URL of a ``kind`` ("sqlite" or "postgresql") database, for any fixture scope: empty,
    or with ``templates`` at the newest schema. A PostgreSQL schema is dropped afterwards, or
    with ``templates`` given back for the next test (:class:`_ReusedSchemas`); without
    TEST_DATABASE_URL the test skips."""
    if kind == "sqlite":
        if templates is not None:
            templates.sqlite_copy(directory / "retrobot.db")
        yield f"sqlite:///{directory / 'retrobot.db'}"
        return
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    reused = templates.postgresql_schemas(base_url) if templates is not None else None
    if reused is not None:
        schema = reused.take()
        yield _postgresql_schema_url(base_url, schema)
        reused.give_back(schema)
        return
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base_url, pool_size=1)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        if templates is not None:  # no pg_dump: migrated here, as before
            engine = make_engine(_postgresql_schema_url(base_url, schema))
            migrate(engine)
            engine.dispose()
        yield _postgresql_schema_url(base_url, schema)
        with admin.begin() as connection:
            # A connection a test forgot to close would otherwise make this wait for ever.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()


@pytest.fixture(autouse=True)
def fast_dnd_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack's do-not-disturb read without Tier 2's pace (bot.shifts.dnd): the stand-in sets
    no limit on it unless a test does, and a suite of rounds would otherwise wait minutes."""
    from bot.shifts import dnd
    from bot.slack.pacing import Pace

    monkeypatch.setattr(dnd, "PACE", Pace(10_000, 1_000))


@pytest.fixture
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack's pace for the app's DMs (bot.slack.pacing) without its real five a second: the
    pace has its own tests, and proposals asking a team or 500 people would otherwise wait."""
    from bot.slack import pacing

    monkeypatch.setattr(pacing, "PACE", pacing.Pace(10_000, 1_000))


@pytest.fixture
def config() -> AppConfig:
    """The test organisation's app.yaml."""
    return parse_config(TEST_APP_YAML, source="test-app.yaml")


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """The local Slack stand-in, with the test organisation's people and channels.

    Every message and view the app sends is checked against Block Kit's limits; a test fails
    if any broke them.
    """
    with organisation_slack() as fake:
        yield fake
    assert fake.limit_violations == [], "a message or view broke Slack's Block Kit limits"


def organisation_slack() -> FakeSlack:
    """A stand-in (not yet started) with the test organisation's people and channels."""
    fake = FakeSlack()
    names = {ANA: "Ana", BEN: "Ben", CARA: "Cara", DEV: "Dev", SHARED: "Shay", SAM: "Sam"}
    for user_id, name in names.items():
        fake.add_user(user_id, name=name)
    fake.add_user(COACH, name="Coach Kim")
    fake.add_user(SOUTH_COACH, name="Coach Lee")
    fake.add_user(OUTSIDER, name="Olu")
    fake.add_channel(NORTH_CHANNEL, members=[ANA, BEN, CARA, DEV, SHARED])
    fake.add_channel(SOUTH_CHANNEL, members=[SHARED, SAM])
    return fake


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    """Settings that point retrobot at the stand-in and the test database."""
    return Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        database_url=database_url,
    )


@pytest.fixture
def services(settings: Settings, config: AppConfig) -> Iterator[Services]:
    """retrobot's services on a migrated test database with the test teams mirrored in."""
    services = open_services(settings, config)
    yield services
    services.engine.dispose()


@pytest.fixture
def app_server(services: Services) -> Iterator[LocalServer]:
    """The real app, served over HTTP on 127.0.0.1.

    At the end it waits for every listener still at work after its ack (DMs, agenda updates,
    App Homes), so none outlives the test's database and Slack stand-in.
    """
    app = create_app(services)
    with LocalServer(make_wsgi_app(app, services)) as server:
        yield server
    app.listener_runner.listener_executor.shutdown(wait=True)


@pytest.fixture
def slack(app_server: LocalServer, fake_slack: FakeSlack) -> SlackSender:
    """Sends requests to the app as Slack would: signed, over HTTP."""
    return SlackSender(f"{app_server.url}/slack/events", SIGNING_SECRET, fake_slack)
