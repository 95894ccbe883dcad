"""Faults in our own process (issue 8, item 4), with real processes.

- ``kill -9`` of `retrobot checkin send` in the middle of a round, and of `retrobot digest --send`
  in the middle of the coaches' digests (Slack made slow so that the kill lands mid-way); run
  again, every member is asked once and every coach digested once. A member whose DM cannot be
  checked is marked ``in_doubt``, never asked twice (docs/checkins.md, Privacy). The digest that
  was in flight is looked for in the coach's DM once its claim is older than IN_DOUBT_AFTER:
  found if it arrived, sent then if it did not.
- SQLite under concurrent writers: two HTTP worker processes, the scheduler and a
  `retrobot checkin send` process writing at once; every request gets its normal answer, every
  row is stored, nobody is told "database is locked".
- PostgreSQL connection loss: the app's connections are terminated by the server; the next
  request still succeeds (the pool pings before use).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.app import create_app
from bot.core import ids
from bot.core.config import AppConfig, parse_config
from bot.core.settings import Settings
from bot.digests.service import last_complete_week
from bot.server import LocalServer, make_wsgi_app
from bot.services import Services, open_services
from bot.slack.outbox import IN_DOUBT_AFTER
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.db import make_engine, normalise_url
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    DeliveryStatus,
    DigestKind,
    PromptStatus,
    SentDigest,
    Tension,
)
from tests.conftest import ANA, BOT_TOKEN, NORTH_CHANNEL, SIGNING_SECRET
from tests.journeys.steps import serve_environment
from tests.journeys.test_redelivery import Arrivals, at_once, error_dms
from tests.journeys.test_scheduler_serve import wait_healthy
from tests.journeys.test_serve import Served, free_port

MEMBERS = [f"U0M{number:02d}" for number in range(1, 13)]
COACHES = ["U0KC1", "U0KC2", "U0KC3"]
CHANNEL = "C0BIG"
LONDON = ZoneInfo("Europe/London")


def big_team_yaml() -> str:
    """One team of twelve with three coaches, meeting three days from now (never mid-test)."""
    day = (datetime.now(LONDON) + timedelta(days=3)).strftime("%A").lower()
    return f"""
organisation:
  name: Riverside Community Care
  values: [Compassion, Trust]
defaults:
  timezone: Europe/London
  tactical: {{day: {day}, time: "10:00", checkin_lead: 24h, reminder_after: 4h, agenda_lead: 30m}}
  digest: {{day: monday, time: "08:30"}}
teams:
  - id: big
    name: Big Team
    channel: {CHANNEL}
    members: [{", ".join(MEMBERS)}]
    coaches: [{", ".join(COACHES)}]
"""


@dataclass
class World:
    """The big team's app.yaml, the environment of a retrobot process, and its services."""

    config: AppConfig
    env: dict[str, str]
    services: Services
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def run(self, *args: str) -> subprocess.Popen[str]:
        """Start `retrobot ARGS` as a real process; its output is read with ``finish``."""
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes.append(process)
        return process

    def finish(self, process: subprocess.Popen[str], timeout: float = 90) -> str:
        """Wait for the process to end; its output (it must have exited 0)."""
        out, _ = process.communicate(timeout=timeout)
        assert process.returncode == 0, out
        assert "Traceback" not in out, out
        return out


@pytest.fixture
def world(tmp_path: Path, fake_slack: FakeSlack, database_url: str) -> Iterator[World]:
    for number, user in enumerate(MEMBERS, start=1):
        fake_slack.add_user(user, name=f"Member {number}")
    for number, user in enumerate(COACHES, start=1):
        fake_slack.add_user(user, name=f"Coach {number}")
    fake_slack.add_channel(CHANNEL, members=MEMBERS)
    yaml_text = big_team_yaml()
    (tmp_path / "app.yaml").write_text(yaml_text, encoding="utf-8")
    env = serve_environment(fake_slack, database_url, tmp_path / "app.yaml")
    config = parse_config(yaml_text)
    settings = Settings(
        bot_token=BOT_TOKEN, slack_api_url=fake_slack.url, database_url=database_url
    )
    services = open_services(settings, config)  # migrated before any process starts
    world = World(config, env, services)
    try:
        yield world
    finally:
        for process in world.processes:  # each by its own pid, if a test left it running
            if process.poll() is None:
                process.kill()
            process.communicate()
        services.engine.dispose()


@pytest.fixture
def arrivals(fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Arrivals:
    return Arrivals(fake_slack, monkeypatch)


def kill_9(process: subprocess.Popen[str]) -> None:
    """SIGKILL, as the kernel's OOM killer or a power cut would: no clean-up runs."""
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def landed(fake: FakeSlack, arrivals: Arrivals, method: str) -> None:
    """Wait for every call that reached Slack before the kill to be answered."""
    fake.wait_for(lambda: len(fake.calls_to(method)) == arrivals.count(method), timeout=30)


def dm_counts(fake: FakeSlack, people: list[str]) -> dict[str, int]:
    return {person: len(fake.dms(person)) for person in people}


def prompts(services: Services) -> dict[str, CheckinPrompt]:
    with services.session() as session:
        return {p.user_id: p for p in session.exec(select(CheckinPrompt))}


def ten_minutes_pass(services: Services) -> None:
    """Move the claims a stopped process left back past IN_DOUBT_AFTER, as time would."""
    with services.session() as session:
        for prompt in session.exec(
            select(CheckinPrompt).where(CheckinPrompt.status == PromptStatus.SENDING)
        ):
            assert prompt.claimed_at is not None
            prompt.claimed_at -= IN_DOUBT_AFTER + timedelta(minutes=1)
            session.add(prompt)
        session.commit()


def kill_mid_round(world: World, fake: FakeSlack, arrivals: Arrivals) -> dict[str, int]:
    """Start the round with Slack slow, kill -9 it part-way; who got their DM."""
    fake.delay("chat.postMessage", 1.0)
    process = world.run("checkin", "send", "--team", "big")
    fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 3, timeout=60)
    kill_9(process)
    landed(fake, arrivals, "chat.postMessage")
    fake.delay("chat.postMessage", 0)
    got = dm_counts(fake, MEMBERS)
    assert set(got.values()) == {0, 1}, got  # the kill landed mid-round; nobody has two
    left = prompts(world.services)
    assert any(p.status == PromptStatus.SENDING for p in left.values())  # claims left behind
    return got


def test_kill_9_mid_round_then_reruns_ask_every_member_exactly_once(
    world: World, fake_slack: FakeSlack, arrivals: Arrivals
) -> None:
    before = kill_mid_round(world, fake_slack, arrivals)

    # Run again at once: the claims are fresh, so another process may still be sending them.
    out = world.finish(world.run("checkin", "send", "--team", "big"))
    assert dm_counts(fake_slack, MEMBERS) == before, out
    assert "being sent:" in out and "asked now:      0" in out

    # Ten minutes on, the claims are known to be left over: each DM is looked for in Slack's
    # history first; the ones that arrived are recorded, the others are sent now.
    ten_minutes_pass(world.services)
    out = world.finish(world.run("checkin", "send", "--team", "big"))
    assert dm_counts(fake_slack, MEMBERS) == dict.fromkeys(MEMBERS, 1), out
    never_sent = sum(1 for count in before.values() if count == 0)
    assert f"asked now:      {never_sent}" in out
    assert f"already asked:  {len(MEMBERS) - never_sent}" in out  # found in Slack's history
    assert {p.status for p in prompts(world.services).values()} == {PromptStatus.SENT}


def test_kill_9_mid_round_when_slack_cannot_tell_marks_members_in_doubt_not_twice(
    world: World, fake_slack: FakeSlack, arrivals: Arrivals
) -> None:
    before = kill_mid_round(world, fake_slack, arrivals)
    claimed = {u for u, p in prompts(world.services).items() if p.status == PromptStatus.SENDING}

    # Slack will not show the DM history (no im:history scope): those members are in doubt.
    fake_slack.fail_next("conversations.history", "missing_scope", times=len(MEMBERS) * 3)
    ten_minutes_pass(world.services)
    out = world.finish(world.run("checkin", "send", "--team", "big"))
    after = dm_counts(fake_slack, MEMBERS)
    assert max(after.values()) == 1, after  # nobody asked twice
    for user in claimed:
        assert after[user] == before[user]  # in doubt: not asked again
        assert f"{user}: in_doubt:missing_scope (retrobot stopped while sending" in out
    for user in set(MEMBERS) - claimed:
        assert after[user] == 1  # everyone else is asked once
    stored = prompts(world.services)
    assert {u for u, p in stored.items() if p.status == PromptStatus.FAILED} == claimed
    assert {stored[u].error for u in claimed} == {"in_doubt:missing_scope"}
    # A later run leaves them in doubt too: only a person's --retry-failed asks again.
    out = world.finish(world.run("checkin", "send", "--team", "big"))
    assert dm_counts(fake_slack, MEMBERS) == after
    status = world.finish(world.run("status"))
    # `retrobot status` shows them, with why, for a person to decide.
    assert f"big  in_doubt:missing_scope  ×{len(claimed)}" in status, status


def digests_of(services: Services) -> dict[str, DeliveryStatus]:
    with services.session() as session:
        rows = session.exec(
            select(SentDigest).where(SentDigest.kind == DigestKind.COACH_DIGEST)
        ).all()
    return {row.recipient: row.status for row in rows}


def ten_minutes_pass_for_digests(services: Services) -> None:
    """Move the digest claims a stopped process left back past IN_DOUBT_AFTER, as time would."""
    with services.session() as session:
        for row in session.exec(
            select(SentDigest).where(SentDigest.status == DeliveryStatus.PENDING)
        ):
            row.created_at -= IN_DOUBT_AFTER + timedelta(minutes=1)
            session.add(row)
        session.commit()


@pytest.mark.parametrize("arrived", [True, False], ids=["in_flight_arrived", "in_flight_lost"])
def test_kill_9_mid_digest_run_then_rerun_digests_every_coach_exactly_once(
    world: World, fake_slack: FakeSlack, arrivals: Arrivals, arrived: bool
) -> None:
    week = last_complete_week(LONDON, datetime.now(UTC))
    fake_slack.delay("chat.postMessage", 2.0)
    if not arrived:  # Slack never carries out the DM in flight when the run is killed
        fake_slack.fail_next(
            "chat.postMessage", "fatal_error", when=lambda args: args["channel"] == COACHES[1]
        )
    process = world.run("digest", "--team", "big", "--week", week, "--send")
    # The second coach's digest has reached Slack, which is holding it: kill the run now.
    fake_slack.wait_for(lambda: arrivals.count("chat.postMessage") == 2, timeout=60)
    kill_9(process)
    landed(fake_slack, arrivals, "chat.postMessage")
    fake_slack.delay("chat.postMessage", 0)
    in_flight = int(arrived)
    assert dm_counts(fake_slack, COACHES) == {
        COACHES[0]: 1,
        COACHES[1]: in_flight,
        COACHES[2]: 0,
    }
    assert digests_of(world.services) == {
        COACHES[0]: DeliveryStatus.SENT,
        COACHES[1]: DeliveryStatus.PENDING,  # the run died before it heard from Slack
    }

    # Run again at once: the claim is fresh (another run may still be sending it): left alone.
    out = world.finish(world.run("digest", "--team", "big", "--week", week, "--send"))
    assert f"@{COACHES[0]} already received the coach digest for {week}" in out
    assert f"to @{COACHES[1]} and has not confirmed it reached Slack; it is not sent again" in out
    assert f"Sent @{COACHES[2]} the coach digest for {week}" in out
    assert dm_counts(fake_slack, COACHES) == {**dict.fromkeys(COACHES, 1), COACHES[1]: in_flight}
    assert digests_of(world.services)[COACHES[2]] == DeliveryStatus.SENT

    # Ten minutes on, the claim is known to be left over: the digest is looked for in the
    # coach's DM by its metadata, recorded if it arrived, sent now if it did not.
    ten_minutes_pass_for_digests(world.services)
    out = world.finish(world.run("digest", "--team", "big", "--week", week, "--send"))
    if arrived:
        assert f"to @{COACHES[1]} about Big Team was found in their DM" in out, out
    else:
        assert f"Sent @{COACHES[1]} the coach digest for {week}" in out, out
    assert dm_counts(fake_slack, COACHES) == dict.fromkeys(COACHES, 1)
    assert set(digests_of(world.services).values()) == {DeliveryStatus.SENT}
    with world.services.session() as session:
        row = session.exec(select(SentDigest).where(SentDigest.recipient == COACHES[1])).one()
    [dm] = fake_slack.dms(COACHES[1])
    assert row.message_ts == dm.ts and "Big Team" in row.body  # the one the coach has
    # Later runs find every digest recorded: nobody gets a second.
    out = world.finish(world.run("digest", "--team", "big", "--week", week, "--send"))
    assert out.count("already received the coach digest") == len(COACHES)
    assert dm_counts(fake_slack, COACHES) == dict.fromkeys(COACHES, 1)


# --- SQLite (and PostgreSQL) under concurrent writers ------------------------------------------

TENSIONS_EACH = 1
HAMMERED = MEMBERS[:8]


def open_modal(slack: SlackSender, fake: FakeSlack, user: str, send: Callable[[], Any]) -> dict:
    """Do what opens a modal for ``user`` and return the modal once it is open."""
    before = len(fake.views_opened(user))
    answer = send()
    assert answer.status == 200, answer.body
    return fake.wait_for(
        lambda: fake.views_opened(user)[-1] if len(fake.views_opened(user)) > before else None,
        timeout=60,
    )


def a_member_at_work(slack: SlackSender, fake: FakeSlack, user: str) -> list[int]:
    """Raise tensions, open the Home tab and answer the check-in, as fast as HTTP allows."""
    statuses = []
    for number in range(TENSIONS_EACH):
        view = open_modal(
            slack, fake, user, lambda: slack.command(ids.TENSION_COMMAND, user_id=user)
        )
        answer = slack.submit_view(
            view, user_id=user, values={ids.TENSION_TEXT_ACTION: f"{user} tension {number}"}
        )
        assert not answer.body.strip(), answer.body  # accepted: the modal closes
        statuses.append(answer.status)
        # Stored after the ack; the confirmation DM says it is.
        fake.wait_for(
            lambda words=f"{user} tension {number}": any(
                words in m.all_text for m in fake.dms(user)
            ),
            timeout=60,
        )
        statuses.append(slack.app_home_opened(user).status)
    dm = fake.wait_for(
        lambda: next((m for m in fake.dms(user) if ids.CHECKIN_OPEN in str(m.blocks)), None),
        timeout=60,
    )
    view = open_modal(slack, fake, user, lambda: slack.click(dm, ids.CHECKIN_OPEN, user_id=user))
    answer = slack.submit_view(
        view,
        user_id=user,
        values={ids.CHECKIN_MOOD_ACTION: "4", ids.CHECKIN_NOTE_ACTION: f"{user} is here"},
    )
    assert not answer.body.strip(), answer.body
    statuses.append(answer.status)
    # The listeners' last step: the Home tab, once per event and once after the check-in.
    fake.wait_for(
        lambda: (
            sum(c.args.get("user_id") == user for c in fake.calls_to("views.publish"))
            >= TENSIONS_EACH + 1
        ),
        timeout=60,
    )
    return statuses


def test_concurrent_writers_never_surface_database_is_locked(
    world: World, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.trigger_ttl = None  # a loaded machine may take over 3 s to open a modal
    port = free_port()
    served = Served(
        ["--http", "--port", str(port), "--workers", "2", "--threads", "4"],
        world.env,
        tmp_path / "serve.log",
    )
    try:
        wait_healthy(port)
        slack = SlackSender(
            f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake_slack, timeout=60
        )
        # The round is sent by another process while the members are at work in the app.
        sender = world.run("checkin", "send", "--team", "big")
        results = at_once(
            *(lambda user=user: a_member_at_work(slack, fake_slack, user) for user in HAMMERED)
        )
        out = world.finish(sender)
        assert served.stop() == 0
    finally:
        served.close()

    assert all(status == 200 for statuses in results for status in statuses), results
    assert f"asked now:      {len(MEMBERS)}" in out
    with world.services.session() as session:
        tensions = sorted(t.text for t in session.exec(select(Tension)))
        answers = {r.user_id: r.note for r in session.exec(select(CheckinResponse))}
    assert tensions == sorted(f"{u} tension {n}" for u in HAMMERED for n in range(TENSIONS_EACH))
    assert answers == {user: f"{user} is here" for user in HAMMERED}
    log = served.log
    assert "database is locked" not in log + out and "Traceback" not in log, log
    assert error_dms(fake_slack) == []


# --- PostgreSQL: connections lost ---------------------------------------------------------------


def test_postgresql_connections_killed_by_the_server_are_replaced_by_the_pool(
    database_url: str, fake_slack: FakeSlack, config: AppConfig
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server to lose")
    name = f"retrobot-test-{uuid.uuid4().hex[:12]}"
    url = normalise_url(database_url).update_query_dict({"application_name": name})
    settings = Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        database_url=url.render_as_string(hide_password=False),
    )
    services = open_services(settings, config)
    admin_engine = make_engine(database_url, pool_size=1)
    app = create_app(services)
    try:
        with LocalServer(make_wsgi_app(app, services)) as server:
            slack = SlackSender(f"{server.url}/slack/events", SIGNING_SECRET, fake_slack)

            def raise_one(words: str) -> None:
                view = open_modal(
                    slack,
                    fake_slack,
                    ANA,
                    lambda: slack.command(
                        ids.TENSION_COMMAND, user_id=ANA, channel_id=NORTH_CHANNEL
                    ),
                )
                dms = len(fake_slack.dms(ANA))
                answer = slack.submit_view(
                    view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: words}
                )
                assert answer.status == 200 and not answer.body.strip(), answer.body
                fake_slack.wait_for(lambda: len(fake_slack.dms(ANA)) > dms)

            raise_one("Before the database restarts")
            with admin_engine.begin() as connection:
                # With a timeout, each call returns once its process has gone (PostgreSQL 14
                # and later): without one, the next request could take a pooled connection
                # whose server had been told to end it but had not yet done so.
                killed = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                        "WHERE application_name = :name"
                    ),
                    {"name": name},
                ).scalar_one()
            assert killed >= 1  # the app's pooled connections are gone

            raise_one("After the database restarts")
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as answer:
                assert answer.status == 200
        app.listener_runner.listener_executor.shutdown(wait=True)
        with services.session() as session:
            texts = sorted(t.text for t in session.exec(select(Tension)))
        assert texts == ["After the database restarts", "Before the database restarts"]
        assert error_dms(fake_slack) == []
    finally:
        app.listener_runner.listener_executor.shutdown(wait=True)
        services.engine.dispose()
        admin_engine.dispose()
