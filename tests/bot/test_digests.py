"""The weekly figures, the coach's signals and their privacy: fixed ``now``, hand-made rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.core.config import AppConfig, parse_config
from bot.core.meetings import BadWeekError, iso_week
from bot.digests.model import (
    CoachDigest,
    CoachTeam,
    SignalKind,
    TeamFigures,
    WeekFigures,
    WeekNotStartedError,
    as_data,
)
from bot.digests.service import (
    build_coach_digest,
    build_team_summaries,
    build_team_summary,
    last_complete_week,
    support_signals,
)
from bot.digests.views import (
    build_digest_messages,
    build_summary_messages,
    digest_document,
    summary_document,
)
from bot.services import sync_teams
from bot.slack.blockkit import message_problems
from prompts import Renderer
from storage.db import make_engine, migrate, session_factory
from storage.models import CheckinResponse, OutcomeKind, TensionStatus
from storage.weekly import OwnerSpread, TensionCounts
from tests.storage.factories import (
    make_answered_round,
    make_feedback,
    make_tension,
)

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MEETING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # the Tuesday of week 48

WEEKLY_YAML = """
organisation:
  name: Riverside Community Care
  values: [Compassion, Trust, Accountability, Courage]
defaults:
  timezone: Europe/London
  tactical: {day: tuesday, time: "10:00"}
teams:
  - id: north
    name: North Neighbourhood Team
    channel: C0NORTH
    members: [U0ANA, U0BEN, U0CARA, U0DEV, U0EVE]
    coaches: [U0COACH]
    metrics:
      - {id: visits, label: Client visits, unit: visits}
  - id: south
    name: South & District Team
    channel: C0SOUTH
    members: [U0SAM, U0SHARED]
    coaches: [U0SCOACH]
  - id: east
    name: East Bay Team
    channel: C0EAST
    timezone: Pacific/Auckland
    members: [U0KAI, U0MOANA, U0TAMA]
    coaches: [U0COACH]
"""
FIVE = ["U0ANA", "U0BEN", "U0CARA", "U0DEV", "U0EVE"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def config() -> AppConfig:
    return parse_config(WEEKLY_YAML, source="weekly.yaml")


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


def summary_of(session: Session, config: AppConfig, team_id: str = "north", **kw: object):
    session.commit()
    fields = {"week": WEEK, "now": NOW} | kw
    return build_team_summary(session, config=config, team_id=team_id, **fields)  # type: ignore[arg-type]


# --- the team's figures -----------------------------------------------------------------------


def test_a_new_team_with_an_empty_week(session: Session, config: AppConfig) -> None:
    summary = summary_of(session, config)
    figures = summary.figures
    assert (figures.start, figures.end) == (utc(2026, 11, 23), utc(2026, 11, 30))
    assert (figures.first_day, figures.last_day) == (date(2026, 11, 23), date(2026, 11, 29))
    assert len(figures.weeks) == 12 and figures.weeks[0].week == "2026-W37"
    week = figures.this_week
    assert (week.rounds, week.participation, week.mood) == (0, None, None)
    assert figures.participation_average is None and figures.mood_average is None
    assert figures.metrics[0].this_week is None and figures.metrics[0].average is None
    assert figures.tensions == TensionCounts() and figures.oldest_open_days is None
    assert figures.first_week and figures.quiet and not figures.in_progress
    assert summary.stories == [] and summary.stories_total == 0
    assert support_signals(figures) == []
    text = summary_document(Renderer(), summary)
    assert "first week with retrobot" in text and "No check-in this week." in text
    assert "A quiet week" in text


def test_mood_and_numbers_need_three_answers(session: Session, config: AppConfig) -> None:
    make_answered_round(
        session,
        meeting_at=MEETING,
        answers=[("U0ANA", 5), ("U0BEN", 1)],
        unanswered=["U0CARA"],
        metric_values={"visits": 7},
    )
    two = summary_of(session, config).figures
    assert (two.this_week.answered, two.this_week.asked, two.this_week.moods) == (2, 3, 2)
    assert two.this_week.mood is None and two.metrics[0].this_week is None
    text = summary_document(Renderer(), summary_of(session, config))
    assert "Mood not shown: fewer than 3 answers gave one." in text
    assert "Client visits: not shown, fewer than 3 answers" in text
    assert "5" not in text.split("Mood")[1].split("\n")[0]  # no one's own mood leaks

    make_answered_round(
        session,
        meeting_at=MEETING - timedelta(weeks=1),
        answers=[("U0ANA", 5), ("U0BEN", 1), ("U0CARA", 3)],
        metric_values={"visits": 7},
    )
    three = summary_of(session, config, week="2026-W47").figures
    assert three.this_week.mood == pytest.approx(3.0)
    assert three.metrics[0].this_week == 21


def test_one_or_two_answers_kept_from_the_team_never_count_in_its_figures(
    session: Session, config: AppConfig
) -> None:
    """The agenda shows the team every shared answer: a mood or number that also counted one or
    two answers kept from the team would give them away (the figure less the shared answers).
    Three or more kept answers count, hidden in their sum like any answer in a figure over 3."""
    round_ = make_answered_round(
        session,
        meeting_at=MEETING,
        answers=[("U0ANA", 5), ("U0BEN", 4), ("U0CARA", 3), ("U0DEV", 1)],
        metric_values={"visits": 7},
    )
    rows = session.exec(select(CheckinResponse).where(CheckinResponse.round_id == round_.id))
    answers = {answer.user_id: answer for answer in rows}

    def kept(*user_ids: str) -> TeamFigures:
        for user_id in user_ids:
            answers[user_id].shared = False
            session.add(answers[user_id])
        return summary_of(session, config).figures

    one = kept("U0DEV")
    assert (one.this_week.answered, one.this_week.moods) == (4, 3)
    assert one.this_week.mood == pytest.approx(4.0)  # Dev's 1 cannot be worked out
    assert (one.metrics[0].this_week, one.metrics[0].answers) == (21, 3)
    two = kept("U0BEN")
    assert (two.this_week.moods, two.this_week.mood, two.metrics[0].this_week) == (2, None, None)
    three = kept("U0CARA")
    assert three.this_week.moods == 4 and three.this_week.mood == pytest.approx(13 / 4)
    assert three.metrics[0].this_week == 28


def test_a_mood_that_would_give_away_three_answers_kept_at_one_end_is_not_shown(
    session: Session, config: AppConfig
) -> None:
    """Issue 15, item 17: Ana shared a 5; Ben, Cara and Dev kept theirs from the team and each
    answered 1. "Mood 2.0 over 4 answers" beside Ana's 5 in the agenda would tell the team all
    three. The summary and the coach digest say why the mood is missing instead (and the shared
    5 alone is under 3 answers); the visits, which could be many things, are shown as ever."""
    round_ = make_answered_round(
        session,
        meeting_at=MEETING,
        answers=[("U0ANA", 5), ("U0BEN", 1), ("U0CARA", 1), ("U0DEV", 1)],
        metric_values={"visits": 7},
    )
    for answer in session.exec(
        select(CheckinResponse).where(CheckinResponse.round_id == round_.id)
    ):
        answer.shared = answer.user_id == "U0ANA"
        session.add(answer)
    summary = summary_of(session, config)
    week = summary.figures.this_week
    assert (week.answered, week.moods, week.mood, week.mood_withheld) == (4, 1, None, True)
    assert summary.figures.metrics[0].this_week == 28  # kept 7s could be anything: counted
    headline, thread = build_summary_messages(Renderer(), summary)
    for payload in (headline, *thread):
        assert message_problems(payload) == []
    digest = build_coach_digest(session, config=config, coach_id="U0COACH", week=WEEK, now=NOW)
    for shown in (
        json.dumps([headline, *thread]),
        summary_document(Renderer(), summary),
        digest_document(Renderer(), digest),
        *(json.dumps(m) for m in build_digest_messages(Renderer(), digest)),
    ):
        assert "Mood not shown: it would give away an answer someone kept private." in shown
        assert "2.0" not in shown and "over 4 answers" not in shown
        assert "28 visits this week" in shown


def test_a_number_kept_at_zero_by_three_is_not_shown_but_their_moods_still_count(
    session: Session, config: AppConfig
) -> None:
    """Item 17 for a metric: Ben, Cara and Dev kept answers of 0 visits (the metric's minimum);
    a total of 0 would say so. Their moods (4, 2, 3) could be many things and still count."""
    round_ = make_answered_round(
        session,
        meeting_at=MEETING,
        answers=[("U0ANA", 5), ("U0BEN", 4), ("U0CARA", 2), ("U0DEV", 3)],
        metric_values={"visits": 0},
    )
    given = select(CheckinResponse).where(CheckinResponse.round_id == round_.id)
    for answer in session.exec(given):
        answer.shared = answer.user_id == "U0ANA"
        session.add(answer)
    summary = summary_of(session, config)
    visits = summary.figures.metrics[0]
    assert (visits.this_week, visits.answers, visits.withheld) == (None, 1, True)
    assert summary.figures.this_week.mood == pytest.approx(14 / 4)
    text = summary_document(Renderer(), summary)
    assert "Client visits: not shown this week: it would give away an answer someone kept" in text
    assert "Mood 3.5 out of 5, over 4 answers" in text


def test_trends_and_eight_week_averages(session: Session, config: AppConfig) -> None:
    # Nine weekly rounds: four of five answer until this week, when all five do.
    for back in range(1, 10):
        make_answered_round(
            session,
            meeting_at=MEETING - timedelta(weeks=back),
            answers=[(user, 3 if back % 2 else 4) for user in FIVE[:4]],
            unanswered=FIVE[4:],
            metric_values={"visits": back},
        )
    make_answered_round(
        session, meeting_at=MEETING, answers=[(u, 5) for u in FIVE], metric_values={"visits": 2}
    )
    figures = summary_of(session, config).figures
    assert figures.this_week.participation == 1.0
    assert figures.participation_average == pytest.approx(0.8)  # the 8 weeks before, not 9
    assert figures.mood_average == pytest.approx(3.5)
    assert figures.mood_trend == [3.0, 4.0, 3.0, 4.0, 3.0, 4.0, 3.0, 5.0]
    visits = figures.metrics[0]
    assert visits.this_week == 10 and visits.answers == 5
    assert visits.average == pytest.approx(4 * sum(range(1, 9)) / 8)  # totals of 4 answers
    assert visits.history[-1] == 10 and len(visits.history) == 12 and visits.history[0] is None
    assert not figures.first_week
    text = summary_document(Renderer(), summary_of(session, config))
    assert "5 of 5 answered the check-in (100%). 8-week average: 80%." in text
    assert "Client visits: 10 visits this week (down on the 8-week average of 18)." in text


def test_week_boundaries_in_a_zone_far_from_utc(session: Session, config: AppConfig) -> None:
    auckland = ZoneInfo("Pacific/Auckland")
    # Monday 23 November 00:30 in Auckland is Sunday 22 November 11:30 in UTC.
    monday = datetime(2026, 11, 23, 0, 30, tzinfo=auckland)
    make_answered_round(
        session,
        team_id="east",
        meeting_at=monday.astimezone(UTC),
        answers=[("U0KAI", 4), ("U0MOANA", 4), ("U0TAMA", 1)],
    )
    make_tension(session, team_id="east", created_at=utc(2026, 11, 29, 10, 59))  # Sun 23:59
    make_tension(session, team_id="east", created_at=utc(2026, 11, 29, 11, 0))  # next Monday
    east = summary_of(session, config, team_id="east").figures
    assert east.start == utc(2026, 11, 22, 11)
    assert east.this_week.answered == 3 and east.this_week.mood == pytest.approx(3.0)
    assert east.tensions.raised == 1
    # The same round is in week 47 for a London team's calendar.
    assert iso_week(monday, ZoneInfo("Europe/London")) == "2026-W47"


def test_the_last_complete_week_depends_on_the_zone() -> None:
    sunday_noon_utc = utc(2026, 11, 29, 12)  # already Monday 01:00 in Auckland
    assert last_complete_week(ZoneInfo("Europe/London"), sunday_noon_utc) == "2026-W47"
    assert last_complete_week(ZoneInfo("Pacific/Auckland"), sunday_noon_utc) == "2026-W48"


def test_a_running_week_is_so_far_and_a_future_one_is_refused(
    session: Session, config: AppConfig
) -> None:
    running = summary_of(session, config, now=utc(2026, 11, 25, 12))
    assert running.figures.in_progress
    assert "isn't over yet" in summary_document(Renderer(), running)
    with pytest.raises(WeekNotStartedError, match="has not begun yet"):
        summary_of(session, config, week="2026-W49", now=utc(2026, 11, 25, 12))
    with pytest.raises(BadWeekError):
        summary_of(session, config, week="2026-W60")


def test_tensions_outcomes_and_appreciation_in_the_summary(
    session: Session, config: AppConfig
) -> None:
    make_tension(session, created_at=utc(2026, 11, 24, 9), raised_by="U0ANA")
    make_tension(session, created_at=utc(2026, 10, 20), raised_by="U0BEN")
    make_tension(session, created_at=utc(2026, 11, 25), raised_by="U0CARA", private=True)
    make_tension(
        session,
        created_at=utc(2026, 11, 2),
        triaged_at=utc(2026, 11, 24, 10),
        status=TensionStatus.TRIAGED,
        outcome=OutcomeKind.NEXT_ACTION,
        owner="U0DEV",
        due_date=date(2026, 11, 27),
    )
    make_feedback(session, created_at=utc(2026, 11, 24), shared=True, values=["Trust", "Nope"])
    make_feedback(session, created_at=utc(2026, 11, 24), text="Only for Ben", receiver="U0BEN")
    figures = summary_of(session, config).figures
    t = figures.tensions
    assert (t.raised, t.triaged, t.open, t.private_raised) == (1, 1, 2, 1)
    assert (t.actions_open, t.actions_overdue) == (1, 1)
    assert figures.oldest_open_days == 41
    assert figures.values == [("Trust", 1)]  # only the organisation's own values are named
    text = summary_document(Renderer(), summary_of(session, config))
    assert "1 tension raised, 1 triaged and 0 closed this week." in text
    assert "2 still wait for triage; the oldest is 41 days old." in text
    assert "Actions and projects: 0 done this week, 1 open, 1 overdue." in text
    assert "1 appreciation shared with the team, naming Trust (1)." in text
    assert "Only for Ben" not in text and "Nope" not in text


def test_shared_stories_are_in_the_team_summary(session: Session, config: AppConfig) -> None:
    make_answered_round(
        session,
        meeting_at=MEETING,
        answers=[("U0ANA", 4), ("U0BEN", 4), ("U0CARA", 4)],
        stories={"U0ANA": "Mrs J walked <to> the shop & back", "U0BEN": "New rota works"},
    )
    summary = summary_of(session, config)
    assert [(s.user_id, s.text) for s in summary.stories] == [
        ("U0ANA", "Mrs J walked <to> the shop & back"),
        ("U0BEN", "New rota works"),
    ]
    assert "• Mrs J walked <to> the shop & back — @U0ANA" in summary_document(Renderer(), summary)


# --- signals ----------------------------------------------------------------------------------


def figures_with(base: TeamFigures, **changes: object) -> TeamFigures:
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def base(session: Session, config: AppConfig) -> TeamFigures:
    return summary_of(session, config).figures


def weeks_with(
    base: TeamFigures, rates: list[tuple[int, int] | None], moods: list[float | None]
) -> list[WeekFigures]:
    """The base's weeks with the last ones replaced: (answered, asked) and mood, or no round."""
    weeks = list(base.weeks)
    for offset, (rate, mood) in enumerate(zip(rates, moods, strict=True)):
        index = len(weeks) - len(rates) + offset
        if rate is None:
            continue
        answered, asked = rate
        weeks[index] = WeekFigures(
            week=weeks[index].week, rounds=1, asked=asked, answered=answered, moods=3, mood=mood
        )
    return weeks


def kinds(figures: TeamFigures) -> list[SignalKind]:
    return [signal.kind for signal in support_signals(figures)]


def test_participation_falling_two_weeks_running(base: TeamFigures) -> None:
    falling = figures_with(base, weeks=weeks_with(base, [(4, 4), (3, 4), (2, 4)], [4, 4, 4]))
    [signal] = support_signals(falling)
    assert signal.kind is SignalKind.PARTICIPATION_FALLING
    assert signal.evidence == {
        "weeks": ["2026-W46", "2026-W47", "2026-W48"],
        "rates": [100, 75, 50],
    }
    once = figures_with(base, weeks=weeks_with(base, [(4, 4), (3, 4), (3, 4)], [4, 4, 4]))
    assert kinds(once) == []
    # Falling until last week, but this week had no check-in: nothing to say about it now.
    until_last_week = weeks_with(base, [(4, 4), (3, 4), (2, 4), None], [4, 4, 4, None])
    stale = figures_with(base, weeks=until_last_week)
    assert stale.this_week.rounds == 0 and kinds(stale) == []


def test_mood_down_by_a_point_or_more(base: TeamFigures) -> None:
    down = figures_with(base, weeks=weeks_with(base, [(4, 4), (4, 4)], [4.26, 3.24]))
    [signal] = support_signals(down)
    assert signal.kind is SignalKind.MOOD_DOWN
    assert signal.evidence == {"before": 4.3, "after": 3.2, "before_week": "2026-W47"}
    slight = figures_with(base, weeks=weeks_with(base, [(4, 4), (4, 4)], [4.0, 3.1]))
    assert kinds(slight) == []
    # A week without a mood (fewer than 3 answers) never stands in for one.
    unknown = figures_with(base, weeks=weeks_with(base, [(4, 4), (4, 4)], [4.5, None]))
    assert kinds(unknown) == []


def test_old_and_private_tensions(base: TeamFigures) -> None:
    counts = TensionCounts(open=3, stale_open=2, private_raised=1, private_open=2)
    figures = figures_with(base, tensions=counts, oldest_open_days=40)
    old, private = support_signals(figures)
    assert (old.kind, old.evidence) == (
        SignalKind.OLD_TENSIONS,
        {"count": 2, "weeks": 3, "oldest_days": 40},
    )
    assert (private.kind, private.evidence) == (
        SignalKind.PRIVATE_TENSIONS,
        {"count": 1, "still_open": 2},
    )


def test_one_person_owning_most_open_actions(base: TeamFigures) -> None:
    most = figures_with(base, owners=OwnerSpread(owners=2, top_owner_actions=3, actions=4))
    [signal] = support_signals(most)
    assert signal.kind is SignalKind.LEADERSHIP_CONCENTRATED
    assert signal.evidence == {"top": 3, "total": 4, "owners": 2}
    assert "U0" not in json.dumps(as_data(signal))  # nobody is named
    half = figures_with(base, owners=OwnerSpread(owners=2, top_owner_actions=2, actions=4))
    few = figures_with(base, owners=OwnerSpread(owners=1, top_owner_actions=2, actions=2))
    assert kinds(half) == kinds(few) == []


def test_no_feedback_in_a_month_only_for_a_team_a_month_old(base: TeamFigures) -> None:
    old_team = figures_with(base, first_activity=utc(2026, 9, 1))
    [signal] = support_signals(old_team)
    assert (signal.kind, signal.evidence) == (
        SignalKind.NO_FEEDBACK,
        {"weeks": 4, "last": None, "looked_back": 12},
    )
    assert "no feedback exchanged in 4 weeks (none in the last 12 weeks)." in digest_document(
        Renderer(), CoachDigest("U0COACH", WEEK, [CoachTeam(old_team, [signal])])
    )
    with_last = figures_with(
        old_team, feedback=replace(base.feedback, last_at=utc(2026, 10, 14, 23, 30))
    )
    assert support_signals(with_last)[0].evidence["last"] == date(2026, 10, 15)  # London: BST
    recent = figures_with(old_team, feedback=replace(base.feedback, month_total=1))
    new_team = figures_with(base, first_activity=utc(2026, 11, 10))
    assert kinds(recent) == kinds(new_team) == []


# --- the coach digest -------------------------------------------------------------------------


def test_a_coach_digest_covers_only_their_teams_and_no_one_s_words(
    session: Session, config: AppConfig
) -> None:
    make_answered_round(
        session,
        meeting_at=MEETING,
        answers=[("U0ANA", 5), ("U0BEN", 2), ("U0CARA", 2)],
        stories={"U0ANA": "Mrs J walked to the shop"},
    )
    make_answered_round(session, team_id="south", meeting_at=MEETING, answers=[("U0SAM", 1)])
    make_tension(session, created_at=utc(2026, 11, 25), text="Night shifts scare me", private=True)
    make_feedback(session, created_at=utc(2026, 11, 24), text="You were wonderful", shared=True)
    session.commit()

    digest = build_coach_digest(session, config=config, coach_id="U0COACH", week=WEEK, now=NOW)

    assert [team.figures.team_id for team in digest.teams] == ["north", "east"]
    assert not hasattr(CoachTeam, "stories") and "stories" not in CoachTeam.__dataclass_fields__
    north = digest.teams[0]
    assert north.figures.this_week.mood == pytest.approx(3.0)
    assert [s.kind for s in north.signals] == [SignalKind.PRIVATE_TENSIONS]
    for shown in (
        digest_document(Renderer(), digest, "text"),
        digest_document(Renderer(), digest, "markdown"),
        digest_document(Renderer(), digest, "json"),
    ):
        for secret in ("Mrs J", "Night shifts", "You were wonderful", "U0ANA", "South"):
            assert secret not in shown
    text = digest_document(Renderer(), digest)
    assert "1 private tension was raised with the coaches this week; 1 still open." in text
    assert "Mood 3.0 out of 5, over 3 answers" in text

    south = build_coach_digest(session, config=config, coach_id="U0SCOACH", week=WEEK, now=NOW)
    assert [t.figures.team_id for t in south.teams] == ["south"]
    assert south.teams[0].figures.this_week.mood is None  # one answer: never shown
    narrowed = build_coach_digest(
        session, config=config, coach_id="U0COACH", week=WEEK, now=NOW, team_ids=["east"]
    )
    assert [t.figures.team_id for t in narrowed.teams] == ["east"]
    nobody = build_coach_digest(session, config=config, coach_id="U0ANA", week=WEEK, now=NOW)
    assert nobody.teams == []


def test_the_team_summary_never_counts_private_tensions(
    session: Session, config: AppConfig
) -> None:
    make_tension(session, created_at=utc(2026, 11, 25), private=True)
    summary = summary_of(session, config)
    assert summary.figures.tensions.raised == 0
    assert "private" not in summary_document(Renderer(), summary).lower()


def test_statements_stay_the_same_for_more_teams_and_rows(
    session: Session, config: AppConfig
) -> None:
    statements: list[str] = []
    event.listen(
        session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2])
    )

    def count(team_ids: list[str]) -> int:
        session.commit()
        statements.clear()
        build_team_summaries(session, config=config, team_ids=team_ids, week=WEEK, now=NOW)
        return len(statements)

    one = count(["north"])
    both = count(["north", "south"])
    for back in range(8):
        make_answered_round(
            session, meeting_at=MEETING - timedelta(weeks=back), answers=[("U0ANA", 3)]
        )
        make_tension(session, created_at=MEETING - timedelta(weeks=back))
    assert count(["north", "south"]) == both == one
    # A second time zone adds the same few statements again, never one per team.
    assert count(["north", "south", "east"]) == 2 * one
