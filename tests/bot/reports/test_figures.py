"""The report's figures from a seeded organisation: values, the k >= 3 rule, key questions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from bot.core.config import AppConfig, parse_config
from bot.core.privacy import MOOD_SCALE, Countable, countable
from bot.reports import views
from bot.reports.model import Mean, NotRecorded, Period, Report, Stories
from bot.reports.service import build_report, period_weeks
from bot.services import sync_teams
from prompts import Renderer
from tests.bot.reports.seed import END, NOW, START, WEEKS, Seeded
from tests.storage.factories import make_prompt, make_response, make_round

PERIOD = Period(START, END)


def report_of(session: Session, org: AppConfig, team_id: str | None = None) -> Report:
    teams = [org.team(team_id)] if team_id else org.teams
    scope = "team" if team_id else "organisation"
    return build_report(session, config=org, teams=teams, scope=scope, period=PERIOD, now=NOW)


def figure(report: Report, key: str) -> Any:
    for section in report.sections:
        for found in section.figures:
            if found.key == key:
                return found
    raise AssertionError(f"no figure {key}")


def section_of(report: Report, key: str) -> str:
    return next(s.id for s in report.sections for f in s.figures if f.key == key)


def by_team(found: Any) -> dict[str, Any]:
    return {row.team.id: row.value for row in found.teams}


def test_the_period_is_cut_into_the_iso_weeks_of_each_zone() -> None:
    assert PERIOD.weeks == WEEKS
    from zoneinfo import ZoneInfo

    weeks = period_weeks(
        Period(date(2026, 6, 3), date(2026, 6, 16)), ZoneInfo("Europe/London"), NOW
    )
    assert weeks.bounds == (
        datetime(2026, 6, 2, 23, tzinfo=UTC),  # Wednesday 3 June, midnight in London (BST)
        datetime(2026, 6, 7, 23, tzinfo=UTC),
        datetime(2026, 6, 14, 23, tzinfo=UTC),
        datetime(2026, 6, 16, 23, tzinfo=UTC),  # the day after the last, Wednesday 17 June
    )
    assert weeks.count == 3 == len(Period(date(2026, 6, 3), date(2026, 6, 16)).weeks)


def test_participation_and_mood_count_only_weeks_of_three_or_more(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    report = report_of(session, org)
    participation = figure(report, "participation")
    assert (participation.value.asked, participation.value.answered) == (27, 27)
    east = by_team(participation)["east"]
    assert (east.asked, east.rate) == (6, 1.0)  # six over the period: a rate may be shown
    assert [w.value.asked for w in participation.weeks] == [9, 9, 9]

    mood = figure(report, "mood")
    teams = by_team(mood)
    assert teams["north"] == Mean(12, 3.5)
    assert teams["south"].answers == 9 and teams["south"].mean == pytest.approx(32 / 9)
    # East's two answers a week are never shown, and never counted into the organisation's.
    assert teams["east"] == Mean(6, None)
    assert mood.value.answers == 21 and mood.value.mean == pytest.approx(74 / 21)
    assert [w.value.answers for w in mood.weeks] == [7, 7, 7]


def test_metrics_and_checklist_go_where_the_teams_put_them(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    report = report_of(session, org)
    visits = figure(report, "metric:visits")
    assert (visits.value.total, visits.value.weeks, visits.value.answers) == (237, 6, 21)
    assert [w.value.total for w in visits.weeks] == [79, 79, 79]
    assert {t: v.total for t, v in by_team(visits).items()} == {"north": 138, "south": 99}
    # North puts visits under responsive, south leaves it unmapped: a tie goes to the question.
    assert section_of(report, "metric:visits") == "responsive"
    assert section_of(report, "metric:travel") == "other"
    audits = figure(report, "checklist:Medication audits done")
    assert (audits.value.answers, audits.value.ticked) == (21, 15)
    assert section_of(report, "checklist:Medication audits done") == "safe"
    assert section_of(report, "checklist:Rota published") == "other"
    assert {s.id for s in report.sections} == {
        "safe", "effective", "caring", "responsive", "well-led", "other"
    }  # fmt: skip
    assert report.section("effective").figures == []


def test_tensions_medians_and_feedback_values(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    report = report_of(session, org)
    tensions = figure(report, "tensions")
    value = tensions.value
    assert (value.raised, value.triaged, value.closed) == (4, 3, 3)  # the private one left out
    assert (value.to_triage.count, value.to_triage.days) == (3, 2.0)
    assert (value.to_close.count, value.to_close.days) == (3, 5.0)
    assert [(w.value.raised, w.value.closed) for w in tensions.weeks] == [(4, 3), (0, 0), (0, 0)]
    assert section_of(report, "tensions") == "responsive"
    feedback = figure(report, "feedback")
    assert (feedback.value.appreciations, feedback.value.suggestions) == (2, 1)
    assert feedback.value.values == {"Compassion": 2, "Trust": 1, "Courage": 0}
    assert section_of(report, "feedback") == "caring"


def test_a_median_of_fewer_than_three_is_not_shown(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    report = report_of(session, org, "north")
    north = figure(report, "tensions").value
    assert north.to_triage.days == 2.0
    south = figure(report_of(session, org, "south"), "tensions").value
    assert (south.raised, south.to_triage.count, south.to_triage.days) == (0, 0, None)


def test_only_consented_stories_are_shown_without_names_and_with_the_week(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    report = report_of(session, org)
    stories = figure(report, "stories")
    assert isinstance(stories, Stories)
    texts = [s.text for s in stories.stories]
    assert len(texts) == 9 and stories.not_shown == 0
    assert "Consented story north 2: a colleague helped Mrs B to the shop." in texts
    assert not any("team-only" in text for text in texts)
    assert {s.week for s in stories.stories} == set(WEEKS)
    assert [s.team.id for s in stories.stories][:3] == ["north"] * 3
    assert [s.week for s in stories.stories][:3] == list(reversed(WEEKS))  # latest first


def test_a_story_with_a_client_identifier_is_held_back(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    from sqlmodel import select

    from storage.models import CheckinResponse

    response = session.exec(
        select(CheckinResponse).where(CheckinResponse.story_beyond_team == True)  # noqa: E712
    ).first()
    assert response is not None
    response.story = "Visited Mrs B, NHS number 943 476 5919, at home"
    session.commit()
    stories = figure(report_of(session, org), "stories")
    assert stories.not_shown == 1 and len(stories.stories) == 8
    assert not any("943" in s.text for s in stories.stories)


def test_roles_and_decisions_are_counted_not_made_up(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    report = report_of(session, org)
    figures = report.section("well-led").figures
    assert [f for f in figures if isinstance(f, NotRecorded)] == []
    roles = next(f for f in figures if f.key == "roles")
    assert roles.value.roles_held == 0  # the seed gives no roles: a zero, not "not recorded"
    decisions = next(f for f in figures if f.key == "decisions")
    assert decisions.value.decided == 0  # the seed adopts none: a zero, not "not recorded"


def test_one_or_two_answers_kept_from_the_team_are_left_out_of_the_mood() -> None:
    assert countable(4, 14.0, 1, 5.0, MOOD_SCALE) == Countable(3, 9.0, kept_out=True)
    assert countable(6, 20.0, 3, 9.0, MOOD_SCALE) == Countable(6, 20.0)  # hidden in their sum
    assert countable(6, 14.0, 3, 3.0, MOOD_SCALE) == Countable(3, 11.0, kept_out=True)  # 1, 1, 1
    assert countable(2, 6.0, 1, 3.0, MOOD_SCALE).average is None  # not shown anyway


def test_a_week_with_one_kept_answer_shows_the_shared_ones_only(
    session: Session, org: AppConfig
) -> None:
    sync_teams(session, org)
    meeting = datetime(2026, 6, 2, 9, tzinfo=UTC)
    found = make_round(session, team_id="north", meeting_at=meeting, meeting_date=meeting.date())
    for n, (uid, mood, shared) in enumerate(
        [
            ("U0NANA01", 4, True),
            ("U0NBEN02", 4, True),
            ("U0NCAR03", 4, True),
            ("U0NDEV04", 1, False),
        ]
    ):
        make_prompt(session, round_id=found.id, user_id=uid)
        make_response(
            session, round_id=found.id, user_id=uid, mood=mood, shared=shared,
            created_at=meeting - timedelta(hours=n + 1),
        )  # fmt: skip
    session.commit()
    mood = figure(report_of(session, org, "north"), "mood")
    assert mood.weeks[0].value == Mean(3, 4.0)  # not (4+4+4+1)/4: the kept 1 would show


def test_a_week_whose_kept_answers_all_sit_at_one_end_says_why_its_mood_is_missing(
    session: Session, org: AppConfig
) -> None:
    """Issue 15, item 17: one shared 5 and three kept 1s. An average of 2.0 over 4 would tell
    the team each kept answer; the page and the JSON say the mood was withheld for privacy,
    never "fewer than 3 answers" (there were 4), and never the 2.0."""
    sync_teams(session, org)
    meeting = datetime(2026, 6, 2, 9, tzinfo=UTC)
    found = make_round(session, team_id="north", meeting_at=meeting, meeting_date=meeting.date())
    people = [("U0NANA01", 5, True), ("U0NBEN02", 1, False), ("U0NCAR03", 1, False)]
    for n, (uid, mood, shared) in enumerate([*people, ("U0NDEV04", 1, False)]):
        make_prompt(session, round_id=found.id, user_id=uid)
        make_response(
            session, round_id=found.id, user_id=uid, mood=mood, shared=shared,
            created_at=meeting - timedelta(hours=n + 1),
        )  # fmt: skip
    session.commit()
    report = report_of(session, org, "north")
    mood = figure(report, "mood")
    assert mood.weeks[0].value == Mean(1, None, True)
    assert mood.value == Mean(1, None, True)
    page = views.html_document(Renderer(), report)
    assert "not shown: it would give away an answer someone kept private" in page
    assert "Average mood <strong>" not in page and ">2.0</td>" not in page
    sections = {s["id"]: s["figures"] for s in views.as_data(report)["sections"]}
    data = next(f for f in sections["well-led"] if f["key"] == "mood")
    assert data["weeks"][0]["value"] == {"answers": 1, "mean": None, "withheld": True}


def _organisation(teams: int) -> AppConfig:
    listed = "\n".join(
        f"""  - id: t{n}
    name: Team {n}
    channel: C0TEAM{n:04d}
    members: [U0A{n:04d}, U0B{n:04d}, U0C{n:04d}]
    metrics: [{{id: visits, label: Visits}}]
    checklist: [Rota published]"""
        for n in range(teams)
    )
    return parse_config(
        f"organisation: {{name: Org, values: [Trust]}}\n"
        f"defaults: {{tactical: {{day: tuesday, time: '10:00'}}}}\nteams:\n{listed}\n"
    )


def test_the_number_of_statements_does_not_grow_with_the_teams(session: Session) -> None:
    counts = []
    for size in (2, 30):
        config = _organisation(size)
        sync_teams(session, config)
        session.commit()
        statements: list[str] = []
        bind = session.get_bind()

        def count(*args: Any, statements: list[str] = statements) -> None:
            statements.append(args[2])

        event.listen(bind, "before_cursor_execute", count)
        try:
            build_report(
                session, config=config, teams=config.teams, scope="organisation",
                period=PERIOD, now=NOW,
            )  # fmt: skip
        finally:
            event.remove(bind, "before_cursor_execute", count)
        counts.append(len(statements))
    # Eleven per time zone, two for the decision log, one for the health check, two for the
    # report, one for the roles (docs/report.md).
    assert counts[0] == counts[1] and counts[0] <= 17, counts
