"""The other ways in and out of deciding: the "Make a proposal" shortcut, "Draft the proposal"
after triage, the App Home ("Advice asked of you", "Your proposals"), and `/decisions`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import OutcomeKind, Tension, TensionStatus
from tests.conftest import ANA, BEN, CARA, COACH, DEV, NORTH_CHANNEL, OUTSIDER, SAM
from tests.handlers.decision_steps import (
    Clock,
    card,
    click,
    click_for_modal,
    click_for_notice,
    decision,
    field_errors,
    proposal_values,
    propose,
    stored_proposals,
    submit,
)
from tests.journeys.steps import newest_view, open_home

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still at work after their ack finish before the database goes."""
    yield
    fake_slack.wait_quiet(0.2)


def test_the_shortcut_prefills_the_modal_with_the_message_and_its_link(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    before = len(fake_slack.views_opened(BEN))
    response = slack.message_shortcut(
        ids.MAKE_PROPOSAL_SHORTCUT,
        user_id=BEN,
        channel_id=NORTH_CHANNEL,
        message_text="We should <@U0ANA> always double-check the rota",
        message_user=ANA,
    )
    assert response.status == 200
    view = newest_view(fake_slack, BEN, before)

    text = next(b for b in view["blocks"] if b.get("block_id") == ids.PROPOSAL_TEXT_BLOCK)
    assert text["element"]["initial_value"].startswith("We should @")
    metadata = json.loads(view["private_metadata"])
    assert metadata["permalink"].startswith("https://") and metadata["team_id"] == "north"
    assert field_errors(submit(slack, view, BEN, proposal_values(people=[CARA]))) == {}
    proposal = fake_slack.wait_for(
        lambda: stored_proposals(services) and stored_proposals(services)[0]
    )
    assert proposal.source_permalink == metadata["permalink"] and proposal.proposer == BEN


def test_the_shortcut_tells_someone_in_no_team_kindly(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    slack.message_shortcut(
        ids.MAKE_PROPOSAL_SHORTCUT,
        user_id=OUTSIDER,
        channel_id=NORTH_CHANNEL,
        message_text="x",
        message_user=ANA,
    )
    notice = fake_slack.wait_for(lambda: fake_slack.ephemerals(OUTSIDER))
    assert "not in a retrobot team" in notice[-1].all_text
    assert fake_slack.views_opened(OUTSIDER) == []


def test_the_owner_of_a_tension_triaged_as_a_proposal_drafts_it(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    with services.session() as session:
        tension = Tension(
            team_id="north",
            raised_by=BEN,
            text="Friday handovers keep running late",
            status=TensionStatus.TRIAGED,
            outcome=OutcomeKind.PROPOSAL,
            owner=CARA,
            triage_note="Cara drafts a handover rule",
            governance=True,
            created_at=clock.now,
        )
        session.add(tension)
        session.commit()
        session.refresh(tension)
    from bot.triage.views import build_owner_dm

    dm = build_owner_dm(services.renderer, tension=tension, team_name="North")
    assert "Draft the proposal" in json.dumps(dm)
    draft = {"blocks": dm["blocks"], "channel": "D0CARA", "ts": "1.0"}

    assert "Only the owner" in click_for_notice(slack, fake_slack, draft, ids.DRAFT_PROPOSAL, DEV)
    view = click_for_modal(slack, fake_slack, draft, ids.DRAFT_PROPOSAL, CARA)

    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[ids.PROPOSAL_WHY_BLOCK]["element"]["initial_value"] == tension.text
    assert blocks[ids.PROPOSAL_TEXT_BLOCK]["element"]["initial_value"] == tension.triage_note
    assert "Drafted from" in json.dumps(view)
    submit(slack, view, CARA, {ids.PROPOSAL_PEOPLE_ACTION: [BEN]})
    proposal = fake_slack.wait_for(
        lambda: stored_proposals(services) and stored_proposals(services)[0]
    )
    assert proposal.tension_id == tension.id and proposal.why == tension.text


def test_the_app_home_shows_what_waits_for_you_and_your_proposals(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    propose(
        slack, fake_slack, services, ANA, proposal_values("Rota two weeks ahead", people=[BEN, SAM])
    )
    propose(
        slack, fake_slack, services, ANA, proposal_values("Handover checklist", method="integrated")
    )

    ben = json.dumps(open_home(slack, fake_slack, BEN))
    assert "Advice asked of you" in ben and "Rota two weeks ahead" in ben
    assert "Handover checklist" in ben and "No objection" in ben
    sam = json.dumps(open_home(slack, fake_slack, SAM))  # another team's member, asked
    assert "Rota two weeks ahead" in sam and "Handover checklist" not in sam
    home = open_home(slack, fake_slack, ANA)
    assert "*Your proposals* (2)" in json.dumps(home)
    assert "Make a proposal" in json.dumps(home)

    ben_home = fake_slack.home(BEN)
    assert ben_home is not None
    click(slack, ben_home, ids.ROUND_NO_OBJECTION, BEN)
    fake_slack.wait_for(lambda: "Handover checklist" not in json.dumps(fake_slack.home(BEN)))
    view = click_for_modal(slack, fake_slack, home, ids.HOME_PROPOSE, ANA)
    assert view["callback_id"] == ids.PROPOSAL_MODAL


def test_slash_decisions_finds_the_teams_decisions_by_words(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    for words in ("Rota published two weeks ahead", "Handovers at 14:45 <!channel>"):
        proposal = propose(slack, fake_slack, services, ANA, proposal_values(words, people=[BEN]))
        modal = click_for_modal(
            slack, fake_slack, card(fake_slack, proposal), ids.PROPOSAL_DECIDE, ANA
        )
        submit(slack, modal, ANA, {})
        fake_slack.wait_for(lambda proposal=proposal: decision(services, proposal.id))

    everything = slack.command(ids.DECISIONS_COMMAND, "", user_id=BEN, channel_id=NORTH_CHANNEL)
    found = slack.command(ids.DECISIONS_COMMAND, "ROTA", user_id=COACH, channel_id=NORTH_CHANNEL)
    nothing = slack.command(ids.DECISIONS_COMMAND, "budget", user_id=BEN, channel_id=NORTH_CHANNEL)
    elsewhere = slack.command(ids.DECISIONS_COMMAND, "", user_id=SAM, channel_id=NORTH_CHANNEL)
    stranger = slack.command(ids.DECISIONS_COMMAND, "", user_id=OUTSIDER, channel_id=NORTH_CHANNEL)

    assert "Rota published" in everything.body and "Handovers at 14:45" in everything.body
    assert "&lt;!channel&gt;" in everything.body and "<!channel>" not in everything.body
    assert "Rota published" in found.body and "Handovers at" not in found.body
    assert "No decision matches" in nothing.body
    assert "Rota" not in elsewhere.body  # South's member sees South's log only
    assert "not in one yet" in stranger.body
    assert fake_slack.limit_violations == []
