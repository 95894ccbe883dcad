"""Decisions and the health check in the report, read from their capabilities' tables where this
retrobot has them (here made with the columns the report reads, as those migrations make them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert
from sqlmodel import Session

from bot.core.config import AppConfig
from bot.reports import views
from bot.reports.model import Decisions, Mean, NotRecorded, Period
from bot.reports.service import build_report
from prompts import Renderer
from storage.types import UTCDateTime
from tests.bot.reports.seed import END, NOW, START, Seeded

DECIDED = datetime(2026, 6, 9, 12, tzinfo=UTC)  # W24


def capability_tables(session: Session) -> tuple[Table, Table, Table, Table]:
    """The decision, advice, retrospective and health_answer tables, as their migrations add
    them (the columns the report reads, and a few it does not)."""
    metadata = MetaData()
    decision = Table(
        "decision", metadata,
        Column("id", Integer, primary_key=True), Column("team_id", String, nullable=False),
        Column("proposal_id", Integer, nullable=False), Column("method", String(32)),
        Column("text", Text, nullable=False, default=""),
        Column("decided_by", String), Column("decided_at", UTCDateTime(), nullable=False),
    )  # fmt: skip
    advice = Table(
        "advice", metadata,
        Column("id", Integer, primary_key=True), Column("proposal_id", Integer, nullable=False),
        Column("user_id", String, nullable=False), Column("text", Text, default=""),
        Column("answered_at", UTCDateTime()),
    )  # fmt: skip
    retrospective = Table(
        "retrospective", metadata,
        Column("id", Integer, primary_key=True), Column("team_id", String, nullable=False),
        Column("opened_at", UTCDateTime(), nullable=False), Column("created_at", DateTime),
    )  # fmt: skip
    health = Table(
        "health_answer", metadata,
        Column("id", Integer, primary_key=True), Column("retro_id", Integer, nullable=False),
        Column("question", Text, nullable=False), Column("score", Integer, nullable=False),
        Column("author", String),
    )  # fmt: skip
    metadata.create_all(session.connection())
    return decision, advice, retrospective, health


def report(session: Session, org: AppConfig):  # type: ignore[no-untyped-def]
    return build_report(
        session, config=org, teams=org.teams, scope="organisation", period=Period(START, END),
        now=NOW,
    )  # fmt: skip


def test_without_those_tables_the_parts_are_not_recorded(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    well_led = report(session, org).section("well-led").figures
    assert [f.key for f in well_led if isinstance(f, NotRecorded)] == [
        "health", "decisions", "roles"
    ]  # fmt: skip


def test_decisions_by_method_and_how_widely_advice_was_sought(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    decision, advice, _, _ = capability_tables(session)
    asked = {1: 4, 2: 2, 3: 3, 4: 0}  # people asked for advice on each proposal
    for proposal, people in asked.items():
        session.execute(
            insert(decision).values(
                team_id="north" if proposal < 4 else "south", proposal_id=proposal,
                method="advice" if proposal != 3 else "integrated", text="decision-secret",
                decided_by="U0NANA01", decided_at=DECIDED + timedelta(hours=proposal),
            )
        )  # fmt: skip
        for n in range(people):
            session.execute(
                insert(advice).values(
                    proposal_id=proposal, user_id=f"U0ADV{n}", text="advice-secret",
                    answered_at=DECIDED if n % 2 == 0 else None,
                )
            )  # fmt: skip
    session.execute(  # decided before the period: not counted
        insert(decision).values(
            team_id="north", proposal_id=9, method="advice",
            decided_at=datetime(2026, 5, 20, tzinfo=UTC),
        )
    )  # fmt: skip
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
    assert "advice-secret" not in page and "U0ADV" not in page


def test_the_health_check_averages_over_three_answers_or_more(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    _, _, retrospective, health = capability_tables(session)
    retros = {1: ("north", [4, 5, 3]), 2: ("south", [2, 4]), 3: ("north", [5, 5, 5])}
    for retro, (team, scores) in retros.items():
        opened = datetime(2026, 6, 4, 14, tzinfo=UTC) + timedelta(weeks=retro - 1)
        session.execute(insert(retrospective).values(id=retro, team_id=team, opened_at=opened))
        for score in scores:
            session.execute(
                insert(health).values(
                    retro_id=retro, question="Safe to speak up", score=score, author="U0NANA01"
                )
            )
    session.commit()
    built = report(session, org)
    [found] = [f for f in built.section("well-led").figures if f.kind == "health"]
    assert (found.key, found.title) == ("health:Safe to speak up", "Safe to speak up")
    assert found.value == Mean(6, 27 / 6)  # north's two retrospectives; south's two held back
    assert [w.value for w in found.weeks] == [Mean(3, 4.0), Mean(2), Mean(3, 5.0)]
    teams = {t.team.id: t.value for t in found.teams}
    assert teams["south"] == Mean(2) and teams["east"] == Mean(0)
    page = views.html_document(Renderer(), built)
    assert "Team health check" in page and "Safe to speak up" in page
