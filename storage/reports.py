"""The aggregate queries behind the organisation report (issue 20).

As in :mod:`storage.weekly` (whose check-in query the report reuses), every function answers for
many teams at once — the teams of one time zone, whose weeks share their bounds — in one SQL
statement per aggregate, grouped in SQL by team and by week, so the number of statements does not
grow with the teams or the rows. Nothing returns who answered or who raised what: counts, sums,
and histograms of durations. The one text returned is a story whose teller ticked "my story may
be shared beyond the team" (:func:`consented_stories`), never with its teller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    func,
    inspect,
    literal,
    select,
    true,
)
from sqlmodel import Session, col

from storage.models import (
    Advice,
    CheckinResponse,
    CheckinRound,
    Decision,
    Feedback,
    FeedbackKind,
    HealthAnswer,
    Member,
    Retrospective,
    Role,
    RoleHolder,
    RoundStatus,
    Tension,
)
from storage.weekly import ENDED_STATUSES, Weeks, each_chunk


@dataclass(frozen=True)
class PeriodWeeks(Weeks):
    """A report's weeks: as :class:`~storage.weekly.Weeks`, but a row finds its week by a
    balanced tree of comparisons (about 6 for a year) instead of one comparison per week —
    a year's report reads every check-in, tension and piece of feedback of the period."""

    def index_of(self, column: Any) -> ColumnElement[int]:
        """SQL for the index of the week a moment falls in (rows outside are filtered apart)."""

        def between(first: int, last: int) -> Any:
            if first == last:
                return literal(first)
            middle = (first + last + 1) // 2  # the first week of the upper half
            return case(
                (column < self.bounds[middle], between(first, middle - 1)),
                else_=between(middle, last),
            )

        return between(0, self.count - 1)


@dataclass(frozen=True)
class ChecklistCount:
    """How often one checklist item was answered and ticked by a team's check-ins."""

    answers: int = 0
    ticked: int = 0
    kept_answers: int = 0  # of them, in answers their writers kept from the team
    kept_ticked: int = 0


@dataclass
class TensionTally:
    """One team's tensions in the period: raised, triaged and closed per week, and their days.

    ``to_triage`` and ``to_close`` are histograms: whole days taken -> how many tensions.
    """

    raised: dict[int, int] = field(default_factory=dict)
    triaged: dict[int, int] = field(default_factory=dict)
    closed: dict[int, int] = field(default_factory=dict)
    to_triage: dict[int, int] = field(default_factory=dict)
    to_close: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedbackWeek:
    """One team's feedback in one week, counted."""

    appreciations: int = 0
    suggestions: int = 0


@dataclass(frozen=True)
class ConsentedStory:
    """A story that may leave its team: the week index it was told in, and its words."""

    week: int
    text: str


@dataclass(frozen=True)
class StoryList:
    """A team's latest consented stories (up to the limit), and how many there were in all."""

    stories: list[ConsentedStory]
    total: int


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _public() -> ColumnElement[bool]:
    """The team's tensions: private ones are its coaches' alone and are not reported."""
    return col(Tension.private).is_(False)


def _ended_at() -> ColumnElement[Any]:
    """When a tension was closed or withdrawn (as the weekly summary reckons it)."""
    return case(
        (
            col(Tension.status).in_(ENDED_STATUSES),
            func.coalesce(Tension.resolved_at, Tension.updated_at),
        ),
        else_=None,
    )


def _whole_days(session: Session, later: Any, earlier: Any) -> ColumnElement[int]:
    """SQL: the whole days from ``earlier`` to ``later`` (rounded down), on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", later - earlier) / 86400), Integer)
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _json_pairs(session: Session, column: Any, alias: str) -> Any:
    """A JSON object column's (key, value) pairs as a table to join (values as SQL text on
    PostgreSQL, as SQL values on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.json_each_text(column).table_valued("key", "value").alias(alias)
    return func.json_each(column).table_valued("key", "value").alias(alias)


def _is_true(session: Session, value: Any) -> ColumnElement[bool]:
    """SQL: a JSON value unnested by :func:`_json_pairs` is ``true``."""
    if session.get_bind().dialect.name == "postgresql":
        return value == "true"
    return value == 1


def checklist_counts(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks
) -> dict[tuple[str, str], ChecklistCount]:
    """Per (team, checklist item): the check-ins of the period that answered it, and ticked it.

    The JSON object of ticks is unnested in SQL and counted per item; answers the writer kept
    from the team are counted apart, so a share can leave them out as the digest does.
    """
    column = CheckinResponse.__table__.c.checklist  # type: ignore[attr-defined]
    pairs = _json_pairs(session, column, "ticks")
    ticked = _is_true(session, pairs.c.value)
    kept = ~col(CheckinResponse.shared)
    found: dict[tuple[str, str], ChecklistCount] = {}
    for chunk in each_chunk(team_ids):
        statement = (
            select(
                CheckinRound.team_id,
                pairs.c.key,
                func.count(),
                _count(ticked),
                _count(kept),
                _count(and_(kept, ticked)),
            )
            .select_from(CheckinRound)
            .join(CheckinResponse, col(CheckinResponse.round_id) == col(CheckinRound.id))
            .join(pairs, true())
            .where(
                col(CheckinRound.team_id).in_(chunk),
                weeks.within(CheckinRound.meeting_at),
                CheckinRound.status != RoundStatus.MISSED,
            )
            .group_by(CheckinRound.team_id, pairs.c.key)
        )
        for team_id, item, answers, ticks, kept_answers, kept_ticks in session.execute(statement):
            found[(team_id, str(item))] = ChecklistCount(
                int(answers), int(ticks or 0), int(kept_answers or 0), int(kept_ticks or 0)
            )
    return found


def tension_tallies(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks
) -> dict[str, TensionTally]:
    """Per team: tensions raised, triaged and closed in each week of the period, and histograms
    of the days they took to triage (those triaged in the period) and to close (those closed in
    it).

    Five statements, each grouped by team in SQL; private tensions are left out.
    """
    ended = _ended_at()
    tallies: dict[str, TensionTally] = {}
    for chunk in each_chunk(team_ids):
        teams = col(Tension.team_id).in_(chunk)
        by_week = {"raised": Tension.created_at, "triaged": Tension.triaged_at, "closed": ended}
        for name, moment in by_week.items():
            week = weeks.index_of(moment).label("week")
            statement = (
                select(Tension.team_id, week, func.count())
                .where(teams, _public(), weeks.within(moment))
                .group_by(Tension.team_id, week)
            )
            for team_id, index, count in session.execute(statement):
                getattr(tallies.setdefault(team_id, TensionTally()), name)[int(index)] = int(count)
        durations = {"to_triage": Tension.triaged_at, "to_close": ended}
        for name, moment in durations.items():
            days = _whole_days(session, moment, Tension.created_at).label("days")
            statement = (
                select(Tension.team_id, days, func.count())
                .where(teams, _public(), weeks.within(moment))
                .group_by(Tension.team_id, days)
            )
            for team_id, taken, count in session.execute(statement):
                histogram = getattr(tallies.setdefault(team_id, TensionTally()), name)
                histogram[max(0, int(taken))] = int(count)
    return tallies


def feedback_weeks(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks
) -> dict[tuple[str, int], FeedbackWeek]:
    """Per (team, week): appreciations and suggestions given. No text, no giver, no receiver."""
    week = weeks.index_of(Feedback.created_at).label("week")
    found: dict[tuple[str, int], FeedbackWeek] = {}
    for chunk in each_chunk(team_ids):
        statement = (
            select(
                Feedback.team_id,
                week,
                _count(col(Feedback.kind) == FeedbackKind.APPRECIATION),
                _count(col(Feedback.kind) == FeedbackKind.SUGGESTION),
            )
            .where(
                # As in storage.weekly.values_named: the period, not the team list, picks rows.
                func.coalesce(Feedback.team_id, "").in_(chunk),
                weeks.within(Feedback.created_at),
            )
            .group_by(Feedback.team_id, week)
        )
        for team_id, index, appreciations, suggestions in session.execute(statement):
            found[(team_id, int(index))] = FeedbackWeek(
                int(appreciations or 0), int(suggestions or 0)
            )
    return found


def feedback_values(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks
) -> dict[str, dict[str, int]]:
    """Per team: how often each of the organisation's values was named by the period's
    appreciations (all of them: a count reveals none of their words or people)."""
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
                func.coalesce(Feedback.team_id, "").in_(chunk),
                col(Feedback.kind) == FeedbackKind.APPRECIATION,
                weeks.within(Feedback.created_at),
            )
            .group_by(Feedback.team_id, named.c.value)
        )
        for team_id, value, count in session.execute(statement):
            found.setdefault(team_id, {})[str(value)] = int(count)
    return found


def consented_stories(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks, limit: int
) -> dict[str, StoryList]:
    """Per team: the latest ``limit`` stories of the period that their tellers shared with the
    team and marked *may be shared beyond the team*, and how many there were in all.

    Selects the story and the week it was told in — never who told it, nor the day. Cut to
    ``limit`` per team in SQL (a window function), newest first.
    """
    week = weeks.index_of(CheckinRound.meeting_at).label("week")
    found: dict[str, StoryList] = {}
    for chunk in each_chunk(team_ids):
        ranked = (
            select(
                CheckinRound.team_id,
                week,
                CheckinResponse.story,
                func.row_number()
                .over(
                    partition_by=CheckinRound.team_id,
                    order_by=(col(CheckinRound.meeting_at).desc(), col(CheckinResponse.id).desc()),
                )
                .label("position"),
                func.count().over(partition_by=CheckinRound.team_id).label("total"),
            )
            .select_from(CheckinRound)
            .join(CheckinResponse, col(CheckinResponse.round_id) == col(CheckinRound.id))
            .where(
                col(CheckinRound.team_id).in_(chunk),
                weeks.within(CheckinRound.meeting_at),
                CheckinRound.status != RoundStatus.MISSED,
                col(CheckinResponse.shared).is_(True),
                col(CheckinResponse.story_beyond_team).is_(True),
                func.trim(CheckinResponse.story) != "",
            )
            .subquery()
        )
        statement = (
            select(ranked.c.team_id, ranked.c.week, ranked.c.story, ranked.c.total)
            .where(ranked.c.position <= limit)
            .order_by(ranked.c.team_id, ranked.c.position)
        )
        for team_id, index, story, total in session.execute(statement):
            page = found.setdefault(team_id, StoryList([], int(total)))
            page.stories.append(ConsentedStory(int(index), story))
    return found


def people_names(session: Session, *, team_ids: Sequence[str]) -> set[str]:
    """The names the database holds for the people of these teams (to keep them out of the
    report's stories)."""
    names: set[str] = set()
    for chunk in each_chunk(team_ids):
        statement = (
            select(Member.name)
            .where(col(Member.team_id).in_(chunk), col(Member.name).is_not(None))
            .distinct()
        )
        names.update(name for (name,) in session.execute(statement) if name)
    return names


# --- the parts other capabilities record -------------------------------------------------------
# Decisions (issue 16, bot/decisions) and the retrospectives' health check (issue 18,
# bot/retros), read from their models' tables. :func:`table_names` still says which tables a
# database has, so a database not yet migrated shows these parts as not recorded, not as zeros.

_DECISION = Decision.__table__
_ADVICE = Advice.__table__
_RETROSPECTIVE = Retrospective.__table__
_HEALTH_ANSWER = HealthAnswer.__table__
DECISION_TABLES = ("decision", "advice")
HEALTH_TABLES = ("retrospective", "health_answer")
ROLE_TABLES = ("role", "role_holder")


def table_names(session: Session) -> set[str]:
    """The tables the database has (so the report knows which capabilities' migrations ran)."""
    return set(inspect(session.connection()).get_table_names())


@dataclass
class DecisionTally:
    """One team's decisions in the period: per week and method, and how widely advice was sought.

    ``asked`` is a histogram: people asked for advice on a decision -> how many decisions;
    ``asks`` and ``answers`` add up the people asked and those who answered.
    """

    decided: dict[tuple[int, str], int] = field(default_factory=dict)
    asked: dict[int, int] = field(default_factory=dict)
    asks: int = 0
    answers: int = 0


def decision_tallies(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks
) -> dict[str, DecisionTally]:
    """Per team: decisions adopted in the period by week and method, and the people asked for
    advice on each (two statements). Reads no text and no one's id."""
    d, a = _DECISION.c, _ADVICE.c
    week = weeks.index_of(d.decided_at).label("week")
    tallies: dict[str, DecisionTally] = {}
    for chunk in each_chunk(team_ids):
        in_scope = and_(d.team_id.in_(chunk), weeks.within(d.decided_at))
        statement = (
            select(d.team_id, week, d.method, func.count())
            .where(in_scope)
            .group_by(d.team_id, week, d.method)
        )
        for team_id, index, method, count in session.execute(statement):
            tally = tallies.setdefault(team_id, DecisionTally())
            tally.decided[(int(index), str(method))] = int(count)
        per_decision = (
            select(
                d.team_id,
                func.count(a.id).label("asked"),
                func.count(a.answered_at).label("answered"),
            )
            .select_from(_DECISION.outerjoin(_ADVICE, a.proposal_id == d.proposal_id))
            .where(in_scope)
            .group_by(d.id, d.team_id)
            .subquery()
        )
        statement = select(
            per_decision.c.team_id,
            per_decision.c.asked,
            func.count(),
            func.sum(per_decision.c.answered),
        ).group_by(per_decision.c.team_id, per_decision.c.asked)
        for team_id, asked, decisions, answered in session.execute(statement):
            tally = tallies.setdefault(team_id, DecisionTally())
            tally.asked[int(asked)] = int(decisions)
            tally.asks += int(asked) * int(decisions)
            tally.answers += int(answered or 0)
    return tallies


def health_sums(
    session: Session, *, team_ids: Sequence[str], weeks: Weeks
) -> dict[tuple[str, int, str], tuple[int, int]]:
    """Per (team, week, health question): the answers of the retrospectives opened that week,
    as (how many, their sum) — one statement."""
    r, h = _RETROSPECTIVE.c, _HEALTH_ANSWER.c
    week = weeks.index_of(r.opened_at).label("week")
    sums: dict[tuple[str, int, str], tuple[int, int]] = {}
    for chunk in each_chunk(team_ids):
        statement = (
            select(r.team_id, week, h.question, func.count(h.score), func.sum(h.score))
            .select_from(_RETROSPECTIVE.join(_HEALTH_ANSWER, h.retro_id == r.id))
            .where(r.team_id.in_(chunk), weeks.within(r.opened_at))
            .group_by(r.team_id, week, h.question)
        )
        for team_id, index, question, count, total in session.execute(statement):
            sums[(team_id, int(index), str(question))] = (int(count), int(total or 0))
    return sums


def roles_per_person(session: Session, *, team_ids: Sequence[str]) -> dict[str, dict[int, int]]:
    """Per team, how many of its active members hold how many of its roles, as the roles
    stand now: {roles held: people} (0 counts the members who hold none) — one statement per
    chunk of teams, and no one's id leaves it."""
    m, r, h = Member.__table__.c, Role.__table__.c, RoleHolder.__table__.c  # type: ignore[attr-defined]
    found: dict[str, dict[int, int]] = {}
    for chunk in each_chunk(team_ids):
        held = (
            select(m.team_id, func.count(h.id).label("held"))
            .select_from(
                Member.__table__.outerjoin(  # type: ignore[attr-defined]
                    Role.__table__,
                    and_(r.team_id == m.team_id, r.active == true()),  # type: ignore[attr-defined]
                ).outerjoin(
                    RoleHolder.__table__,  # type: ignore[attr-defined]
                    and_(h.role_id == r.id, h.user_id == m.user_id),
                )
            )
            .where(m.team_id.in_(chunk), m.active == true())
            .group_by(m.team_id, m.user_id)
            .subquery()
        )
        statement = select(held.c.team_id, held.c.held, func.count()).group_by(
            held.c.team_id, held.c.held
        )
        for team_id, roles, people in session.execute(statement):
            found.setdefault(team_id, {})[int(roles)] = int(people)
    return found
