"""Deciding's rules, without Slack: who proposes and who answers, whom a proposal asks, what an
amendment asks again, when a round closes and a proposal is adopted, that nothing is recorded
twice, and that no log line holds what a person typed."""

from __future__ import annotations

import logging
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select, update

from bot.core.config import AppConfig, parse_config
from bot.core.errors import InvalidInputError, NotAllowedError, NotInTeamError, StaleActionError
from bot.decisions import answers, asks, checks, delivery, service
from bot.decisions.model import MAX_ASKED, AmendmentDraft, Clicked, parse_button_value
from bot.services import Services
from bot.slack import pacing
from bot.slack.users import Account, AccountKind
from storage.models import (
    AskStatus,
    Member,
    Objection,
    Proposal,
    ProposalMethod,
    ProposalStatus,
    RoundAnswer,
)
from tests.conftest import ANA, BEN, CARA, COACH, DEV, SAM, SHARED, SOUTH_COACH, TEST_APP_YAML

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def people(*user_ids: str) -> dict[str, Account]:
    return {u: Account(u, AccountKind.PERSON) for u in user_ids}


def draft(config: AppConfig, **more: object):
    fields: dict = {
        "config": config,
        "user_id": ANA,
        "team_id": "north",
        "text": "Handovers at 14:30",
        "why": "",
        "method": "advice",
        "people": [BEN],
        "teams": [],
        "decide_by": "2026-06-08",
        "values": [],
        "review_date": None,
        "accounts": people(BEN, CARA, SAM, COACH, SOUTH_COACH),
        "now": NOW,
    }
    return checks.check_proposal(**(fields | more))


def test_whom_a_proposal_asks(config: AppConfig) -> None:
    asked = draft(config, people=[BEN, SOUTH_COACH], teams=["south"]).advisors
    assert [(a.user_id, a.from_team, a.coach) for a in asked] == [
        (BEN, None, False),
        (SOUTH_COACH, None, True),  # a coach of another team may advise
        (SHARED, None, False),  # in both teams: asked once, as one of North
        (SAM, "south", False),
    ]
    # In an integrated decision the team's own members answer the round instead.
    integrated = draft(config, method="integrated", people=[BEN, SAM, COACH])
    assert [a.user_id for a in integrated.advisors] == [SAM, COACH]


def test_who_may_propose(config: AppConfig) -> None:
    with pytest.raises(NotAllowedError, match="Coaches may give advice"):
        checks.proposer_teams(config, COACH)
    with pytest.raises(NotInTeamError):
        checks.proposer_teams(config, "U0NOBODY")
    assert checks.default_team(config, SHARED, "C0SOUTH").id == "south"
    with pytest.raises(InvalidInputError) as refused:
        draft(config, team_id="south")  # Ana is not in South
    assert "team" in refused.value.field_errors


def test_limits_on_what_is_asked(config: AppConfig) -> None:
    members = ", ".join(f"U0M{i:04d}" for i in range(MAX_ASKED + 1))
    big = parse_config(
        TEST_APP_YAML
        + f"""
  - id: everyone
    name: Everyone
    channel: C0EVERY
    members: [{members}]
"""
    )
    with pytest.raises(InvalidInputError) as refused:
        draft(big, teams=["everyone"])
    assert f"at most {MAX_ASKED:,}" in refused.value.field_errors["teams"]
    lonely = parse_config(
        """
organisation: {name: Solo}
teams:
  - id: solo
    name: Solo
    channel: C0SOLO
    members: [U0ANA]
    tactical: {day: monday, time: "10:00"}
"""
    )
    with pytest.raises(InvalidInputError) as refused:
        draft(lonely, team_id="solo", method="integrated", people=[], accounts={})
    assert "Nobody else" in refused.value.field_errors["method"]
    with pytest.raises(InvalidInputError) as refused:
        draft(config, values=["Speed"])
    assert "isn't one of" in refused.value.field_errors["values"]
    with pytest.raises(InvalidInputError) as refused:
        draft(config, decide_by="2026-12-31")
    assert "within the next 90 days" in refused.value.field_errors["decide_by"]


def test_button_values_that_are_not_ours_point_nowhere() -> None:
    assert parse_button_value("12:3") == Clicked(12, 3)
    assert parse_button_value("<!channel>") == Clicked(0, 0)
    assert parse_button_value(None) == Clicked(0, 0)


def store(services: Services, **more: object) -> int:
    with services.session() as session:
        proposal = service.create_proposal(
            session,
            config=services.config,
            user_id=ANA,
            draft=draft(services.config, **more),
            now=NOW,
        )
        assert proposal is not None
        return proposal.id or 0


def answer(services: Services, pid: int, user: str, what: RoundAnswer, version: int = 1, **more):
    with services.session() as session:
        return answers.answer_round(
            session,
            config=services.config,
            user_id=user,
            proposal_id=pid,
            version=version,
            answer=what,
            reason=more.get("reason", "because"),
            now=more.get("now", NOW),
        )


def test_the_same_submission_is_stored_once(services: Services) -> None:
    config = services.config
    with services.session() as session:
        first = service.create_proposal(
            session, config=config, user_id=ANA, draft=draft(config), now=NOW, request_key="V1"
        )
        second = service.create_proposal(
            session, config=config, user_id=ANA, draft=draft(config), now=NOW, request_key="V1"
        )
    assert first is not None and second is None


def test_a_round_waits_for_the_active_and_not_for_the_away(services: Services) -> None:
    pid = store(services, method="integrated", people=[])
    with services.session() as session:
        away = session.exec(select(Member).where(Member.user_id == SHARED)).all()
        for row in away:
            row.away_until = date(2026, 6, 30)
            session.add(row)
        session.commit()
    for member in (BEN, CARA):
        assert answer(services, pid, member, RoundAnswer.NO_OBJECTION).settled.adopted is None
    last = answer(services, pid, DEV, RoundAnswer.NO_OBJECTION)

    assert last.settled.closed_now and last.settled.adopted is not None
    assert last.settled.adopted.decision.unanswered == [SHARED]


def test_the_last_answer_reads_back_when_another_thread_adopted_just_before(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two last answers at once: both settle, one adopts, and the other's adopt rolls its session
    back (service.adopt, on losing the race). Its answer is still readable for its DM."""
    pid = store(services, method="integrated", people=[])
    for member in (BEN, CARA, SHARED):
        answer(services, pid, member, RoundAnswer.NO_OBJECTION)

    def adopted_by_another_just_before(session, *, proposal, **more: object):
        with services.session() as other:
            other.exec(
                update(Proposal)
                .where(col(Proposal.id) == proposal.id)
                .values(status=ProposalStatus.ADOPTED)
            )
            other.commit()
        return service.adopt(session, proposal=proposal, **more)

    monkeypatch.setattr(answers, "adopt", adopted_by_another_just_before)
    last = answer(services, pid, DEV, RoundAnswer.CONCERN, reason="Tight")

    assert last.settled.closed_now and last.settled.adopted is None
    assert (last.row.answer, last.row.reason) == (RoundAnswer.CONCERN, "Tight")


def test_an_amendment_asks_again_those_who_answered(services: Services) -> None:
    pid = store(services, method="integrated", people=[])
    answer(services, pid, DEV, RoundAnswer.OBJECTION, reason="School run")
    answer(services, pid, BEN, RoundAnswer.NO_OBJECTION)
    with services.session() as session:
        for row in session.exec(select(Objection).where(Objection.proposal_id == pid)):
            row.status, row.dm_channel, row.dm_ts = AskStatus.SENT, "D1", f"1.{row.id}"
            session.add(row)
        session.commit()
        amended = service.amend_proposal(
            session,
            user_id=ANA,
            proposal_id=pid,
            version=1,
            draft=AmendmentDraft("Handovers at 14:45", "", "Later", date(2026, 6, 9)),
            now=NOW,
        )
    assert amended is not None and amended.proposal.version == 2
    with services.session() as session:
        rows = {
            r.user_id: r
            for r in session.exec(select(Objection).where(Objection.proposal_id == pid))
        }
        due = {d.user_id for d in asks.due_asks(session, kind="round", now=NOW)}
    assert due == {DEV, BEN}  # asked again through the queue
    assert {kind for kind, _, _ in amended.unanswered_dms} == {"round"}
    assert len(amended.unanswered_dms) == 2  # Cara's and Shay's DMs are changed in place
    assert all(r.asked_version == 2 for r in rows.values())
    with pytest.raises(StaleActionError, match="amended since"):
        answer(services, pid, CARA, RoundAnswer.NO_OBJECTION, version=1)
    with (
        pytest.raises(NotAllowedError, match="Only the person who proposed it"),
        services.session() as session,
    ):
        service.amend_proposal(
            session,
            user_id=BEN,
            proposal_id=pid,
            version=2,
            draft=AmendmentDraft("x", "", "y", date(2026, 6, 9)),
            now=NOW,
        )


def test_a_second_answer_to_the_same_version_is_refused(services: Services) -> None:
    pid = store(services, method="integrated", people=[])
    answer(services, pid, BEN, RoundAnswer.CONCERN, reason="")
    with pytest.raises(StaleActionError, match="already answered"):
        answer(services, pid, BEN, RoundAnswer.OBJECTION, reason="Now I object")
    with pytest.raises(InvalidInputError):
        answer(services, pid, CARA, RoundAnswer.OBJECTION, reason="   ")
    with services.session() as session:
        assert asks.asked_of(session, user_id=CARA, limit=3)[1] == 1


def test_an_advice_process_cannot_be_adopted_by_the_round(services: Services) -> None:
    pid = store(services)
    with services.session() as session:
        with pytest.raises(NotAllowedError, match="the person who proposed it"):
            service.decidable(session, user_id=BEN, proposal_id=pid)
        proposal = service.proposal_by_id(session, pid)
        assert proposal.method == ProposalMethod.ADVICE
        assert (
            answers.settle(
                session, config=services.config, proposal=proposal, now=NOW + timedelta(days=30)
            ).adopted
            is None
        )


def test_no_log_line_holds_what_a_person_typed(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Mrs Example's care plan changes"
    caplog.set_level(logging.INFO)  # what `retrobot serve` logs (slack_sdk logs bodies at DEBUG)
    pid = store(services, text=secret, why=secret, method="integrated", people=[BEN, SAM])
    answer(services, pid, DEV, RoundAnswer.OBJECTION, reason=secret)
    with services.session() as session:
        answers.give_advice(session, user_id=SAM, proposal_id=pid, text=secret, now=NOW)
    from bot.decisions.usecases import run_decision_jobs

    run_decision_jobs(services, now=NOW + timedelta(days=20))
    assert secret not in caplog.text
    assert "Mrs Example" not in caplog.text


def test_asks_keep_slacks_pace_unless_the_services_set_another(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proposal's asks go at Slack's pace; the demo, whose local Slack keeps no rate limit,
    sets ``Services.dm_pace`` and they go unpaced."""
    used: list[pacing.Pace] = []
    real = delivery.paced_client
    monkeypatch.setattr(delivery, "paced_client", lambda c, p: used.append(p) or real(c, p))
    delivery.send_asks(services, now=services.now())
    unpaced = pacing.Pace(per_second=math.inf)
    services.dm_pace = unpaced
    delivery.send_asks(services, now=services.now())
    assert used == [pacing.PACE, unpaced]
