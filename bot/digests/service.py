"""Weekly summaries for the team and digests for its coaches: figures, signals, and delivery.

A team's summary is its own statistics and stories for one ISO week (in the team's zone),
posted once to its channel. A coach's digest holds the same figures for every team they coach,
plus where a team may want support and why — aggregates only: never anyone's answers, never
feedback text, never a mood from fewer than :data:`MIN_ANSWERS` answers, never a story. Every
digest is kept word for word, so the team sees what its coaches received (`/retro digest`).

The figures are computed in SQL by :mod:`storage.weekly`, a few statements for all the teams
of a time zone at once. The ``build_*`` functions are pure reads; ``send_*`` record each
delivery before sending it (the database's unique key makes it once only, across restarts and
concurrent runs), post through Slack, attach the chart, and record what happened.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.checkins.service import IN_DOUBT_AFTER
from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import NotInTeamError, RetrobotError
from bot.core.meetings import iso_week, parse_iso_week, shift_week, week_bounds
from bot.digests import charts
from bot.digests import views as digest_blocks
from bot.slack.client import TIMEOUT, Delivery, may_have_arrived, post, tagged_messages
from storage import weekly
from storage.claims import claim_delivery, find_delivery, reclaim_unconfirmed
from storage.models import DeliveryStatus, DigestKind, SentDigest
from storage.weekly import FeedbackCounts, OwnerSpread, TensionCounts, Weeks

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

HISTORY_WEEKS = 12  # the chart's span; the last is the week summarised
TREND_WEEKS = 8  # mood trend and the averages this week is compared with
MIN_ANSWERS = 3  # a mood or a number from fewer answers would be someone's own answer
STALE_TENSION = timedelta(weeks=3)
MONTH_WEEKS = 4  # "no feedback in a month"
MOOD_DROP = 1.0
STORIES_SHOWN = 20
DIGESTS_SHOWN = 8  # `/retro digest`: the latest coach digests about the person's teams
# The message metadata that marks a summary's or digest's first message, so that a delivery
# left unconfirmed (Slack's answer lost, or the process stopped) can be found in Slack.
METADATA_TYPE = "retrobot_digest"
HISTORY_PAGES = 5  # of 100 messages read in the channel or DM to find one


class WeekNotStartedError(RetrobotError):
    """The week asked for has not begun, so there is nothing to summarise yet."""


class SignalKind(StrEnum):
    """The reasons a coach digest gives for a team perhaps wanting support."""

    PARTICIPATION_FALLING = "participation_falling"
    MOOD_DOWN = "mood_down"
    OLD_TENSIONS = "old_tensions"
    PRIVATE_TENSIONS = "private_tensions"
    LEADERSHIP_CONCENTRATED = "leadership_concentrated"
    NO_FEEDBACK = "no_feedback"


class DeliveryOutcome(StrEnum):
    """What became of one attempt to send a summary or digest."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"
    IN_PROGRESS = "in_progress"  # recorded by another run that has not confirmed it yet
    FOUND = "found"  # an earlier run's message was found in Slack: recorded, not sent again
    IN_DOUBT = "in_doubt"  # it may have arrived and Slack could not say: not sent again
    FAILED = "failed"
    NOTHING_TO_SEND = "nothing_to_send"


@dataclass(frozen=True)
class WeekFigures:
    """One team's check-ins in one ISO week, as counts and averages only."""

    week: str
    rounds: int = 0
    asked: int = 0
    answered: int = 0
    away: int = 0
    skipped: int = 0  # said "Skip this week": neither asked nor counted as silent
    moods: int = 0
    mood: float | None = None  # None below MIN_ANSWERS moods
    metrics: dict[str, float | None] = field(default_factory=dict)
    metric_answers: dict[str, int] = field(default_factory=dict)

    @property
    def participation(self) -> float | None:
        """Answered ÷ asked (0–1), or None when the team had no check-in that week."""
        if not self.rounds or not self.asked:
            return None
        return min(1.0, self.answered / self.asked)


@dataclass(frozen=True)
class MetricFigures:
    """One of the team's numbers: this week's total, its recent average, and its history."""

    id: str
    label: str
    unit: str
    this_week: float | None
    answers: int
    average: float | None
    history: list[float | None]


@dataclass(frozen=True)
class TeamFigures:
    """Everything counted about one team's week: what both the team and its coaches may see."""

    team_id: str
    team_name: str
    channel: str
    timezone: str
    week: str
    start: datetime
    end: datetime
    in_progress: bool
    weeks: list[WeekFigures]
    participation_average: float | None
    mood_average: float | None
    metrics: list[MetricFigures]
    tensions: TensionCounts
    oldest_open_days: int | None
    owners: OwnerSpread
    feedback: FeedbackCounts
    values: list[tuple[str, int]]
    first_activity: datetime | None

    @property
    def this_week(self) -> WeekFigures:
        """The week summarised (the last of ``weeks``)."""
        return self.weeks[-1]

    @property
    def first_day(self) -> date:
        """The week's Monday, in the team's zone."""
        return self.start.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def last_day(self) -> date:
        """The week's Sunday, in the team's zone."""
        return self.first_day + timedelta(days=6)

    @property
    def week_number(self) -> int:
        """The ISO week number (48 of 2026-W48)."""
        return parse_iso_week(self.week)[1]

    @property
    def mood_trend(self) -> list[float | None]:
        """The weekly moods of the last ``TREND_WEEKS`` weeks, this one last."""
        return [w.mood for w in self.weeks[-TREND_WEEKS:]]

    @property
    def first_week(self) -> bool:
        """True when the team has nothing recorded before this week (a new team)."""
        return self.first_activity is None or self.first_activity >= self.start

    @property
    def quiet(self) -> bool:
        """True when nothing at all was recorded this week."""
        t, f = self.tensions, self.feedback
        return not (
            self.this_week.rounds
            or t.raised
            or t.triaged
            or t.closed
            or t.actions_done
            or f.appreciations
            or f.suggestions
        )


@dataclass(frozen=True)
class Story:
    """A story a member shared with their own team in the check-in."""

    user_id: str
    text: str


@dataclass(frozen=True)
class TeamSummary:
    """The team's own weekly summary: its figures and the stories its members shared."""

    figures: TeamFigures
    stories: list[Story]
    stories_total: int

    @property
    def more_stories(self) -> int:
        """Stories told that week beyond those shown."""
        return max(0, self.stories_total - len(self.stories))


@dataclass(frozen=True)
class SupportSignal:
    """A reason a team may want support, with the evidence (numbers and dates only)."""

    kind: SignalKind
    team_id: str
    team_name: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class CoachTeam:
    """One of a coach's teams in their digest: the team's figures and its signals.

    There is deliberately no place here for a story or any other text a person typed.
    """

    figures: TeamFigures
    signals: list[SupportSignal]


@dataclass(frozen=True)
class CoachDigest:
    """A coach's weekly digest across the teams they coach."""

    coach_id: str
    week: str
    teams: list[CoachTeam]

    @property
    def signals(self) -> list[SupportSignal]:
        """Every team's signals, in team order."""
        return [signal for team in self.teams for signal in team.signals]


@dataclass(frozen=True)
class DeliveryReport:
    """What happened when a summary or digest was to be sent, for the scheduler and the CLI."""

    kind: DigestKind
    recipient: str
    week: str
    outcome: DeliveryOutcome
    team_ids: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    channel: str | None = None
    message_ts: str | None = None
    messages: int = 0
    sent_at: datetime | None = None
    error: str | None = None
    chart_error: str | None = None
    found: list[str] = field(default_factory=list)  # teams whose message was found in Slack
    in_doubt: list[str] = field(default_factory=list)  # teams Slack could not say about

    @property
    def ok(self) -> bool:
        """True unless Slack refused the message, or could not say whether one arrived."""
        return self.outcome not in (DeliveryOutcome.FAILED, DeliveryOutcome.IN_DOUBT)


@dataclass(frozen=True)
class ReceivedDigest:
    """A coach digest as a coach received it about one team (for `/retro digest`)."""

    team_id: str
    team_name: str
    coach_id: str
    week: str
    sent_at: datetime | None
    body: str


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


def _countable(answers: int, total: float, kept: int, kept_total: float) -> tuple[int, float]:
    """The answers a mood or number may be made of, as (how many, their sum).

    The team reads every shared answer in its agenda. A figure over all the week's answers
    would then give away the one or two its writers kept from the team (the figure less the
    shared answers), so with one or two kept only the shared answers count. Three or more
    kept answers stay hidden in their sum, as any answer does in a figure over three.
    """
    if answers >= MIN_ANSWERS and 0 < kept < MIN_ANSWERS:
        return answers - kept, total - kept_total
    return answers, total


def _by_zone(teams: Iterable[TeamConfig]) -> dict[str, list[TeamConfig]]:
    zones: dict[str, list[TeamConfig]] = defaultdict(list)
    for team in teams:
        zones[team.timezone].append(team)
    return zones


def _team_figures(
    team: TeamConfig,
    *,
    week: str,
    weeks: Weeks,
    labels: Sequence[str],
    now: datetime,
    checkins: dict[tuple[str, int], weekly.CheckinWeek],
    tensions: dict[str, TensionCounts],
    owners: dict[str, OwnerSpread],
    feedback: dict[str, FeedbackCounts],
    values: dict[str, dict[str, int]],
    first_rounds: dict[str, datetime],
    org_values: Sequence[str],
) -> TeamFigures:
    """Put one team's counts together, applying the 3-answer threshold."""
    history: list[WeekFigures] = []
    for index in range(weeks.count):
        counted = checkins.get((team.id, index), weekly.CheckinWeek())
        metrics: dict[str, float | None] = {}
        metric_answers: dict[str, int] = {}
        for metric in team.metrics:
            answers, total = _countable(
                counted.metric_answers.get(metric.id, 0),
                counted.metric_totals.get(metric.id, 0.0),
                counted.kept_metric_answers.get(metric.id, 0),
                counted.kept_metric_totals.get(metric.id, 0.0),
            )
            metrics[metric.id] = total if answers >= MIN_ANSWERS else None
            metric_answers[metric.id] = answers
        moods, mood_total = _countable(
            counted.moods, counted.mood_total, counted.kept_moods, counted.kept_mood_total
        )
        history.append(
            WeekFigures(
                week=labels[index],
                rounds=counted.rounds,
                asked=counted.asked,
                answered=counted.answered,
                away=counted.away,
                skipped=counted.skipped,
                moods=moods,
                mood=mood_total / moods if moods >= MIN_ANSWERS else None,
                metrics=metrics,
                metric_answers=metric_answers,
            )
        )
    earlier = history[-TREND_WEEKS - 1 : -1]
    metric_figures = [
        MetricFigures(
            id=metric.id,
            label=metric.label,
            unit=metric.unit,
            this_week=history[-1].metrics[metric.id],
            answers=history[-1].metric_answers.get(metric.id, 0),
            average=_mean(w.metrics[metric.id] for w in earlier),
            history=[w.metrics[metric.id] for w in history],
        )
        for metric in team.metrics
    ]
    counted_tensions = tensions.get(team.id, TensionCounts())
    counted_feedback = feedback.get(team.id, FeedbackCounts())
    oldest = counted_tensions.oldest_open
    starts = [
        moment
        for moment in (
            first_rounds.get(team.id),
            counted_tensions.first_raised,
            counted_feedback.first_at,
        )
        if moment is not None
    ]
    named = values.get(team.id, {})
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
        metrics=metric_figures,
        tensions=counted_tensions,
        oldest_open_days=(weeks.ref - oldest).days if oldest is not None else None,
        owners=owners.get(team.id, OwnerSpread(0, 0, 0)),
        feedback=counted_feedback,
        # Only the organisation's own values are shown: they are words from app.yaml.
        values=[(value, named[value]) for value in org_values if named.get(value)],
        first_activity=min(starts) if starts else None,
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
        counted = {
            "checkins": weekly.checkin_weeks(
                session, team_ids=ids, weeks=weeks, metric_ids=metric_ids
            ),
            "tensions": weekly.tension_counts(
                session, team_ids=ids, weeks=weeks, stale_after=STALE_TENSION
            ),
            "owners": weekly.owner_spread(session, team_ids=ids, weeks=weeks),
            "feedback": weekly.feedback_activity(
                session, team_ids=ids, weeks=weeks, month_weeks=MONTH_WEEKS
            ),
            "values": weekly.values_named(session, team_ids=ids, weeks=weeks),
            "first_rounds": weekly.first_rounds(session, team_ids=ids),
        }
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
                org_values=config.organisation.values,
                **counted,
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


# --- signals ----------------------------------------------------------------------------------


def support_signals(figures: TeamFigures) -> list[SupportSignal]:
    """Where the team may want support this week, each with its evidence; [] when nothing shows."""
    found: list[SupportSignal] = []

    def signal(kind: SignalKind, **evidence: Any) -> None:
        found.append(SupportSignal(kind, figures.team_id, figures.team_name, evidence))

    rated = [(w.week, w.participation) for w in figures.weeks if w.participation is not None]
    if len(rated) >= 3 and rated[-1][0] == figures.week:
        (w1, p1), (w2, p2), (w3, p3) = rated[-3:]
        if p1 > p2 > p3:  # type: ignore[operator]
            signal(
                SignalKind.PARTICIPATION_FALLING,
                weeks=[w1, w2, w3],
                rates=[round(p * 100) for p in (p1, p2, p3)],  # type: ignore[operator]
            )

    moods = [(w.week, w.mood) for w in figures.weeks if w.mood is not None]
    if len(moods) >= 2 and moods[-1][0] == figures.week:
        (before_week, before), (_, now_mood) = moods[-2], moods[-1]
        # Compared as shown (one decimal), so the evidence never contradicts the claim.
        if round(before, 1) - round(now_mood, 1) >= MOOD_DROP:  # type: ignore[arg-type]
            signal(
                SignalKind.MOOD_DOWN,
                before=round(before, 1),  # type: ignore[arg-type]
                after=round(now_mood, 1),  # type: ignore[arg-type]
                before_week=before_week,
            )

    tensions = figures.tensions
    if tensions.stale_open:
        signal(
            SignalKind.OLD_TENSIONS,
            count=tensions.stale_open,
            weeks=STALE_TENSION.days // 7,
            oldest_days=figures.oldest_open_days,
        )
    if tensions.private_raised:
        signal(
            SignalKind.PRIVATE_TENSIONS,
            count=tensions.private_raised,
            still_open=tensions.private_open,
        )

    owners = figures.owners
    if owners.actions >= MIN_ANSWERS and owners.top_owner_actions * 2 > owners.actions:
        signal(
            SignalKind.LEADERSHIP_CONCENTRATED,
            top=owners.top_owner_actions,
            total=owners.actions,
            owners=owners.owners,
        )

    month_start = figures.end - timedelta(weeks=MONTH_WEEKS)
    known_a_month = figures.first_activity is not None and figures.first_activity < month_start
    if known_a_month and figures.feedback.month_total == 0:
        last = figures.feedback.last_at
        signal(
            SignalKind.NO_FEEDBACK,
            weeks=MONTH_WEEKS,
            last=last.astimezone(ZoneInfo(figures.timezone)).date() if last else None,
            looked_back=len(figures.weeks),
        )
    return found


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
    return {
        coach: CoachDigest(
            coach_id=coach,
            week=week,
            teams=[CoachTeam(figures[t], support_signals(figures[t])) for t in teams_of[coach]],
        )
        for coach in coaches
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


# --- delivery ---------------------------------------------------------------------------------


def digest_metadata(
    kind: DigestKind, *, week: str, recipient: str, team_ids: Sequence[str]
) -> dict[str, Any]:
    """The message metadata that marks a summary's or digest's first message as this delivery.

    ``recipient`` is the team channel of a summary, the coach of a digest; ``teams`` the teams
    the message covers (comma-separated: Slack's payload values are plain strings or numbers).
    """
    return {
        "event_type": METADATA_TYPE,
        "event_payload": {
            "kind": kind.value,
            "week": week,
            "recipient": recipient,
            "teams": ",".join(team_ids),
        },
    }


def find_posted(
    client: WebClient, *, kind: DigestKind, recipient: str, week: str
) -> dict[str, Delivery]:
    """The first messages of this delivery that Slack has (found by their metadata), by team.

    A team summary is looked for in its channel, a coach digest in the coach's DM, among the
    newest few hundred messages. Raises SlackApiError when Slack cannot tell (no history scope,
    the bot left the channel): then nothing is posted, to never post twice.
    """
    channel: str | None = recipient
    if kind is DigestKind.COACH_DIGEST:
        opened = client.conversations_open(users=recipient)
        channel = (opened.get("channel") or {}).get("id")
    if not channel:
        return {}
    found: dict[str, Delivery] = {}
    for ts, payload in tagged_messages(client, channel, METADATA_TYPE, pages=HISTORY_PAGES):
        if (
            payload.get("kind") == kind.value
            and payload.get("week") == week
            and payload.get("recipient") == recipient
        ):
            for team_id in str(payload.get("teams") or "").split(","):
                if team_id and team_id not in found:
                    found[team_id] = Delivery(recipient, channel=channel, ts=ts)
    return found


@dataclass
class _Claims:
    """What one run may send: deliveries it claimed afresh, deliveries an earlier run left
    unconfirmed that it took over (to look for in Slack first), and the others' rows."""

    fresh: list[SentDigest] = field(default_factory=list)
    unconfirmed: list[SentDigest] = field(default_factory=list)
    taken: list[SentDigest] = field(default_factory=list)


def _claim(
    session: Session,
    *,
    kind: DigestKind,
    recipient: str,
    team_ids: Sequence[str],
    week: str,
    now: datetime,
) -> _Claims:
    """Claim each (recipient, team, week) delivery, or take over one left unconfirmed.

    Unconfirmed: Slack's answer was lost (``timeout``), Slack could not say whether it arrived
    (``in_doubt:…``), or the run that claimed it stopped over :data:`IN_DOUBT_AFTER` ago.
    """
    claims = _Claims()
    for team_id in team_ids:
        key = {"kind": kind, "recipient": recipient, "team_id": team_id, "iso_week": week}
        row = claim_delivery(session, **key, now=now)
        if row is not None:
            claims.fresh.append(row)
            continue
        row = reclaim_unconfirmed(session, **key, now=now, stale_before=now - IN_DOUBT_AFTER)
        if row is not None:
            claims.unconfirmed.append(row)
            continue
        existing = find_delivery(session, **key)
        if existing is not None:
            claims.taken.append(existing)
    return claims


@dataclass
class _Settled:
    """Unconfirmed deliveries, looked for in Slack: found (and recorded sent), to send now,
    or in doubt. ``unfinished`` are found first messages nothing was sent after yet."""

    found: list[SentDigest] = field(default_factory=list)
    send: list[SentDigest] = field(default_factory=list)
    in_doubt: list[SentDigest] = field(default_factory=list)
    unfinished: dict[str, Delivery] = field(default_factory=dict)
    error: str | None = None


def _settle(
    services: Services,
    session: Session,
    rows: Sequence[SentDigest],
    *,
    kind: DigestKind,
    recipient: str,
    week: str,
    bodies: dict[str, str],
    now: datetime,
) -> _Settled:
    """Settle deliveries an earlier run left unconfirmed, never sending one twice. Commits.

    A row that kept its first message's ts went (the run stopped after it). The others are
    looked for in Slack: found, they are recorded sent; not there, they are to be sent now;
    when Slack cannot say, they stay unconfirmed with the error ``in_doubt:<Slack's error>``
    and are not sent blind (the next run looks again).
    """
    settled = _Settled()
    looked_for = [row for row in rows if not row.message_ts]
    posted: dict[str, Delivery] = {}
    if looked_for:
        try:
            posted = find_posted(services.client, kind=kind, recipient=recipient, week=week)
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            logger.warning(
                "Could not check whether the %s to %s arrived: %s", kind, recipient, code
            )
            settled.error = f"in_doubt:{code or 'error'}"
        except Exception as error:
            logger.warning("Could not check whether the %s to %s arrived", kind, recipient)
            settled.error = (
                "in_doubt" if may_have_arrived(error) else f"in_doubt:{type(error).__name__}"
            )
    for row in rows:
        found = posted.get(row.team_id)
        if row.message_ts or found is not None:
            row.status = DeliveryStatus.SENT
            row.sent_at = now
            row.body = bodies.get(row.team_id, "")
            row.error = None
            if not row.message_ts and found is not None:
                row.message_ts = found.ts
                settled.unfinished[row.team_id] = found
            settled.found.append(row)
        elif settled.error is not None:
            row.error = settled.error  # still pending: it may have arrived
            settled.in_doubt.append(row)
        else:
            settled.send.append(row)
        session.add(row)
    session.commit()
    if settled.found or settled.in_doubt:
        logger.info(
            "The %s of %s to %s, left unconfirmed: found in Slack for %s, in doubt for %s",
            kind,
            week,
            recipient,
            [row.team_id for row in settled.found] or "none",
            [row.team_id for row in settled.in_doubt] or "none",
        )
    return settled


def _not_sent_again(
    kind: DigestKind, recipient: str, week: str, rows: Sequence[SentDigest]
) -> DeliveryReport:
    """The report for a delivery some earlier (or concurrent) run already made."""
    sent = [row for row in rows if row.status is DeliveryStatus.SENT]
    first = sent[0] if sent else (rows[0] if rows else None)
    return DeliveryReport(
        kind=kind,
        recipient=recipient,
        week=week,
        outcome=DeliveryOutcome.ALREADY_SENT if sent else DeliveryOutcome.IN_PROGRESS,
        already_sent=[row.team_id for row in rows],
        message_ts=first.message_ts if first else None,
        sent_at=first.sent_at if first else None,
    )


def _keep_ts(session: Session, rows: Sequence[SentDigest], ts: str | None) -> None:
    """Keep the first message's ts as soon as Slack gives it: a run that stops after this point
    is known to have sent it (and maybe some of what follows), so it is never looked for."""
    for row in rows:
        row.message_ts = ts
        session.add(row)
    session.commit()


def _post_rest(
    client: WebClient,
    channel: str,
    payloads: Sequence[dict[str, Any]],
    *,
    thread_ts: str | None = None,
) -> list[str | None]:
    """Post the messages after the first; Slack's refusals of them, as errors."""
    errors: list[str | None] = []
    extra = {"thread_ts": thread_ts} if thread_ts else {}
    for payload in payloads:
        reply = post(client, channel, payload, **extra)
        if not reply.ok:
            errors.append(reply.error)
    return errors


def _record(
    session: Session,
    rows: Sequence[SentDigest],
    *,
    delivery: Delivery,
    bodies: dict[str, str],
    now: datetime,
    later_errors: Sequence[str | None] = (),
) -> None:
    """Mark claimed deliveries sent (with the message's ts and the text sent) or failed.

    ``later_errors`` are Slack's refusals of the messages after the first, which went. A first
    message Slack did not answer may have arrived: it stays unconfirmed (pending, with the error
    ``timeout``), and the next run looks for it in Slack before sending it again.
    """
    for row in rows:
        if delivery.error == TIMEOUT:
            row.status = DeliveryStatus.PENDING
            row.error = TIMEOUT
        elif delivery.ok:
            row.status = DeliveryStatus.SENT
            row.message_ts = delivery.ts
            row.sent_at = now
            row.body = bodies.get(row.team_id, "")
            row.error = "; ".join(e or "" for e in later_errors) or None
        else:
            row.status = DeliveryStatus.FAILED
            row.error = delivery.error
        session.add(row)
    session.commit()


def _record_later_errors(
    session: Session, rows: Sequence[SentDigest], errors: Sequence[str | None]
) -> str | None:
    """Note Slack's refusals of the messages that finished a found delivery."""
    joined = "; ".join(e or "" for e in errors) or None
    if joined:
        for row in rows:
            row.error = joined
            session.add(row)
        session.commit()
    return joined


def _release(session: Session, rows: Sequence[SentDigest], error: BaseException) -> None:
    """A run that broke before reaching Slack leaves its claims retryable, not stuck."""
    session.rollback()
    for row in rows:
        row.status = DeliveryStatus.FAILED
        row.error = f"{type(error).__name__}: {error}"[:2000]
        session.add(row)
    session.commit()


def _upload_chart(
    services: Services,
    *,
    channel: str | None,
    thread_ts: str | None,
    render: Any,
    filename: str,
    title: str,
) -> str | None:
    """Render and attach a chart; the error as text when that fails (the words already went)."""
    if channel is None:
        return "no channel to attach the chart in"
    try:
        png = render()
    except Exception as error:
        logger.exception("Could not draw the chart %s", filename)
        return f"chart: {type(error).__name__}"
    try:
        services.client.files_upload_v2(
            channel=channel,
            file=png,
            filename=filename,
            title=title,
            alt_txt=title,
            thread_ts=thread_ts,
        )
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        logger.warning("Slack refused the chart %s: %s", filename, code)
        return str(code or "upload_failed")
    except Exception as error:
        if may_have_arrived(error):  # it may be there: not attached a second time
            logger.warning("Slack did not answer about the chart %s", filename)
            return TIMEOUT
        logger.exception("Could not upload the chart %s", filename)
        return type(error).__name__
    return None


def send_team_summary(
    services: Services, *, team_id: str, week: str, now: datetime
) -> DeliveryReport:
    """Post the team's summary of ``week`` to its channel, once: headline, thread, chart.

    The delivery is recorded before anything is posted, so a second run (now, after a restart,
    or at the same moment elsewhere) finds it and sends nothing. A refusal by Slack is recorded
    and may be retried; a chart that cannot be attached leaves the words sent. A summary left
    unconfirmed (Slack's answer lost, or the run stopped) is looked for in the channel by its
    metadata: found, it is recorded (and finished); not there, it is sent; when Slack cannot
    say, it is left in doubt, never sent blind.
    """
    team = services.config.team(team_id)
    kind = DigestKind.TEAM_SUMMARY
    renderer = services.renderer
    metadata = digest_metadata(kind, week=week, recipient=team.channel, team_ids=[team_id])
    with services.session() as session:
        summary = build_team_summary(
            session, config=services.config, team_id=team_id, week=week, now=now
        )
        claims = _claim(
            session, kind=kind, recipient=team.channel, team_ids=[team_id], week=week, now=now
        )
        if not claims.fresh and not claims.unconfirmed:
            return _not_sent_again(kind, team.channel, week, claims.taken)
        posted = False
        try:
            headline, details = digest_blocks.build_summary_messages(renderer, summary)
            body = digest_blocks.summary_body(renderer, summary)
            if claims.unconfirmed:
                settled = _settle(
                    services,
                    session,
                    claims.unconfirmed,
                    kind=kind,
                    recipient=team.channel,
                    week=week,
                    bodies={team_id: body},
                    now=now,
                )
                if settled.in_doubt:
                    return DeliveryReport(
                        kind=kind,
                        recipient=team.channel,
                        week=week,
                        outcome=DeliveryOutcome.IN_DOUBT,
                        team_ids=[team_id],
                        in_doubt=[team_id],
                        error=settled.error,
                    )
                if settled.found:
                    return _finish_found_summary(
                        services, session, summary, settled, details=details, now=now
                    )
            [claimed] = claims.fresh or claims.unconfirmed
            delivery = post(services.client, team.channel, headline, metadata=metadata)
            posted = delivery.ok or delivery.error == TIMEOUT
            errors: list[str | None] = []
            if delivery.ok:
                _keep_ts(session, [claimed], delivery.ts)
                errors = _post_rest(services.client, team.channel, details, thread_ts=delivery.ts)
            _record(
                session,
                [claimed],
                delivery=delivery,
                bodies={team_id: body},
                now=now,
                later_errors=errors,
            )
        except BaseException as error:
            if claims.fresh and not posted:  # once something may be in Slack: never twice
                _release(session, claims.fresh, error)
            raise
    if not delivery.ok:
        return DeliveryReport(
            kind=kind,
            recipient=team.channel,
            week=week,
            outcome=DeliveryOutcome.FAILED,
            team_ids=[team_id],
            error=delivery.error,
        )
    chart_error = _upload_chart(
        services,
        channel=delivery.channel,
        thread_ts=delivery.ts,
        render=lambda: charts.summary_chart(renderer, summary.figures),
        filename=f"{team_id}-{week}.png",
        title=renderer.plain("summary.chart_title", f=summary.figures),
    )
    return DeliveryReport(
        kind=kind,
        recipient=team.channel,
        week=week,
        outcome=DeliveryOutcome.SENT,
        team_ids=[team_id],
        channel=delivery.channel,
        message_ts=delivery.ts,
        messages=1 + len(details),
        sent_at=now,
        error="; ".join(e or "" for e in errors) or None,
        chart_error=chart_error,
    )


def _finish_found_summary(
    services: Services,
    session: Session,
    summary: TeamSummary,
    settled: _Settled,
    *,
    details: Sequence[dict[str, Any]],
    now: datetime,
) -> DeliveryReport:
    """A summary found in its channel: recorded; its thread and chart follow if they never did."""
    figures = summary.figures
    [row] = settled.found
    found = settled.unfinished.get(figures.team_id)
    error = chart_error = None
    messages = 0
    if found is not None:
        channel = found.channel or figures.channel
        errors = _post_rest(services.client, channel, details, thread_ts=found.ts)
        error = _record_later_errors(session, [row], errors)
        messages = len(details)
        chart_error = _upload_chart(
            services,
            channel=channel,
            thread_ts=found.ts,
            render=lambda: charts.summary_chart(services.renderer, figures),
            filename=f"{figures.team_id}-{figures.week}.png",
            title=services.renderer.plain("summary.chart_title", f=figures),
        )
    return DeliveryReport(
        kind=DigestKind.TEAM_SUMMARY,
        recipient=figures.channel,
        week=figures.week,
        outcome=DeliveryOutcome.FOUND,
        team_ids=[figures.team_id],
        found=[figures.team_id],
        channel=found.channel if found is not None else None,
        message_ts=row.message_ts,
        messages=messages,
        sent_at=now,
        error=error,
        chart_error=chart_error,
    )


def send_coach_digest(
    services: Services,
    *,
    coach_id: str,
    week: str,
    now: datetime,
    team_ids: Sequence[str] | None = None,
) -> DeliveryReport:
    """DM a coach one digest of ``week`` for the teams they coach, each team once only.

    Each (coach, team, week) is recorded before sending; teams some earlier run already covered
    are left out, and when none is left nothing is sent. ``team_ids`` narrows the digest to
    some of the coach's teams (`retrobot digest --team`). Teams whose digest an earlier run
    left unconfirmed are looked for in the coach's DM first (as in :func:`send_team_summary`).
    """
    kind = DigestKind.COACH_DIGEST
    renderer = services.renderer
    coached = [
        team.id
        for team in services.config.coached_by(coach_id)
        if team_ids is None or team.id in team_ids
    ]
    if not coached:
        return DeliveryReport(
            kind=kind, recipient=coach_id, week=week, outcome=DeliveryOutcome.NOTHING_TO_SEND
        )
    with services.session() as session:
        # Built first: a week that cannot be summarised claims nothing.
        full = build_coach_digest(
            session,
            config=services.config,
            coach_id=coach_id,
            week=week,
            now=now,
            team_ids=coached,
        )
        claims = _claim(
            session, kind=kind, recipient=coach_id, team_ids=coached, week=week, now=now
        )
        if not claims.fresh and not claims.unconfirmed:
            return _not_sent_again(kind, coach_id, week, claims.taken)
        settled = _Settled()
        claimed = list(claims.fresh)
        posted = False
        try:
            bodies = {
                team.figures.team_id: digest_blocks.digest_team_body(renderer, team)
                for team in full.teams
            }
            if claims.unconfirmed:
                settled = _settle(
                    services,
                    session,
                    claims.unconfirmed,
                    kind=kind,
                    recipient=coach_id,
                    week=week,
                    bodies=bodies,
                    now=now,
                )
                claimed += settled.send
            if claimed:
                mine = {row.team_id for row in claimed}
                digest = _digest_of(full, mine)
                messages = digest_blocks.build_digest_messages(renderer, digest)
                metadata = digest_metadata(
                    kind, week=week, recipient=coach_id, team_ids=sorted(mine)
                )
                delivery = post(services.client, coach_id, messages[0], metadata=metadata)
                posted = delivery.ok or delivery.error == TIMEOUT
                errors: list[str | None] = []
                if delivery.ok:
                    _keep_ts(session, claimed, delivery.ts)
                    errors = _post_rest(services.client, coach_id, messages[1:])
                _record(
                    session, claimed, delivery=delivery, bodies=bodies, now=now, later_errors=errors
                )
        except BaseException as error:
            if claims.fresh and not posted:
                _release(session, claims.fresh, error)
            raise
        finished = _finish_found_digest(services, session, full, settled, coach_id=coach_id)
    found = [row.team_id for row in settled.found]
    in_doubt = [row.team_id for row in settled.in_doubt]
    already = [row.team_id for row in claims.taken]
    if not claimed:
        return DeliveryReport(
            kind=kind,
            recipient=coach_id,
            week=week,
            outcome=DeliveryOutcome.IN_DOUBT if in_doubt else DeliveryOutcome.FOUND,
            team_ids=found,
            already_sent=already,
            found=found,
            in_doubt=in_doubt,
            message_ts=settled.found[0].message_ts if settled.found else None,
            messages=finished.messages,
            sent_at=now if found else None,
            error=settled.error if in_doubt else finished.error,
            chart_error=finished.chart_error,
        )
    sent_ids = [team.figures.team_id for team in digest.teams]
    if not delivery.ok:
        return DeliveryReport(
            kind=kind,
            recipient=coach_id,
            week=week,
            outcome=DeliveryOutcome.FAILED,
            team_ids=sent_ids,
            already_sent=already,
            found=found,
            in_doubt=in_doubt,
            error=delivery.error,
        )
    chart_error = _upload_chart(
        services,
        channel=delivery.channel,
        thread_ts=None,
        render=lambda: charts.digest_chart(renderer, [t.figures for t in digest.teams]),
        filename=f"coach-digest-{week}.png",
        title=renderer.plain("digest.chart_title", digest=digest),
    )
    return DeliveryReport(
        kind=kind,
        recipient=coach_id,
        week=week,
        outcome=DeliveryOutcome.SENT,
        team_ids=sent_ids,
        already_sent=already,
        channel=delivery.channel,
        message_ts=delivery.ts,
        messages=len(messages),
        sent_at=now,
        error="; ".join(e or "" for e in errors) or settled.error,
        chart_error=chart_error or finished.chart_error,
        found=found,
        in_doubt=in_doubt,
    )


def _digest_of(digest: CoachDigest, team_ids: set[str]) -> CoachDigest:
    """The digest narrowed to some of its teams."""
    return CoachDigest(
        digest.coach_id,
        digest.week,
        [team for team in digest.teams if team.figures.team_id in team_ids],
    )


@dataclass(frozen=True)
class _Finished:
    messages: int = 0
    error: str | None = None
    chart_error: str | None = None


def _finish_found_digest(
    services: Services, session: Session, full: CoachDigest, settled: _Settled, *, coach_id: str
) -> _Finished:
    """A digest found in the coach's DM with nothing sent after its first message (its run
    stopped, or Slack's answer was lost): the rest of its messages and its chart follow."""
    if not settled.unfinished:
        return _Finished()
    renderer = services.renderer
    digest = _digest_of(full, set(settled.unfinished))
    rest = digest_blocks.build_digest_messages(renderer, digest)[1:]
    errors = _post_rest(services.client, coach_id, rest)
    rows = [row for row in settled.found if row.team_id in settled.unfinished]
    error = _record_later_errors(session, rows, errors)
    channel = next(iter(settled.unfinished.values())).channel
    chart_error = _upload_chart(
        services,
        channel=channel,
        thread_ts=None,
        render=lambda: charts.digest_chart(renderer, [t.figures for t in digest.teams]),
        filename=f"coach-digest-{digest.week}.png",
        title=renderer.plain("digest.chart_title", digest=digest),
    )
    return _Finished(len(rest), error, chart_error)


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


def as_data(value: Any) -> Any:
    """A summary or digest as plain JSON-ready data (``retrobot summary --format json``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        data = {name: as_data(getattr(value, name)) for name in value.__dataclass_fields__}
        for name in ("participation", "first_day", "last_day", "first_week", "quiet"):
            if hasattr(type(value), name):
                data[name] = as_data(getattr(value, name))
        return data
    if isinstance(value, dict):
        return {str(key): as_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_data(item) for item in value]
    if isinstance(value, float):
        return round(value, 3)
    return value
