"""Voting in a retrospective, and closing it: the most-voted reflections become tensions.

Each member has three votes while voting is open; a vote can be taken back and moved until it
closes; nobody sees a count before then. Closing counts the votes onto the reflections,
deletes the ballots (who voted for what is kept no longer than it is needed) and turns the
most-voted reflections into tensions on the next tactical agenda. Every vote first touches the
retrospective's row in its own transaction, so no vote lands after the close
(:func:`bot.retros.service.hold_row`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import InvalidInputError, NotFoundError, StaleActionError
from bot.retros.model import IMPROVEMENTS_AT_MOST, IMPROVEMENTS_CHOSEN, VOTES_EACH, VoteChange
from bot.retros.service import (
    OutOfVotesError,
    PhaseOverError,
    hold_row,
    mark_participant,
    member_of,
    retro_by_id,
)
from storage.models import (
    Reflection,
    RetroImprovement,
    Retrospective,
    RetroStatus,
    RetroVote,
    Tension,
)

# --- voting -----------------------------------------------------------------------------------


def votable(
    session: Session, *, config: AppConfig, retro_id: int, user_id: str
) -> tuple[Retrospective, TeamConfig]:
    """A retrospective the person may vote in now; PhaseOverError when voting is not open."""
    retro = retro_by_id(session, retro_id)
    team = member_of(config, retro=retro, user_id=user_id)
    if retro.status == RetroStatus.REFLECTING:
        raise PhaseOverError(retro, "Voting opens when reflection closes.")
    if retro.status != RetroStatus.VOTING:
        raise PhaseOverError(retro, "Voting has closed, so votes can't change now.")
    return retro, team


def votes_of(session: Session, *, retro_id: int, voter: str) -> list[int]:
    """The reflections the person has voted for, in the order they voted."""
    return list(
        session.exec(
            select(RetroVote.reflection_id)
            .where(RetroVote.retro_id == retro_id, RetroVote.voter == voter)
            .order_by(col(RetroVote.slot))
        )
    )


def toggle_vote(
    session: Session, *, config: AppConfig, reflection_id: int, voter: str, now: datetime
) -> VoteChange:
    """Vote for a reflection, or take the vote back if it was given already.

    OutOfVotesError when all three are on other reflections; PhaseOverError when voting is not
    open. The retrospective's row is held first, so no vote lands after voting closes.
    """
    reflection = session.get(Reflection, reflection_id)
    if reflection is None:
        raise NotFoundError("That reflection no longer exists.")
    retro_id = reflection.retro_id
    votable(session, config=config, retro_id=retro_id, user_id=voter)
    if not hold_row(session, retro_id, RetroStatus.VOTING):
        session.rollback()
        raise PhaseOverError(retro_by_id(session, retro_id), "Voting closed a moment ago.")
    given = session.exec(
        select(RetroVote).where(RetroVote.retro_id == retro_id, RetroVote.voter == voter)
    ).all()
    mine = next((vote for vote in given if vote.reflection_id == reflection_id), None)
    if mine is not None:
        session.delete(mine)
        left = VOTES_EACH - len(given) + 1
        mark_participant(session, retro_id=retro_id, user_id=voter, voted=len(given) > 1)
        session.commit()
        return VoteChange(reflection=reflection, added=False, left=left)
    free = sorted(set(range(1, VOTES_EACH + 1)) - {vote.slot for vote in given})
    if not free:
        session.rollback()
        raise OutOfVotesError(
            f"You've used your {VOTES_EACH} votes. Click Vote on one of them again to take it "
            "back, or use `/retro` to move them."
        )
    session.add(
        RetroVote(retro_id=retro_id, reflection_id=reflection_id, voter=voter, slot=free[0])
    )
    mark_participant(session, retro_id=retro_id, user_id=voter, voted=True)
    try:
        session.commit()
    except IntegrityError:  # the same click twice at once: one of them counts
        session.rollback()
        raise StaleActionError("Your vote is already counted.") from None
    return VoteChange(reflection=reflection, added=True, left=len(free) - 1)


def set_votes(
    session: Session, *, config: AppConfig, retro_id: int, voter: str, reflection_ids: Sequence[int]
) -> list[int]:
    """Put the person's votes on these reflections (at most three), moving any given before."""
    retro, _ = votable(session, config=config, retro_id=retro_id, user_id=voter)
    chosen = list(dict.fromkeys(reflection_ids))
    if len(chosen) > VOTES_EACH:
        raise InvalidInputError({"votes": f"Choose at most {VOTES_EACH}: you have three votes."})
    known = set(
        session.exec(
            select(Reflection.id).where(
                Reflection.retro_id == retro_id, col(Reflection.id).in_(chosen or [-1])
            )
        )
    )
    if set(chosen) - known:
        raise InvalidInputError({"votes": "One of those reflections is gone; choose again."})
    if not hold_row(session, retro_id, RetroStatus.VOTING):
        session.rollback()
        raise PhaseOverError(retro_by_id(session, retro_id), "Voting closed a moment ago.")
    session.exec(
        delete(RetroVote).where(col(RetroVote.retro_id) == retro.id, col(RetroVote.voter) == voter)
    )
    session.add_all(
        RetroVote(retro_id=retro_id, reflection_id=reflection_id, voter=voter, slot=slot)
        for slot, reflection_id in enumerate(chosen, start=1)
    )
    mark_participant(session, retro_id=retro_id, user_id=voter, voted=bool(chosen))
    session.commit()
    return chosen


# --- closing voting ---------------------------------------------------------------------------


def choose_improvements(counted: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The most-voted reflections: the top three, with any tied with the third (never one with
    no vote, never more than ten). ``counted`` holds (reflection id, votes) in board order."""
    ranked = sorted((item for item in counted if item[1] > 0), key=lambda item: -item[1])
    if len(ranked) <= IMPROVEMENTS_CHOSEN:
        return ranked
    threshold = ranked[IMPROVEMENTS_CHOSEN - 1][1]
    return [item for item in ranked if item[1] >= threshold][:IMPROVEMENTS_AT_MOST]


def close_voting(
    session: Session, *, retro_id: int, team_channel: str, area: str, now: datetime
) -> Retrospective | None:
    """Close voting: count the votes onto the reflections, delete the ballots, and turn the
    most-voted reflections into tensions for the next tactical agenda.

    A chosen reflection becomes a tension raised by its author, or by the team (its channel)
    when the retrospective is anonymous; ``area`` marks it as a retrospective improvement.
    None when voting was closed already.
    """
    closed = session.exec(
        update(Retrospective)
        .where(col(Retrospective.id) == retro_id, col(Retrospective.status) == RetroStatus.VOTING)
        .values(status=RetroStatus.CLOSED, voting_closed_at=now, in_progress_team=None)
    )
    if not closed.rowcount:
        session.rollback()
        return None
    counts = dict(
        session.exec(
            select(RetroVote.reflection_id, func.count())
            .where(RetroVote.retro_id == retro_id)
            .group_by(col(RetroVote.reflection_id))
        ).all()
    )
    reflections = session.exec(
        select(Reflection).where(Reflection.retro_id == retro_id).order_by(col(Reflection.id))
    ).all()
    for reflection in reflections:
        reflection.votes = int(counts.get(reflection.id, 0))
        session.add(reflection)
    session.exec(delete(RetroVote).where(col(RetroVote.retro_id) == retro_id))
    retro = retro_by_id(session, retro_id)
    by_id = {r.id: r for r in reflections}
    for reflection_id, votes in choose_improvements(
        [(r.id or 0, r.votes or 0) for r in reflections]
    ):
        reflection = by_id[reflection_id]
        tension = Tension(
            team_id=retro.team_id,
            raised_by=reflection.author
            if not retro.anonymous and reflection.author
            else team_channel,
            text=reflection.text,
            area=area,
            created_at=now,
            updated_at=now,
            request_key=f"retro:{retro_id}:{reflection_id}",
        )
        session.add(tension)
        session.flush()
        assert tension.id is not None
        session.add(
            RetroImprovement(
                retro_id=retro_id, reflection_id=reflection_id, tension_id=tension.id, votes=votes
            )
        )
    session.commit()
    return retro_by_id(session, retro_id)
