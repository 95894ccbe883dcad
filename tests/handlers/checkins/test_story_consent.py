"""The check-in's "my story may be shared beyond the team" (issue 20), as a member meets it: off
unless ticked, stored with the answer, ticked again when the check-in is edited, and only where
the modal asks for a story."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.checkins import usecases as checkins
from bot.core import ids
from bot.services import Services
from bot.slack import pacing
from bot.slack.blockkit import view_problems
from bot.slack.pacing import Pace
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import CheckinResponse
from tests.conftest import ANA, BEN
from tests.journeys.steps import click_for_view, submit_and_settle

OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
STORY = "Mr K walked to the shop on his own"


@pytest.fixture(autouse=True)
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))


@pytest.fixture
def round_sent(services: Services) -> None:
    services.clock = lambda: OPENS
    checkins.send_round(services, team_id="north")


def sharing(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == ids.CHECKIN_SHARE_BLOCK)


def stored(services: Services, user: str) -> CheckinResponse:
    with services.session() as session:
        return session.exec(select(CheckinResponse).where(CheckinResponse.user_id == user)).one()


def test_the_story_stays_in_the_team_unless_its_teller_ticks_beyond(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: None
) -> None:
    view = click_for_view(slack, fake_slack, fake_slack.dms(ANA)[0], ids.CHECKIN_OPEN, ANA)
    assert view_problems(view) == []
    element = sharing(view)["element"]
    assert [o["text"]["text"] for o in element["options"]] == [
        "Share my check-in with the team",
        "My story may be shared beyond the team, without my name",
    ]
    ticked = [o["value"] for o in element.get("initial_options", [])]
    assert ticked == [ids.CHECKIN_SHARE_VALUE]  # beyond the team: off by default

    submit_and_settle(
        slack, fake_slack, view, ANA,
        {ids.CHECKIN_MOOD_ACTION: "4", ids.CHECKIN_STORY_ACTION: STORY},
    )  # fmt: skip
    assert (stored(services, ANA).story, stored(services, ANA).story_beyond_team) == (STORY, False)

    again = click_for_view(slack, fake_slack, fake_slack.dms(ANA)[0], ids.CHECKIN_OPEN, ANA)
    submit_and_settle(
        slack, fake_slack, again, ANA,
        {
            ids.CHECKIN_MOOD_ACTION: "4",
            ids.CHECKIN_STORY_ACTION: STORY,
            ids.CHECKIN_SHARE_ACTION: [ids.CHECKIN_SHARE_VALUE, ids.CHECKIN_STORY_BEYOND_VALUE],
        },
    )  # fmt: skip
    assert stored(services, ANA).story_beyond_team is True
    third = click_for_view(slack, fake_slack, fake_slack.dms(ANA)[0], ids.CHECKIN_OPEN, ANA)
    kept = [o["value"] for o in sharing(third)["element"]["initial_options"]]
    assert kept == [ids.CHECKIN_SHARE_VALUE, ids.CHECKIN_STORY_BEYOND_VALUE]  # the edit shows it


def test_consent_without_a_story_is_not_kept(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, round_sent: None
) -> None:
    view = click_for_view(slack, fake_slack, fake_slack.dms(BEN)[0], ids.CHECKIN_OPEN, BEN)
    submit_and_settle(
        slack, fake_slack, view, BEN,
        {ids.CHECKIN_MOOD_ACTION: "3", ids.CHECKIN_SHARE_ACTION: [ids.CHECKIN_STORY_BEYOND_VALUE]},
    )  # fmt: skip
    answer = stored(services, BEN)
    assert (answer.shared, answer.story, answer.story_beyond_team) == (False, "", False)


def test_a_team_asking_its_own_questions_has_no_story_and_so_no_consent() -> None:
    from zoneinfo import ZoneInfo

    from bot.checkins.service import CheckinContext
    from bot.checkins.views import build_checkin_modal
    from bot.core.config import parse_config
    from prompts import Renderer
    from storage.models import CheckinRound
    from tests.conftest import TEST_APP_YAML

    config = parse_config(
        TEST_APP_YAML.replace(
            "    timezone: Europe/London\n", "    timezone: Europe/London\n    questions: [How?]\n"
        )
    )
    south = config.team("south")
    found = CheckinRound(
        id=1, team_id="south", meeting_date=OPENS.date(), meeting_at=OPENS, opens_at=OPENS
    )
    context = CheckinContext(south, found, "U0SAM", ZoneInfo("Europe/London"), None, [])
    view = build_checkin_modal(Renderer(), checkin=context)
    assert view_problems(view) == []
    options = [o["value"] for o in sharing(view)["element"]["options"]]
    assert options == [ids.CHECKIN_SHARE_VALUE]
