"""Raising from any message, and editing or withdrawing one's own open tension from the App Home,
end to end through signed requests dispatched in-process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import TensionStatus
from tests.conftest import ANA, BEN, COACH, DEV, NORTH_CHANNEL, OUTSIDER, SHARED
from tests.journeys.steps import click_for_view, element, newest_view, open_home
from tests.journeys.tactical_steps import (
    seed_tensions,
    stored,
    tactical,
    the_agenda,
    triage,
    triage_buttons,
)


def ana_home_with(
    slack: SlackSender, fake: FakeSlack, services: Services, text: str, **fields: Any
) -> tuple[int, dict[str, Any]]:
    """Ana's open tension, on North's agenda: its id, and Ana's App Home showing it."""
    [tension_id] = seed_tensions(services, [text], **fields)
    tactical(slack, fake, BEN)
    return tension_id, open_home(slack, fake, ANA)


def buttons(view: dict[str, Any], action_id: str) -> list[str]:
    """The values of the buttons with this action_id in the view."""
    found = []
    for block in view["blocks"]:
        for element_ in [*block.get("elements", []), block.get("accessory") or {}]:
            if isinstance(element_, dict) and element_.get("action_id") == action_id:
                found.append(element_["value"])
    return found


# --- the message shortcut ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["channel", "dm"])
def test_raise_as_tension_from_a_message_keeps_a_link_to_it(
    where: str, slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    channel = NORTH_CHANNEL if where == "channel" else fake_slack.dm_channel(DEV)
    before = len(fake_slack.views_opened(DEV))
    slack.message_shortcut(
        ids.RAISE_TENSION_SHORTCUT,
        user_id=DEV,
        channel_id=channel,
        message_text="Can someone cover &lt;!channel&gt; Tuesday &amp; Wednesday? <@U0ANA>",
        message_user=ANA,
        message_ts="1764590000.123456",
    )
    view = newest_view(fake_slack, DEV, before)

    assert element(view, ids.TENSION_TEXT_BLOCK)["initial_value"] == (
        "Can someone cover <!channel> Tuesday & Wednesday? @U0ANA"
    )
    link = f"https://example.slack.com/archives/{channel}/p1764590000123456"
    assert f"<{link}|this message>" in json.dumps(view)
    slack.submit_view(view, user_id=DEV)

    confirmation = fake_slack.wait_for(lambda: fake_slack.dms(DEV))[-1]
    assert "&lt;!channel&gt; Tuesday &amp; Wednesday" in confirmation.all_text
    assert "<!channel>" not in json.dumps(confirmation.blocks)
    tension = stored(services, 1)
    assert tension.source_permalink == link and tension.raised_by == DEV
    assert tension.text == "Can someone cover <!channel> Tuesday & Wednesday? @U0ANA"


def test_raise_as_tension_by_someone_in_no_team_is_a_kind_explanation(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    slack.message_shortcut(
        ids.RAISE_TENSION_SHORTCUT,
        user_id=OUTSIDER,
        channel_id=NORTH_CHANNEL,
        message_text="hello",
        message_user=ANA,
    )
    reply = fake_slack.wait_for(lambda: fake_slack.ephemerals(OUTSIDER))[-1]
    assert "not in a retrobot team yet" in reply.all_text
    assert fake_slack.views_opened(OUTSIDER) == []


def test_a_very_long_message_is_prefilled_within_the_fields_limit(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    long_text = "Visits &amp; notes " * 200  # 3,800 characters as Slack sends them
    slack.message_shortcut(
        ids.RAISE_TENSION_SHORTCUT,
        user_id=ANA,
        channel_id=NORTH_CHANNEL,
        message_text=long_text,
        message_user=BEN,
    )
    view = newest_view(fake_slack, ANA, 0)
    prefilled = element(view, ids.TENSION_TEXT_BLOCK)["initial_value"]
    assert len(prefilled) <= 2000 and prefilled.startswith("Visits & notes Visits & notes")


# --- editing and withdrawing ------------------------------------------------------------------


def test_the_raiser_edits_an_open_tension_from_the_home(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    tension_id, home = ana_home_with(slack, fake_slack, services, "Handovers run late", area="Rota")
    assert buttons(home, ids.HOME_EDIT_TENSION) == [str(tension_id)]
    assert buttons(home, ids.HOME_WITHDRAW_TENSION) == [str(tension_id)]

    view = click_for_view(
        slack, fake_slack, home, ids.HOME_EDIT_TENSION, ANA, value=str(tension_id)
    )

    assert view["callback_id"] == ids.TENSION_EDIT_MODAL
    assert element(view, ids.TENSION_TEXT_BLOCK)["initial_value"] == "Handovers run late"
    assert element(view, ids.TENSION_AREA_BLOCK)["initial_value"] == "Rota"
    answer = slack.submit_view(
        view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: "Friday handovers run <late> & long"}
    )
    assert answer.status == 200 and not answer.body.strip()
    fake_slack.wait_for(lambda: "long" in stored(services, tension_id).text)
    assert stored(services, tension_id).text == "Friday handovers run <late> & long"
    fake_slack.wait_for(lambda: "run &lt;late&gt; &amp; long" in the_agenda(fake_slack).all_text)
    fake_slack.wait_for(lambda: "run &lt;late&gt; &amp; long" in json.dumps(fake_slack.home(ANA)))


def test_making_it_private_takes_it_off_the_agenda_and_tells_the_coach(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    tension_id, home = ana_home_with(slack, fake_slack, services, "Night shifts feel unsafe")
    view = click_for_view(
        slack, fake_slack, home, ids.HOME_EDIT_TENSION, ANA, value=str(tension_id)
    )

    slack.submit_view(
        view, user_id=ANA, values={ids.TENSION_PRIVATE_ACTION: [ids.TENSION_PRIVATE_VALUE]}
    )

    note = fake_slack.wait_for(lambda: fake_slack.dms(COACH))[-1]
    assert "Night shifts feel unsafe" in note.all_text
    fake_slack.wait_for(lambda: not triage_buttons(the_agenda(fake_slack)))
    assert "Night shifts" not in the_agenda(fake_slack).all_text
    assert "Night shifts" not in json.dumps(open_home(slack, fake_slack, BEN))


def test_the_raiser_withdraws_an_open_tension(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    tension_id, home = ana_home_with(slack, fake_slack, services, "Mileage forms take weeks")

    view = click_for_view(
        slack, fake_slack, home, ids.HOME_WITHDRAW_TENSION, ANA, value=str(tension_id)
    )
    assert view["callback_id"] == ids.TENSION_WITHDRAW_MODAL
    assert "Mileage forms take weeks" in json.dumps(view)
    slack.submit_view(view, user_id=ANA)

    fake_slack.wait_for(lambda: stored(services, tension_id).status == TensionStatus.WITHDRAWN)
    assert stored(services, tension_id).resolved_at is not None
    fake_slack.wait_for(lambda: "Mileage" not in the_agenda(fake_slack).all_text)
    fake_slack.wait_for(lambda: "Mileage" not in json.dumps(fake_slack.home(ANA)))


def test_triaged_tensions_are_read_only(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    tension_id, old_home = ana_home_with(
        slack, fake_slack, services, "Supervision keeps being cancelled"
    )
    edit_view = click_for_view(
        slack, fake_slack, old_home, ids.HOME_EDIT_TENSION, ANA, value=str(tension_id)
    )
    triage(
        slack, fake_slack, DEV, the_agenda(fake_slack), tension_id, outcome="information", owner=BEN
    )
    fake_slack.wait_for(lambda: stored(services, tension_id).status == TensionStatus.TRIAGED)

    # The edit modal opened before the triage cannot change what the meeting decided on.
    late = slack.submit_view(edit_view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: "Changed"})
    assert "triaged" in late.json["errors"][ids.TENSION_TEXT_BLOCK]
    assert stored(services, tension_id).text == "Supervision keeps being cancelled"
    # Nor can a button on the Home as it was; the Home now shows it read-only.
    notice = click_for_view(
        slack, fake_slack, old_home, ids.HOME_WITHDRAW_TENSION, ANA, value=str(tension_id)
    )
    assert notice["callback_id"] == ids.NOTICE_MODAL and "triaged" in json.dumps(notice)
    assert stored(services, tension_id).status == TensionStatus.TRIAGED
    home = open_home(slack, fake_slack, ANA)
    assert buttons(home, ids.HOME_EDIT_TENSION) == []
    assert "Triaged, waiting for your answer" in json.dumps(home)
    assert "*Information or help* for <@U0BEN>" in json.dumps(home)


def test_nobody_else_can_edit_or_withdraw_a_tension(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    [tension_id] = seed_tensions(services, ["Ana's own tension"])
    ana_home = open_home(slack, fake_slack, ANA)

    for action_id in (ids.HOME_EDIT_TENSION, ids.HOME_WITHDRAW_TENSION):
        # A forged click: the buttons are on Ana's Home, not Shared's.
        notice = click_for_view(
            slack, fake_slack, ana_home, action_id, SHARED, value=str(tension_id)
        )
        assert "Only the person who raised a tension can change it" in json.dumps(notice)

    assert stored(services, tension_id).status == TensionStatus.OPEN
    assert stored(services, tension_id).text == "Ana's own tension"
