"""What people do in triage: open the triage modal, record the outcome, answer "did you get
what you need?", mark a next action or project done.

Each use case owns its transaction. The triage modal's outcome is stored before the modal
closes (:meth:`bot.services.Services.saving_session`): :func:`submit_triage` returns the field
errors to show in it — what to fix, that someone was quicker, or "couldn't save just now" — or
the tension as triaged; the listener acks with them, and only then are those concerned told
(:func:`announce_triage`), off the ack's path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.agenda.service import refresh_agendas
from bot.core import ids
from bot.core.errors import CouldNotSaveError, InvalidInputError, RetrobotError
from bot.core.meetings import local_today
from bot.services import Services
from bot.tensions.service import tension_by_id
from bot.triage import delivery, to_circle
from bot.triage import service as triage
from bot.triage.to_circle import TakenTension
from bot.triage.views import build_triage_modal, parse_circle_outcome
from storage.models import Tension


@dataclass(frozen=True)
class TriageForm:
    """What the triage modal holds when it is submitted (and the tension and round it is for)."""

    tension_id: int
    round_id: int | None
    outcome: str | None
    owner: str | None
    due_date: str | None
    note: str | None


@dataclass(frozen=True)
class Triaged:
    """A submission's outcome: field errors (block id -> words) to show in the modal, or the
    tension as triaged (None for the same modal submitted twice: recorded and told once)."""

    errors: dict[str, str] = field(default_factory=dict)
    tension: Tension | None = None
    # For "Take to <circle>" (bot/circles): the tension as the circle now has it, too.
    taken: TakenTension | None = None


def triage_modal(
    services: Services, *, user_id: str, tension_id: int, round_id: int | None
) -> dict[str, Any]:
    """The triage modal for a tension on the agenda; RetrobotError when this person may not
    triage it now (not a member, someone was quicker, withdrawn)."""
    with services.session() as session:
        tension = triage.triage_target(
            session, config=services.config, user_id=user_id, tension_id=tension_id
        )
    team = services.config.team(tension.team_id)
    circles = [(c.id, c.name) for c in services.config.circles_of(team.id)]  # bot/circles
    return build_triage_modal(
        services.renderer, tension=tension, team=team, round_id=round_id, circles=circles
    )


def submit_triage(
    services: Services, *, user_id: str, form: TriageForm, request_key: str
) -> Triaged:
    """Check and record the outcome before the modal closes, once per modal (its view id)."""
    try:
        with services.saving_session() as session:
            if triage.triage_recorded(session, request_key=request_key):
                return Triaged()
            if (circle_id := parse_circle_outcome(form.outcome)) is not None:
                taken = _take_to_circle(services, session, user_id, form, circle_id, request_key)
                return Triaged(tension=taken.original, taken=taken)
            tension = _record(services, session, user_id=user_id, form=form, key=request_key)
    except InvalidInputError as error:
        return Triaged(
            errors={ids.TRIAGE_BLOCKS[f]: text for f, text in error.field_errors.items()}
        )
    except triage.AlreadyTriagedError as stale:
        name = triage.member_name(services.config, stale.tension.triaged_by)
        text = services.renderer.plain("triage.already_triaged_plain", name=name)
        return Triaged(errors={ids.TRIAGE_OUTCOME_BLOCK: text})
    except CouldNotSaveError:
        text = services.renderer.plain("errors.could_not_save")
        return Triaged(errors={ids.TRIAGE_OUTCOME_BLOCK: text})
    except RetrobotError as refused:
        return Triaged(errors={ids.TRIAGE_OUTCOME_BLOCK: str(refused)})
    return Triaged(tension=tension)


def _record(
    services: Services, session: Session, *, user_id: str, form: TriageForm, key: str
) -> Tension:
    """Check the modal's answers against the tension's team, then record the outcome."""
    now = services.now()
    team = services.config.team(tension_by_id(session, form.tension_id).team_id)
    decision = triage.check_triage(
        team=team,
        outcome=form.outcome,
        owner=form.owner,
        due_date=form.due_date,
        note=form.note,
        today=local_today(team, now),
    )
    return triage.triage_tension(
        session,
        config=services.config,
        user_id=user_id,
        tension_id=form.tension_id,
        round_id=form.round_id,
        decision=decision,
        now=now,
        request_key=key,
    )


def _take_to_circle(
    services: Services,
    session: Session,
    user_id: str,
    form: TriageForm,
    circle_id: str,
    request_key: str,
) -> TakenTension:
    """Record "Take to <circle>": the circle's agenda gets the tension, the team's closes."""
    return to_circle.take_to_circle(
        session,
        config=services.config,
        user_id=user_id,
        tension_id=form.tension_id,
        circle_id=circle_id,
        round_id=form.round_id,
        now=services.now(),
        request_key=request_key,
    )


def announce_triage(
    services: Services,
    client: WebClient,
    *,
    tension: Tension,
    round_id: int | None,
    taken: TakenTension | None = None,
) -> None:
    """After triage: the agenda shows the outcome, the owner gets their work, the raiser the
    question "did you get what you need?"; for a tension taken to a circle, the raiser is told
    where it went and both agendas show it."""
    if taken is not None:
        to_circle.after_taken(services, client, taken=taken)
        return
    delivery.announce_triage(
        services, client, tension=tension, round_id=round_id, now=services.now()
    )


def answer_needs_met(services: Services, *, user_id: str, tension_id: int, met: bool) -> Tension:
    """The raiser's answer: yes closes the tension, no reopens it; RetrobotError says why not."""
    with services.session() as session:
        return triage.answer_needs_met(
            session, user_id=user_id, tension_id=tension_id, met=met, now=services.now()
        )


def announce_needs_met(services: Services, client: WebClient, *, tension: Tension) -> None:
    """After a "no": the agenda shows the tension open again, the owner hears their work waits."""
    if not tension.needs_met:
        delivery.announce_reopened(services, client, tension=tension, now=services.now())


def mark_done(services: Services, *, user_id: str, tension_id: int) -> Tension:
    """Mark a next action or project done, once; RetrobotError says why it can't be."""
    with services.session() as session:
        return triage.mark_done(
            session,
            config=services.config,
            user_id=user_id,
            tension_id=tension_id,
            now=services.now(),
        )


def announce_done(services: Services, *, tension: Tension) -> None:
    """After Done: every agenda of the team shows the work done."""
    refresh_agendas(services, team_id=tension.team_id, now=services.now())


def refusal(services: Services, *, user_id: str, error: RetrobotError) -> str:
    """Why nothing happened, for the person who clicked: someone was quicker (and when, in
    their own time zone), or it is not theirs to do."""
    renderer, config = services.renderer, services.config
    if isinstance(error, triage.AlreadyTriagedError):
        zone = config.team(error.tension.team_id).zone_of(user_id)
        return renderer.say("triage.already_triaged", tension=error.tension, zone=zone)
    if isinstance(error, triage.AlreadyAnsweredError):
        return renderer.say("triage.already_answered", tension=error.tension)
    if isinstance(error, triage.AlreadyDoneError):
        zone = config.team(error.tension.team_id).zone_of(user_id)
        return renderer.say("triage.already_done", tension=error.tension, zone=zone)
    return renderer.say("triage.refused", reason=str(error))
