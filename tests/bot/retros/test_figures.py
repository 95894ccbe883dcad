"""The period's statistics and stories: participation, mood by week, numbers against the period
before, tensions, appreciations by value — counts and averages over at least 3 answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.retros import figures, service
from bot.services import Services
from storage.models import (
    Decision,
    FeedbackKind,
    Proposal,
    ProposalMethod,
    ProposalStatus,
    TensionStatus,
)
from tests.conftest import ANA, BEN, CARA, DEV, SHARED
from tests.storage.factories import make_answered_round, make_feedback, make_tension

NOW = datetime(2026, 6, 4, 13, 0, tzinfo=UTC)  # Thursday 4 June, 14:00 in London


@pytest.fixture
def session(services: Services) -> Iterator[Session]:
    with services.session() as session:
        yield session


def week(n: int) -> datetime:
    """The ``n``th Tuesday meeting before NOW (1: this week's, two days ago)."""
    return NOW - timedelta(weeks=n - 1, days=2)


def test_the_period_in_figures(services: Services, session: Session) -> None:
    everyone = [ANA, BEN, CARA, DEV]
    # The period: four weekly rounds. Week 3 has two moods only (not shown), week 1 a story.
    make_answered_round(
        session,
        meeting_at=week(4),
        answers=[(u, 4) for u in everyone[:3]],
        metric_values={"visits": 10},
    )
    make_answered_round(
        session, meeting_at=week(3), answers=[(ANA, 2), (BEN, 2)], unanswered=[CARA, DEV]
    )
    make_answered_round(
        session,
        meeting_at=week(2),
        answers=[(u, 3) for u in everyone],
        metric_values={"visits": 12},
    )
    make_answered_round(
        session,
        meeting_at=week(1),
        answers=[(u, 5) for u in everyone[:3]],
        unanswered=[DEV],
        stories={ANA: "Mr B walked to the shop <!channel>"},
    )
    # The period before: the numbers' average to compare with.
    make_answered_round(
        session,
        meeting_at=week(6),
        answers=[(u, 3) for u in everyone[:3]],
        metric_values={"visits": 8},
    )
    make_tension(session, created_at=week(2), raised_by=ANA)
    make_tension(
        session, created_at=week(3), raised_by=BEN, status=TensionStatus.CLOSED, resolved_at=week(1)
    )
    make_tension(session, created_at=week(8), raised_by=BEN)  # before the period, open still
    for value in (["Compassion", "Trust"], ["Compassion"]):
        make_feedback(
            session, giver=CARA, receiver=ANA, shared=True, values=value, created_at=week(2)
        )
    make_feedback(
        session, giver=CARA, receiver=ANA, kind=FeedbackKind.SUGGESTION, created_at=week(2)
    )
    for decided in (week(2), week(6)):  # one in the period, one before it
        proposal = Proposal(
            team_id="north",
            proposer=ANA,
            text="Handovers by 6pm",
            method=ProposalMethod.ADVICE,
            decide_by=decided.date(),
            status=ProposalStatus.ADOPTED,
        )
        session.add(proposal)
        session.flush()
        session.add(
            Decision(
                team_id="north",
                proposal_id=proposal.id,
                method=ProposalMethod.ADVICE,
                text="Handovers by 6pm",
                decided_by=ANA,
                decided_at=decided,
            )
        )
    session.commit()
    team = services.config.team("north")
    retro = service.open_retro(session, team=team, now=NOW)

    found = figures.period_figures(session, team=team, retro=retro)
    assert found.weeks == 4
    assert (found.asked, found.answered) == (3 + 4 + 4 + 4, 3 + 2 + 4 + 3)
    assert found.moods == [4.0, None, 3.0, 5.0]
    [visits] = found.metrics
    assert visits.label == "Client visits"
    assert visits.this_period == pytest.approx((30 + 48) / 2)  # weekly totals, weeks with 3+
    assert visits.before == pytest.approx(24)
    assert (found.tensions_raised, found.tensions_closed, found.tensions_open) == (2, 1, 2)
    assert found.appreciations == 2
    assert found.values == [("Compassion", 2), ("Trust", 1)]
    assert [(s.user_id, s.text) for s in found.stories] == [
        (ANA, "Mr B walked to the shop <!channel>")
    ]
    assert found.participation == pytest.approx(12 / 15)
    assert found.decisions == 1  # the one adopted before the period is not counted


def test_a_quiet_period_shows_nothing_it_does_not_have(
    services: Services, session: Session
) -> None:
    team = services.config.team("north")
    retro = service.open_retro(session, team=team, now=NOW)
    found = figures.period_figures(session, team=team, retro=retro)
    assert (found.asked, found.participation, found.moods) == (0, None, [None] * 4)
    assert found.metrics[0].this_period is None and found.stories == []
    assert found.decisions == 0
    assert SHARED  # in the team, asked nothing: nothing is made up
