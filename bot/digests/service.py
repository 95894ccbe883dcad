"""The figures of a week: a team's summary and its coaches' digests, computed from the database.

A team's summary is its own statistics and stories for one ISO week (in the team's zone). A
coach's digest holds the same figures for every team they coach, plus where a team may want
support and why — aggregates only: never anyone's answers, never feedback text, never a mood
from fewer than :data:`MIN_ANSWERS` answers, never a story. Every digest is kept word for word,
so the team sees what its coaches received (`/retro digest`).

The figures are computed in SQL by :mod:`storage.weekly`, a few statements for all the teams
of a time zone at once. Everything here is a read; sending is :mod:`bot.digests.delivery`'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.circles.model import CommonIssue
from bot.circles.service import issues_in_common
from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import NotInTeamError
from bot.core.meetings import iso_week, parse_iso_week, shift_week, week_bounds
from bot.core.privacy import MOOD_SCALE, Scale, countable
from bot.decisions.counts import DecisionCounts, decision_counts_by_team
from bot.digests.model import (
    DIGESTS_SHOWN,
    HISTORY_WEEKS,
    MONTH_WEEKS,
    STALE_TENSION,
    STORIES_SHOWN,
    TREND_WEEKS,
    CoachDigest,
    CoachTeam,
    MetricFigures,
    ReceivedDigest,
    Story,
    TeamFigures,
    TeamSummary,
    WeekFigures,
    WeekNotStartedError,
)
from bot.digests.signals import support_signals
from bot.retros.figures import health_trends
from bot.retros.model import HealthTrend
from bot.roles.service import role_concentration
from storage import weekly
from storage.weekly import FeedbackCounts, OwnerSpread, TensionCounts, Weeks

# --- weeks -----------------------------------------------------------------------------------


def last_complete_week(zone: ZoneInfo, now: datetime) -> str:
    """The latest ISO week that has ended in ``zone`` (the default week to summarise)."""
    return shift_week(iso_week(now, zone), -1)


def history_weeks(week: str, zone: ZoneInfo, now: datetime) -> Weeks:
    """``HISTORY_WEEKS`` weeks ending with ``week`` in ``zone``; open things counted at ``ref``.

    WeekNotStartedError when the week has not begun in that zone.
    """
    start, end = week_bounds(week, zone)
    if start > now:
        raise WeekNotStartedError(
            f"Week {week} has not begun yet (it starts {start.astimezone(zone):%a %-d %b %Y}); "
            "there is nothing to summarise."
        )
    bounds = [
        week_bounds(shift_week(week, -back), zone)[0] for back in range(HISTORY_WEEKS - 1, -1, -1)
    ]
    ref = min(now, end)
    return Weeks(bounds=(*bounds, end), ref=ref, ref_date=ref.astimezone(zone).date())


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


# --- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ZoneCounts:
    """What the database counted for the teams of one time zone, by team (and week)."""

    checkins: dict[tuple[str, int], weekly.CheckinWeek]
    tensions: dict[str, TensionCounts]
    owners: dict[str, OwnerSpread]
    feedback: dict[str, FeedbackCounts]
    values: dict[str, dict[str, int]]
    first_rounds: dict[str, datetime]
    decisions: dict[str, DecisionCounts]
    health: dict[str, HealthTrend]


def _count_zone(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks, metric_ids: set[str]
) -> _ZoneCounts:
    """The aggregate statements, once for all the teams of a zone."""
    return _ZoneCounts(
        checkins=weekly.checkin_weeks(
            session, team_ids=team_ids, weeks=weeks, metric_ids=metric_ids
        ),
        tensions=weekly.tension_counts(
            session, team_ids=team_ids, weeks=weeks, stale_after=STALE_TENSION
        ),
        owners=weekly.owner_spread(session, team_ids=team_ids, weeks=weeks),
        feedback=weekly.feedback_activity(
            session, team_ids=team_ids, weeks=weeks, month_weeks=MONTH_WEEKS
        ),
        values=weekly.values_named(session, team_ids=team_ids, weeks=weeks),
        first_rounds=weekly.first_rounds(session, team_ids=team_ids),
        decisions=decision_counts_by_team(
            session, team_ids=team_ids, start=weeks.start, end=weeks.end, today=weeks.ref_date
        ),
        health=health_trends(session, team_ids=team_ids, until=weeks.ref),
    )


def _by_zone(teams: Iterable[TeamConfig]) -> dict[str, list[TeamConfig]]:
    zones: dict[str, list[TeamConfig]] = defaultdict(list)
    for team in teams:
        zones[team.timezone].append(team)
    return zones


def week_figures(team: TeamConfig, counted: weekly.CheckinWeek, label: str) -> WeekFigures:
    """One week of the team's check-ins, under the 3-answer threshold and the rule that no
    figure gives away an answer kept from the team (:func:`bot.core.privacy.countable`)."""
    metrics: dict[str, float | None] = {}
    metric_answers: dict[str, int] = {}
    metrics_kept_out: set[str] = set()
    for metric in team.metrics:
        given = countable(
            counted.metric_answers.get(metric.id, 0),
            counted.metric_totals.get(metric.id, 0.0),
            counted.kept_metric_answers.get(metric.id, 0),
            counted.kept_metric_totals.get(metric.id, 0.0),
            Scale(metric.min, metric.max),
        )
        metrics[metric.id] = given.total if given.shown else None
        metric_answers[metric.id] = given.answers
        if given.withheld:
            metrics_kept_out.add(metric.id)
    moods = countable(
        counted.moods, counted.mood_total, counted.kept_moods, counted.kept_mood_total, MOOD_SCALE
    )
    return WeekFigures(
        week=label,
        rounds=counted.rounds,
        asked=counted.asked,
        answered=counted.answered,
        away=counted.away,
        skipped=counted.skipped,
        off_shift=counted.off_shift,
        moods=moods.answers,
        mood=moods.average,
        mood_withheld=moods.withheld,
        metrics=metrics,
        metric_answers=metric_answers,
        metrics_withheld=tuple(sorted(metrics_kept_out)),
    )


def _metric_figures(
    team: TeamConfig, history: Sequence[WeekFigures], earlier: Sequence[WeekFigures]
) -> list[MetricFigures]:
    """Each of the team's numbers: this week's, the average of ``earlier`` weeks, the history."""
    return [
        MetricFigures(
            id=metric.id,
            label=metric.label,
            unit=metric.unit,
            this_week=history[-1].metrics[metric.id],
            answers=history[-1].metric_answers.get(metric.id, 0),
            average=_mean(w.metrics[metric.id] for w in earlier),
            history=[w.metrics[metric.id] for w in history],
            withheld=metric.id in history[-1].metrics_withheld,
        )
        for metric in team.metrics
    ]


def _first_activity(*moments: datetime | None) -> datetime | None:
    """The earliest of the moments known (None when the team has done nothing yet)."""
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def _team_figures(
    team: TeamConfig,
    *,
    week: str,
    weeks: Weeks,
    labels: Sequence[str],
    now: datetime,
    counted: _ZoneCounts,
    org_values: Sequence[str],
) -> TeamFigures:
    """Put one team's counts together, applying the 3-answer threshold."""
    history = [
        week_figures(team, counted.checkins.get((team.id, index), weekly.CheckinWeek()), label)
        for index, label in zip(range(weeks.count), labels, strict=True)
    ]
    earlier = history[-TREND_WEEKS - 1 : -1]
    tensions = counted.tensions.get(team.id, TensionCounts())
    feedback = counted.feedback.get(team.id, FeedbackCounts())
    oldest = tensions.oldest_open
    named = counted.values.get(team.id, {})
    return TeamFigures(
        team_id=team.id,
        team_name=team.name,
        channel=team.channel,
        timezone=team.timezone,
        week=week,
        start=weeks.start,
        end=weeks.end,
        in_progress=now < weeks.end,
        weeks=history,
        participation_average=_mean(w.participation for w in earlier),
        mood_average=_mean(w.mood for w in earlier),
        metrics=_metric_figures(team, history, earlier),
        tensions=tensions,
        oldest_open_days=(weeks.ref - oldest).days if oldest is not None else None,
        owners=counted.owners.get(team.id, OwnerSpread(0, 0, 0)),
        feedback=feedback,
        # Only the organisation's own values are shown: they are words from app.yaml.
        values=[(value, named[value]) for value in org_values if named.get(value)],
        first_activity=_first_activity(
            counted.first_rounds.get(team.id), tensions.first_raised, feedback.first_at
        ),
        decisions=counted.decisions.get(team.id, DecisionCounts()),
        health=counted.health.get(team.id),
    )


def build_team_figures(
    session: Session,
    *,
    config: AppConfig,
    team_ids: Sequence[str],
    week: str,
    now: datetime,
    with_stories: bool = False,
) -> tuple[dict[str, TeamFigures], dict[str, weekly.StoryPage]]:
    """Every listed team's figures for ``week`` (and their shared stories when asked).

    The statements run once per time zone among the teams, whatever their number or history.
    """
    parse_iso_week(week)
    teams = [config.team(team_id) for team_id in dict.fromkeys(team_ids)]
    figures: dict[str, TeamFigures] = {}
    stories: dict[str, weekly.StoryPage] = {}
    for zone_name, zone_teams in _by_zone(teams).items():
        weeks = history_weeks(week, ZoneInfo(zone_name), now)
        labels = [shift_week(week, index - weeks.count + 1) for index in range(weeks.count)]
        ids = [team.id for team in zone_teams]
        metric_ids = {metric.id for team in zone_teams for metric in team.metrics}
        counted = _count_zone(session, team_ids=ids, weeks=weeks, metric_ids=metric_ids)
        if with_stories:
            stories |= weekly.shared_stories(
                session, team_ids=ids, weeks=weeks, limit=STORIES_SHOWN
            )
        for team in zone_teams:
            figures[team.id] = _team_figures(
                team,
                week=week,
                weeks=weeks,
                labels=labels,
                now=now,
                counted=counted,
                org_values=config.organisation.values,
            )
    return {team_id: figures[team_id] for team_id in dict.fromkeys(team_ids)}, stories


def build_team_summaries(
    session: Session, *, config: AppConfig, team_ids: Sequence[str], week: str, now: datetime
) -> dict[str, TeamSummary]:
    """The weekly summaries of many teams at once, keyed by team id."""
    figures, stories = build_team_figures(
        session, config=config, team_ids=team_ids, week=week, now=now, with_stories=True
    )
    summaries = {}
    for team_id, team_figures in figures.items():
        page = stories.get(team_id, weekly.StoryPage([], 0))
        summaries[team_id] = TeamSummary(
            figures=team_figures,
            stories=[Story(row.user_id, row.story) for row in page.stories],
            stories_total=page.total,
        )
    return summaries


def build_team_summary(
    session: Session, *, config: AppConfig, team_id: str, week: str, now: datetime
) -> TeamSummary:
    """The team's summary of one ISO week (in its zone): figures, trends and shared stories."""
    return build_team_summaries(session, config=config, team_ids=[team_id], week=week, now=now)[
        team_id
    ]


# --- coach digests ----------------------------------------------------------------------------


def build_coach_digests(
    session: Session,
    *,
    config: AppConfig,
    week: str,
    now: datetime,
    coach_ids: Sequence[str] | None = None,
    team_ids: Sequence[str] | None = None,
) -> dict[str, CoachDigest]:
    """Digests for many coaches at once (all of app.yaml's when ``coach_ids`` is None).

    ``team_ids`` narrows each digest to those of the coach's teams. The figures of every team
    involved are computed together, once.
    """
    coaches = list(dict.fromkeys(coach_ids if coach_ids is not None else config.coach_ids))
    wanted = set(team_ids) if team_ids is not None else None
    teams_of = {
        coach: [team.id for team in config.coached_by(coach) if wanted is None or team.id in wanted]
        for coach in coaches
    }
    every_team = list(dict.fromkeys(t for ids in teams_of.values() for t in ids))
    figures, _ = build_team_figures(session, config=config, team_ids=every_team, week=week, now=now)
    roles_held = role_concentration(session, team_ids=every_team)
    common = _issues_by_team(session, config=config, team_ids=every_team)
    teams = {
        t: CoachTeam(
            figures[t],
            support_signals(figures[t], roles_held=roles_held.get(t), common_issues=common[t]),
        )
        for t in every_team
    }
    return {
        coach: CoachDigest(coach_id=coach, week=week, teams=[teams[t] for t in teams_of[coach]])
        for coach in coaches
    }


def _issues_by_team(
    session: Session, *, config: AppConfig, team_ids: Sequence[str]
) -> dict[str, list[tuple[str, list[CommonIssue]]]]:
    """For each team, the issues in common of each circle it belongs to (by circle name).

    Open now, as the circle's agenda shows them: two statements per circle involved.
    """
    wanted = set(team_ids)
    found = {
        circle.id: issues_in_common(session, team_ids=circle.teams)
        for circle in config.circles
        if wanted.intersection(circle.teams)
    }
    return {
        team_id: [
            (circle.name, found[circle.id])
            for circle in config.circles_of(team_id)
            if found.get(circle.id)
        ]
        for team_id in team_ids
    }


def build_coach_digest(
    session: Session,
    *,
    config: AppConfig,
    coach_id: str,
    week: str,
    now: datetime,
    team_ids: Sequence[str] | None = None,
) -> CoachDigest:
    """One coach's digest of ``week`` across the teams they coach (or those of ``team_ids``)."""
    return build_coach_digests(
        session, config=config, week=week, now=now, coach_ids=[coach_id], team_ids=team_ids
    )[coach_id]


# --- what the team sees of its coaches' digests ---------------------------------------------


def digest_teams_of(config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The teams whose coach digests a person may read: their own, and those they coach.

    NotInTeamError when there are none.
    """
    teams = {team.id: team for team in (*config.teams_of(user_id), *config.coached_by(user_id))}
    if not teams:
        raise NotInTeamError("You're not in a retrobot team, so there are no digests to show.")
    return list(teams.values())


def digests_received(
    session: Session, *, config: AppConfig, user_id: str, limit: int = DIGESTS_SHOWN
) -> list[ReceivedDigest]:
    """The coach digests sent about the person's teams (or the teams they coach), newest first.

    Each is the text the coach received about that team, word for word; NotInTeamError when
    the person is in no team.
    """
    teams = {team.id: team for team in digest_teams_of(config, user_id)}
    rows = weekly.coach_digests_for_teams(session, team_ids=list(teams), limit=limit)
    return [
        ReceivedDigest(
            team_id=row.team_id,
            team_name=teams[row.team_id].name,
            coach_id=row.recipient,
            week=row.iso_week,
            sent_at=row.sent_at,
            body=row.body,
        )
        for row in rows
    ]
