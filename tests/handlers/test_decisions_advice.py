"""The advice process through the real app: /propose, the channel message and its thread, the
advice DMs (Give advice, "no advice from me"), Amend, Decide, Withdraw, and what must never
happen (a second DM, a second record, an unescaped mention, a decision by someone else)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import AdviceAnswer, ProposalStatus
from tests.conftest import ANA, BEN, CARA, COACH, DEV, NORTH_CHANNEL, OUTSIDER, SAM
from tests.handlers.decision_steps import (
    DECIDE_BY,
    Clock,
    advice_rows,
    card,
    click,
    click_for_modal,
    click_for_notice,
    decision,
    dm_asking,
    field_errors,
    open_proposal_modal,
    proposal_values,
    propose,
    stored,
    stored_proposals,
    submit,
    thread,
)

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still at work after their ack finish before the database goes."""
    yield
    fake_slack.wait_quiet(0.2)


def test_a_proposal_is_posted_once_and_asks_each_person_for_advice(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    view = open_proposal_modal(slack, fake_slack, ANA, "Friday handovers at 14:30")
    assert view["callback_id"] == ids.PROPOSAL_MODAL
    text_block = next(b for b in view["blocks"] if b.get("block_id") == ids.PROPOSAL_TEXT_BLOCK)
    assert text_block["element"]["initial_value"] == "Friday handovers at 14:30"

    proposal = propose(
        slack,
        fake_slack,
        services,
        ANA,
        proposal_values(people=[BEN, CARA, COACH, SAM], **{ids.PROPOSAL_VALUES_ACTION: ["Trust"]}),
    )

    assert proposal.team_id == "north" and proposal.decide_by == DECIDE_BY
    assert proposal.values == ["Trust"]
    asked = advice_rows(services, proposal.id)
    assert set(asked) == {BEN, CARA, COACH, SAM}
    assert asked[COACH].coach and asked[SAM].from_team == "south" and asked[BEN].from_team is None
    message = card(fake_slack, proposal)
    assert message.channel == NORTH_CHANNEL
    assert "Friday handovers start at 14:30" in message.all_text
    assert "asked 4" in message.all_text and "Open" in message.all_text
    assert [m for m in fake_slack.messages(NORTH_CHANNEL) if not m.thread_ts] == [message]
    opened = fake_slack.wait_for(lambda: thread(fake_slack, proposal))
    assert "asking for advice" in opened[0].all_text
    for person in (BEN, CARA, COACH, SAM):
        dm = dm_asking(fake_slack, person, ids.ADVICE_GIVE)
        assert "Give advice" in dm.all_text and "No advice from me" in dm.all_text
        assert dm.metadata and dm.metadata["event_type"] == "retrobot_decision_ask"
    fake_slack.wait_for(lambda: any("is posted in" in m.all_text for m in fake_slack.dms(ANA)))
    fake_slack.wait_quiet(0.2)
    for person in (BEN, CARA, COACH, SAM):
        assert len(fake_slack.dms(person)) == 1  # asked once
    assert not fake_slack.dms(DEV)  # not asked, not told


def test_the_same_modal_submitted_twice_is_one_proposal(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    view = open_proposal_modal(slack, fake_slack, ANA)
    values = proposal_values(people=[BEN])
    assert field_errors(submit(slack, view, ANA, values)) == {}
    assert field_errors(submit(slack, view, ANA, values)) == {}
    fake_slack.wait_quiet(0.3)

    assert len(stored_proposals(services)) == 1
    assert len([m for m in fake_slack.messages(NORTH_CHANNEL) if not m.thread_ts]) == 1
    assert len(fake_slack.dms(BEN)) == 1


@pytest.mark.parametrize(
    ("values", "block", "words"),
    [
        (proposal_values("   ", people=[BEN]), ids.PROPOSAL_TEXT_BLOCK, "can't be empty"),
        (
            proposal_values("Call Mrs Smith on 07700 900123 first", people=[BEN]),
            ids.PROPOSAL_TEXT_BLOCK,
            "phone number",
        ),
        (proposal_values(people=[]), ids.PROPOSAL_PEOPLE_BLOCK, "Choose whom to ask"),
        (proposal_values(people=[ANA]), ids.PROPOSAL_PEOPLE_BLOCK, "can't ask yourself"),
        (proposal_values(people=["U0BOT"]), ids.PROPOSAL_PEOPLE_BLOCK, "an app, not a person"),
        (proposal_values(people=["U0GONE"]), ids.PROPOSAL_PEOPLE_BLOCK, "deactivated"),
        (
            proposal_values(people=[BEN], decide_by=DECIDE_BY.replace(day=1)),
            ids.PROPOSAL_DECIDE_BY_BLOCK,
            "tomorrow or a later date",
        ),
        (
            proposal_values(people=[BEN], **{ids.PROPOSAL_REVIEW_ACTION: "2026-06-03"}),
            ids.PROPOSAL_REVIEW_BLOCK,
            "comes after the decision",
        ),
    ],
)
def test_bad_input_is_a_kind_field_error_and_nothing_is_stored(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    clock: Clock,
    values: dict,
    block: str,
    words: str,
) -> None:
    fake_slack.add_user("U0BOT", name="Helper", is_bot=True)
    fake_slack.add_user("U0GONE", name="Gone", deleted=True)
    view = open_proposal_modal(slack, fake_slack, ANA)

    errors = field_errors(submit(slack, view, ANA, values))

    assert words in errors[block]
    assert stored_proposals(services) == []
    assert fake_slack.messages(NORTH_CHANNEL) == []


def test_coaches_and_people_in_no_team_cannot_propose(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    for person, words in ((COACH, "Coaches may give advice"), (OUTSIDER, "not in a retrobot team")):
        answer = slack.command(ids.PROPOSE_COMMAND, "x", user_id=person, channel_id=NORTH_CHANNEL)
        assert answer.status == 200 and words in answer.body
    assert fake_slack.views_opened(COACH) == [] and fake_slack.views_opened(OUTSIDER) == []


def test_advice_is_recorded_once_shared_in_the_thread_and_escaped(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(people=[BEN, CARA]))
    dm = dm_asking(fake_slack, BEN, ids.ADVICE_GIVE)
    modal = click_for_modal(slack, fake_slack, dm, ids.ADVICE_GIVE, BEN)
    advice = "Try 14:45 <!channel> & <@U0CARA> first"

    empty = field_errors(submit(slack, modal, BEN, {ids.ADVICE_TEXT_ACTION: ""}))
    assert "Write your advice" in empty[ids.ADVICE_TEXT_BLOCK]
    assert field_errors(submit(slack, modal, BEN, {ids.ADVICE_TEXT_ACTION: advice})) == {}

    fake_slack.wait_for(
        lambda: "Advice from" in str([m.all_text for m in thread(fake_slack, proposal)])
    )
    row = advice_rows(services, proposal.id)[BEN]
    assert row.answer == AdviceAnswer.ADVICE and row.text == advice  # stored as typed
    note = next(m for m in thread(fake_slack, proposal) if "Advice from" in m.all_text)
    shown = json.dumps(note.blocks) + note.text
    assert "<!channel>" not in shown and "<@U0CARA>" not in shown
    assert "&lt;!channel&gt; &amp; &lt;@U0CARA&gt;" in note.all_text
    fake_slack.wait_for(lambda: "answered 1" in card(fake_slack, proposal).all_text)
    updated = fake_slack.wait_for(
        lambda: (m := fake_slack.message(dm.channel, dm.ts)) and "Thank you" in m.all_text and m
    )
    assert ids.ADVICE_GIVE not in str(updated.blocks)

    notice = click_for_notice(slack, fake_slack, dm, ids.ADVICE_NONE, BEN)  # the old buttons
    assert "already answered" in notice
    assert advice_rows(services, proposal.id)[BEN].answer == AdviceAnswer.ADVICE


def test_no_advice_from_me_is_counted_once(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(people=[BEN, CARA]))
    dm = dm_asking(fake_slack, CARA, ids.ADVICE_NONE)

    click(slack, dm, ids.ADVICE_NONE, CARA)
    fake_slack.wait_for(lambda: advice_rows(services, proposal.id)[CARA].answer is not None)
    notice = click_for_notice(slack, fake_slack, dm, ids.ADVICE_NONE, CARA)

    assert "already answered" in notice
    assert advice_rows(services, proposal.id)[CARA].answer == AdviceAnswer.NO_ADVICE
    fake_slack.wait_for(lambda: "answered 1" in card(fake_slack, proposal).all_text)
    assert not any("Advice from" in m.all_text for m in thread(fake_slack, proposal))


def test_only_the_proposer_decides_and_who_did_not_answer_is_recorded(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(people=[BEN, CARA, SAM]))
    ben_dm = dm_asking(fake_slack, BEN, ids.ADVICE_GIVE)
    modal = click_for_modal(slack, fake_slack, ben_dm, ids.ADVICE_GIVE, BEN)
    submit(slack, modal, BEN, {ids.ADVICE_TEXT_ACTION: "Start at 14:45 for the school run"})
    fake_slack.wait_for(lambda: advice_rows(services, proposal.id)[BEN].answer is not None)
    message = card(fake_slack, proposal)

    for someone in (BEN, COACH):
        assert "Only the person who proposed it" in click_for_notice(
            slack, fake_slack, message, ids.PROPOSAL_DECIDE, someone
        )
    modal = click_for_modal(slack, fake_slack, card(fake_slack, proposal), ids.PROPOSAL_DECIDE, ANA)
    assert "haven't answered" in json.dumps(modal)
    no_shaping = field_errors(submit(slack, modal, ANA, {ids.DECIDE_SHAPED_ACTION: ""}))
    assert "how the advice" in no_shaping[ids.DECIDE_SHAPED_BLOCK]
    assert decision(services, proposal.id) is None
    values = {
        ids.DECIDE_TEXT_ACTION: "Friday handovers start at 14:45",
        ids.DECIDE_SHAPED_ACTION: "Ben's point about the school run moved it to 14:45",
    }
    assert field_errors(submit(slack, modal, ANA, values)) == {}
    assert field_errors(submit(slack, modal, ANA, values)) == {}  # a double submission

    made = fake_slack.wait_for(lambda: decision(services, proposal.id))
    assert made.decided_by == ANA and made.text == "Friday handovers start at 14:45"
    assert made.unanswered == [CARA, SAM]
    assert stored(services, proposal.id).status == ProposalStatus.ADOPTED
    fake_slack.wait_for(lambda: "Adopted" in card(fake_slack, proposal).all_text)
    assert ids.PROPOSAL_DECIDE not in str(card(fake_slack, proposal).blocks)
    fake_slack.wait_for(lambda: any("decided" in m.all_text for m in fake_slack.dms(BEN)[1:]))
    cara_dm = fake_slack.wait_for(
        lambda: "nothing more is asked" in (m := dm_current(fake_slack, CARA)).all_text and m
    )
    assert ids.ADVICE_GIVE not in str(cara_dm.blocks)  # the buttons went
    assert "decided already" in click_for_notice(slack, fake_slack, ben_dm, ids.ADVICE_NONE, BEN)
    fake_slack.wait_quiet(0.2)
    assert len([m for m in thread(fake_slack, proposal) if "decided" in m.all_text]) == 1


def dm_current(fake: FakeSlack, user: str):
    """The person's first DM as it reads now."""
    first = fake.dms(user)[0]
    return fake.message(first.channel, first.ts) or first


def test_amend_tells_those_who_answered_and_refreshes_the_others_dm(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(people=[BEN, CARA]))
    click(slack, dm_asking(fake_slack, BEN, ids.ADVICE_NONE), ids.ADVICE_NONE, BEN)
    fake_slack.wait_for(lambda: advice_rows(services, proposal.id)[BEN].answer is not None)

    modal = click_for_modal(slack, fake_slack, card(fake_slack, proposal), ids.PROPOSAL_AMEND, ANA)
    empty = field_errors(submit(slack, modal, ANA, {ids.PROPOSAL_NOTE_ACTION: ""}))
    assert "what changed" in empty[ids.PROPOSAL_NOTE_BLOCK]
    values = {
        ids.PROPOSAL_TEXT_ACTION: "Friday handovers start at 14:45",
        ids.PROPOSAL_NOTE_ACTION: "Later start, after the school run",
    }
    assert field_errors(submit(slack, modal, ANA, values)) == {}

    fake_slack.wait_for(lambda: stored(services, proposal.id).version == 2)
    told = fake_slack.wait_for(lambda: len(fake_slack.dms(BEN)) == 2 and fake_slack.dms(BEN)[1])
    assert "amended" in told.all_text and "after the school run" in told.all_text
    assert "Give advice" in told.all_text
    fake_slack.wait_for(lambda: "14:45" in dm_current(fake_slack, CARA).all_text)
    assert len(fake_slack.dms(CARA)) == 1  # changed in place, not a second DM
    fake_slack.wait_for(lambda: "amended (v2)" in card(fake_slack, proposal).all_text)
    fake_slack.wait_for(
        lambda: any("What changed" in m.all_text for m in thread(fake_slack, proposal))
    )
    # A click on the first version's DM is told the proposal moved on, and Ben may advise again.
    modal = click_for_modal(slack, fake_slack, told, ids.ADVICE_GIVE, BEN)
    submit(slack, modal, BEN, {ids.ADVICE_TEXT_ACTION: "Better"})
    fake_slack.wait_for(lambda: advice_rows(services, proposal.id)[BEN].answered_version == 2)


def test_withdraw_closes_the_proposal_and_later_clicks_change_nothing(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(people=[BEN]))
    dm = dm_asking(fake_slack, BEN, ids.ADVICE_GIVE)
    assert "Only the person who proposed it" in click_for_notice(
        slack, fake_slack, card(fake_slack, proposal), ids.PROPOSAL_WITHDRAW, BEN
    )

    click(slack, card(fake_slack, proposal), ids.PROPOSAL_WITHDRAW, ANA)

    fake_slack.wait_for(lambda: stored(services, proposal.id).status == ProposalStatus.WITHDRAWN)
    fake_slack.wait_for(lambda: "Withdrawn" in card(fake_slack, proposal).all_text)
    fake_slack.wait_for(lambda: "withdrew" in dm_current(fake_slack, BEN).all_text)
    assert "withdrawn already" in click_for_notice(slack, fake_slack, dm, ids.ADVICE_NONE, BEN)
    assert advice_rows(services, proposal.id)[BEN].answer is None
    assert decision(services, proposal.id) is None


def test_a_dm_slack_refuses_is_recorded_and_the_rest_go_on(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    fake_slack.fail_next(
        "chat.postMessage", error="user_disabled", when=lambda args: args.get("channel") == CARA
    )
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(people=[BEN, CARA]))

    fake_slack.wait_for(lambda: "could not reach 1" in card(fake_slack, proposal).all_text)
    rows = advice_rows(services, proposal.id)
    assert rows[CARA].status == "failed" and rows[CARA].error == "user_disabled"
    assert rows[BEN].status == "sent"
    confirmation = fake_slack.wait_for(
        lambda: next((m for m in fake_slack.dms(ANA) if "wouldn't let" in m.all_text), None)
    )
    assert "could not reach 1" in confirmation.all_text


def test_escaped_words_on_the_channel_message(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    typed = "Everyone <!channel> reads <https://evil.example|this> & <@U0BEN>"
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(typed, people=[BEN]))

    assert stored(services, proposal.id).text == typed
    for message in (card(fake_slack, proposal), dm_asking(fake_slack, BEN, ids.ADVICE_GIVE)):
        shown = json.dumps(message.blocks) + message.text
        assert (
            "<!channel>" not in shown and "<https://evil" not in shown and "<@U0BEN>" not in shown
        )
        assert "&lt;!channel&gt;" in message.all_text
