"""The organisation report's figures, from the aggregate queries to the k >= 3 rule.

:func:`build_report` asks :mod:`storage.reports` (and :mod:`storage.weekly` for check-ins) for
the counts of every team of the scope, one set of statements per time zone, then puts them
together here: a team's week is the unit, shown only over at least :data:`~bot.reports.model.K`
answers, and every period or organisation figure is made of the shown weeks only — so no
figure, however it is subtracted from another, gives away a week that was held back.
No Slack, no Jinja; nobody's id or name comes out.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.config import AppConfig, TeamConfig, key_question_target
from bot.core.meetings import local_moment
from bot.core.privacy import MOOD_SCALE, TICK_SCALE, Scale, countable
from bot.core.text import find_client_identifiers
from bot.reports.model import (
    OTHER,
    SECTIONS,
    STORIES_PER_TEAM,
    Figure,
    K,
    Mean,
    Participation,
    Period,
    Report,
    Section,
    Share,
    Stories,
    Story,
    TeamRef,
    TeamValue,
    Total,
    Weekly,
)
from bot.reports.parts import decisions_figure, health_figures, roles_figure
from bot.reports.tallies import feedback_figure, tension_figure
from storage import reports as queries
from storage import weekly
from storage.weekly import Weeks

Progress = Callable[[str], None]
NO_CHECKINS = weekly.CheckinWeek()  # a team's week without a round (never changed: frozen)

_MENTION = re.compile(r"<[@!#][^>]*>|\b[UWC][A-Z0-9]{8,}\b")
COLLEAGUE = "a colleague"


def period_weeks(period: Period, zone: ZoneInfo, now: datetime) -> Weeks:
    """The period as consecutive weeks of ``zone``: from the first day's midnight to the day
    after the last, cut at each Monday; week ``i`` is ``period.weeks[i]``."""
    start = local_moment(period.start, time(0), zone)
    end = local_moment(period.end + timedelta(days=1), time(0), zone)
    first_monday = period.start + timedelta(days=7 - period.start.weekday())
    mondays = []
    day = first_monday
    while day <= period.end:
        mondays.append(local_moment(day, time(0), zone))
        day += timedelta(days=7)
    ref = min(now, end)
    return queries.PeriodWeeks(
        bounds=(start, *mondays, end), ref=ref, ref_date=ref.astimezone(zone).date()
    )


@dataclass
class Counts:
    """Everything the queries returned for the scope's teams, merged over the time zones."""

    checkins: dict[tuple[str, int], weekly.CheckinWeek] = field(default_factory=dict)
    checklist: dict[tuple[str, str], queries.ChecklistCount] = field(default_factory=dict)
    tensions: dict[str, queries.TensionTally] = field(default_factory=dict)
    feedback: dict[tuple[str, int], queries.FeedbackWeek] = field(default_factory=dict)
    values: dict[str, dict[str, int]] = field(default_factory=dict)
    stories: dict[str, queries.StoryList] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    # None where this retrobot has no such tables (their capability is not installed).
    decisions: dict[str, queries.DecisionTally] | None = None
    health: dict[tuple[str, int, str], tuple[int, int]] | None = None
    roles: dict[str, dict[int, int]] | None = None


def gather_counts(
    session: Session,
    *,
    teams: Sequence[TeamConfig],
    period: Period,
    now: datetime,
    progress: Progress | None = None,
) -> Counts:
    """Run the report's aggregate queries: one set of statements per time zone of the teams."""
    counts = Counts()
    zones: dict[str, list[TeamConfig]] = defaultdict(list)
    for team in teams:
        zones[team.timezone].append(team)
    present = queries.table_names(session)
    if present.issuperset(queries.DECISION_TABLES):
        counts.decisions = {}
    if present.issuperset(queries.HEALTH_TABLES):
        counts.health = {}
    for zone, zone_teams in sorted(zones.items()):
        weeks = period_weeks(period, ZoneInfo(zone), now)
        ids = [team.id for team in zone_teams]
        metrics = {metric.id for team in zone_teams for metric in team.metrics}
        counts.checkins.update(
            weekly.checkin_weeks(session, team_ids=ids, weeks=weeks, metric_ids=metrics)
        )
        counts.checklist.update(queries.checklist_counts(session, team_ids=ids, weeks=weeks))
        counts.tensions.update(queries.tension_tallies(session, team_ids=ids, weeks=weeks))
        counts.feedback.update(queries.feedback_weeks(session, team_ids=ids, weeks=weeks))
        counts.values.update(queries.feedback_values(session, team_ids=ids, weeks=weeks))
        counts.stories.update(
            queries.consented_stories(session, team_ids=ids, weeks=weeks, limit=STORIES_PER_TEAM)
        )
        if counts.decisions is not None:
            counts.decisions.update(queries.decision_tallies(session, team_ids=ids, weeks=weeks))
        if counts.health is not None:
            counts.health.update(queries.health_sums(session, team_ids=ids, weeks=weeks))
        if progress:
            progress(f"time zone {zone}")
    if present.issuperset(queries.ROLE_TABLES):
        counts.roles = queries.roles_per_person(session, team_ids=[team.id for team in teams])
    counts.names = queries.people_names(session, team_ids=[team.id for team in teams])
    return counts


# --- the k rule ----------------------------------------------------------------------------------


def _withheld(parts: Iterable[Any]) -> bool:
    """True when a figure none of whose parts is shown left out one to keep a kept answer
    private (the page then says so, rather than "fewer than 3 answers")."""
    return any(part.withheld for part in parts)


def _metric_week(week: weekly.CheckinWeek, metric_id: str, scale: Scale) -> Total:
    """One team's week of one metric: its total, unless it rests on fewer than K answers or
    would give away an answer kept from the team (then only the shared ones count)."""
    given = countable(
        week.metric_answers.get(metric_id, 0),
        week.metric_totals.get(metric_id, 0.0),
        week.kept_metric_answers.get(metric_id, 0),
        week.kept_metric_totals.get(metric_id, 0.0),
        scale,
    )
    if given.shown:
        return Total(given.answers, given.total, 1)
    return Total(given.answers, None, 0, given.withheld)


def _rate(asked: int, answered: int) -> Participation:
    return Participation(asked, answered, answered / asked if asked >= K else None)


def _mean(answers: int, total: float) -> Mean:
    return Mean(answers, total / answers if answers >= K else None)


def _sum_totals(cells: Iterable[Total]) -> Total:
    shown = [cell for cell in cells if cell.total is not None]
    if not shown:
        return Total(sum(cell.answers for cell in cells), None, 0, _withheld(cells))
    return Total(
        sum(c.answers for c in shown),
        sum(c.total for c in shown if c.total is not None),
        sum(c.weeks for c in shown),
    )


# --- figures -------------------------------------------------------------------------------------


class Builder:
    """Turns the counts of the scope's teams into the report's figures."""

    def __init__(self, teams: Sequence[TeamConfig], period: Period, counts: Counts) -> None:
        self.teams = list(teams)
        self.refs = {team.id: TeamRef(team.id, team.name) for team in teams}
        self.labels = period.weeks
        self.counts = counts
        self.by_team = len(self.teams) > 1
        # Each team's check-in weeks in order, looked up once for all the check-in figures.
        found = counts.checkins
        self.checkin_rows = {
            team.id: [found.get((team.id, i), NO_CHECKINS) for i in range(len(self.labels))]
            for team in self.teams
        }

    def _figure(
        self,
        kind: str,
        key: str,
        title: str,
        unit: str,
        cells: dict[str, list[object]],
        combine: Callable[[list[object]], object],
    ) -> Figure:
        """A figure from each team's weekly cells: per week over teams, per team over weeks,
        and over both for the period."""
        weeks = [
            Weekly(label, combine([cells[team_id][i] for team_id in cells]))
            for i, label in enumerate(self.labels)
        ]
        teams = [
            TeamValue(self.refs[team_id], combine(team_cells))
            for team_id, team_cells in cells.items()
        ]
        value = combine([cell for team_cells in cells.values() for cell in team_cells])
        return Figure(kind, key, title, unit, value, weeks, teams if self.by_team else [])

    def participation(self) -> Figure:
        """Check-ins asked and answered."""
        cells: dict[str, list[object]] = {
            team_id: [_rate(week.asked, week.answered) for week in row]
            for team_id, row in self.checkin_rows.items()
        }

        def combine(parts: list[object]) -> object:
            asked = sum(p.asked for p in parts)  # type: ignore[attr-defined]
            return _rate(asked, sum(p.answered for p in parts))  # type: ignore[attr-defined]

        return self._figure("participation", "participation", "", "", cells, combine)

    def mood(self) -> Figure:
        """How people arrive, 1 to 5: each team's week over at least K moods."""
        cells: dict[str, list[object]] = {}
        for team in self.teams:
            row: list[object] = []
            for week in self.checkin_rows[team.id]:
                given = countable(
                    week.moods, week.mood_total, week.kept_moods, week.kept_mood_total, MOOD_SCALE
                )
                row.append(Mean(given.answers, given.average, given.withheld))
            cells[team.id] = row

        def combine(parts: list[object]) -> object:
            shown = [p for p in parts if p.mean is not None]  # type: ignore[attr-defined]
            if not shown:
                return Mean(sum(p.answers for p in parts), None, _withheld(parts))  # type: ignore[attr-defined]
            answers = sum(p.answers for p in shown)  # type: ignore[attr-defined]
            total = sum(p.mean * p.answers for p in shown)  # type: ignore[attr-defined]
            return _mean(answers, total)

        return self._figure("mood", "mood", "", "", cells, combine)

    def metric(self, metric_id: str, teams: Sequence[TeamConfig]) -> Figure:
        """One metric's totals, over the teams that count it."""
        cells: dict[str, list[object]] = {}
        for team in teams:
            row: list[object] = []
            config = next(m for m in team.metrics if m.id == metric_id)
            scale = Scale(config.min, config.max)
            for week in self.checkin_rows[team.id]:
                row.append(_metric_week(week, metric_id, scale))
            cells[team.id] = row
        config = next(m for m in teams[0].metrics if m.id == metric_id)
        return self._figure(
            "metric", f"metric:{metric_id}", config.label, config.unit, cells, _sum_totals
        )

    def checklist(self, item: str, teams: Sequence[TeamConfig]) -> Figure:
        """How often one checklist item was ticked (no weekly values: a period share)."""
        cells: dict[str, list[object]] = {}
        for team in teams:
            got = self.counts.checklist.get((team.id, item), queries.ChecklistCount())
            given = countable(
                got.answers, got.ticked, got.kept_answers, got.kept_ticked, TICK_SCALE
            )
            n, ticked = given.answers, round(given.total)
            cells[team.id] = [
                Share(n, ticked, ticked / n)
                if given.shown
                else Share(n, ticked, None, given.withheld)
            ]

        def combine(parts: list[object]) -> object:
            shown = [p for p in parts if p.share is not None]  # type: ignore[attr-defined]
            if not shown:
                return Share(sum(p.answers for p in parts), 0, None, _withheld(parts))  # type: ignore[attr-defined]
            n = sum(p.answers for p in shown)  # type: ignore[attr-defined]
            ticked = sum(p.ticked for p in shown)  # type: ignore[attr-defined]
            return Share(n, ticked, ticked / n)

        teams_values = [TeamValue(self.refs[t], combine(c)) for t, c in cells.items()]
        value = combine([c for cs in cells.values() for c in cs])
        return Figure(
            "checklist", f"checklist:{item}", item, "", value, [],
            teams_values if self.by_team else [],
        )  # fmt: skip

    def stories(self) -> Stories:
        """The consented stories, latest first per team, each checked again for client
        identifiers and with people's names and Slack mentions taken out."""
        names = self.counts.names | {
            person.name
            for team in self.teams
            for person in (*team.members, *team.coaches)
            if person.name
        }
        scrub = _name_pattern(names)
        shown: list[Story] = []
        not_shown = 0
        for team in self.teams:
            found = self.counts.stories.get(team.id)
            if found is None:
                continue
            not_shown += found.total - len(found.stories)
            for story in found.stories:
                if find_client_identifiers(story.text):
                    not_shown += 1  # told before the guard caught this kind of identifier
                    continue
                text = _MENTION.sub(COLLEAGUE, story.text)
                text = scrub.sub(COLLEAGUE, text) if scrub else text
                shown.append(Story(self.refs[team.id], self.labels[story.week], text.strip()))
        return Stories(stories=shown, not_shown=not_shown)


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern matching any of these names (and each word of them) as whole words."""
    words = {word for name in names for word in [name, *name.split()] if len(word) >= 2}
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


# --- which key question ------------------------------------------------------------------------


def _question_of(team: TeamConfig, target: str) -> str:
    """The key question a team maps ``metric:<id>`` or ``checklist:<item>`` to, else "other"."""
    metric_ids = [m.id for m in team.metrics]
    for key, question in team.key_questions.items():
        if key_question_target(key, metric_ids, team.checklist) == target:
            return question
    return OTHER


def _placed(teams: Sequence[TeamConfig], target: str) -> str:
    """Where a figure counted by several teams goes: the key question most of them map it to
    (ties to the earlier question in the framework's order)."""
    votes = Counter(_question_of(team, target) for team in teams)
    return max(votes, key=lambda q: (votes[q], -SECTIONS.index(q)))


def build_report(
    session: Session,
    *,
    config: AppConfig,
    teams: Sequence[TeamConfig],
    scope: str,
    period: Period,
    now: datetime,
    progress: Progress | None = None,
) -> Report:
    """The report for these teams over the period, its figures placed under the key questions."""
    counts = gather_counts(session, teams=teams, period=period, now=now, progress=progress)
    builder = Builder(teams, period, counts)
    sections: dict[str, list[object]] = {section: [] for section in SECTIONS}
    shape = {"labels": builder.labels, "refs": builder.refs, "by_team": builder.by_team}
    sections["well-led"] += [builder.participation(), builder.mood()]
    sections["well-led"] += health_figures(**shape, found=counts.health)
    sections["well-led"] += [
        decisions_figure(**shape, found=counts.decisions),
        roles_figure(refs=builder.refs, by_team=builder.by_team, found=counts.roles),
    ]
    sections["responsive"].append(tension_figure(**shape, found=counts.tensions))
    sections["caring"] += [
        feedback_figure(
            **shape,
            given=counts.feedback,
            named=counts.values,
            org_values=config.organisation.values,
        ),
        builder.stories(),
    ]
    metric_teams: dict[str, list[TeamConfig]] = defaultdict(list)
    item_teams: dict[str, list[TeamConfig]] = defaultdict(list)
    for team in teams:
        for metric in team.metrics:
            metric_teams[metric.id].append(team)
        for item in team.checklist:
            item_teams[item].append(team)
    for metric_id, counting in metric_teams.items():
        sections[_placed(counting, f"metric:{metric_id}")].append(
            builder.metric(metric_id, counting)
        )
    for item, ticking in item_teams.items():
        sections[_placed(ticking, f"checklist:{item}")].append(builder.checklist(item, ticking))
    if progress:
        progress("figures")
    return Report(
        organisation=config.organisation.name,
        scope=scope,
        teams=list(builder.refs.values()),
        period=period,
        weeks=period.weeks,
        generated_at=now,
        sections=[Section(section, figures) for section, figures in sections.items()],
    )
