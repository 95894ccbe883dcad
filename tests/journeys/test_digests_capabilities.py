"""The summary and the coach digest, end to end through the Slack stand-in (which checks every
message against Block Kit's limits): the team reads its decisions and its health trend in the
summary's thread; the coach reads a count of overdue proposals and of one person's roles, and
the health averages, never a proposal's words or a name."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.digests.usecases import send_coach_digest, send_team_summary
from bot.services import Services
from bot.standin.web_api import FakeSlack
from storage.models import Role, RoleHolder
from tests.conftest import ANA, BEN, CARA, COACH, NORTH_CHANNEL
from tests.storage.factories import make_closed_retro, make_decision, make_proposal

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECRET_PROPOSAL = "Mrs J's key safe code goes on the rota"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def deciding_and_health(services: Services) -> None:
    """North decided once in week 48, has a proposal past its date, another open; its last
    retrospective closed that week; Ben holds three of its four roles."""
    with services.session() as session:
        adopted = make_proposal(
            session, proposer=ANA, decide_by=date(2026, 11, 27), created_at=utc(2026, 11, 20)
        )
        make_decision(session, adopted, decided_at=utc(2026, 11, 26, 15))
        make_proposal(
            session,
            proposer=CARA,
            text=SECRET_PROPOSAL,
            decide_by=date(2026, 11, 25),
            created_at=utc(2026, 11, 20),
        )
        make_proposal(
            session, proposer=ANA, decide_by=date(2026, 12, 10), created_at=utc(2026, 11, 27)
        )
        scores = {"We help each other": [3, 4, 3], "Workload is fair": [4, 4]}
        make_closed_retro(session, closed=utc(2026, 10, 29), scores=scores)
        scores = {"We help each other": [4, 4, 5], "Workload is fair": [2, 3]}
        make_closed_retro(session, closed=utc(2026, 11, 26), scores=scores)
        for key, holder in (("rota", BEN), ("facilitator", BEN), ("rep", BEN), ("tissue", CARA)):
            role = Role(team_id="north", key=key, name=key.title())
            session.add(role)
            session.flush()
            session.add(RoleHolder(role_id=role.id or 0, user_id=holder))
        session.commit()


def test_the_team_reads_its_decisions_and_health_and_the_coach_the_flags(
    services: Services, fake_slack: FakeSlack
) -> None:
    deciding_and_health(services)

    assert send_team_summary(services, team_id="north", week=WEEK, now=NOW).ok
    headline, *thread = fake_slack.messages(NORTH_CHANNEL)
    assert "· 1 decision made ·" in headline.all_text
    details = "\n".join(reply.all_text for reply in thread)
    assert "1 decision made this week; 2 proposals open, 1 past its decide-by date." in details
    assert "From the retrospective of 24 Nov" in details
    assert "• We help each other: 4.3, up from 3.3." in details
    assert "• Workload is fair: not shown, fewer than 3 answers." in details

    assert send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW).ok
    text = "\n".join(dm.all_text for dm in fake_slack.dms(COACH))
    assert (
        "North Neighbourhood Team: 1 proposal is past its decide-by date with no decision." in text
    )
    assert "North Neighbourhood Team: one person holds 3 of the team's 4 roles." in text
    assert "We help each other 4.3 ↑" in text and "Workload is fair" not in text
    for never in (SECRET_PROPOSAL, "Mrs J", ANA, BEN, CARA):
        assert never not in text


def test_nothing_to_say_leaves_no_line(services: Services, fake_slack: FakeSlack) -> None:
    assert send_team_summary(services, team_id="north", week=WEEK, now=NOW).ok
    posted = "\n".join(m.all_text for m in fake_slack.messages(NORTH_CHANNEL))
    assert "decision" not in posted and "Team health" not in posted
    assert send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW).ok
    text = "\n".join(dm.all_text for dm in fake_slack.dms(COACH))
    for absent in ("decide-by", "roles", "Team health", "in common"):
        assert absent not in text
    assert "Nothing stands out this week." in text
