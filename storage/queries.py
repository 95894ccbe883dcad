"""Queries shared by retrobot's services: each takes a Session and leaves the commit to its caller.

Claiming a row so that one process alone does something is in storage.claims.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, true, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import (
    ACTION_OUTCOMES,
    TRIAGED_STATUSES,
    CheckinRound,
    Coach,
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestRecipient,
    Member,
    Team,
    Tension,
    TensionStatus,
)
from storage.roster import Person, reconcile


def upsert_team(session: Session, *, team_id: str, name: str, channel: str, timezone: str) -> Team:
    """Create the team or bring it in line with app.yaml, marking it active; flushes."""
    team = session.get(Team, team_id)
    if team is None:
        team = Team(id=team_id, name=name, channel=channel, timezone=timezone)
        session.add(team)
    else:
        team.name = name
        team.channel = channel
        team.timezone = timezone
        team.active = True
    session.flush()
    return team


def sync_members(
    session: Session,
    *,
    team_id: str,
    members: list[tuple[str, str | None, str | None]],
    coaches: list[tuple[str, str | None]],
    keep_unlisted_members: bool = False,
) -> None:
    """Make one team's members and coaches those listed: add, reactivate, deactivate; flushes.

    ``members`` holds (user id, name, time zone) and ``coaches`` (user id, time zone). Nobody is
    deleted, so history stays; a name or time zone given as None keeps the one already known.
    ``keep_unlisted_members`` leaves members who are not listed as they are: a team whose people
    come from a Slack user group learns who is in it only when a check-in round reads the group.
    (The whole of app.yaml is mirrored at start by storage.roster.mirror_teams, by the same rules.)
    """
    _sync_members(session, team_id=team_id, members=members, keep_unlisted=keep_unlisted_members)
    _sync_coaches(session, team_id=team_id, coaches=coaches)
    session.flush()


def _sync_members(
    session: Session,
    *,
    team_id: str,
    members: list[tuple[str, str | None, str | None]],
    keep_unlisted: bool,
) -> None:
    """Add or reactivate the listed members, deactivate the others (unless kept)."""
    known = {
        member.user_id: member
        for member in session.exec(select(Member).where(Member.team_id == team_id))
    }
    added, changed = reconcile(
        {user_id: Person(m.name, m.timezone, m.active) for user_id, m in known.items()},
        members,
        keep_unlisted=keep_unlisted,
    )
    for user_id, person in added.items():
        session.add(
            Member(team_id=team_id, user_id=user_id, name=person.name, timezone=person.timezone)
        )
    for user_id, person in changed.items():
        member = known[user_id]
        member.name, member.timezone, member.active = person.name, person.timezone, person.active


def _sync_coaches(session: Session, *, team_id: str, coaches: list[tuple[str, str | None]]) -> None:
    """Add or reactivate the listed coaches, deactivate the others."""
    known = {
        coach.user_id: coach
        for coach in session.exec(select(Coach).where(Coach.team_id == team_id))
    }
    added, changed = reconcile(
        {user_id: Person(None, c.timezone, c.active) for user_id, c in known.items()},
        [(user_id, None, timezone) for user_id, timezone in coaches],
        keep_unlisted=False,
    )
    for user_id, person in added.items():
        session.add(Coach(team_id=team_id, user_id=user_id, timezone=person.timezone))
    for user_id, person in changed.items():
        coach = known[user_id]
        coach.timezone, coach.active = person.timezone, person.active


_TEAMS_OF_USER = (
    select(Member.team_id)
    .join(Team, col(Team.id) == col(Member.team_id))
    .where(Member.user_id == bindparam("user_id"), col(Member.active), col(Team.active))
    .order_by(col(Member.team_id))
)


def teams_of_user(session: Session, user_id: str) -> list[str]:
    """The ids of the active teams in which ``user_id`` is an active member, sorted."""
    return list(session.exec(_TEAMS_OF_USER, params={"user_id": user_id}))


def active_members_of_teams(session: Session, team_ids: Iterable[str]) -> dict[str, list[str]]:
    """The active members' user ids of each of these teams, in one statement."""
    found: dict[str, list[str]] = {team_id: [] for team_id in team_ids}
    if found:
        statement = (
            select(Member.team_id, Member.user_id)
            .where(col(Member.team_id).in_(list(found)), col(Member.active))
            .order_by(col(Member.team_id), col(Member.id))
        )
        for team_id, user_id in session.exec(statement):
            found[team_id].append(user_id)
    return found


def active_member_ids(session: Session, team_id: str) -> list[str]:
    """The Slack user ids of the team's active members, sorted."""
    statement = (
        select(Member.user_id)
        .where(Member.team_id == team_id, col(Member.active))
        .order_by(col(Member.user_id))
    )
    return list(session.exec(statement))


# Statements on the request paths, built once: building a statement (and its cache key) costs
# more CPU than running it, and these run for every tension raised.
_ROUNDS = CheckinRound.__table__.c  # type: ignore[attr-defined]


def _posted_agenda_round(team_id: Any, today: Any) -> Any:
    return (
        select(_ROUNDS.id)
        .where(
            _ROUNDS.team_id == team_id,
            _ROUNDS.agenda_ts.is_not(None),
            _ROUNDS.meeting_date >= today,
        )
        .order_by(_ROUNDS.meeting_date)
        .limit(1)
    )


_POSTED_AGENDA_ROUND = _posted_agenda_round(bindparam("team_id"), bindparam("today"))
# The same, as a scalar subquery for a statement of its own (bot.tensions.service returns it
# from the INSERT that stores a tension: one statement fewer), with parameter names apart from its.
POSTED_AGENDA_ROUND_OF = _posted_agenda_round(
    bindparam("agenda_team_id"), bindparam("agenda_today")
).scalar_subquery()


def core(db: Session | Connection) -> Connection:
    """The Core connection under a session (or the connection itself): Core statements run on
    it without the ORM's per-statement work."""
    return db.connection() if isinstance(db, Session) else db


def posted_agenda_round(db: Session | Connection, *, team_id: str, today: date) -> int | None:
    """The round of the team's latest posted agenda for a meeting on ``today`` or later."""
    return core(db).execute(_POSTED_AGENDA_ROUND, {"team_id": team_id, "today": today}).scalar()


def _open_tensions(include_private: bool) -> SelectOfScalar[Tension]:
    statement = select(Tension).where(
        Tension.team_id == bindparam("team_id"), Tension.status == TensionStatus.OPEN
    )
    if not include_private:
        statement = statement.where(col(Tension.private).is_(False))
    return statement.order_by(col(Tension.created_at), col(Tension.id))


# Built once: the App Home asks these on every publish, and building a statement took about as
# much CPU as running it.
_OPEN_TENSIONS = {private: _open_tensions(private) for private in (False, True)}


def open_tensions(
    session: Session, *, team_id: str, include_private: bool = False, limit: int | None = None
) -> list[Tension]:
    """The team's open tensions, oldest first; private ones (for coaches) only when asked."""
    statement = _OPEN_TENSIONS[include_private]
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement, params={"team_id": team_id}))


_TENSIONS_RAISED_BY = (
    select(Tension)
    .where(
        Tension.raised_by == bindparam("user_id"),
        col(Tension.status).in_(bindparam("statuses", expanding=True)),
    )
    .order_by(col(Tension.created_at), col(Tension.id))
)


def tensions_raised_by(
    session: Session,
    *,
    user_id: str,
    statuses: Iterable[TensionStatus] = (TensionStatus.OPEN,),
) -> list[Tension]:
    """The tensions ``user_id`` raised, in any team, with one of ``statuses``; oldest first."""
    params = {"user_id": user_id, "statuses": list(statuses)}
    return list(session.exec(_TENSIONS_RAISED_BY, params=params))


# --- Peer feedback ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackCounts:
    """How much feedback a team's people received in a period, by kind and by value; no text."""

    by_kind: dict[FeedbackKind, int]
    by_value: dict[str, int]

    @property
    def total(self) -> int:
        """All feedback in the period."""
        return sum(self.by_kind.values())


def feedback_counts(
    session: Session, *, team_id: str, start: datetime, end: datetime
) -> FeedbackCounts:
    """Feedback of the team created in ``[start, end)``, counted by kind and by value in SQL.

    Only counts leave the database: never text, never who gave to whom. Every kind is present
    (0 when none); values appear as they were named, most named first.
    """
    in_period = (
        col(Feedback.team_id) == team_id,
        col(Feedback.created_at) >= start,
        col(Feedback.created_at) < end,
    )
    kinds = session.exec(
        select(Feedback.kind, func.count()).where(*in_period).group_by(col(Feedback.kind))
    )
    by_kind = {kind: 0 for kind in FeedbackKind}
    for kind, count in kinds:
        by_kind[FeedbackKind(kind)] = count
    # One row per (feedback, value) from the JSON array, by each database's own function.
    values_column = Feedback.__table__.c["values"]  # type: ignore[attr-defined]
    function = (
        func.json_array_elements_text
        if session.get_bind().dialect.name == "postgresql"
        else func.json_each
    )
    named = function(values_column).table_valued("value")
    count = func.count().label("count")
    rows = session.exec(
        select(named.c.value, count)
        .select_from(Feedback)
        .join(named, true())
        .where(*in_period)
        .group_by(named.c.value)
        .order_by(count.desc(), named.c.value)
    )
    return FeedbackCounts(by_kind=by_kind, by_value={str(value): n for value, n in rows})


def feedback_given_since(
    session: Session, *, giver: str, since: datetime
) -> tuple[int, datetime | None]:
    """How much named feedback ``giver`` gave since ``since``, and when the oldest of it was."""
    row = session.exec(
        select(func.count(), func.min(Feedback.created_at)).where(
            col(Feedback.giver) == giver, col(Feedback.created_at) >= since
        )
    ).one()
    oldest = row[1]
    if oldest is not None and oldest.tzinfo is None:  # an aggregate skips the column's type
        oldest = oldest.replace(tzinfo=UTC)
    return int(row[0]), oldest


def anonymous_feedback_received_since(session: Session, *, receiver: str, since: datetime) -> int:
    """How much anonymous feedback ``receiver`` got since ``since``."""
    return int(
        session.exec(
            select(func.count()).where(
                col(Feedback.receiver) == receiver,
                col(Feedback.anonymous),
                col(Feedback.created_at) >= since,
            )
        ).one()
    )


_FEEDBACK_RECEIVED = (
    select(Feedback)
    .where(Feedback.receiver == bindparam("receiver"))
    .order_by(col(Feedback.created_at).desc(), col(Feedback.id).desc())
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
_COUNT_FEEDBACK_RECEIVED = select(func.count()).where(
    col(Feedback.receiver) == bindparam("receiver")
)


def feedback_received(
    session: Session, *, receiver: str, limit: int, offset: int = 0
) -> list[Feedback]:
    """One page of the feedback ``receiver`` got, newest first."""
    params = {"receiver": receiver, "offset": offset, "limit": limit}
    return list(session.exec(_FEEDBACK_RECEIVED, params=params))


def count_feedback_received(session: Session, *, receiver: str) -> int:
    """How much feedback ``receiver`` has got in all."""
    return int(session.exec(_COUNT_FEEDBACK_RECEIVED, params={"receiver": receiver}).one())


def mark_feedback_thanked(session: Session, *, feedback_id: int, now: datetime) -> bool:
    """Record the receiver's thanks once; False when it was already recorded (a second click)."""
    result = session.exec(  # type: ignore[call-overload]
        update(Feedback)
        .where(col(Feedback.id) == feedback_id, col(Feedback.thanked_at).is_(None))
        .values(thanked_at=now)
    )
    return bool(result.rowcount)


def people_asked_since(session: Session, *, requester: str, since: datetime) -> int:
    """How many people ``requester`` asked for feedback since ``since`` (each person counts)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(FeedbackRequestRecipient)
            .join(
                FeedbackRequest,
                col(FeedbackRequest.id) == col(FeedbackRequestRecipient.request_id),
            )
            .where(
                col(FeedbackRequest.requester) == requester,
                col(FeedbackRequest.created_at) >= since,
            )
        ).one()
    )


def request_recipient(
    session: Session, *, request_id: int, user_id: str
) -> FeedbackRequestRecipient | None:
    """The row of ``user_id`` among the people asked in a feedback request, if they were asked."""
    return session.exec(
        select(FeedbackRequestRecipient).where(
            FeedbackRequestRecipient.request_id == request_id,
            FeedbackRequestRecipient.user_id == user_id,
        )
    ).first()


_WAITING = (
    col(FeedbackRequestRecipient.user_id) == bindparam("user_id"),
    col(FeedbackRequestRecipient.answered_at).is_(None),
    col(FeedbackRequest.due_date) >= bindparam("due_from"),
)
_ASKED = col(FeedbackRequest.id) == col(FeedbackRequestRecipient.request_id)
_REQUESTS_WAITING = (
    select(FeedbackRequest, FeedbackRequestRecipient)
    .join(FeedbackRequestRecipient, _ASKED)
    .where(*_WAITING)
    .order_by(col(FeedbackRequest.due_date), col(FeedbackRequest.id))
    .limit(bindparam("limit"))
)
_COUNT_REQUESTS_WAITING = (
    select(func.count()).select_from(FeedbackRequest).join(FeedbackRequestRecipient, _ASKED)
).where(*_WAITING)
_REQUESTS_MADE_BY = (
    select(FeedbackRequest)
    .where(FeedbackRequest.requester == bindparam("requester"))
    .order_by(col(FeedbackRequest.created_at).desc(), col(FeedbackRequest.id).desc())
    .limit(bindparam("limit"))
)
_PEOPLE_ASKED = (
    select(FeedbackRequestRecipient)
    .where(col(FeedbackRequestRecipient.request_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(FeedbackRequestRecipient.id))
)


def requests_waiting_for(
    session: Session, *, user_id: str, due_from: date, limit: int
) -> tuple[list[tuple[FeedbackRequest, FeedbackRequestRecipient]], int]:
    """Unanswered requests to ``user_id`` due on or after ``due_from``, soonest due first.

    Returns one page of (request, the person's row) and how many there are in all.
    """
    params = {"user_id": user_id, "due_from": due_from}
    rows = session.exec(_REQUESTS_WAITING, params={**params, "limit": limit})
    total = session.exec(_COUNT_REQUESTS_WAITING, params=params).one()
    return [(request, asked) for request, asked in rows], int(total)


def requests_made_by(
    session: Session, *, requester: str, limit: int
) -> list[tuple[FeedbackRequest, list[FeedbackRequestRecipient]]]:
    """The newest ``limit`` requests ``requester`` made, each with the people asked."""
    params = {"requester": requester, "limit": limit}
    requests = list(session.exec(_REQUESTS_MADE_BY, params=params))
    if not requests:
        return []
    asked: dict[int, list[FeedbackRequestRecipient]] = {r.id: [] for r in requests if r.id}
    for row in session.exec(_PEOPLE_ASKED, params={"ids": list(asked)}):
        asked[row.request_id].append(row)
    return [(request, asked.get(request.id or 0, [])) for request in requests]


def unanswered_requests_due_between(
    session: Session, *, first: date, last: date
) -> list[tuple[FeedbackRequest, FeedbackRequestRecipient]]:
    """People asked for feedback due in ``[first, last]`` who neither answered nor were reminded."""
    rows = session.exec(
        select(FeedbackRequest, FeedbackRequestRecipient)
        .join(
            FeedbackRequestRecipient,
            col(FeedbackRequest.id) == col(FeedbackRequestRecipient.request_id),
        )
        .where(
            col(FeedbackRequest.due_date) >= first,
            col(FeedbackRequest.due_date) <= last,
            col(FeedbackRequestRecipient.answered_at).is_(None),
            col(FeedbackRequestRecipient.reminded_at).is_(None),
        )
        .order_by(col(FeedbackRequestRecipient.id))
    )
    return [(request, asked) for request, asked in rows]


def is_away(session: Session, *, user_id: str, day: date) -> bool:
    """True when the person is marked away (in any of their teams) on ``day``."""
    return (
        session.exec(
            select(Member.id).where(
                Member.user_id == user_id,
                col(Member.away_until).is_not(None),
                col(Member.away_until) >= day,
            )
        ).first()
        is not None
    )


# --- open actions: the next actions and projects people own ---------------------------------


def is_overdue(tension: Tension, today: date) -> bool:
    """True for an open next action or project whose due date has passed."""
    return tension.done_at is None and tension.due_date is not None and tension.due_date < today


def _open_actions() -> SelectOfScalar[Tension]:
    return select(Tension).where(
        col(Tension.outcome).in_(ACTION_OUTCOMES),
        col(Tension.status).in_(TRIAGED_STATUSES),
        col(Tension.done_at).is_(None),
    )


_OPEN_ACTIONS_OF = (
    _open_actions()
    .where(Tension.owner == bindparam("user_id"))
    .order_by(
        col(Tension.due_date).is_(None),
        col(Tension.due_date),
        col(Tension.triaged_at),
        col(Tension.id),
    )
)


def open_actions_of(session: Session, *, user_id: str) -> list[Tension]:
    """The next actions and projects a person owns and has not finished, soonest due first."""
    return list(session.exec(_OPEN_ACTIONS_OF, params={"user_id": user_id}))


def open_actions_of_team(
    session: Session, *, team_id: str, excluding_round: int | None = None
) -> list[Tension]:
    """The team's unfinished next actions and projects, oldest first.

    ``excluding_round`` leaves out those triaged in that meeting: its progress updates report
    what moved since the last meeting, not what it has just decided.
    """
    statement = _open_actions().where(Tension.team_id == team_id, col(Tension.private).is_(False))
    if excluding_round is not None:
        statement = statement.where(
            (col(Tension.triaged_round_id).is_(None))
            | (col(Tension.triaged_round_id) != excluding_round)
        )
    statement = statement.order_by(col(Tension.triaged_at), col(Tension.id))
    return list(session.exec(statement))
