"""Triage: a tension on the agenda becomes an outcome with an owner, and is followed to its end.

The outcomes are Holacracy's: a next action (one visible step), a project (several steps to a
definite end), information or help, space to share, a proposal for an ongoing expectation (a
governance matter), resolved without action, or dropped. Whoever raised it is then asked "did you
get what you need?": yes closes it, no puts it back on the next agenda. Next actions and projects
stay open until their owner marks them done; until then they come back in every agenda's progress
updates, marked overdue once past their due date.

Only the team's members triage its tensions or mark its actions done (facilitation rotates; it
is not a rank). Nothing here knows Slack's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select, update

from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import InvalidInputError, NotAllowedError, NotFoundError, StaleActionError
from bot.core.text import describe_client_identifiers, find_client_identifiers, normalise_input
from storage.models import (
    ACTION_OUTCOMES,
    TRIAGED_STATUSES,
    Member,
    OutcomeKind,
    ProcessedEvent,
    Team,
    Tension,
    TensionStatus,
)

NOTE_LIMIT = 1000
# Outcomes that end the tension at once; the raiser may still say it did not meet their need.
CLOSING_OUTCOMES = (OutcomeKind.RESOLVED, OutcomeKind.DROPPED)
# In the order the triage modal offers them.
# A circle (bot/circles) is offered by name in the modal, not as an outcome of its own.
OUTCOMES = tuple(kind for kind in OutcomeKind if kind is not OutcomeKind.CIRCLE)


def _kept(session: Session, tension: Tension) -> Tension:
    """Detach the tension an error carries, so it stays readable after the session rolls back."""
    session.expunge(tension)
    return tension


class AlreadyTriagedError(StaleActionError):
    """Someone triaged this tension already (a stale Triage button); nothing was recorded."""

    def __init__(self, tension: Tension) -> None:
        self.tension = tension
        super().__init__("This tension was already triaged.")


class AlreadyAnsweredError(StaleActionError):
    """The raiser already said whether they got what they needed (or it was re-triaged since)."""

    def __init__(self, tension: Tension) -> None:
        self.tension = tension
        super().__init__("You already answered this one.")


class AlreadyDoneError(StaleActionError):
    """The next action or project was already marked done."""

    def __init__(self, tension: Tension) -> None:
        self.tension = tension
        super().__init__("This was already marked done.")


@dataclass(frozen=True)
class TriageDecision:
    """What the triage modal decided, checked and ready to record."""

    outcome: OutcomeKind
    owner: str | None = None
    due_date: date | None = None
    note: str = ""


def team_as_member(config: AppConfig, *, user_id: str, team_id: str) -> TeamConfig:
    """The team, when ``user_id`` is one of its members; NotAllowedError otherwise."""
    team = config.team(team_id)
    if user_id not in team.member_ids:
        raise NotAllowedError(
            f"Only members of {team.name} can do that — it's their meeting and their work."
        )
    return team


def member_name(config: AppConfig, user_id: str | None) -> str:
    """A person's name as app.yaml gives it, for plain text (modal errors) where no mention
    can show; "A teammate" when app.yaml gives no name."""
    return config.name_of(user_id) or "A teammate"


def check_triage(
    *,
    team: TeamConfig,
    outcome: str | None,
    owner: str | None,
    due_date: str | None,
    note: str | None,
    today: date,
) -> TriageDecision:
    """Check the triage modal's answers; InvalidInputError names each field at fault."""
    errors: dict[str, str] = {}
    kind = _outcome(outcome)
    if kind is None:
        errors["outcome"] = "Choose what this tension becomes."
    if owner and owner not in team.member_ids:
        errors["owner"] = f"Choose someone in {team.name}: the owner must be a member of the team."
    elif not owner and kind in ACTION_OUTCOMES:
        errors["owner"] = "A next action or project needs an owner: who takes it on?"
    due = _due_date(due_date, today=today, errors=errors)
    clean_note = normalise_input(note)
    if len(clean_note) > NOTE_LIMIT:
        errors["note"] = f"Please keep the note under {NOTE_LIMIT:,} characters."
    elif found := find_client_identifiers(clean_note):
        errors["note"] = describe_client_identifiers(found)
    if errors:
        raise InvalidInputError(errors)
    assert kind is not None
    return TriageDecision(outcome=kind, owner=owner or None, due_date=due, note=clean_note)


def _outcome(value: str | None) -> OutcomeKind | None:
    """The outcome chosen, or None when none (or a forged one) was."""
    try:
        return OutcomeKind(value) if value else None
    except ValueError:
        return None


def _due_date(value: str | None, *, today: date, errors: dict[str, str]) -> date | None:
    """The due date picked, if any; a date that cannot be read or has passed is an error."""
    if not value:
        return None
    try:
        due = date.fromisoformat(value)
    except ValueError:
        errors["due_date"] = "Pick a date from the calendar."
        return None
    if due < today:
        errors["due_date"] = "That date has passed; pick today or a later one."
    return due


def _tension(session: Session, tension_id: int) -> Tension:
    tension = session.get(Tension, tension_id, populate_existing=True)
    if tension is None:
        raise NotFoundError("That tension no longer exists.")
    return tension


def triage_target(session: Session, *, config: AppConfig, user_id: str, tension_id: int) -> Tension:
    """The tension a Triage button points at, if this person may triage it now.

    NotAllowedError for anyone outside the team; AlreadyTriagedError when someone was quicker.
    Private tensions are never on an agenda, so they cannot be triaged from one.
    """
    tension = _tension(session, tension_id)
    if tension.private:
        raise NotFoundError("That tension is not on any agenda.")
    team_as_member(config, user_id=user_id, team_id=tension.team_id)
    if tension.status == TensionStatus.WITHDRAWN:
        raise NotFoundError("Whoever raised it has withdrawn it, so it's off the agenda.")
    if tension.status != TensionStatus.OPEN:
        raise AlreadyTriagedError(_kept(session, tension))
    return tension


def submission_key(request_key: str) -> str:
    """The processed-event key that remembers one triage modal's submission."""
    return f"triage:{request_key}"


def triage_recorded(session: Session, *, request_key: str) -> bool:
    """True when the triage modal ``request_key`` names (its view id) was recorded already."""
    return session.get(ProcessedEvent, submission_key(request_key)) is not None


def triage_tension(
    session: Session,
    *,
    config: AppConfig,
    user_id: str,
    tension_id: int,
    round_id: int | None,
    decision: TriageDecision,
    now: datetime,
    request_key: str | None = None,
) -> Tension:
    """Record the outcome of an open tension, once (a second, later triage is refused).

    Resolved and dropped tensions close at once; the others wait for the raiser's answer. A
    proposal is marked for governance. ``request_key`` names the submission (the modal's view
    id), remembered with the outcome so that the same modal sent again is known
    (:func:`triage_recorded`).
    """
    tension = triage_target(session, config=config, user_id=user_id, tension_id=tension_id)
    closing = decision.outcome in CLOSING_OUTCOMES
    # Conditional on the status still being open, so two people triaging the same tension at
    # the same moment record one outcome: the second sees no row change and is told who won.
    statement = (
        update(Tension)
        .where(col(Tension.id) == tension.id, col(Tension.status) == TensionStatus.OPEN)
        .values(
            status=TensionStatus.CLOSED if closing else TensionStatus.TRIAGED,
            outcome=decision.outcome,
            owner=decision.owner,
            due_date=decision.due_date,
            triage_note=decision.note,
            governance=decision.outcome == OutcomeKind.PROPOSAL,
            triaged_at=now,
            triaged_by=user_id,
            triaged_round_id=round_id,
            needs_met=None,
            done_at=None,
            resolved_at=now if closing else None,
            updated_at=now,
        )
    )
    changed = session.exec(statement).rowcount
    if changed == 1 and request_key:
        session.add(ProcessedEvent(event_id=submission_key(request_key), received_at=now))
    session.commit()
    tension = _tension(session, tension_id)
    if changed != 1:
        raise AlreadyTriagedError(_kept(session, tension))
    return tension


def answer_needs_met(
    session: Session, *, user_id: str, tension_id: int, met: bool, now: datetime
) -> Tension:
    """The raiser's "did you get what you need?": yes closes the tension, no reopens it."""
    tension = _tension(session, tension_id)
    if tension.raised_by != user_id and not _raised_by_team_of(session, tension, user_id):
        raise NotAllowedError("Only the person who raised this tension can answer that.")
    if tension.status not in TRIAGED_STATUSES or tension.needs_met is not None:
        raise AlreadyAnsweredError(_kept(session, tension))
    tension.needs_met = met
    tension.updated_at = now
    if met:
        tension.status = TensionStatus.CLOSED
        tension.resolved_at = tension.resolved_at or now
    else:
        tension.status = TensionStatus.OPEN
        tension.resolved_at = None
    session.add(tension)
    session.commit()
    return tension


def _raised_by_team_of(session: Session, tension: Tension, user_id: str) -> bool:
    """True when the team raised the tension (its channel is the raiser: a retrospective's
    anonymous improvement) and ``user_id`` is one of its active members, who answer for it."""
    team = session.get(Team, tension.team_id)
    if team is None or tension.raised_by != team.channel:
        return False
    member = session.exec(
        select(Member.id).where(
            Member.team_id == tension.team_id, Member.user_id == user_id, col(Member.active)
        )
    ).first()
    return member is not None


def mark_done(
    session: Session, *, config: AppConfig, user_id: str, tension_id: int, now: datetime
) -> Tension:
    """Mark a next action or project done; only the team's members may, and only once."""
    tension = _tension(session, tension_id)
    team_as_member(config, user_id=user_id, team_id=tension.team_id)
    if tension.outcome not in ACTION_OUTCOMES or tension.status not in TRIAGED_STATUSES:
        raise NotFoundError("That is no longer an open next action or project.")
    statement = (
        update(Tension)
        .where(col(Tension.id) == tension.id, col(Tension.done_at).is_(None))
        .values(done_at=now, updated_at=now)
    )
    changed = session.exec(statement).rowcount
    session.commit()
    tension = _tension(session, tension_id)
    if changed != 1:
        raise AlreadyDoneError(_kept(session, tension))
    return tension
