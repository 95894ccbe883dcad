"""Roles through the real app: `/roles [@person]`, the App Home's roles, and a tension raised
about a role reaching its holders (signed requests over HTTP, the Slack stand-in)."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import Tension, TensionRole
from tests.conftest import ANA, BEN, CARA, COACH, NORTH_CHANNEL, OUTSIDER, SAM, SHARED
from tests.journeys.steps import command_for_view, element, new_dm, open_home


def roles_reply(slack: SlackSender, fake: FakeSlack, user_id: str, text: str = "") -> str:
    before = len(fake.ephemerals(user_id))
    assert slack.command("/roles", text, user_id=user_id, channel_id=NORTH_CHANNEL).status == 200
    reply = fake.wait_for(
        lambda: fake.ephemerals(user_id)[-1] if len(fake.ephemerals(user_id)) > before else None
    )
    return reply.all_text


def test_roles_lists_the_teams_roles_with_holders_purpose_and_rotation(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    text = roles_reply(slack, fake_slack, ANA)
    assert "*North Neighbourhood Team* · 4 roles" in text
    assert "*Rota organiser* — <@U0BEN>" in text
    assert "_A fair rota everyone can live with_" in text
    assert "• Publishing the rota 2 weeks ahead" in text
    assert "Expertise: rota, annual leave" in text
    assert "*Facilitator* — _nobody yet_ · _rotates every meeting_" in text
    assert "South" not in text  # Ana is only in North
    assert fake_slack.messages(NORTH_CHANNEL) == []  # only Ana sees it


def test_roles_of_a_person_and_of_someone_in_two_teams(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    text = roles_reply(slack, fake_slack, ANA, "<@U0CARA|cara>")
    assert "<@U0CARA> holds 1 role:" in text
    assert "*Tissue viability lead* · North Neighbourhood Team" in text
    assert "<@U0ANA> holds 0 roles in your teams." in roles_reply(
        slack, fake_slack, BEN, f"<@{ANA}>"
    )
    both = roles_reply(slack, fake_slack, SHARED)
    assert "*North Neighbourhood Team* · 4 roles" in both
    assert "*South Neighbourhood Team* has no roles yet" in both
    assert "Name one person after `/roles`" in roles_reply(slack, fake_slack, ANA, "rota please")


def test_roles_for_someone_in_no_team_is_a_kind_word(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    text = roles_reply(slack, fake_slack, OUTSIDER)
    assert "not in a retrobot team" in text


def test_the_home_shows_your_roles_and_the_teams(slack: SlackSender, fake_slack: FakeSlack) -> None:
    home = json.dumps(open_home(slack, fake_slack, CARA), ensure_ascii=False)
    assert "*Your roles* (1)" in home and "*Tissue viability lead* — _Skin stays whole_" in home
    assert "*North Neighbourhood Team's roles* (4)" in home
    ana = json.dumps(open_home(slack, fake_slack, ANA), ensure_ascii=False)
    assert "_You hold no role right now._" in ana
    coach = json.dumps(open_home(slack, fake_slack, COACH), ensure_ascii=False)
    assert "Your roles" not in coach  # coaches hold no role


def open_tension_modal(slack: SlackSender, fake: FakeSlack, user_id: str) -> dict:
    return command_for_view(slack, fake, "/tension", user_id)


def test_the_tension_modal_offers_the_teams_roles(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    view = open_tension_modal(slack, fake_slack, ANA)
    choice = element(view, ids.TENSION_ROLE_BLOCK)
    assert [o["text"]["text"] for o in choice["options"]] == [
        "Rota organiser",
        "Facilitator",
        "Tissue viability lead",
        "Training circle rep",
    ]
    assert choice["options"][0]["value"] == "north:rota"
    # Shay is in two teams, only North has roles: no team names needed beside them.
    shared = element(open_tension_modal(slack, fake_slack, SHARED), ids.TENSION_ROLE_BLOCK)
    assert shared["options"][0]["text"]["text"] == "Rota organiser"
    # Sam's team has no roles: the modal has no role choice.
    sam = open_tension_modal(slack, fake_slack, SAM)
    assert ids.TENSION_ROLE_BLOCK not in [b.get("block_id") for b in sam["blocks"]]


def raise_about(
    slack: SlackSender, fake: FakeSlack, user_id: str, role: str, text: str, **more: object
) -> None:
    view = open_tension_modal(slack, fake, user_id)
    values = {ids.TENSION_TEXT_ACTION: text, ids.TENSION_ROLE_ACTION: role, **more}
    answer = slack.submit_view(view, user_id=user_id, values=values)
    assert answer.status == 200 and not answer.body.strip(), answer.body


def test_a_tension_about_a_role_is_told_to_its_holders_once_escaped(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    raise_about(slack, fake_slack, ANA, "north:rota", "Weekend swaps <!channel> & nobody knows")
    note = new_dm(fake_slack, BEN, 0)
    assert "<@U0ANA> raised a tension for *North Neighbourhood Team* about *Rota organiser*" in (
        note.all_text
    )
    assert "Weekend swaps &lt;!channel&gt; &amp; nobody knows" in note.all_text
    assert "<!channel>" not in json.dumps(note.blocks)
    fake_slack.wait_quiet()
    assert len(fake_slack.dms(BEN)) == 1 and fake_slack.dms(CARA) == []
    with services.session() as session:
        [tension] = session.exec(select(Tension)).all()
        [routed] = session.exec(select(TensionRole)).all()
    assert tension.area == "Rota organiser"  # the role's name, where no words were given
    assert routed.tension_id == tension.id and routed.notified_at is not None


def test_the_raiser_holding_the_role_is_not_told_and_a_private_tension_tells_nobody(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    raise_about(slack, fake_slack, BEN, "north:rota", "My own rota worries")
    raise_about(
        slack,
        fake_slack,
        ANA,
        "north:tissue",
        "A private worry about dressings",
        **{ids.TENSION_PRIVATE_ACTION: [ids.TENSION_PRIVATE_VALUE]},
    )
    new_dm(fake_slack, COACH, 0)  # the coaches hear of the private one
    fake_slack.wait_quiet()
    assert all("about *" not in d.all_text for d in fake_slack.dms(BEN))
    assert fake_slack.dms(CARA) == []


def test_another_teams_role_is_a_field_error_that_keeps_what_was_typed(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    view = open_tension_modal(slack, fake_slack, SHARED)
    values = {
        ids.TENSION_TEXT_ACTION: "Training budget is unclear",
        ids.TENSION_TEAM_ACTION: "south",
        ids.TENSION_ROLE_ACTION: "north:rota",
    }
    answer = slack.submit_view(view, user_id=SHARED, values=values)
    assert answer.json == {
        "response_action": "errors",
        "errors": {
            ids.TENSION_ROLE_BLOCK: "That role is another team's: choose one of this team's "
            "roles, or none."
        },
    }
    fake_slack.wait_quiet()
    assert fake_slack.dms(BEN) == [] and fake_slack.dms(SHARED) == []


def test_a_double_submission_tells_the_holders_once(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    view = open_tension_modal(slack, fake_slack, ANA)
    values = {ids.TENSION_TEXT_ACTION: "Dressings run out", ids.TENSION_ROLE_ACTION: "north:tissue"}
    slack.submit_view(view, user_id=ANA, values=values)
    slack.submit_view(view, user_id=ANA, values=values)
    new_dm(fake_slack, CARA, 0)
    fake_slack.wait_quiet()
    assert len(fake_slack.dms(CARA)) == 1
