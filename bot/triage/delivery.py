"""Sending what triage and its follow-ups change: the agenda in place, the owner's and raiser's DMs.

Listeners call these after their ack. Each DM is its own try (bot.slack.client): a closed account
never stops the agenda update or the other DM.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk import WebClient

from bot.agenda.service import refresh_agendas
from bot.services import Services
from bot.slack import client as delivery
from bot.triage.views import build_owner_dm, build_raiser_question, build_reopened_note
from storage.models import ACTION_OUTCOMES, OutcomeKind, Tension


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
    return sent


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
        delivery.post(
            client, tension.owner, build_reopened_note(services.renderer, tension=tension)
        )
