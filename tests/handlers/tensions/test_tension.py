"""Raising a tension, end to end: signed requests dispatched in-process to the real app, the
Slack stand-in."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import Tension
from tests.conftest import ANA, BEN, COACH, NORTH_CHANNEL, OUTSIDER, SHARED, SOUTH_COACH
from tests.journeys.steps import click_for_view, command_for_view, element, newest_view


def open_tension_modal(slack: SlackSender, fake: FakeSlack, user_id: str, text: str = "") -> dict:
    """`/tension text` as ``user_id`` in North's channel; the modal it opens."""
    return command_for_view(slack, fake, "/tension", user_id, text)


def stored_tensions(services: Services) -> list[Tension]:
    with services.session() as session:
        return list(session.exec(select(Tension).order_by(Tension.id)))


def test_command_modal_submit_confirmation_and_home(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_tension_modal(slack, fake_slack, ANA)
    assert view["callback_id"] == ids.TENSION_MODAL
    assert view["title"]["text"] == "Raise a tension"

    answer = slack.submit_view(
        view,
        user_id=ANA,
        values={
            ids.TENSION_TEXT_ACTION: "Friday handovers run late",
            ids.TENSION_AREA_ACTION: "Rota",
        },
    )
    assert answer.status == 200 and not answer.body.strip()  # the modal closes

    dm = fake_slack.wait_for(lambda: fake_slack.dms(ANA))[-1]
    assert "on *North Neighbourhood Team*'s agenda" in dm.all_text
    assert "Friday handovers run late" in dm.all_text
    [tension] = stored_tensions(services)
    assert (tension.team_id, tension.raised_by, tension.text, tension.area, tension.private) == (
        "north",
        ANA,
        "Friday handovers run late",
        "Rota",
        False,
    )
    # Raised with /tension, away from the Home tab: the Home is built when Ana opens it.
    assert fake_slack.calls_to("views.publish") == []
    slack.app_home_opened(ANA)
    home = fake_slack.wait_for(lambda: fake_slack.home(ANA))
    assert "Friday handovers run late" in json.dumps(home)


def test_a_tension_raised_from_the_home_tab_shows_there_at_once(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    slack.app_home_opened(ANA)
    home = fake_slack.wait_for(lambda: fake_slack.home(ANA))
    view = click_for_view(slack, fake_slack, home, ids.HOME_RAISE_TENSION, ANA)
    published = len(fake_slack.calls_to("views.publish"))
    slack.submit_view(view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: "Pool car clashes"})
    fake_slack.wait_for(lambda: len(fake_slack.calls_to("views.publish")) > published)
    assert "Pool car clashes" in json.dumps(fake_slack.home(ANA))


def test_words_after_the_command_prefill_the_modal(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    view = open_tension_modal(slack, fake_slack, ANA, "Mileage claims take weeks & more")
    assert (
        element(view, ids.TENSION_TEXT_BLOCK)["initial_value"] == "Mileage claims take weeks & more"
    )


def test_empty_text_is_a_field_error_and_nothing_is_stored(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_tension_modal(slack, fake_slack, ANA)
    answer = slack.submit_view(view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: "  \n "})
    assert answer.json == {
        "response_action": "errors",
        "errors": {
            ids.TENSION_TEXT_BLOCK: "Say in a few words what the tension is — this can't be empty."
        },
    }
    assert stored_tensions(services) == []
    assert fake_slack.dms(ANA) == []


def test_text_over_the_limit_is_a_field_error(slack: SlackSender, fake_slack: FakeSlack) -> None:
    view = open_tension_modal(slack, fake_slack, ANA)
    long_view = json.loads(json.dumps(view))
    element(long_view, ids.TENSION_TEXT_BLOCK).pop("max_length")  # as if a client ignored it
    answer = slack.submit_view(long_view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: "x" * 2001})
    assert "please keep it under 2,000" in answer.json["errors"][ids.TENSION_TEXT_BLOCK]


def test_client_identifiers_are_flagged_before_anything_is_stored(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_tension_modal(slack, fake_slack, ANA)
    answer = slack.submit_view(
        view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: "Mr B, NHS 943 476 5919, missed visits"}
    )
    assert "NHS number" in answer.json["errors"][ids.TENSION_TEXT_BLOCK]
    assert stored_tensions(services) == []


def test_a_person_in_no_team_gets_a_kind_explanation(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    answer = slack.command("/tension", "hello", user_id=OUTSIDER, channel_id=NORTH_CHANNEL)
    assert answer.status == 200
    assert answer.json["response_type"] == "ephemeral"
    assert "not in a retrobot team yet" in answer.json["text"]
    assert fake_slack.views_opened(OUTSIDER) == []
    assert stored_tensions(services) == []


def test_private_tension_reaches_the_coach_only(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_tension_modal(slack, fake_slack, ANA)
    slack.submit_view(
        view,
        user_id=ANA,
        values={
            ids.TENSION_TEXT_ACTION: "Lone working at night is hard",
            ids.TENSION_PRIVATE_ACTION: [ids.TENSION_PRIVATE_VALUE],
        },
    )
    note = fake_slack.wait_for(lambda: fake_slack.dms(COACH))[-1]
    assert "private tension" in note.all_text and "Lone working at night is hard" in note.all_text
    assert fake_slack.dms(SOUTH_COACH) == []
    assert "coaches only" in fake_slack.wait_for(lambda: fake_slack.dms(ANA))[-1].all_text
    slack.app_home_opened(BEN)
    home = fake_slack.wait_for(lambda: fake_slack.home(BEN))
    assert "Lone working" not in json.dumps(home)


def test_mentions_and_links_typed_by_people_are_escaped(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    typed = "<!channel> ask <@U0BEN> about <https://evil.example|the form> & more"
    view = open_tension_modal(slack, fake_slack, ANA)
    slack.submit_view(view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: typed})
    dm = fake_slack.wait_for(lambda: fake_slack.dms(ANA))[-1]
    shown = json.dumps(dm.blocks) + dm.text
    assert "<!channel>" not in shown and "<@U0BEN>" not in shown and "<https://" not in shown
    assert (
        "&lt;!channel&gt; ask &lt;@U0BEN&gt; about &lt;https://evil.example|the form&gt; &amp; more"
        in (dm.all_text)
    )
    [tension] = stored_tensions(services)
    assert tension.text == typed  # stored exactly as typed; escaped only when shown


def test_the_same_submission_twice_records_one_tension(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_tension_modal(slack, fake_slack, ANA)
    payload = slack.build_view_submission(
        view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: "Double click"}
    )
    body = ("payload=" + __import__("urllib.parse").parse.quote(json.dumps(payload))).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(2):
        assert slack.raw(body, {**headers, **slack.sign(body)}).status == 200
    fake_slack.wait_for(lambda: fake_slack.dms(ANA))
    assert [t.text for t in stored_tensions(services)] == ["Double click"]
    assert len(fake_slack.dms(ANA)) == 1


def test_a_member_of_two_teams_chooses_the_team(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_tension_modal(slack, fake_slack, SHARED)
    select_element = element(view, ids.TENSION_TEAM_BLOCK)
    assert [o["value"] for o in select_element["options"]] == ["north", "south"]
    assert select_element["initial_option"]["value"] == "north"  # asked from North's channel
    slack.submit_view(
        view,
        user_id=SHARED,
        values={ids.TENSION_TEXT_ACTION: "Cover", ids.TENSION_TEAM_ACTION: "south"},
    )
    fake_slack.wait_for(lambda: fake_slack.dms(SHARED))
    assert [t.team_id for t in stored_tensions(services)] == ["south"]


def test_message_shortcut_prefills_the_text_and_keeps_the_permalink(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    before = len(fake_slack.views_opened(BEN))
    slack.message_shortcut(
        ids.RAISE_TENSION_SHORTCUT,
        user_id=BEN,
        channel_id=NORTH_CHANNEL,
        message_text="Who has the weekend &amp; bank holiday on-call? &lt;@U0ANA&gt;",
        message_user=ANA,
    )
    view = newest_view(fake_slack, BEN, before)
    assert element(view, ids.TENSION_TEXT_BLOCK)["initial_value"] == (
        "Who has the weekend & bank holiday on-call? <@U0ANA>"
    )
    slack.submit_view(view, user_id=BEN)
    fake_slack.wait_for(lambda: fake_slack.dms(BEN))
    [tension] = stored_tensions(services)
    assert tension.source_permalink and tension.source_permalink.startswith("https://")


def test_app_home_redelivered_event_is_handled_once(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    event = {"type": "app_home_opened", "user": ANA, "channel": "D0ANA", "tab": "home"}
    first = slack.event(event, event_id="Ev0HOME1")
    fake_slack.wait_for(lambda: fake_slack.home(ANA))
    for retry in (1, 2, 3):
        assert slack.event(event, event_id="Ev0HOME1", retry_num=retry).status == 200
    assert first.status == 200
    slack.event(event, event_id="Ev0HOME2")
    fake_slack.wait_for(lambda: len(fake_slack.calls_to("views.publish")) == 2)
    assert len(fake_slack.calls_to("views.publish")) == 2
