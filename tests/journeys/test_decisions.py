"""Deciding, end to end over real HTTP: an integrated decision blocked by an objection, amended,
the objection integrated, adopted; the scheduler's part (the reminder the day before, a round
closing at its date, the review date bringing a decision back on the agenda); and a crash in
the middle of asking that never asks anyone twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.core import ids
from bot.decisions import usecases
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import AskStatus, Member, Proposal, Tension
from tests.conftest import ANA, BEN, CARA, DEV, SHARED
from tests.handlers.decision_steps import (
    NOW,
    Clock,
    advice_rows,
    card,
    click,
    click_for_modal,
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

MEMBERS = (BEN, CARA, DEV, SHARED)


@pytest.fixture
def clock(services: Services) -> Iterator[Clock]:
    """The app's clock, from Monday 1 June 2026 at 10:00 in London."""
    clock = Clock(NOW)
    services.clock = clock
    yield clock


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still at work after their ack finish before the database goes."""
    yield
    fake_slack.wait_quiet(0.2)


def test_an_objection_blocks_until_an_amendment_integrates_it(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(
        slack, fake_slack, services, ANA, proposal_values(method="integrated", people=[])
    )
    first_dms = {m: dm_asking(fake_slack, m, ids.ROUND_NO_OBJECTION) for m in MEMBERS}
    modal = click_for_modal(slack, fake_slack, first_dms[DEV], ids.ROUND_OBJECT, DEV)
    objection = "Two of us do the school run at 14:30"
    submit(slack, modal, DEV, {ids.OBJECTION_REASON_ACTION: objection})
    for member in (BEN, CARA, SHARED):
        click(slack, first_dms[member], ids.ROUND_NO_OBJECTION, member)
    fake_slack.wait_for(lambda: "Blocked" in card(fake_slack, proposal).all_text)

    modal = click_for_modal(slack, fake_slack, card(fake_slack, proposal), ids.PROPOSAL_AMEND, ANA)
    values = {
        ids.PROPOSAL_TEXT_ACTION: "Friday handovers start at 14:45",
        ids.PROPOSAL_NOTE_ACTION: "Start after the school run",
        ids.PROPOSAL_DECIDE_BY_ACTION: "2026-06-10",
    }
    assert field_errors(submit(slack, modal, ANA, values)) == {}

    # Everyone who answered is asked again; the objector is asked whether it is integrated.
    asked_again = {
        m: fake_slack.wait_for(lambda m=m: len(fake_slack.dms(m)) == 2 and fake_slack.dms(m)[1])
        for m in MEMBERS
    }
    assert "It's integrated" in asked_again[DEV].all_text
    assert "Withdraw my objection" in asked_again[DEV].all_text
    assert objection in asked_again[DEV].all_text
    assert "No objection" in asked_again[BEN].all_text
    assert "Blocked" not in card(fake_slack, proposal).all_text
    stale = first_dms[CARA]  # Cara's first DM, already answered: her click changes nothing
    assert slack.click(stale, ids.ROUND_CONCERN, user_id=CARA).status == 200
    for member in (BEN, CARA, SHARED):
        click(slack, asked_again[member], ids.ROUND_NO_OBJECTION, member)
    fake_slack.wait_for(lambda: "3 of 4 answered" in card(fake_slack, proposal).all_text)
    assert decision(services, proposal.id) is None  # Dev's objection still stands
    click(slack, asked_again[DEV], ids.OBJECTION_INTEGRATED, DEV)

    adopted = fake_slack.wait_for(lambda: decision(services, proposal.id))
    assert adopted.text == "Friday handovers start at 14:45" and adopted.decided_by is None
    row = round_rows(services, proposal.id)[DEV]
    assert row.resolution == "integrated" and row.resolved_version == 2
    assert row.objection == objection
    fake_slack.wait_for(lambda: "Adopted" in card(fake_slack, proposal).all_text)
    # The card can say so first: any answer's refresh shows the proposal as it stands, while the
    # listener that adopted it is still posting its notes in the thread.
    notes = fake_slack.wait_for(
        lambda: "integrated their objection" in (n := thread_text(fake_slack, proposal)) and n
    )
    assert "Start after the school run" in notes

    log = "".join(usecases.decision_log(services, team_id="north", since=None, fmt="json"))
    entry = json.loads(log)["decisions"][0]
    assert entry["objections"][0]["resolution"] == "integrated"
    assert entry["objections"][0]["integration"] == "Start after the school run"
    assert entry["amendments"][0]["note"] == "Start after the school run"


def test_the_day_before_one_reminder_to_whoever_has_not_answered_and_none_to_the_away(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(
        slack, fake_slack, services, ANA, proposal_values(method="integrated", people=[SHARED])
    )
    click(slack, dm_asking(fake_slack, BEN, ids.ROUND_NO_OBJECTION), ids.ROUND_NO_OBJECTION, BEN)
    fake_slack.wait_for(lambda: round_rows(services, proposal.id)[BEN].answer is not None)
    with services.session() as session:
        away = session.exec(select(Member).where(Member.user_id == CARA)).first()
        assert away is not None
        away.away_until = datetime(2026, 6, 20).date()
        session.add(away)
        session.commit()
    fake_slack.wait_quiet(0.2)
    before = {m: len(fake_slack.dms(m)) for m in (*MEMBERS, ANA)}

    clock.now = datetime(2026, 6, 7, 7, 0, tzinfo=UTC)  # Sunday 08:00 in London: too early
    usecases.run_decision_jobs(services, now=clock.now)
    assert {m: len(fake_slack.dms(m)) for m in before} == before
    clock.now = datetime(2026, 6, 7, 8, 30, tzinfo=UTC)  # 09:30: remind
    usecases.run_decision_jobs(services, now=clock.now)
    usecases.run_decision_jobs(services, now=clock.now + timedelta(hours=1))  # never twice

    after = {m: len(fake_slack.dms(m)) for m in before}
    assert after[DEV] == before[DEV] + 1 and after[SHARED] == before[SHARED] + 1
    assert "tomorrow" in fake_slack.dms(DEV)[-1].all_text
    assert "No objection" in fake_slack.dms(DEV)[-1].all_text
    assert after[BEN] == before[BEN]  # answered
    assert after[CARA] == before[CARA]  # away
    assert after[ANA] == before[ANA]  # an integrated decision's proposer does not decide


def test_a_round_closes_at_its_date_and_who_did_not_answer_is_recorded(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(method="integrated"))
    click(slack, dm_asking(fake_slack, BEN, ids.ROUND_NO_OBJECTION), ids.ROUND_NO_OBJECTION, BEN)
    fake_slack.wait_for(lambda: round_rows(services, proposal.id)[BEN].answer is not None)

    # Monday 8 June, 23:30 in London: still the date.
    usecases.run_decision_jobs(services, now=datetime(2026, 6, 8, 22, 30, tzinfo=UTC))
    assert decision(services, proposal.id) is None
    usecases.run_decision_jobs(services, now=datetime(2026, 6, 8, 23, 5, tzinfo=UTC))

    adopted = decision(services, proposal.id)
    assert adopted is not None and sorted(adopted.unanswered) == sorted([CARA, DEV, SHARED])
    fake_slack.wait_for(lambda: "Adopted" in card(fake_slack, proposal).all_text)


def test_at_its_review_date_a_decision_comes_back_on_the_agenda_once(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    proposal = propose(
        slack,
        fake_slack,
        services,
        ANA,
        proposal_values(people=[BEN], **{ids.PROPOSAL_REVIEW_ACTION: "2026-09-01"}),
    )
    modal = click_for_modal(slack, fake_slack, card(fake_slack, proposal), ids.PROPOSAL_DECIDE, ANA)
    submit(slack, modal, ANA, {})
    fake_slack.wait_for(lambda: decision(services, proposal.id))

    usecases.run_decision_jobs(services, now=datetime(2026, 8, 31, 12, 0, tzinfo=UTC))
    assert reviews(services) == []
    usecases.run_decision_jobs(services, now=datetime(2026, 9, 1, 7, 0, tzinfo=UTC))
    usecases.run_decision_jobs(services, now=datetime(2026, 9, 1, 8, 0, tzinfo=UTC))

    [tension] = reviews(services)
    assert tension.team_id == "north" and tension.raised_by == ANA
    assert "Friday handovers" in tension.text and tension.area == "Decision review"
    made = decision(services, proposal.id)
    assert made is not None and made.review_tension_id == tension.id
    assert any("review date has come" in m.all_text for m in thread(fake_slack, proposal))


def reviews(services: Services) -> list[Tension]:
    """The tensions raised for decision reviews."""
    with services.session() as session:
        return list(session.exec(select(Tension).where(Tension.area == "Decision review")))


def test_after_a_crash_an_ask_in_doubt_is_found_not_sent_again(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    fake_slack.drop_after_acting_next(
        "chat.postMessage", when=lambda args: args.get("channel") == CARA
    )
    proposal = propose(slack, fake_slack, services, ANA, proposal_values(people=[BEN, CARA]))
    fake_slack.wait_quiet(0.3)
    assert len(fake_slack.dms(CARA)) == 1  # it went; Slack's answer was lost
    assert advice_rows(services, proposal.id)[CARA].status == AskStatus.SENDING  # in doubt

    usecases.run_decision_jobs(services, now=clock.now + timedelta(seconds=30))  # too soon
    usecases.run_decision_jobs(services, now=clock.now + timedelta(minutes=5))

    row = advice_rows(services, proposal.id)[CARA]
    assert row.status == AskStatus.SENT and row.dm_ts == fake_slack.dms(CARA)[0].ts
    assert len(fake_slack.dms(CARA)) == 1  # found, never asked twice
    assert len(fake_slack.dms(BEN)) == 1
    assert stored(services, proposal.id).message_ts is not None


def thread_text(fake_slack: FakeSlack, proposal: Proposal) -> str:
    return "\n".join(m.all_text for m in thread(fake_slack, proposal))
