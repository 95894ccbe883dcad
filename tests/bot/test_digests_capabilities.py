"""What deciding, the retrospective's health check, roles and circles add to the weekly summary
and the coach digest: the line a person reads, its absence when there is nothing to say, and
the privacy rules (counts only for coaches; health averages only over 3 answers)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from bot.core.config import AppConfig, parse_config
from bot.digests.model import CoachDigest, SignalKind, TeamSummary
from bot.digests.service import build_coach_digest, build_team_summary
from bot.digests.views import (
    build_digest_messages,
    build_summary_messages,
    digest_document,
    digest_team_body,
    summary_document,
)
from bot.services import sync_teams
from bot.slack.blockkit import assert_within_limits
from prompts import Renderer
from storage.db import make_engine, migrate, session_factory
from storage.models import Proposal, Role, RoleHolder
from tests.storage.factories import (
    make_closed_retro,
    make_decision,
    make_proposal,
    make_tension,
)

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RENDERER = Renderer()

YAML = """
organisation:
  name: Riverside Community Care
defaults:
  timezone: Europe/London
  tactical: {day: tuesday, time: "10:00"}
teams:
  - id: north
    name: North Neighbourhood Team
    channel: C0NORTH
    members: [U0ANA, U0BEN, U0CARA, U0DEV]
    coaches: [U0COACH]
    health: [We help each other, Workload is fair]
    roles:  # a seed: in the database only once the roles capability seeds it (not here)
      - {id: rep, name: Training rep, holders: [U0DEV]}
  - id: south
    name: South Team
    channel: C0SOUTH
    members: [U0SAM, U0SUE]
    coaches: [U0SCOACH]
  - id: east
    name: East Team
    channel: C0EAST
    members: [U0KAI, U0KIM]
circles:
  - id: training
    name: Training circle
    channel: C0TRAIN
    teams: [north, south, east]
    representatives: rep
"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def config() -> AppConfig:
    return parse_config(YAML, source="capabilities.yaml")


@pytest.fixture
def session(database_url: str, config: AppConfig) -> Iterator[Session]:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with session_factory(engine)() as session:
            sync_teams(session, config)
            yield session
    finally:
        engine.dispose()


def summary(session: Session, config: AppConfig) -> TeamSummary:
    session.commit()
    return build_team_summary(session, config=config, team_id="north", week=WEEK, now=NOW)


def digest(session: Session, config: AppConfig) -> CoachDigest:
    session.commit()
    return build_coach_digest(session, config=config, coach_id="U0COACH", week=WEEK, now=NOW)


def slack_text(payloads: list[dict]) -> str:
    """Every section and context text of the messages, each checked against Slack's limits."""
    texts = []
    for payload in payloads:
        assert_within_limits("message", payload)
        for block in payload["blocks"]:
            if "text" in block:
                texts.append(block["text"]["text"])
            texts += [element.get("text", "") for element in block.get("elements", [])]
    return "\n".join(texts)


def posted_summary(found: TeamSummary) -> str:
    headline, thread = build_summary_messages(RENDERER, found)
    return slack_text([headline, *thread])


def posted_digest(found: CoachDigest) -> str:
    return slack_text(build_digest_messages(RENDERER, found))


def add_proposal(session: Session, *, text: str, decide_by: date) -> Proposal:
    return make_proposal(
        session, proposer="U0ANA", text=text, decide_by=decide_by, created_at=utc(2026, 11, 20)
    )


def decide(session: Session, proposal: Proposal, at: datetime) -> None:
    make_decision(session, proposal, decided_at=at)


def add_retro(session: Session, *, closed: datetime, scores: dict[str, list[int]]) -> None:
    make_closed_retro(session, closed=closed, scores=scores)


# --- nothing to say: nothing said -------------------------------------------------------------


def test_nothing_decided_no_retrospective_no_roles_say_nothing(
    session: Session, config: AppConfig
) -> None:
    found = summary(session, config)
    text = summary_document(RENDERER, found) + posted_summary(found)
    for absent in ("Decisions", "decision", "proposal", "Team health", "retrospective"):
        assert absent not in text
    coach = digest(session, config)
    assert coach.signals == []
    text = digest_document(RENDERER, coach) + posted_digest(coach)
    for absent in ("proposal", "Team health", "roles", "in common", "Training circle"):
        assert absent not in text


# --- deciding ---------------------------------------------------------------------------------


def test_decisions_made_and_open_in_the_summary_and_overdue_flagged_for_the_coach(
    session: Session, config: AppConfig
) -> None:
    decide(
        session,
        add_proposal(session, text="Rota swaps by Friday", decide_by=date(2026, 11, 26)),
        utc(2026, 11, 25, 12),
    )
    decide(
        session,
        add_proposal(session, text="Shared car diary", decide_by=date(2026, 11, 27)),
        utc(2026, 11, 27, 12),
    )
    decide(
        session,
        add_proposal(session, text="Old one", decide_by=date(2026, 11, 10)),
        utc(2026, 11, 12),
    )
    add_proposal(session, text="Secret: Mrs J's keys", decide_by=date(2026, 11, 27))
    add_proposal(session, text="Buy a kettle", decide_by=date(2026, 12, 10))

    found = summary(session, config)
    assert (found.figures.decisions.made, found.figures.decisions.open) == (2, 2)
    line = "2 decisions made this week; 2 proposals open, 1 past its decide-by date."
    assert line in posted_summary(found)
    assert "*Decisions*" in posted_summary(found)
    assert "· 2 decisions made ·" in posted_summary(found)  # the headline
    assert line in summary_document(RENDERER, found)

    coach = digest(session, config)
    [flag] = coach.teams[0].signals
    assert flag.kind == SignalKind.PROPOSALS_OVERDUE and flag.evidence == {"count": 1}
    sent = posted_digest(coach)
    assert (
        "North Neighbourhood Team: 1 proposal is past its decide-by date with no decision." in sent
    )
    assert line in sent  # the team's figures, as in its summary
    for shown in (sent, digest_document(RENDERER, coach, "json")):
        for secret in ("Mrs J", "kettle", "Rota swaps", "U0ANA"):
            assert secret not in shown


def test_no_overdue_proposal_no_flag(session: Session, config: AppConfig) -> None:
    add_proposal(session, text="Buy a kettle", decide_by=date(2026, 12, 10))
    found = summary(session, config)
    assert "0 decisions made this week; 1 proposal open." in posted_summary(found)
    coach = digest(session, config)
    assert coach.signals == []
    assert "decide-by" not in posted_digest(coach)


# --- the retrospective's health check ---------------------------------------------------------


def test_health_trend_in_the_summary_and_digest_only_over_three_answers(
    session: Session, config: AppConfig
) -> None:
    add_retro(session, closed=utc(2026, 10, 29), scores={"We help each other": [3, 3, 3]})
    add_retro(
        session,
        closed=utc(2026, 11, 26),
        scores={"We help each other": [4, 5, 4], "Workload is fair": [1, 5]},
    )
    # Closed after the week: a later week's news, not this one's.
    add_retro(session, closed=utc(2026, 11, 30, 12), scores={"We help each other": [1, 1, 1]})

    found = summary(session, config)
    posted = posted_summary(found)
    assert "*Team health*" in posted
    assert "From the retrospective of 24 Nov" in posted
    assert "• We help each other: 4.3, up from 3.0." in posted
    assert "• Workload is fair: not shown, fewer than 3 answers." in posted
    assert "1.0" not in posted and "3.0 (" not in posted  # the later one; the 2 answers

    coach = digest(session, config)
    sent = posted_digest(coach)
    assert (
        "Team health (retrospective of 24 Nov, averages over 3+ answers): We help each other 4.3 ↑."
        in sent
    )
    assert "Workload is fair" not in sent
    assert "Workload is fair" not in digest_team_body(RENDERER, coach.teams[0])


def test_health_with_fewer_than_three_answers_everywhere_is_not_in_the_digest(
    session: Session, config: AppConfig
) -> None:
    add_retro(session, closed=utc(2026, 11, 26), scores={"We help each other": [5, 1]})
    assert "fewer than 3 answers" in posted_summary(summary(session, config))
    sent = posted_digest(digest(session, config))
    assert "Team health" not in sent and "We help each other" not in sent


# --- roles and circles ------------------------------------------------------------------------


def add_role(session: Session, key: str, holders: list[str], team_id: str = "north") -> None:
    role = Role(team_id=team_id, key=key, name=key.title())
    session.add(role)
    session.flush()
    session.add_all([RoleHolder(role_id=role.id or 0, user_id=user) for user in holders])


def test_one_person_holding_most_roles_is_a_count_in_the_digest(
    session: Session, config: AppConfig
) -> None:
    for key in ("rota", "facilitator", "rep"):
        add_role(session, key, ["U0BEN"])
    add_role(session, "tissue", ["U0CARA"])

    coach = digest(session, config)
    [flag] = coach.teams[0].signals
    assert flag.kind == SignalKind.ROLES_CONCENTRATED
    assert flag.evidence == {"held": 3, "total": 4}
    sent = posted_digest(coach)
    assert (
        "North Neighbourhood Team: one person holds 3 of the team's 4 roles. "
        "Leadership may not be spreading; nobody is named." in sent
    )
    assert "U0BEN" not in sent and "U0BEN" not in digest_document(RENDERER, coach, "json")
    assert "roles" not in posted_summary(summary(session, config))


def test_roles_spread_out_say_nothing(session: Session, config: AppConfig) -> None:
    for key, holder in (("rota", "U0BEN"), ("facilitator", "U0ANA"), ("rep", "U0CARA")):
        add_role(session, key, [holder])
    add_role(session, "tissue", ["U0BEN"])  # 2 of 4 is not most
    assert digest(session, config).signals == []


def test_issues_in_common_of_the_team_s_circle_in_the_digest(
    session: Session, config: AppConfig
) -> None:
    for team_id in ("north", "south", "east"):
        make_tension(
            session,
            team_id=team_id,
            raised_by="U0ANA",
            area="Mileage <!here>",
            text="Mrs J's mileage form",
            created_at=utc(2026, 11, 25),
        )
    make_tension(session, team_id="north", area="Parking", created_at=utc(2026, 11, 25))

    coach = digest(session, config)
    [flag] = coach.teams[0].signals
    assert flag.kind == SignalKind.ISSUES_IN_COMMON
    sent = posted_digest(coach)
    assert (
        "North Neighbourhood Team: teams in Training circle have open tensions on the same "
        "thing: Mileage &lt;!here&gt; (3 teams)." in sent
    )
    for secret in ("Mrs J", "U0ANA", "Parking", "<!here>"):
        assert secret not in sent


def test_fewer_than_three_teams_on_an_issue_say_nothing(
    session: Session, config: AppConfig
) -> None:
    for team_id in ("north", "south"):
        make_tension(session, team_id=team_id, area="Mileage", created_at=utc(2026, 11, 25))
    assert digest(session, config).signals == []
