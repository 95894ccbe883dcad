"""Two teams pass a tension each to their training circle at triage ("Take to Training
circle"); the raisers are told where it went; the circle's representatives see both on the
circle's agenda; the circle's decision is posted back to every member team's channel (also
when the circle decides through its proposal and its Decide button).

Through the real app over HTTP, with time frozen (ticking) just after the teams' meetings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time

import bot.standin  # noqa: F401  (imported before time is frozen, as freezegun needs)
from bot.circles import usecases as circles
from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import OutcomeKind, TensionStatus
from tests.bot.circles.organisation import EAST_CHANNEL, EVE, TRAINING_CHANNEL
from tests.conftest import ANA, BEN, DEV, NORTH_CHANNEL, SAM, SHARED, SOUTH_CHANNEL
from tests.handlers.decision_steps import (
    card,
    click_for_modal,
    field_errors,
    open_proposal_modal,
    proposal_values,
    stored_proposals,
    submit,
)
from tests.handlers.decision_steps import stored as stored_proposal
from tests.journeys.steps import new_dm
from tests.journeys.tactical_steps import (
    MEETING_AT,
    open_triage,
    seed_tensions,
    stored,
    submit_triage,
    tactical,
    the_agenda,
    triage_buttons,
)

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait

TAKE = "circle:training"


@pytest.fixture
def clock(services: Services) -> Iterator[object]:
    with freeze_time(MEETING_AT + timedelta(minutes=5), tick=True) as frozen:
        yield frozen


def test_two_teams_pass_tensions_to_the_circle_and_its_decision_comes_back(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: object
) -> None:
    [north_id] = seed_tensions(services, ["Nobody can book the hoist course"], raised_by=ANA)
    [south_id] = seed_tensions(
        services, ["Hoist training dates clash with nights"], raised_by=SAM, team_id="south"
    )
    tactical(slack, fake_slack, BEN, NORTH_CHANNEL)
    tactical(slack, fake_slack, SHARED, SOUTH_CHANNEL)

    # North: the triage modal offers the circle by name; Ben takes the tension there.
    view = open_triage(slack, fake_slack, BEN, the_agenda(fake_slack, NORTH_CHANNEL), north_id)
    options = {o["value"]: o["text"]["text"] for o in view["blocks"][1]["element"]["options"]}
    assert options[TAKE] == "Take to Training circle"
    answer = submit_triage(slack, view, BEN, outcome=TAKE)
    assert answer.status == 200 and not answer.body.strip(), answer.body
    told = new_dm(fake_slack, ANA, 0)
    assert "*North Neighbourhood Team* took your tension to *Training circle*" in told.all_text
    assert "Nobody can book the hoist course" in told.all_text
    north = stored(services, north_id)
    assert (north.status, north.outcome, north.triaged_by) == (
        TensionStatus.CLOSED,
        OutcomeKind.CIRCLE,
        BEN,
    )
    # The same modal submitted again (its view id): taken and told once, the modal closes.
    dms = len(fake_slack.dms(ANA))
    again = submit_triage(slack, view, BEN, outcome=TAKE)
    assert again.status == 200 and not again.body.strip(), again.body
    assert len(fake_slack.dms(ANA)) == dms

    # South: Shay (in both teams) takes Sam's tension there too.
    view = open_triage(slack, fake_slack, SHARED, the_agenda(fake_slack, SOUTH_CHANNEL), south_id)
    assert submit_triage(slack, view, SHARED, outcome=TAKE).status == 200
    new_dm(fake_slack, SAM, 0)

    # The circle's representatives (Dev, Sam, Eve) post and see the circle's agenda: both.
    tactical(slack, fake_slack, EVE, TRAINING_CHANNEL)
    agenda = the_agenda(fake_slack, TRAINING_CHANNEL)
    text = json.dumps(agenda.blocks)
    assert "Nobody can book the hoist course" in text
    assert "Hoist training dates clash with nights" in text
    assert len(triage_buttons(agenda)) == 2
    # North's agenda shows its tension as taken to a circle.
    assert "Taken to a circle" in json.dumps(the_agenda(fake_slack, NORTH_CHANNEL).blocks)

    # The circle decides; its decision goes back to every member team's channel, once.
    before = {c: len(fake_slack.messages(c)) for c in (NORTH_CHANNEL, SOUTH_CHANNEL, EAST_CHANNEL)}
    decision = "Hoist courses run monthly, on a day and a night slot"
    circles.post_circle_decision(services, circle_id="training", decision_id=1, text=decision)
    circles.post_circle_decision(services, circle_id="training", decision_id=1, text=decision)
    for channel, count in before.items():
        posted = fake_slack.messages(channel)[count:]
        assert len(posted) == 1 and decision in posted[0].all_text, channel


def test_a_forged_circle_is_refused_in_the_modal(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: object
) -> None:
    [tension_id] = seed_tensions(services, ["Mileage forms"], raised_by=ANA)
    tactical(slack, fake_slack, BEN, NORTH_CHANNEL)
    view = open_triage(slack, fake_slack, BEN, the_agenda(fake_slack, NORTH_CHANNEL), tension_id)
    forged = {"text": {"type": "plain_text", "text": "Take to X"}, "value": "circle:nowhere"}
    answer = slack.submit_view(view, user_id=BEN, values={ids.TRIAGE_OUTCOME_ACTION: forged})
    assert answer.json == {
        "response_action": "errors",
        "errors": {ids.TRIAGE_OUTCOME_BLOCK: "No circle 'nowhere' in app.yaml."},
    }
    assert stored(services, tension_id).status == TensionStatus.OPEN
    assert fake_slack.dms(DEV) == []


def test_a_circle_decision_made_in_the_circle_goes_to_every_member_team_once(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: object
) -> None:
    # Dev, North's representative, proposes in the circle's channel and decides (advice process).
    before = {c: len(fake_slack.messages(c)) for c in (NORTH_CHANNEL, SOUTH_CHANNEL, EAST_CHANNEL)}
    view = open_proposal_modal(slack, fake_slack, DEV, channel=TRAINING_CHANNEL)
    assert json.loads(view["private_metadata"]).get("team_id") in (None, "training")
    decide_by = (MEETING_AT + timedelta(days=7)).date()
    values = proposal_values(
        "Hoist courses run monthly, day and night", people=[SAM], decide_by=decide_by
    )
    assert field_errors(submit(slack, view, DEV, values | team_choice(view))) == {}
    proposal = fake_slack.wait_for(
        lambda: stored_proposals(services) and stored_proposals(services)[0]
    )
    assert proposal.team_id == "training"
    proposal = fake_slack.wait_for(
        lambda: (p := stored_proposal(services, proposal.id)).message_ts and p
    )
    modal = click_for_modal(slack, fake_slack, card(fake_slack, proposal), ids.PROPOSAL_DECIDE, DEV)
    decided = {
        ids.DECIDE_TEXT_ACTION: "Hoist courses run monthly, on a day and a night slot",
        ids.DECIDE_SHAPED_ACTION: "No advice came in time",
    }
    assert field_errors(submit(slack, modal, DEV, decided)) == {}
    fake_slack.wait_for(lambda: all(len(fake_slack.messages(c)) > n for c, n in before.items()))
    fake_slack.wait_quiet(0.3)
    for channel, count in before.items():
        posted = fake_slack.messages(channel)[count:]
        assert len(posted) == 1, channel
        assert "*Training circle* decided, on behalf of its teams" in posted[0].all_text
        assert "on a day and a night slot" in posted[0].all_text


def team_choice(view: dict) -> dict:
    """The proposal modal's team, when it asks (Dev is in North and the circle)."""
    if any(b.get("block_id") == ids.PROPOSAL_TEAM_BLOCK for b in view["blocks"]):
        return {ids.PROPOSAL_TEAM_ACTION: "training"}
    return {}
