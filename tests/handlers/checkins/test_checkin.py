"""Check-ins end to end: the DM, its buttons, the modal, /checkin, the App Home, reminders.

Signed requests dispatched in-process to the real app; the app's DMs go over real HTTP to the
Slack stand-in. The app's clock stands at Monday 1 June 2026, 10:00 in London, when North's
round opens.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.checkins import usecases as checkins
from bot.checkins.model import DeliveryReport
from bot.checkins.service import set_away
from bot.core import ids
from bot.services import Services
from bot.slack import pacing
from bot.slack.pacing import Pace
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack, Message
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    OutcomeKind,
    PromptStatus,
    Tension,
    TensionStatus,
)
from tests.conftest import ANA, BEN, CARA, DEV, NORTH_CHANNEL, OUTSIDER, SHARED
from tests.journeys.steps import (
    click_for_view,
    command_for_view,
    homes_published,
    submit_and_settle,
)

OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
METRIC = f"{ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, 'visits')}.{ids.CHECKIN_METRIC_ACTION}"


@pytest.fixture(autouse=True)
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))


@pytest.fixture
def clock(services: Services) -> list[datetime]:
    now = [OPENS]
    services.clock = lambda: now[0]
    return now


@pytest.fixture
def round_sent(services: Services, clock: list[datetime]) -> DeliveryReport:
    return checkins.send_round(services, team_id="north")


def prompt_of(services: Services, user: str) -> CheckinPrompt:
    with services.session() as session:
        return session.exec(select(CheckinPrompt).where(CheckinPrompt.user_id == user)).one()


def responses(services: Services) -> list[CheckinResponse]:
    with services.session() as session:
        return list(session.exec(select(CheckinResponse)))


def updated_dm(fake: FakeSlack, dm: Message, contains: str) -> Message:
    return fake.wait_for(
        lambda: (m := fake.message(dm.channel, dm.ts)) and contains in m.all_text and m
    )


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_dm_check_in_modal_submit_stores_it_and_redraws_the_dm(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any
) -> None:
    dm = fake_slack.dms(ANA)[0]
    view = click_for_view(slack, fake_slack, dm, ids.CHECKIN_OPEN, ANA)
    assert view["callback_id"] == ids.CHECKIN_MODAL
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    # The tactical meeting's order: check-in round, metrics, progress, story, agenda, sharing.
    assert labels == [
        "Your mood",
        "In a sentence, how are you arriving?",
        "Client visits (visits)",
        "Anything that moved?",
        "A story from this week",
        "A tension for the agenda",
        "Who sees your check-in",
    ]
    metric = block(view, ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, "visits"))["element"]
    assert (metric["type"], metric["min_value"], metric["max_value"]) == (
        "number_input",
        "0",
        "100000",
    )
    share = block(view, ids.CHECKIN_SHARE_BLOCK)["element"]
    assert share["initial_options"][0]["value"] == ids.CHECKIN_SHARE_VALUE  # shared by default

    answer = slack.submit_view(
        view,
        user_id=ANA,
        values={
            ids.CHECKIN_MOOD_ACTION: "4",
            ids.CHECKIN_NOTE_ACTION: "Rested <3 & ready",
            METRIC: "23",
            ids.CHECKIN_STORY_ACTION: "Mr K walked to the shop on his own",
            ids.CHECKIN_TENSION_ACTION: "Handovers run late on Fridays",
        },
    )
    assert answer.status == 200 and not answer.body.strip()
    [stored] = responses(services)
    assert (stored.user_id, stored.mood, stored.note, stored.metric_values, stored.shared) == (
        ANA,
        4,
        "Rested <3 & ready",
        {"visits": 23},
        True,
    )
    assert stored.story == "Mr K walked to the shop on his own"
    redrawn = updated_dm(fake_slack, dm, "you've checked in")
    assert "Your tension is on the agenda too" in redrawn.all_text
    assert prompt_of(services, ANA).status == PromptStatus.ANSWERED
    with services.session() as session:
        [tension] = session.exec(select(Tension)).all()
    assert (tension.raised_by, tension.text, tension.team_id) == (
        ANA,
        "Handovers run late on Fridays",
        "north",
    )
    home = fake_slack.wait_for(lambda: fake_slack.home(ANA))
    assert "you've checked in" in json.dumps(home) and "mood 4/5" in json.dumps(home)


def test_submitting_again_edits_the_answer(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any, clock: Any
) -> None:
    dm = fake_slack.dms(BEN)[0]
    view = click_for_view(slack, fake_slack, dm, ids.CHECKIN_OPEN, BEN)
    submit_and_settle(slack, fake_slack, view, BEN, {ids.CHECKIN_MOOD_ACTION: "2", METRIC: "5"})
    redrawn = updated_dm(fake_slack, dm, "you've checked in")
    clock[0] = OPENS + timedelta(hours=2)
    again = click_for_view(slack, fake_slack, redrawn, ids.CHECKIN_OPEN, BEN)
    assert again["submit"]["text"] == "Save changes"
    mood = block(again, ids.CHECKIN_MOOD_BLOCK)["element"]["initial_option"]["value"]
    metric = block(again, ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, "visits"))["element"]
    assert (mood, metric["initial_value"]) == ("2", "5")
    submit_and_settle(
        slack,
        fake_slack,
        again,
        BEN,
        {ids.CHECKIN_MOOD_ACTION: "3", METRIC: "7", ids.CHECKIN_SHARE_ACTION: []},
    )
    updated_dm(fake_slack, dm, "your check-in is updated")
    [stored] = responses(services)
    assert (stored.mood, stored.metric_values, stored.shared) == (3, {"visits": 7}, False)
    assert stored.updated_at == OPENS + timedelta(hours=2)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("lots", "Please enter a number of visits, like 12."),
        ("-3", "Please enter a number between 0 and 100,000 visits."),
        ("250000", "Please enter a number between 0 and 100,000 visits."),
    ],
)
def test_metrics_that_are_not_numbers_in_range_are_field_errors(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    round_sent: Any,
    typed: str,
    error: str,
) -> None:
    view = click_for_view(slack, fake_slack, fake_slack.dms(CARA)[0], ids.CHECKIN_OPEN, CARA)
    answer = slack.submit_view(
        view, user_id=CARA, values={ids.CHECKIN_MOOD_ACTION: "3", METRIC: typed}
    )
    assert answer.json == {
        "response_action": "errors",
        "errors": {ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, "visits"): error},
    }
    assert responses(services) == []


def test_a_missing_mood_and_client_details_are_field_errors(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any
) -> None:
    view = click_for_view(slack, fake_slack, fake_slack.dms(CARA)[0], ids.CHECKIN_OPEN, CARA)
    answer = slack.submit_view(
        view, user_id=CARA, values={ids.CHECKIN_STORY_ACTION: "Call 07700 900123 about Mrs J"}
    )
    errors = answer.json["errors"]
    assert set(errors) == {ids.CHECKIN_MOOD_BLOCK, ids.CHECKIN_STORY_BLOCK}
    assert "phone number" in errors[ids.CHECKIN_STORY_BLOCK]
    assert responses(services) == []


def test_skip_redraws_the_dm_and_no_reminder_follows(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any
) -> None:
    dm = fake_slack.dms(DEV)[0]
    assert slack.click(dm, ids.CHECKIN_SKIP, user_id=DEV).status == 200
    fake_slack.wait_for(lambda: homes_published(fake_slack, DEV))
    skipped = updated_dm(fake_slack, dm, "You're skipping")
    assert [e["action_id"] for e in skipped.blocks[-1]["elements"]] == [ids.CHECKIN_OPEN]
    assert prompt_of(services, DEV).status == PromptStatus.SKIPPED
    report = checkins.send_reminders(services, team_id="north", now=OPENS + timedelta(hours=4))
    assert DEV not in report.reminded and len(fake_slack.dms(DEV)) == 1


def test_away_until_a_date_stops_questions_until_then(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any
) -> None:
    dm = fake_slack.dms(SHARED)[0]
    view = click_for_view(slack, fake_slack, dm, ids.CHECKIN_AWAY, SHARED)
    assert view["callback_id"] == ids.AWAY_MODAL
    past = slack.submit_view(view, user_id=SHARED, values={ids.AWAY_DATE_ACTION: "2026-05-20"})
    assert "has passed" in past.json["errors"][ids.AWAY_DATE_BLOCK]
    submit_and_settle(slack, fake_slack, view, SHARED, {ids.AWAY_DATE_ACTION: "2026-06-10"})
    updated_dm(fake_slack, dm, "away until *Wednesday 10 June*")
    assert prompt_of(services, SHARED).status == PromptStatus.AWAY
    reminded = checkins.send_reminders(services, team_id="north", now=OPENS + timedelta(hours=4))
    assert SHARED not in reminded.reminded
    next_week = checkins.send_round(services, team_id="north", now=OPENS + timedelta(days=7))
    assert SHARED in next_week.away
    week_after = checkins.send_round(services, team_id="north", now=OPENS + timedelta(days=14))
    assert SHARED in week_after.asked  # back after the 10th


def test_back_from_the_home_tab_asks_again(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any
) -> None:
    with services.session() as session:
        set_away(session, user_id=CARA, until=date(2026, 6, 20), now=OPENS)
    slack.app_home_opened(CARA)
    home = fake_slack.wait_for(lambda: fake_slack.home(CARA))
    assert "You're away until *Saturday 20 June*" in json.dumps(home)
    published = len(fake_slack.calls_to("views.publish"))
    slack.click(home, ids.CHECKIN_BACK, user_id=CARA)
    fake_slack.wait_for(lambda: len(fake_slack.calls_to("views.publish")) > published)
    assert prompt_of(services, CARA).status == PromptStatus.SENT
    assert "Going on leave" in json.dumps(fake_slack.home(CARA))


def test_reminders_reach_only_the_silent(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any
) -> None:
    view = click_for_view(slack, fake_slack, fake_slack.dms(ANA)[0], ids.CHECKIN_OPEN, ANA)
    submit_and_settle(slack, fake_slack, view, ANA, {ids.CHECKIN_MOOD_ACTION: "5"})
    slack.click(fake_slack.dms(BEN)[0], ids.CHECKIN_SKIP, user_id=BEN)
    fake_slack.wait_for(lambda: homes_published(fake_slack, BEN))
    report = checkins.send_reminders(services, team_id="north", now=OPENS + timedelta(hours=4))
    assert report.reminded == sorted([CARA, DEV, SHARED])
    reminder = fake_slack.dms(CARA)[-1]
    # The reminder's Check in button works like the DM's, and answering redraws both.
    view = click_for_view(slack, fake_slack, reminder, ids.CHECKIN_OPEN, CARA)
    submit_and_settle(slack, fake_slack, view, CARA, {ids.CHECKIN_MOOD_ACTION: "3"})
    updated_dm(fake_slack, reminder, "you've checked in")
    updated_dm(fake_slack, fake_slack.dms(CARA)[0], "you've checked in")


def test_checkin_command_opens_the_current_round_or_says_when_the_next_opens(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: list[datetime]
) -> None:
    clock[0] = OPENS - timedelta(hours=3)
    answer = slack.command("/checkin", user_id=ANA, channel_id=NORTH_CHANNEL)
    assert answer.json["response_type"] == "ephemeral"
    assert "next one opens Monday 1 June at 10:00" in answer.json["text"]
    assert "Tuesday 2 June at 10:00" in answer.json["text"]
    clock[0] = OPENS + timedelta(minutes=10)
    view = command_for_view(slack, fake_slack, "/checkin", ANA)
    submit_and_settle(slack, fake_slack, view, ANA, {ids.CHECKIN_MOOD_ACTION: "3"})
    # The scheduler's round, arriving later, asks the others but not Ana again.
    report = checkins.send_round(services, team_id="north")
    assert ANA in report.already_asked and ANA not in report.asked
    assert fake_slack.dms(ANA) == [] and len(report.asked) == 4


def test_someone_in_no_team_is_told_kindly(slack: SlackSender, fake_slack: FakeSlack) -> None:
    answer = slack.command("/checkin", user_id=OUTSIDER, channel_id=NORTH_CHANNEL)
    assert answer.json["response_type"] == "ephemeral"
    assert "not in a retrobot team yet" in answer.json["text"]


def test_after_the_meeting_the_button_explains_the_round_closed(
    slack: SlackSender, fake_slack: FakeSlack, round_sent: Any, clock: list[datetime]
) -> None:
    clock[0] = OPENS + timedelta(days=1, minutes=5)
    view = click_for_view(slack, fake_slack, fake_slack.dms(ANA)[0], ids.CHECKIN_OPEN, ANA)
    assert view["callback_id"] == ids.CHECKIN_NOTICE_MODAL
    assert "closed when the meeting started" in json.dumps(view)


def test_progress_lists_my_actions_and_ticking_marks_them_done(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any
) -> None:
    with services.session() as session:
        action = Tension(
            team_id="north",
            raised_by=BEN,
            text="Update the key-safe list",
            owner=ANA,
            status=TensionStatus.TRIAGED,
            outcome=OutcomeKind.PROJECT,
        )
        session.add(action)
        session.commit()
        action_id = action.id
    view = click_for_view(slack, fake_slack, fake_slack.dms(ANA)[0], ids.CHECKIN_OPEN, ANA)
    done = block(view, ids.numbered_block(ids.CHECKIN_DONE_BLOCK, 0))["element"]
    assert done["options"][0]["text"]["text"] == "Project: Update the key-safe list"
    submit_and_settle(
        slack,
        fake_slack,
        view,
        ANA,
        {ids.CHECKIN_MOOD_ACTION: "4", ids.CHECKIN_DONE_ACTION: [str(action_id)]},
    )
    with services.session() as session:
        assert session.get(Tension, action_id).done_at == OPENS  # type: ignore[union-attr]


def test_the_home_tab_shows_this_weeks_check_in_with_its_button(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: Any
) -> None:
    slack.app_home_opened(DEV)
    home = fake_slack.wait_for(lambda: fake_slack.home(DEV))
    assert "is open: not answered yet" in json.dumps(home)
    view = click_for_view(slack, fake_slack, home, ids.CHECKIN_OPEN, DEV)
    assert view["callback_id"] == ids.CHECKIN_MODAL
