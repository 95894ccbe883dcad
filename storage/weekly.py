"""The aggregate queries behind the weekly team summary and the coach digest.

Every function here answers for many teams at once, in one SQL statement per aggregate, grouped
in SQL by team and by week: the number of statements does not grow with the rows or the teams
(only, in :func:`each_chunk`, past thousands of teams). Nothing returns a person's answer, except
:func:`shared_stories`, which returns the stories people chose to share with their own team.

A :class:`Weeks` holds consecutive ISO weeks of one time zone as UTC bounds, so the week a row
belongs to is computed in SQL with a ``CASE`` over those bounds; callers group teams by zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, true
from sqlmodel import Session, col

from storage.models import (
    ACTION_OUTCOMES,
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    DeliveryStatus,
    DigestKind,
    Feedback,
    FeedbackKind,
    PromptStatus,
    RoundStatus,
    SentDigest,
    Tension,
    TensionStatus,
)

# A statement names at most this many teams, well inside SQLite's and PostgreSQL's limits on
# bound parameters; 1,000 teams take one statement per aggregate.
TEAMS_PER_STATEMENT = 2000
ENDED_STATUSES = (TensionStatus.CLOSED, TensionStatus.WITHDRAWN)
# Not asked, so never counted silent: away, skipped this week, off shift (bot/shifts).
NOT_ASKED = (PromptStatus.AWAY, PromptStatus.SKIPPED, PromptStatus.OFF_SHIFT)


@dataclass(frozen=True)
class Weeks:
    """Consecutive weeks of one time zone: week ``i`` runs from ``bounds[i]`` to ``bounds[i+1]``.

    The last week is the one being summarised. ``ref`` is the moment open things are counted at
    (the end of that week, or now while it is still running) and ``ref_date`` its local date.
    """

    bounds: tuple[datetime, ...]
    ref: datetime
    ref_date: date

    @property
    def count(self) -> int:
        """How many weeks."""
        return len(self.bounds) - 1

    @property
    def start(self) -> datetime:
        """When the summarised week starts."""
        return self.bounds[-2]

    @property
    def end(self) -> datetime:
        """When the summarised week ends (the next one starts)."""
        return self.bounds[-1]

    def since(self, weeks_back: int) -> datetime:
        """The start of the window of the last ``weeks_back`` weeks (this one included)."""
        return self.bounds[max(0, len(self.bounds) - 1 - weeks_back)]

    def index_of(self, column: Any) -> ColumnElement[int]:
        """SQL for the index of the week a moment falls in (rows outside are filtered apart)."""
        whens = [(column < bound, index) for index, bound in enumerate(self.bounds[1:-1])]
        if not whens:
            return literal(0)
        return case(*whens, else_=self.count - 1)

    def within(self, column: Any) -> ColumnElement[bool]:
        """SQL: the moment falls in one of the weeks."""
        return and_(column >= self.bounds[0], column < self.bounds[-1])

    def during(self, column: Any) -> ColumnElement[bool]:
        """SQL: the moment falls in the summarised week."""
        return and_(column >= self.start, column < self.end)


@dataclass(frozen=True)
class CheckinWeek:
    """One team's check-ins in one week, counted: never an answer itself."""

    rounds: int = 0
    asked: int = 0
    away: int = 0
    skipped: int = 0
    off_shift: int = 0  # no working time before the meeting (bot/shifts)
    answered: int = 0
    moods: int = 0
    mood_total: float = 0.0
    metric_answers: dict[str, int] = field(default_factory=dict)
    metric_totals: dict[str, float] = field(default_factory=dict)
    # Of the moods and numbers above, those in answers their writers kept from the team.
    kept_moods: int = 0
    kept_mood_total: float = 0.0
    kept_metric_answers: dict[str, int] = field(default_factory=dict)
    kept_metric_totals: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryRow:
    """A story a member shared with their team in a check-in."""

    user_id: str
    story: str
    created_at: datetime


@dataclass(frozen=True)
class StoryPage:
    """The first stories of a team's week, and how many there were in all."""

    stories: list[StoryRow]
    total: int


@dataclass(frozen=True)
class TensionCounts:
    """One team's tensions in the summarised week and as they stand at ``Weeks.ref``."""

    raised: int = 0
    triaged: int = 0
    closed: int = 0
    open: int = 0
    oldest_open: datetime | None = None
    stale_open: int = 0
    actions_done: int = 0
    actions_overdue: int = 0
    actions_open: int = 0
    private_raised: int = 0
    private_open: int = 0
    first_raised: datetime | None = None


@dataclass(frozen=True)
class OwnerSpread:
    """How a team's open actions and projects are spread over their owners."""

    owners: int
    top_owner_actions: int
    actions: int


@dataclass(frozen=True)
class FeedbackCounts:
    """One team's feedback, counted: never its text, never who gave it."""

    appreciations: int = 0
    suggestions: int = 0
    shared_appreciations: int = 0
    month_total: int = 0
    last_at: datetime | None = None
    first_at: datetime | None = None


def each_chunk(team_ids: Sequence[str], size: int = TEAMS_PER_STATEMENT) -> Iterator[list[str]]:
    """The team ids in slices small enough for one statement's bound parameters."""
    ids = sorted(set(team_ids))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _ended_at() -> ColumnElement[datetime]:
    """When a tension was closed or withdrawn (its last change if no resolution was recorded)."""
    return case(
        (
            col(Tension.status).in_(ENDED_STATUSES),
            func.coalesce(Tension.resolved_at, Tension.updated_at),
        ),
        else_=None,
    )


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _still_there(moment: Any, ref: datetime) -> ColumnElement[bool]:
    """SQL: a moment that has not happened by ``ref`` (None, or at or after it)."""
    return or_(moment.is_(None), moment >= ref)


def checkin_weeks(
    session: Session,
    *,
    team_ids: Sequence[str],
    weeks: Weeks,
    metric_ids: Iterable[str] = (),
) -> dict[tuple[str, int], CheckinWeek]:
    """Participation, mood and metric totals per (team, week index), over all the teams' rounds.

    A round belongs to the week its meeting falls in; missed rounds (never sent) do not count.
    ``asked`` is everyone prompted and not away, plus anyone who answered without a prompt.
    """
    query = _CheckinWeekQuery(weeks, sorted(set(metric_ids)))
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for chunk in each_chunk(team_ids):
        for row in session.execute(query.prompts(chunk)):
            team_id, index, rounds, away, skipped, asked, off_shift = row
            found[(team_id, index)] = {
                "rounds": int(rounds),
                "away": int(away or 0),
                "skipped": int(skipped or 0),
                "asked": int(asked or 0),
                "off_shift": int(off_shift or 0),
            }
        for row in session.execute(query.answers(chunk)):
            query.add_answers(found, row)
    return {key: CheckinWeek(**entry) for key, entry in found.items()}


class _CheckinWeekQuery:
    """The two statements behind :func:`checkin_weeks`, for one set of weeks and metrics:
    prompts counted per round then per week (no COUNT(DISTINCT), which would sort), and the
    answers' moods and metric values summed per week, all and unshared apart."""

    def __init__(self, weeks: Weeks, metrics: list[str]) -> None:
        self.metrics = metrics
        self.week = weeks.index_of(CheckinRound.meeting_at).label("week")
        self.round_filter = and_(
            weeks.within(CheckinRound.meeting_at), CheckinRound.status != RoundStatus.MISSED
        )
        self.counted_prompt = and_(
            col(CheckinPrompt.id).is_not(None), col(CheckinPrompt.status).not_in(NOT_ASKED)
        )

    def prompts(self, chunk: list[str]) -> Any:
        """Rounds, away, skipped, asked and off shift per (team, week)."""
        week = self.week
        per_round = (
            select(
                CheckinRound.team_id,
                week,
                _count(col(CheckinPrompt.status) == PromptStatus.AWAY).label("away"),
                _count(col(CheckinPrompt.status) == PromptStatus.SKIPPED).label("skipped"),
                _count(self.counted_prompt).label("asked"),
                _count(col(CheckinPrompt.status) == PromptStatus.OFF_SHIFT).label("off_shift"),
            )
            .select_from(CheckinRound)
            .outerjoin(CheckinPrompt, col(CheckinPrompt.round_id) == col(CheckinRound.id))
            .where(col(CheckinRound.team_id).in_(chunk), self.round_filter)
            .group_by(CheckinRound.id, CheckinRound.team_id, week)
            .subquery()
        )
        return select(
            per_round.c.team_id,
            per_round.c.week,
            func.count(),
            func.sum(per_round.c.away),
            func.sum(per_round.c.skipped),
            func.sum(per_round.c.asked),
            func.sum(per_round.c.off_shift),
        ).group_by(per_round.c.team_id, per_round.c.week)

    def answers(self, chunk: list[str]) -> Any:
        """Answers, unprompted answers, moods and metric values per (team, week)."""
        values = CheckinResponse.__table__.c.metric_values  # type: ignore[attr-defined]
        kept = ~col(CheckinResponse.shared)
        kept_mood = case((kept, CheckinResponse.mood))
        metric_columns: list[Any] = []
        kept_columns: list[Any] = []
        for metric in self.metrics:
            value = values[metric].as_float()
            metric_columns += [func.count(value), func.sum(value)]
            kept_value = case((kept, value))
            kept_columns += [func.count(kept_value), func.sum(kept_value)]
        return (
            select(
                CheckinRound.team_id,
                self.week,
                func.count(CheckinResponse.id),
                _count(~self.counted_prompt),
                func.count(CheckinResponse.mood),
                func.sum(CheckinResponse.mood),
                func.count(kept_mood),
                func.sum(kept_mood),
                *metric_columns,
                *kept_columns,
            )
            .select_from(CheckinRound)
            .join(CheckinResponse, col(CheckinResponse.round_id) == col(CheckinRound.id))
            .outerjoin(
                CheckinPrompt,
                and_(
                    col(CheckinPrompt.round_id) == col(CheckinResponse.round_id),
                    col(CheckinPrompt.user_id) == col(CheckinResponse.user_id),
                ),
            )
            .where(col(CheckinRound.team_id).in_(chunk), self.round_filter)
            .group_by(CheckinRound.team_id, self.week)
        )

    def add_answers(self, found: dict[tuple[str, int], dict[str, Any]], row: Any) -> None:
        """Fold one (team, week) row of answers into what the prompts found."""
        metrics = self.metrics
        team_id, index, answered, unprompted, moods, mood_total, *rest = row
        kept_moods, kept_mood_total, *metric_values = rest
        kept_values = metric_values[2 * len(metrics) :]
        entry = found.setdefault((team_id, index), {"rounds": 1, "away": 0, "asked": 0})
        entry["asked"] += int(unprompted or 0)
        entry["answered"] = int(answered)
        entry["moods"] = int(moods)
        entry["mood_total"] = float(mood_total or 0)
        entry["metric_answers"] = {m: int(metric_values[2 * i]) for i, m in enumerate(metrics)}
        entry["metric_totals"] = {
            m: float(metric_values[2 * i + 1] or 0) for i, m in enumerate(metrics)
        }
        entry["kept_moods"] = int(kept_moods)
        entry["kept_mood_total"] = float(kept_mood_total or 0)
        entry["kept_metric_answers"] = {m: int(kept_values[2 * i]) for i, m in enumerate(metrics)}
        entry["kept_metric_totals"] = {
            m: float(kept_values[2 * i + 1] or 0) for i, m in enumerate(metrics)
        }


def shared_stories(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks, limit: int
) -> dict[str, StoryPage]:
    """The first ``limit`` stories shared with each team in the summarised week, and the total.

    Only answers their writer shared with the team are read; each team's stories come in the
    order they were told. The rows are cut to ``limit`` per team in SQL (a window function).
    """
    pages: dict[str, StoryPage] = {}
    for chunk in each_chunk(team_ids):
        ranked = (
            select(
                CheckinRound.team_id,
                CheckinResponse.user_id,
                CheckinResponse.story,
                CheckinResponse.created_at,
                func.row_number()
                .over(
                    partition_by=CheckinRound.team_id,
                    order_by=(col(CheckinResponse.created_at), col(CheckinResponse.id)),
                )
                .label("position"),
                func.count().over(partition_by=CheckinRound.team_id).label("total"),
            )
            .select_from(CheckinRound)
            .join(CheckinResponse, col(CheckinResponse.round_id) == col(CheckinRound.id))
            .where(
                col(CheckinRound.team_id).in_(chunk),
                weeks.during(CheckinRound.meeting_at),
                CheckinRound.status != RoundStatus.MISSED,
                col(CheckinResponse.shared).is_(True),
                func.trim(CheckinResponse.story) != "",
            )
            .subquery()
        )
        statement = (
            select(ranked)
            .where(ranked.c.position <= limit)
            .order_by(ranked.c.team_id, ranked.c.position)
        )
        for team_id, user_id, story, created_at, _, total in session.execute(statement):
            page = pages.setdefault(team_id, StoryPage([], int(total)))
            page.stories.append(StoryRow(user_id, story, created_at))
    return pages


def tension_counts(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks, stale_after: timedelta
) -> dict[str, TensionCounts]:
    """Per team: tensions raised, triaged and closed in the week; open, stale and owed at ``ref``.

    "Open" is raised and not yet triaged or ended; the team's counts leave private tensions out
    (they are the coaches' alone), which are counted apart. Actions are next actions and
    projects: done in the week, overdue or still open at ``ref``.
    """
    end, ref, in_week = weeks.end, weeks.ref, weeks.during
    ended = _ended_at()
    public = col(Tension.private).is_(False)
    private = col(Tension.private).is_(True)
    open_at_ref = and_(
        Tension.created_at < ref,
        _still_there(Tension.triaged_at, ref),
        _still_there(ended, ref),
    )
    is_action = col(Tension.outcome).in_(ACTION_OUTCOMES)
    action_open = and_(
        is_action,
        Tension.triaged_at < ref,
        _still_there(Tension.done_at, ref),
        _still_there(ended, ref),
    )
    counts: dict[str, TensionCounts] = {}
    for chunk in each_chunk(team_ids):
        statement = (
            select(
                Tension.team_id,
                _count(and_(public, in_week(Tension.created_at))),
                _count(and_(public, in_week(Tension.triaged_at))),
                _count(and_(public, in_week(ended))),
                _count(and_(public, open_at_ref)),
                func.min(case((and_(public, open_at_ref), Tension.created_at), else_=None)),
                _count(and_(public, open_at_ref, Tension.created_at < ref - stale_after)),
                _count(and_(public, is_action, in_week(Tension.done_at))),
                _count(and_(public, action_open, Tension.due_date < weeks.ref_date)),
                _count(and_(public, action_open)),
                _count(and_(private, in_week(Tension.created_at))),
                _count(and_(private, open_at_ref)),
                func.min(Tension.created_at),
            )
            .where(col(Tension.team_id).in_(chunk), Tension.created_at < end)
            .group_by(Tension.team_id)
        )
        for team_id, *numbers in session.execute(statement):
            counts[team_id] = _tension_counts_of(numbers)
    return counts


def _tension_counts_of(numbers: Sequence[Any]) -> TensionCounts:
    """One team's row of :func:`tension_counts`, as its counts."""
    *tallies, oldest, stale, done, overdue, open_actions, p_raised, p_open, first = numbers
    raised, triaged, closed, open_now = (int(n or 0) for n in tallies)
    return TensionCounts(
        raised=raised,
        triaged=triaged,
        closed=closed,
        open=open_now,
        oldest_open=oldest,
        stale_open=int(stale or 0),
        actions_done=int(done or 0),
        actions_overdue=int(overdue or 0),
        actions_open=int(open_actions or 0),
        private_raised=int(p_raised or 0),
        private_open=int(p_open or 0),
        first_raised=first,
    )


def owner_spread(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks
) -> dict[str, OwnerSpread]:
    """Per team: how many people own its open actions and projects, and the most any one owns.

    Counted at ``ref``; nobody is named: the digest says leadership is concentrated, not in whom.
    """
    ref = weeks.ref
    ended = _ended_at()
    spread: dict[str, OwnerSpread] = {}
    for chunk in each_chunk(team_ids):
        per_owner = (
            select(Tension.team_id, func.count().label("actions"))
            .where(
                col(Tension.team_id).in_(chunk),
                col(Tension.private).is_(False),
                col(Tension.owner).is_not(None),
                col(Tension.outcome).in_(ACTION_OUTCOMES),
                Tension.triaged_at < ref,
                _still_there(Tension.done_at, ref),
                _still_there(ended, ref),
            )
            .group_by(Tension.team_id, Tension.owner)
            .subquery()
        )
        statement = select(
            per_owner.c.team_id,
            func.count(),
            func.max(per_owner.c.actions),
            func.sum(per_owner.c.actions),
        ).group_by(per_owner.c.team_id)
        for team_id, owners, top, total in session.execute(statement):
            spread[team_id] = OwnerSpread(int(owners), int(top), int(total))
    return spread


def feedback_activity(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks, month_weeks: int = 4
) -> dict[str, FeedbackCounts]:
    """Per team: feedback counted by kind in the week and in the last ``month_weeks``, and the
    first and latest feedback within all the ``weeks``.

    Reads no text and no giver: counts and moments only. Only the weeks' rows are read (the
    created_at index picks them), not a team's whole history.
    """
    in_week = weeks.during(Feedback.created_at)
    appreciation = col(Feedback.kind) == FeedbackKind.APPRECIATION
    counts: dict[str, FeedbackCounts] = {}
    for chunk in each_chunk(team_ids):
        statement = (
            select(
                Feedback.team_id,
                _count(and_(in_week, appreciation)),
                _count(and_(in_week, col(Feedback.kind) == FeedbackKind.SUGGESTION)),
                _count(and_(in_week, appreciation, col(Feedback.shared).is_(True))),
                _count(Feedback.created_at >= weeks.since(month_weeks)),
                func.max(Feedback.created_at),
                func.min(Feedback.created_at),
            )
            .where(
                func.coalesce(Feedback.team_id, "").in_(chunk),  # see values_named
                weeks.within(Feedback.created_at),
            )
            .group_by(Feedback.team_id)
        )
        for team_id, appreciations, suggestions, shared, month, last, first in session.execute(
            statement
        ):
            counts[team_id] = FeedbackCounts(
                appreciations=int(appreciations or 0),
                suggestions=int(suggestions or 0),
                shared_appreciations=int(shared or 0),
                month_total=int(month or 0),
                last_at=last,
                first_at=first,
            )
    return counts


def values_named(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks
) -> dict[str, dict[str, int]]:
    """Per team: how often each value was named by appreciations shared with the team this week.

    The JSON list of values is unnested in SQL (``json_each`` on SQLite,
    ``json_array_elements_text`` on PostgreSQL) and counted per value.
    """
    column = Feedback.__table__.c["values"]  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        named = func.json_array_elements_text(column).table_valued("value").alias("named")
    else:
        named = func.json_each(column).table_valued("value").alias("named")
    found: dict[str, dict[str, int]] = {}
    for chunk in each_chunk(team_ids):
        statement = (
            select(Feedback.team_id, named.c.value, func.count())
            .select_from(Feedback)
            .join(named, true())
            .where(
                # The week, not the list of teams, should pick the rows (a week of an
                # organisation's feedback, not all its history): coalesce() keeps the team
                # list from driving the plan, on every database.
                func.coalesce(Feedback.team_id, "").in_(chunk),
                col(Feedback.kind) == FeedbackKind.APPRECIATION,
                col(Feedback.shared).is_(True),
                weeks.during(Feedback.created_at),
            )
            .group_by(Feedback.team_id, named.c.value)
        )
        for team_id, value, count in session.execute(statement):
            found.setdefault(team_id, {})[str(value)] = int(count)
    return found


def first_rounds(session: Session, *, team_ids: Sequence[str]) -> dict[str, datetime]:
    """Per team: when its first check-in round met (how long it has used retrobot)."""
    first: dict[str, datetime] = {}
    for chunk in each_chunk(team_ids):
        statement = (
            select(CheckinRound.team_id, func.min(CheckinRound.meeting_at))
            .where(col(CheckinRound.team_id).in_(chunk))
            .group_by(CheckinRound.team_id)
        )
        for team_id, moment in session.execute(statement):
            first[team_id] = moment
    return first


def coach_digests_for_teams(
    session: Session, *, team_ids: Sequence[str], limit: int
) -> list[SentDigest]:
    """The coach digests that reached Slack about these teams, newest week first."""
    statement = (
        select(SentDigest)
        .where(
            col(SentDigest.team_id).in_(list(team_ids)),
            col(SentDigest.kind) == DigestKind.COACH_DIGEST,
            col(SentDigest.status) == DeliveryStatus.SENT,
        )
        .order_by(
            col(SentDigest.iso_week).desc(),
            col(SentDigest.team_id),
            col(SentDigest.recipient),
        )
        .limit(limit)
    )
    return list(session.execute(statement).scalars())
