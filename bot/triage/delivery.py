"""Sending what triage and its follow-ups change: the agenda in place, the owner's and raiser's DMs.

Listeners call these after their ack. Each DM is its own try (bot.slack.client): a closed account
never stops the agenda update or the other DM. A DM Slack refuses is recorded (never its words),
so that `retrobot status` shows it (bot.slack.outbox.note_refused).
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk import WebClient

from bot.agenda.service import refresh_agendas
from bot.services import Services
from bot.slack import client as delivery
from bot.slack.outbox import note_refused
from bot.triage.views import build_owner_dm, build_raiser_question, build_reopened_note
from storage.models import ACTION_OUTCOMES, OutcomeKind, RefusedKind, Tension


def announce_triage(
    services: Services, client: WebClient, *, tension: Tension, round_id: int | None, now: datetime
) -> list[delivery.Delivery]:
    """After triage: the agenda shows the outcome, the owner gets their work, the raiser the
    question "did you get what you need?". What became of each DM, owner's first."""
    team = services.config.team(tension.team_id)
    refresh_agendas(services, team_id=team.id, round_id=round_id, now=now)
    renderer = services.renderer
    sent = []
    # A proposal's owner gets "Draft the proposal" (bot.decisions), prefilled from the tension.
    if tension.outcome in (*ACTION_OUTCOMES, OutcomeKind.PROPOSAL) and tension.owner:
        sent.append(
            delivery.post(
                client,
                tension.owner,
                build_owner_dm(renderer, tension=tension, team_name=team.name),
            )
        )
    sent.append(
        delivery.post(
            client,
            tension.raised_by,
            build_raiser_question(renderer, tension=tension, team_name=team.name),
        )
    )
    _record_refused(services, sent, team_id=team.id, now=now)
    return sent


def _record_refused(
    services: Services, sent: list[delivery.Delivery], *, team_id: str, now: datetime
) -> None:
    """Record the triage DMs Slack refused, for `retrobot status`."""
    if any(not result.ok for result in sent):
        with services.session() as session:
            note_refused(session, sent, team_id=team_id, kind=RefusedKind.TRIAGE_DM, now=now)


def announce_reopened(
    services: Services, client: WebClient, *, tension: Tension, now: datetime
) -> None:
    """After the raiser's "no": the agenda shows it open again, the owner hears their work waits."""
    refresh_agendas(services, team_id=tension.team_id, round_id=tension.triaged_round_id, now=now)
    if (
        tension.outcome in ACTION_OUTCOMES
        and tension.owner
        and tension.owner != tension.raised_by
        and tension.done_at is None
    ):
        sent = delivery.post(
            client, tension.owner, build_reopened_note(services.renderer, tension=tension)
        )
        _record_refused(services, [sent], team_id=tension.team_id, now=now)
