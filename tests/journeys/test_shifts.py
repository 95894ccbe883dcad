"""Shifts end to end: a night nurse sets her working time on the App Home, a colleague is in
Slack's do-not-disturb, another is in it until after the meeting. The scheduler's jobs send the
round: the one on shift is messaged and checks in; the one in DND is not messaged until it ends;
the night nurse is asked at the start of her shift and answers then; the one in DND past the
meeting is off shift — in `retrobot status`, and not silent in the week's participation.

Signed requests over real HTTP to the real app; the app's DMs go over real HTTP to the Slack
stand-in. The app's clock starts at Saturday 30 May 2026; North's round opens on Monday 1 June
at 10:00 in London for Tuesday's 10:00 meeting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from bot.core import ids
from bot.jobs.tasks import Jobs
from bot.services import Services
from bot.slack import pacing
from bot.slack.pacing import Pace
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack, Message
from tests.conftest import ANA, BEN, CARA, DEV, SHARED
from tests.journeys.steps import click_for_view, homes_published, open_home

OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 BST
SHIFT_STARTS = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)  # Monday 20:00 BST


@pytest.fixture(autouse=True)
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))


@pytest.fixture
def clock(services: Services) -> list[datetime]:
    now = [OPENS - timedelta(days=2)]
    services.clock = lambda: now[0]
    return now


def check_in(slack: SlackSender, fake: FakeSlack, user: str, dm: Message) -> None:
    """Click Check in on the DM and answer with a mood; wait for the DM to say so."""
    view = click_for_view(slack, fake, dm, ids.CHECKIN_OPEN, user)
    answer = slack.submit_view(view, user_id=user, values={ids.CHECKIN_MOOD_ACTION: "4"})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    fake.wait_for(
        lambda: (m := fake.message(dm.channel, dm.ts)) is not None and "checked in" in m.all_text
    )


def test_nobody_is_messaged_off_shift(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    clock: list[datetime],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Saturday: Cara, who works nights, sets her working time on the App Home.
    view = click_for_view(
        slack, fake_slack, open_home(slack, fake_slack, CARA), ids.HOME_SET_PATTERN, CARA
    )
    before = homes_published(fake_slack, CARA)
    answer = slack.submit_view(
        view,
        user_id=CARA,
        values={
            ids.PATTERN_KIND_ACTION: "nights",
            ids.PATTERN_DAYS_ACTION: ["6", "0", "1", "2"],
            ids.PATTERN_STARTS_ACTION: "20:00",
            ids.PATTERN_ENDS_ACTION: "08:00",
        },
    )
    assert answer.status == 200 and not answer.body.strip(), answer.body
    fake_slack.wait_for(lambda: homes_published(fake_slack, CARA) > before)

    # Monday 10:00: Ben is in do-not-disturb until noon, Dev until after the meeting.
    clock[0] = OPENS
    fake_slack.set_dnd(BEN, OPENS - timedelta(hours=2), OPENS + timedelta(hours=2))
    fake_slack.set_dnd(DEV, OPENS - timedelta(hours=2), OPENS + timedelta(days=2))
    jobs = Jobs(services)
    jobs.open_checkin("north")

    [ana_dm] = fake_slack.dms(ANA)
    assert len(fake_slack.dms(SHARED)) == 1
    assert [fake_slack.dms(user) for user in (BEN, CARA, DEV)] == [[], [], []]
    check_in(slack, fake_slack, ANA, ana_dm)

    # The sweep runs every minute; nothing goes before its time.
    for minutes in (1, 30, 119):
        clock[0] = OPENS + timedelta(minutes=minutes)
        jobs.sweep()
    assert [fake_slack.dms(user) for user in (BEN, CARA, DEV)] == [[], [], []]

    # Noon: Ben's do-not-disturb is over, and he is asked.
    fake_slack.clear_dnd(BEN)
    clock[0] = OPENS + timedelta(hours=2)
    jobs.sweep()
    assert len(fake_slack.dms(BEN)) == 1 and fake_slack.dms(CARA) == []

    # 20:00: Cara's night begins; she is asked, and answers on her break.
    clock[0] = SHIFT_STARTS
    jobs.sweep()
    [cara_dm] = fake_slack.dms(CARA)
    assert "Time to check in" in cara_dm.all_text
    assert "later than planned" not in cara_dm.all_text  # held for her shift: on time
    clock[0] = SHIFT_STARTS + timedelta(hours=3)
    check_in(slack, fake_slack, CARA, cara_dm)
    for hours in (4, 13):  # reminders fall due, up to the meeting: nobody asked twice, Dev never
        clock[0] = SHIFT_STARTS + timedelta(hours=hours)
        jobs.sweep()
    assert len([m for m in fake_slack.dms(CARA) if "Time to check in" in m.all_text]) == 1
    assert fake_slack.dms(DEV) == []

    # Dev was never messaged, but may still check in from the Home tab.
    dev_home = str(open_home(slack, fake_slack, DEV)["blocks"])
    assert "you're off shift until after the meeting" in dev_home
    assert ids.CHECKIN_OPEN in dev_home

    # The admin looks: Dev was off shift, not silent.
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["status", "--team", "north"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "SKIPPED  OFF SHIFT  FAILED" in table[0]
    north = table[1].split()
    figures = dict(
        zip(
            ["ASKED", "ANSWERED", "AWAY", "SKIPPED", "OFF SHIFT", "FAILED", "NOT SENT"],
            north[-7:],
            strict=True,
        )
    )
    assert figures == {
        "ASKED": "4",
        "ANSWERED": "2",
        "AWAY": "0",
        "SKIPPED": "0",
        "OFF SHIFT": "1",
        "FAILED": "0",
        "NOT SENT": "0",
    }
