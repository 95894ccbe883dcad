"""What a retrospective shows: the period's statistics and stories, last time's improvements and
what became of them, who took part (counted), the reflections, and the team's health.

The figures come from the same aggregate queries as the weekly summary (storage.weekly), over
the weeks of the period and the as many weeks before it. A mood, a number or a health average
from fewer than 3 answers is not shown (None), and no figure gives away an answer kept from the
team, nor a health answer (bot.core.privacy). Health averages appear only
once reflection has closed: watching them move as each person answered would show each answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select

from bot.core.config import MetricConfig, TeamConfig
from bot.core.privacy import HEALTH_SCALE, MOOD_SCALE, Scale, anonymous_average, countable
from bot.retros.model import (
    STORIES_SHOWN,
    Chosen,
    Fate,
    HealthFigure,
    HealthTrend,
    ImprovementFate,
    MetricTrend,
    Participation,
    PeriodFigures,
    RetroBoard,
    StoryShared,
)
from storage import weekly
from storage.models import (
    Decision,
    HealthAnswer,
    OutcomeKind,
    PromptStatus,
    Reflection,
    RetroImprovement,
    RetroParticipant,
    Retrospective,
    RetroStatus,
    Team,
    Tension,
    TensionStatus,
)

STALE_AFTER = timedelta(days=28)  # storage.weekly asks; the retrospective does not show it

# (answers, average) by (retrospective id, question).
Averages = dict[tuple[int, str], tuple[int, float]]


def _mean(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def period_weeks(retro: Retrospective) -> int:
    """How many weeks the retrospective looks back on (at least one)."""
    return max(1, round((retro.opened_at - retro.period_start) / timedelta(weeks=1)))


@dataclass(frozen=True)
class _Checkins:
    """The period's check-ins counted: participation, the mood of each of its weeks, and each
    metric's weekly totals over its weeks and the as many before (k ≥ 3 each, else None)."""

    asked: int
    answered: int
    moods: list[float | None]
    totals: dict[str, list[float | None]]


def week_mood(week: weekly.CheckinWeek) -> float | None:
    """A week's mood as the retrospective shows it: over at least 3 answers, none of those kept
    from the team given away (bot.core.privacy)."""
    return countable(
        week.moods, week.mood_total, week.kept_moods, week.kept_mood_total, MOOD_SCALE
    ).average


def week_total(week: weekly.CheckinWeek, metric: MetricConfig) -> float | None:
    """A week's total of one metric, under the same rule as its mood."""
    given = countable(
        week.metric_answers.get(metric.id, 0),
        week.metric_totals.get(metric.id, 0.0),
        week.kept_metric_answers.get(metric.id, 0),
        week.kept_metric_totals.get(metric.id, 0.0),
        Scale(metric.min, metric.max),
    )
    return given.total if given.shown else None


def _checkins(session: Session, *, team: TeamConfig, retro: Retrospective) -> _Checkins:
    count, end = period_weeks(retro), retro.opened_at
    bounds = tuple(end - timedelta(weeks=back) for back in range(2 * count, -1, -1))
    weeks = weekly.Weeks(bounds=bounds, ref=end, ref_date=end.astimezone(team.zone).date())
    counted = weekly.checkin_weeks(
        session, team_ids=[team.id], weeks=weeks, metric_ids=[m.id for m in team.metrics]
    )
    found = _Checkins(0, 0, [], {m.id: [] for m in team.metrics})
    asked = answered = 0
    for index in range(2 * count):
        week = counted.get((team.id, index), weekly.CheckinWeek())
        for metric in team.metrics:
            found.totals[metric.id].append(week_total(week, metric))
        if index >= count:  # a week of the period itself
            found.moods.append(week_mood(week))
            asked += week.asked
            answered += week.answered
    return _Checkins(asked, answered, found.moods, found.totals)


def period_figures(session: Session, *, team: TeamConfig, retro: Retrospective) -> PeriodFigures:
    """The period's participation, mood by week, numbers against the period before, tensions
    raised and closed, decisions adopted, appreciations by value, and the stories shared with the
    team."""
    count, end, ids = period_weeks(retro), retro.opened_at, [team.id]
    period = weekly.Weeks(
        bounds=(retro.period_start, end), ref=end, ref_date=end.astimezone(team.zone).date()
    )
    checkins = _checkins(session, team=team, retro=retro)
    tensions = weekly.tension_counts(
        session, team_ids=ids, weeks=period, stale_after=STALE_AFTER
    ).get(team.id, weekly.TensionCounts())
    feedback = weekly.feedback_activity(session, team_ids=ids, weeks=period).get(
        team.id, weekly.FeedbackCounts()
    )
    named = weekly.values_named(session, team_ids=ids, weeks=period).get(team.id, {})
    stories = weekly.shared_stories(session, team_ids=ids, weeks=period, limit=STORIES_SHOWN).get(
        team.id, weekly.StoryPage([], 0)
    )
    decisions = session.exec(
        select(func.count()).where(
            Decision.team_id == team.id,
            Decision.decided_at >= retro.period_start,
            Decision.decided_at < end,
        )
    ).one()
    return PeriodFigures(
        weeks=count,
        asked=checkins.asked,
        answered=checkins.answered,
        moods=checkins.moods,
        metrics=[
            MetricTrend(
                label=metric.label,
                unit=metric.unit,
                this_period=_mean(checkins.totals[metric.id][count:]),
                before=_mean(checkins.totals[metric.id][:count]),
            )
            for metric in team.metrics
        ],
        tensions_raised=tensions.raised,
        tensions_closed=tensions.closed,
        tensions_open=tensions.open,
        appreciations=feedback.appreciations,
        values=sorted(named.items(), key=lambda item: (-item[1], item[0])),
        stories=[StoryShared(row.user_id, row.story) for row in stories.stories],
        stories_total=stories.total,
        decisions=int(decisions),
    )


def fate_of(tension: Tension) -> str:
    """Done, open or dropped: what became of an improvement's tension."""
    if tension.status == TensionStatus.WITHDRAWN or tension.outcome == OutcomeKind.DROPPED:
        return Fate.DROPPED
    if tension.done_at is not None or tension.status == TensionStatus.CLOSED:
        return Fate.DONE
    return Fate.OPEN


def chosen(session: Session, *, retro_id: int) -> list[Chosen]:
    """The reflections the team chose at this retrospective and their tensions, most votes first."""
    rows = session.exec(
        select(RetroImprovement, Reflection, Tension)
        .join(Reflection, col(Reflection.id) == col(RetroImprovement.reflection_id))
        .join(Tension, col(Tension.id) == col(RetroImprovement.tension_id))
        .where(RetroImprovement.retro_id == retro_id)
        .order_by(col(RetroImprovement.votes).desc(), col(RetroImprovement.id))
    ).all()
    return [
        Chosen(reflection, tension, improvement.votes) for improvement, reflection, tension in rows
    ]


def improvement_fates(session: Session, *, retro_id: int | None) -> list[ImprovementFate]:
    """What became of each improvement chosen at that retrospective (none: [])."""
    if retro_id is None:
        return []
    return [
        ImprovementFate(tension=c.tension, votes=c.votes, fate=fate_of(c.tension))
        for c in chosen(session, retro_id=retro_id)
    ]


def participation(session: Session, *, retro_id: int) -> Participation:
    """Who was asked (not away, or away but took part), who reflected, who voted, who is away."""
    away = col(RetroParticipant.status) == PromptStatus.AWAY
    took_part = col(RetroParticipant.reflected) | col(RetroParticipant.voted)
    row = session.exec(
        select(
            func.count(),
            func.sum(_flag(col(RetroParticipant.reflected))),
            func.sum(_flag(col(RetroParticipant.voted))),
            func.sum(_flag(away & ~took_part)),
        ).where(RetroParticipant.retro_id == retro_id)
    ).one()
    total, reflected, voted, away_count = (int(value or 0) for value in row)
    return Participation(
        asked=total - away_count, reflected=reflected, voted=voted, away=away_count
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SQL: 1 where the condition holds, else 0."""
    return case((condition, 1), else_=0)


def _averages(session: Session, retro_ids: Sequence[int]) -> Averages:
    """(answers, average) per retrospective and question, in one statement."""
    if not retro_ids:
        return {}
    statement = (
        select(
            HealthAnswer.retro_id,
            HealthAnswer.question,
            func.count(),
            func.avg(HealthAnswer.score),
        )
        .where(col(HealthAnswer.retro_id).in_(list(retro_ids)))
        .group_by(col(HealthAnswer.retro_id), col(HealthAnswer.question))
    )
    return {
        (retro_id, question): (int(answers), float(average))
        for retro_id, question, answers, average in session.exec(statement)
    }


def health_figures(
    questions: Sequence[str],
    averages: Averages,
    retro_id: int,
    previous_id: int | None,
) -> list[HealthFigure]:
    """Each question's average this time and last: None under 3 answers, and None when the
    answers all sit at one end of the scale (each would be known: bot.core.privacy)."""
    figures = []
    for question in questions:
        answers, average = averages.get((retro_id, question), (0, 0.0))
        before, previous = averages.get((previous_id or -1, question), (0, 0.0))
        this_time = anonymous_average(answers, answers * average, HEALTH_SCALE)
        last_time = anonymous_average(before, before * previous, HEALTH_SCALE)
        figures.append(
            HealthFigure(
                question=question,
                answers=answers,
                average=this_time.average,
                previous=last_time.average,
                withheld=this_time.withheld,
            )
        )
    return figures


def previous_reflected(session: Session, *, retro: Retrospective) -> Retrospective | None:
    """The team's retrospective before this one whose reflection closed (its health is known)."""
    return session.exec(
        select(Retrospective)
        .where(
            Retrospective.team_id == retro.team_id,
            Retrospective.opened_at < retro.opened_at,
            col(Retrospective.reflection_closed_at).is_not(None),
        )
        .order_by(col(Retrospective.opened_at).desc())
        .limit(1)
    ).first()


def health_trends(
    session: Session, *, team_ids: Sequence[str], until: datetime | None = None
) -> dict[str, HealthTrend]:
    """Each team's health at its latest retrospective whose reflection closed (before ``until``
    when given: a past week's summary), against the one before: averages over at least 3
    answers only (for the weekly summary and the coach digest).

    Two statements, whatever the number of teams or of retrospectives behind them.
    """
    if not team_ids:
        return {}
    ranked = (
        select(
            Retrospective.id,
            Retrospective.team_id,
            Retrospective.opened_at,
            Retrospective.health_questions,
            func.row_number()
            .over(
                partition_by=Retrospective.team_id,
                order_by=(col(Retrospective.opened_at).desc(), col(Retrospective.id).desc()),
            )
            .label("position"),
        )
        .where(
            col(Retrospective.team_id).in_(list(team_ids)),
            col(Retrospective.reflection_closed_at).is_not(None),
            *([col(Retrospective.reflection_closed_at) < until] if until is not None else []),
        )
        .subquery()
    )
    rows = session.exec(
        select(ranked.c.id, ranked.c.team_id, ranked.c.opened_at, ranked.c.health_questions)
        .where(ranked.c.position <= 2)
        .order_by(ranked.c.team_id, ranked.c.position)
    ).all()
    by_team: dict[str, list[tuple[int, datetime, list[str]]]] = {}
    for retro_id, team_id, opened_at, questions in rows:
        by_team.setdefault(team_id, []).append((retro_id, opened_at, questions))
    averages = _averages(session, [retro_id for retro_id, *_ in rows])
    trends = {}
    for team_id, retros in by_team.items():
        (latest_id, opened_at, questions), *earlier = retros
        previous_id = earlier[0][0] if earlier else None
        trends[team_id] = HealthTrend(
            team_id=team_id,
            opened_at=_aware(opened_at),
            figures=health_figures(questions, averages, latest_id, previous_id),
        )
    return trends


def _aware(moment: datetime) -> datetime:
    """A moment read through a subquery, which loses the column's UTC type on some databases."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def board(session: Session, *, team: TeamConfig | None, retro: Retrospective) -> RetroBoard:
    """Everything the retrospective's channel message and thread show now."""
    assert retro.id is not None
    stored_team = session.get(Team, retro.team_id)
    zone = (
        team.zone if team is not None else ZoneInfo(stored_team.timezone if stored_team else "UTC")
    )
    name = team.name if team is not None else (stored_team.name if stored_team else retro.team_id)
    previous = session.exec(
        select(Retrospective.id)
        .where(Retrospective.team_id == retro.team_id, Retrospective.opened_at < retro.opened_at)
        .order_by(col(Retrospective.opened_at).desc())
        .limit(1)
    ).first()
    health: list[HealthFigure] = []
    if retro.status != RetroStatus.REFLECTING:
        before = previous_reflected(session, retro=retro)
        before_id = before.id if before is not None else None
        averages = _averages(session, [i for i in (retro.id, before_id) if i is not None])
        health = health_figures(retro.health_questions, averages, retro.id, before_id)
    figures = (
        period_figures(session, team=team, retro=retro)
        if team is not None
        else PeriodFigures(0, 0, 0, [], [], 0, 0, 0, 0, [])
    )
    return RetroBoard(
        retro=retro,
        team_name=name,
        zone=zone,
        figures=figures,
        last_improvements=improvement_fates(session, retro_id=previous),
        participation=participation(session, retro_id=retro.id),
        reflections=list(
            session.exec(
                select(Reflection)
                .where(Reflection.retro_id == retro.id)
                .order_by(col(Reflection.id))
            )
        ),
        health=health,
        chosen=chosen(session, retro_id=retro.id) if retro.status == RetroStatus.CLOSED else [],
    )
