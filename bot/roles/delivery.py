"""What roles send: a rotation's announcement in the team channel, the facilitator's brief, and
the note to a role's holders about a tension.

Announcements and briefs go out once: the ``role_turn`` row is claimed (pending -> sending)
before posting and marked sent or failed after. An announcement whose answer was lost (a
timeout, a crash mid-post) is looked for in the channel by its message metadata before it is
posted again; a brief whose answer was lost is recorded as failed, never sent blindly twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import ids
from bot.core.config import AppConfig
from bot.roles.model import FACILITATOR, KeptReason, TurnPlan
from bot.roles.views import build_facilitator_brief, build_holder_note, build_turns_announcement
from bot.services import Services
from bot.slack.client import TIMEOUT, Delivery, post, post_each, tagged_messages
from prompts import Renderer
from storage.models import CheckinRound, Role, RoleTurn, Tension, TurnDelivery

logger = logging.getLogger(__name__)

# A claim older than this whose post never finished is looked for in the channel, then retried.
STALE_CLAIM = timedelta(minutes=2)


def _plan_of(turn: RoleTurn, role_key: str, role_name: str) -> TurnPlan:
    return TurnPlan(
        team_id=turn.team_id,
        role_id=turn.role_id,
        role_key=role_key,
        role_name=role_name,
        meeting_date=turn.meeting_date,
        meeting_at=turn.meeting_at,
        holder=turn.holder,
        previous=(turn.previous,) if turn.previous else (),
        rotated=turn.rotated,
        kept_reason=KeptReason(turn.kept_reason) if turn.kept_reason else None,
    )


def announce_turns(services: Services, *, now: datetime) -> int:
    """Announce every team's recorded turns not yet announced (meeting still ahead); how many
    channel messages went out."""
    with services.session() as session:
        rows = session.exec(
            select(RoleTurn, Role.key, Role.name)
            .join(Role, col(Role.id) == col(RoleTurn.role_id))
            .where(
                col(RoleTurn.announce_status).in_([TurnDelivery.PENDING, TurnDelivery.SENDING]),
                col(RoleTurn.meeting_at) > now,
            )
            .order_by(col(RoleTurn.team_id), col(RoleTurn.id))
        ).all()
    by_team: dict[str, list[tuple[RoleTurn, str, str]]] = {}
    for turn, key, name in rows:
        by_team.setdefault(turn.team_id, []).append((turn, key, name))
    sent = 0
    for team_id, turns in by_team.items():
        try:
            sent += _announce_team(services, team_id=team_id, turns=turns, now=now)
        except Exception:
            logger.exception("Announcing the roles of team %s failed", team_id)
    return sent


def _announce_team(
    services: Services, *, team_id: str, turns: list[tuple[RoleTurn, str, str]], now: datetime
) -> int:
    """Claim the team's turns, post one message about them, record it; 1 if posted."""
    team = services.config.find_team(team_id)
    if team is None:
        return 0
    turn_ids = [turn.id for turn, _, _ in turns if turn.id is not None]
    stale = [t for t, _, _ in turns if t.announce_status == TurnDelivery.SENDING]
    if stale and _found_in_channel(services.client, team.channel, turn_ids):
        _mark(services, turn_ids, status=TurnDelivery.SENT, ts=None, error=None)
        return 0
    if stale and any(now - t.created_at < STALE_CLAIM for t in stale):
        return 0  # another process may be posting it right now
    with services.session() as session:
        claimed = session.execute(
            update(RoleTurn)
            .where(
                col(RoleTurn.id).in_(turn_ids),
                col(RoleTurn.announce_status).in_([TurnDelivery.PENDING, TurnDelivery.SENDING]),
            )
            .values(announce_status=TurnDelivery.SENDING)
        ).rowcount
        session.commit()
    if claimed != len(turn_ids):
        return 0
    payload = build_turns_announcement(
        services.renderer,
        team_name=team.name,
        turns=[_plan_of(turn, key, name) for turn, key, name in turns],
        zone=team.zone,
    )
    metadata = {"event_type": ids.ROLE_TURNS_METADATA, "event_payload": {"turns": turn_ids}}
    delivery = post(services.client, team.channel, payload, metadata=metadata)
    if delivery.error == TIMEOUT:
        return 0  # it may have arrived: the next run looks for it before posting again
    status = TurnDelivery.SENT if delivery.ok else TurnDelivery.FAILED
    _mark(services, turn_ids, status=status, ts=delivery.ts, error=delivery.error)
    return 1 if delivery.ok else 0


def _found_in_channel(client: WebClient, channel: str, turn_ids: Sequence[int]) -> bool:
    """True when the channel already has the announcement of these turns."""
    try:
        for _, payload in tagged_messages(client, channel, ids.ROLE_TURNS_METADATA, pages=1):
            if set(turn_ids) <= set(payload.get("turns") or ()):
                return True
    except SlackApiError:
        return False
    return False


def _mark(
    services: Services,
    turn_ids: Sequence[int],
    *,
    status: TurnDelivery,
    ts: str | None,
    error: str | None,
) -> None:
    with services.session() as session:
        session.execute(
            update(RoleTurn)
            .where(col(RoleTurn.id).in_(list(turn_ids)))
            .values(announce_status=status, announced_ts=ts, error=error)
        )
        session.commit()


# --- The facilitator's brief -------------------------------------------------------------------

# Without a posted agenda, the brief waits until this close to the meeting, then goes without.
BRIEF_WITHOUT_AGENDA = timedelta(minutes=10)


def send_briefs(services: Services, *, now: datetime) -> int:
    """DM each coming meeting's facilitator their brief once the agenda is out (or the meeting
    is close); how many went."""
    with services.session() as session:
        turns = list(
            session.exec(
                select(RoleTurn)
                .join(Role, col(Role.id) == col(RoleTurn.role_id))
                .where(
                    Role.key == FACILITATOR,
                    RoleTurn.brief_status == TurnDelivery.PENDING,
                    col(RoleTurn.meeting_at) > now,
                )
            )
        )
    sent = 0
    for turn in turns:
        try:
            sent += _brief(services, turn, now=now)
        except Exception:
            logger.exception("The facilitator's brief of team %s failed", turn.team_id)
    return sent


def _brief(services: Services, turn: RoleTurn, *, now: datetime) -> int:
    team = services.config.find_team(turn.team_id)
    if team is None or turn.holder is None or now < turn.meeting_at - team.tactical.agenda_lead:
        return 0
    with services.session() as session:
        agenda = _agenda_of(session, team_id=turn.team_id, turn=turn)
        if agenda is None and now < turn.meeting_at - BRIEF_WITHOUT_AGENDA:
            return 0  # the agenda is on its way: the brief links to it
        claimed = session.execute(
            update(RoleTurn)
            .where(RoleTurn.id == turn.id, RoleTurn.brief_status == TurnDelivery.PENDING)
            .values(brief_status=TurnDelivery.SENDING)
        ).rowcount
        session.commit()
    if claimed != 1:
        return 0
    url = _permalink(services.client, agenda) if agenda else None
    payload = build_facilitator_brief(
        services.renderer,
        team_name=team.name,
        meeting_at=turn.meeting_at,
        zone=team.zone_of(turn.holder),
        agenda_url=url,
    )
    delivery = post(services.client, turn.holder, payload)
    _record_brief(services, turn, delivery, now=now)
    return 1 if delivery.ok else 0


def _agenda_of(session: Session, *, team_id: str, turn: RoleTurn) -> tuple[str, str] | None:
    """The posted agenda message of the turn's meeting (channel, ts), if it is out."""
    found = session.exec(
        select(CheckinRound.agenda_channel, CheckinRound.agenda_ts).where(
            CheckinRound.team_id == team_id, CheckinRound.meeting_date == turn.meeting_date
        )
    ).first()
    if found is None or not found[0] or not found[1]:
        return None
    return found[0], found[1]


def _permalink(client: WebClient, agenda: tuple[str, str]) -> str | None:
    try:
        return client.chat_getPermalink(channel=agenda[0], message_ts=agenda[1]).get("permalink")
    except Exception:
        logger.warning("No link to the agenda in %s", agenda[0])
        return None


def _record_brief(services: Services, turn: RoleTurn, delivery: Delivery, *, now: datetime) -> None:
    status = TurnDelivery.SENT if delivery.ok else TurnDelivery.FAILED
    with services.session() as session:
        session.execute(
            update(RoleTurn)
            .where(RoleTurn.id == turn.id)
            .values(
                brief_status=status, briefed_at=now if delivery.ok else None, error=delivery.error
            )
        )
        session.commit()


# --- A tension about a role --------------------------------------------------------------------


def tell_holders(
    client: WebClient,
    renderer: Renderer,
    *,
    config: AppConfig,
    tension: Tension,
    role_name: str,
    holders: Sequence[str],
) -> list[Delivery]:
    """DM the role's holders (not the raiser) about a tension raised about their role."""
    team = config.find_team(tension.team_id)
    recipients = [h for h in holders if h != tension.raised_by]
    if team is None or not recipients:
        return []
    note = build_holder_note(renderer, tension=tension, role_name=role_name, team_name=team.name)
    return post_each(client, recipients, note)
