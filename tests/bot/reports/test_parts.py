"""Decisions and the health check in the report, read from their capabilities' tables: the
decision log's (bot/decisions) and the retrospectives' (bot/retros), written here through their
models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.core.config import AppConfig
from bot.reports import views
from bot.reports.model import Decisions, Mean, NotRecorded, Period
from bot.reports.service import build_report
from prompts import Renderer
from storage.models import (
    Advice,
    AdviceAnswer,
    Decision,
    HealthAnswer,
    Proposal,
    ProposalMethod,
    ProposalStatus,
    Retrospective,
    Role,
    RoleHolder,
)
from tests.bot.reports.seed import END, NOW, START, Seeded

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait

DECIDED = datetime(2026, 6, 9, 12, tzinfo=UTC)  # W24


def retrospective(session: Session, *, team_id: str, opened: datetime, scores: list[int]) -> None:
    """A retrospective opened at ``opened`` whose members answered "Safe to speak up" with
    ``scores``."""
    retro = Retrospective(
        team_id=team_id, period_start=opened - timedelta(weeks=4), opened_at=opened,
        reflection_closes_at=opened + timedelta(days=2), channel="C0NORTH01",
        health_questions=["Safe to speak up"],
    )  # fmt: skip
    session.add(retro)
    session.flush()
    assert retro.id is not None
    for n, score in enumerate(scores):
        session.add(
            HealthAnswer(
                retro_id=retro.id, question="Safe to speak up", score=score, author=f"U0HLT{n}"
            )
        )
    session.flush()


def decide(session: Session, *, team_id: str, method: str, at: datetime, asked: int) -> None:
    """A proposal adopted at ``at`` after asking ``asked`` people for advice, every other one
    of whom answered (the first, the third, ...)."""
    proposal = Proposal(
        team_id=team_id, proposer="U0NANA01", text="decision-secret",
        method=ProposalMethod(method), status=ProposalStatus.ADOPTED, decide_by=at.date(),
    )  # fmt: skip
    session.add(proposal)
    session.flush()
    assert proposal.id is not None
    for n in range(asked):
        answered = n % 2 == 0
        session.add(
            Advice(
                proposal_id=proposal.id, user_id=f"U0ADV{n}", text="advice-secret",
                answered_at=at if answered else None,
                answer=AdviceAnswer.ADVICE if answered else None,
            )
        )  # fmt: skip
    session.add(
        Decision(
            team_id=team_id, proposal_id=proposal.id, method=ProposalMethod(method),
            text="decision-secret", decided_by="U0NANA01", decided_at=at,
        )
    )  # fmt: skip
    session.flush()


def report(session: Session, org: AppConfig):  # type: ignore[no-untyped-def]
    return build_report(
        session, config=org, teams=org.teams, scope="organisation", period=Period(START, END),
        now=NOW,
    )  # fmt: skip


def test_every_part_is_recorded_now_roles_too(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    well_led = report(session, org).section("well-led").figures
    assert [f.key for f in well_led if isinstance(f, NotRecorded)] == []
    [decisions] = [f for f in well_led if f.key == "decisions"]  # the decision log is here
    assert decisions.value.decided == 0 and decisions.value.by_method == {
        "advice": 0, "integrated": 0
    }  # fmt: skip
    assert not [f for f in well_led if f.kind == "health"]  # no retrospective in the seed
    [roles] = [f for f in well_led if f.key == "roles"]  # no team seeds roles: nobody holds one
    assert roles.value.roles_held == 0 and roles.value.by_count["0"] == roles.value.people > 0


def give_roles(session: Session, team_id: str, holders: list[list[str]]) -> None:
    """One role per entry of ``holders``, held by those people."""
    for number, people in enumerate(holders):
        role = Role(team_id=team_id, key=f"role-{number}", name=f"Role {number}")
        session.add(role)
        session.flush()
        for user_id in people:
            session.add(RoleHolder(role_id=role.id, user_id=user_id))
    session.commit()


def test_how_leadership_is_distributed_counts_people_by_the_roles_they_hold(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    north = org.team("north").member_ids
    one, two = north[0], north[1]
    give_roles(session, "north", [[one], [one, two], [one], []])
    build = build_report(
        session, config=org, teams=org.teams, scope="organisation", period=Period(START, END),
        now=NOW,
    )  # fmt: skip
    [roles] = [f for f in build.section("well-led").figures if f.key == "roles"]
    by_team = {row.team.id: row.value for row in roles.teams}
    assert by_team["north"].by_count == {"0": len(north) - 2, "1": 1, "2": 0, "3+": 1}
    assert by_team["north"].roles_held == 4 and by_team["north"].people == len(north)
    assert roles.value.roles_held == 4
    page = views.html_document(Renderer(), build)
    assert "How leadership is distributed" in page and "Three or more" in page
    assert one not in page and two not in page  # people counted, nobody named


def test_decisions_by_method_and_how_widely_advice_was_sought(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    asked = {1: 4, 2: 2, 3: 3, 4: 0}  # people asked for advice on each proposal
    for proposal, people in asked.items():
        decide(
            session, team_id="north" if proposal < 4 else "south",
            method="advice" if proposal != 3 else "integrated",
            at=DECIDED + timedelta(hours=proposal), asked=people,
        )  # fmt: skip
    # Decided before the period: not counted.
    decide(session, team_id="north", method="advice", at=datetime(2026, 5, 20, tzinfo=UTC), asked=1)
    session.commit()
    built = report(session, org)
    found = next(f for f in built.section("well-led").figures if f.key == "decisions")
    assert found.value == Decisions(
        decided=4,
        by_method={"advice": 3, "integrated": 1},
        median_asked=2.5,  # 0, 2, 3, 4
        asked=9,
        answered=5,  # 2 of 4, 1 of 2, 2 of 3
        answered_share=5 / 9,
    )
    assert [w.value.decided for w in found.weeks] == [0, 4, 0]
    north = next(t.value for t in found.teams if t.team.id == "north")
    assert (north.decided, north.median_asked) == (3, 3.0)
    south = next(t.value for t in found.teams if t.team.id == "south")
    assert (south.decided, south.median_asked, south.answered_share) == (1, None, None)
    page = views.html_document(Renderer(), built)
    assert "By advice process" in page and "decision-secret" not in page
    assert "advice-secret" not in page and "U0ADV" not in page and "U0NANA01" not in page


def test_the_health_check_averages_over_three_answers_or_more(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    retros = {1: ("north", [4, 5, 3]), 2: ("south", [2, 4]), 3: ("north", [5, 5, 5])}
    for retro, (team, scores) in retros.items():
        opened = datetime(2026, 6, 4, 14, tzinfo=UTC) + timedelta(weeks=retro - 1)
        retrospective(session, team_id=team, opened=opened, scores=scores)
    session.commit()
    built = report(session, org)
    [found] = [f for f in built.section("well-led").figures if f.kind == "health"]
    assert (found.key, found.title) == ("health:Safe to speak up", "Safe to speak up")
    # North's second retrospective is held back too: three 5s, an average of 5.0, would tell
    # each of the three that the other two answered 5 (bot.core.privacy).
    assert found.value == Mean(3, 4.0)  # north's first retrospective; south's two held back
    assert [w.value for w in found.weeks] == [Mean(3, 4.0), Mean(2), Mean(3, None, True)]
    teams = {t.team.id: t.value for t in found.teams}
    assert teams["south"] == Mean(2) and teams["east"] == Mean(0)
    page = views.html_document(Renderer(), built)
    assert "Team health check" in page and "Safe to speak up" in page and "U0HLT" not in page
