"""Integrated decision-making through the real app: the objection round's DMs (No objection /
Concern / Object), an objection that needs its reason, a round that closes when everyone has
answered, and who may never answer (the proposer, coaches, people outside the team)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import ProposalStatus, RoundAnswer
from tests.conftest import ANA, BEN, CARA, COACH, DEV, OUTSIDER, SHARED
from tests.handlers.decision_steps import (
    Clock,
    card,
    click,
    click_for_modal,
    click_for_notice,
    decision,
    dm_asking,
    field_errors,
    proposal_values,
    propose,
    round_rows,
    stored,
    submit,
    thread,
)

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait

MEMBERS = (BEN, CARA, DEV, SHARED)  # North's members but Ana, who proposes


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still at work after their ack finish before the database goes."""
    yield
    fake_slack.wait_quiet(0.2)


def integrated(slack: SlackSender, fake: FakeSlack, services: Services, **more):
    """Ana proposes an integrated decision to North."""
    return propose(slack, fake, services, ANA, proposal_values(method="integrated", **more))


def test_every_member_but_the_proposer_is_asked_and_no_coach(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = integrated(slack, fake_slack, services)

    assert set(round_rows(services, proposal.id)) == set(MEMBERS)
    for member in MEMBERS:
        dm = dm_asking(fake_slack, member, ids.ROUND_NO_OBJECTION)
        for word in ("No objection", "Concern", "Object"):
            assert word in dm.all_text
    fake_slack.wait_quiet(0.2)
    assert not any(ids.ROUND_NO_OBJECTION in str(m.blocks) for m in fake_slack.dms(ANA))
    assert fake_slack.dms(COACH) == []
    assert "0 of 4 answered" in card(fake_slack, proposal).all_text
    assert ids.PROPOSAL_DECIDE not in str(card(fake_slack, proposal).blocks)  # the team decides


def test_no_objection_from_everyone_adopts_it_by_consent(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = integrated(slack, fake_slack, services)
    dms = {member: dm_asking(fake_slack, member, ids.ROUND_NO_OBJECTION) for member in MEMBERS}

    for member in MEMBERS[:-1]:
        click(slack, dms[member], ids.ROUND_NO_OBJECTION, member)
    fake_slack.wait_for(lambda: "3 of 4 answered" in card(fake_slack, proposal).all_text)
    assert decision(services, proposal.id) is None
    notice = click_for_notice(slack, fake_slack, dms[BEN], ids.ROUND_NO_OBJECTION, BEN)
    assert "already answered" in notice
    click(slack, dms[SHARED], ids.ROUND_NO_OBJECTION, SHARED)

    adopted = fake_slack.wait_for(lambda: decision(services, proposal.id))
    assert adopted.decided_by is None and adopted.unanswered == []
    assert stored(services, proposal.id).status == ProposalStatus.ADOPTED
    fake_slack.wait_for(lambda: "by consent" in card(fake_slack, proposal).all_text)
    fake_slack.wait_for(
        lambda: any("adopted by consent" in m.all_text for m in fake_slack.dms(ANA))
    )
    answered = fake_slack.message(dms[BEN].channel, dms[BEN].ts)
    assert answered is not None and "no objection" in answered.all_text
    assert ids.ROUND_OBJECT not in str(answered.blocks)


def test_an_objection_needs_its_reason_and_blocks_until_withdrawn(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = integrated(slack, fake_slack, services)
    dev_dm = dm_asking(fake_slack, DEV, ids.ROUND_OBJECT)
    modal = click_for_modal(slack, fake_slack, dev_dm, ids.ROUND_OBJECT, DEV)

    empty = field_errors(submit(slack, modal, DEV, {ids.OBJECTION_REASON_ACTION: ""}))
    assert "needs its reason" in empty[ids.OBJECTION_REASON_BLOCK]
    assert round_rows(services, proposal.id)[DEV].answer is None
    reason = "Two of us do the school run <!here> at 14:30"
    assert field_errors(submit(slack, modal, DEV, {ids.OBJECTION_REASON_ACTION: reason})) == {}
    row = fake_slack.wait_for(lambda: (r := round_rows(services, proposal.id)[DEV]).answer and r)
    assert row.answer == RoundAnswer.OBJECTION and row.objection == reason

    note = fake_slack.wait_for(
        lambda: next((m for m in thread(fake_slack, proposal) if "objects" in m.all_text), None)
    )
    assert "&lt;!here&gt;" in note.all_text and "<!here>" not in json.dumps(note.blocks)
    ben_dm = dm_asking(fake_slack, BEN, ids.ROUND_NO_OBJECTION)
    for member in (BEN, CARA, SHARED):
        click(
            slack,
            dm_asking(fake_slack, member, ids.ROUND_NO_OBJECTION),
            ids.ROUND_NO_OBJECTION,
            member,
        )
    fake_slack.wait_for(lambda: stored(services, proposal.id).round_closed_at is not None)
    fake_slack.wait_for(lambda: "Blocked" in card(fake_slack, proposal).all_text)
    # The thread's note is posted after the card is updated, both after the ack: wait for it.
    fake_slack.wait_for(
        lambda: any("is blocked" in m.all_text for m in thread(fake_slack, proposal))
    )
    assert decision(services, proposal.id) is None
    late = click_for_notice(slack, fake_slack, ben_dm, ids.ROUND_NO_OBJECTION, BEN)
    assert "already answered" in late

    answered = fake_slack.wait_for(
        lambda: (
            (m := fake_slack.message(dev_dm.channel, dev_dm.ts))
            and "You objected" in m.all_text
            and m
        )
    )
    click(slack, answered, ids.OBJECTION_WITHDRAW, DEV)

    adopted = fake_slack.wait_for(lambda: decision(services, proposal.id))
    assert adopted.decided_by is None
    assert round_rows(services, proposal.id)[DEV].resolution == "withdrawn"
    fake_slack.wait_for(
        lambda: any("withdrew their objection" in m.all_text for m in thread(fake_slack, proposal))
    )


def test_a_concern_is_shared_and_does_not_block(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = integrated(slack, fake_slack, services)
    modal = click_for_modal(
        slack, fake_slack, dm_asking(fake_slack, CARA, ids.ROUND_CONCERN), ids.ROUND_CONCERN, CARA
    )
    assert field_errors(submit(slack, modal, CARA, {ids.OBJECTION_REASON_ACTION: ""})) == {}
    fake_slack.wait_for(
        lambda: round_rows(services, proposal.id)[CARA].answer == RoundAnswer.CONCERN
    )
    for member in (BEN, DEV, SHARED):
        click(
            slack,
            dm_asking(fake_slack, member, ids.ROUND_NO_OBJECTION),
            ids.ROUND_NO_OBJECTION,
            member,
        )

    fake_slack.wait_for(lambda: decision(services, proposal.id))
    # The concern's note is posted after its ack, and may come after the adoption: wait for it.
    fake_slack.wait_for(
        lambda: any("has a concern" in m.all_text for m in thread(fake_slack, proposal))
    )


def test_the_proposer_coaches_and_outsiders_never_answer_the_round(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = integrated(slack, fake_slack, services)
    dm = dm_asking(fake_slack, BEN, ids.ROUND_NO_OBJECTION)

    for someone, words in (
        (COACH, "Coaches may give advice, but never object"),
        (OUTSIDER, "Only the team's members answer"),
        (ANA, "Only the team's members answer"),
    ):
        assert words in click_for_notice(slack, fake_slack, dm, ids.ROUND_NO_OBJECTION, someone)
    assert all(row.answer is None for row in round_rows(services, proposal.id).values())


def test_a_card_update_sent_after_a_later_one_is_sent_again_as_the_proposal_stands(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    """Answers refresh the card from their own listeners: one built before the last answer was
    stored can reach Slack last. The refresh that sent it reads the proposal again and sends
    the card once more, so the card never stays behind the proposal."""
    from bot.decisions import delivery
    from bot.slack.client import make_client
    from storage.models import Proposal

    proposal = integrated(slack, fake_slack, services)
    client = make_client(services.settings.bot_token, fake_slack.url)
    sent: list[str] = []
    chat_update = client.chat_update

    def update_then_change(**kwargs: object) -> object:
        answer = chat_update(**kwargs)
        sent.append(json.dumps(kwargs.get("blocks")))
        if len(sent) == 1:  # another answer stored meanwhile, its own update already sent
            with services.session() as session:
                row = session.get(Proposal, proposal.id)
                assert row is not None
                row.text = "Handovers use the short checklist at night"
                session.commit()
        return answer

    client.chat_update = update_then_change  # type: ignore[method-assign]
    delivery.refresh_card(services, client, proposal)
    assert len(sent) == 2
    card = fake_slack.message(proposal.channel, proposal.message_ts)
    assert card is not None and "Handovers use the short checklist at night" in card.all_text
    delivery.refresh_card(services, client, proposal)
    assert len(sent) == 3  # nothing changed meanwhile: one update
