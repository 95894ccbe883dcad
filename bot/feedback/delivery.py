"""Sending peer feedback's messages: receivers' DMs, the team channel, confirmations, reminders.

Listeners call these after their ack; the scheduler calls :func:`send_feedback_reminders` every
hour. Each message is its own try (bot.slack.client): one person's closed account never stops the
rest. Nothing logged here names the giver of anonymous feedback.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.errors import NotFoundError
from bot.core.meetings import local_moment
from bot.feedback import service as feedback
from bot.feedback.model import AskedForFeedback, DueReminder, GivenFeedback, Reply, Thanks
from bot.feedback.rules import zone_of
from bot.feedback.views import (
    build_feedback_dm,
    build_giver_confirmation,
    build_reply_note,
    build_reply_sent,
    build_request_confirmation,
    build_request_dm,
    build_shared_appreciation,
    build_thanks_note,
)
from bot.services import Services
from bot.shifts.gate import ScheduledDm, ShiftGate
from bot.slack import client as delivery
from bot.slack import outbox
from bot.slack.outbox import Envelope, note_refused
from storage.models import Feedback, FeedbackRequest, RefusedKind

logger = logging.getLogger(__name__)


def _post_to_anonymous_giver(client: WebClient, giver: str, payload: dict[str, Any]) -> None:
    """The anonymous giver's own confirmation; a failure is logged without saying who it was."""
    try:
        client.chat_postMessage(channel=giver, **payload)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else "error"
        logger.warning("Slack refused an anonymous giver's confirmation: %s", code)
    except Exception as error:
        logger.warning("Could not reach Slack with an anonymous giver's confirmation: %r", error)


def deliver_feedback(
    services: Services, client: WebClient, *, giver: str, given: GivenFeedback
) -> None:
    """DM each receiver, post shared appreciations once per team channel, confirm to the giver."""
    renderer = services.renderer
    reached: list[str] = []
    missed: list[str] = []
    for row in given.feedback:
        answered = given.answered if row.request_id is not None else None
        sent = delivery.post(
            client, row.receiver, build_feedback_dm(renderer, feedback=row, request=answered)
        )
        if not sent.ok:
            missed.append(row.receiver)
            continue
        reached.append(row.receiver)
        with services.session() as session:
            feedback.record_feedback_dm(
                session, feedback_id=row.id or 0, channel=sent.channel, ts=sent.ts
            )
    channels = _share_with_teams(services, client, given.feedback)
    confirmation = build_giver_confirmation(
        renderer,
        feedback=given.first,
        reached=reached,
        missed=missed,
        channels=channels,
        answered=given.answered,
    )
    if given.first.anonymous:
        _post_to_anonymous_giver(client, giver, confirmation)
    else:
        delivery.post(client, giver, confirmation)


def _share_with_teams(services: Services, client: WebClient, rows: list[Feedback]) -> list[str]:
    """One message per team channel for a shared appreciation; the channels it reached."""
    receivers_by_team: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.shared and row.team_id is not None:
            receivers_by_team[row.team_id].append(row.receiver)
    channels = []
    for team_id, receivers in receivers_by_team.items():
        try:
            channel = services.config.team(team_id).channel
        except NotFoundError:
            continue  # a team since removed from app.yaml has no channel to share in
        payload = build_shared_appreciation(
            services.renderer, feedback=rows[0], receivers=receivers
        )
        sent = delivery.post(client, channel, payload)
        if sent.ok:
            channels.append(channel)
            continue
        with services.session() as session:  # shown by `retrobot status`, without its words
            note_refused(
                session,
                [sent],
                team_id=team_id,
                kind=RefusedKind.SHARED_APPRECIATION,
                now=services.now(),
            )
    return channels


def deliver_thanks(
    services: Services,
    client: WebClient,
    *,
    thanks: Thanks,
    channel: str | None,
    ts: str | None,
) -> None:
    """Show the thanks on the receiver's DM; tell the giver the first time (unless anonymous)."""
    thanked = thanks.feedback
    with services.session() as session:
        request = session.get(FeedbackRequest, thanked.request_id) if thanked.request_id else None
    dm = build_feedback_dm(services.renderer, feedback=thanked, request=request)
    where, when = thanked.dm_channel or channel, thanked.dm_ts or ts
    if where and when:
        try:
            client.chat_update(channel=where, ts=when, **dm)
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else "error"
            logger.warning("Could not update a feedback DM after thanks: %s", code)
    if thanks.new and thanked.giver is not None:
        delivery.post(client, thanked.giver, build_thanks_note(services.renderer, feedback=thanked))


def deliver_reply(services: Services, client: WebClient, *, reply: Reply) -> None:
    """Pass a private reply to the giver, and tell the receiver whether it reached them."""
    giver = reply.feedback.giver
    if giver is None:
        return
    sent = delivery.post(client, giver, build_reply_note(services.renderer, reply=reply))
    note = build_reply_sent(services.renderer, reply=reply, delivered=sent.ok)
    delivery.post(client, reply.feedback.receiver, note)


def deliver_request(services: Services, client: WebClient, *, asked: AskedForFeedback) -> None:
    """DM each person asked (with the "Give feedback" button) and confirm to the requester."""
    request = asked.request
    payload = build_request_dm(services.renderer, request=request)
    reached: list[str] = []
    missed: list[str] = []
    for row in asked.asked:
        sent = delivery.post(client, row.user_id, payload)
        if not sent.ok:
            missed.append(row.user_id)
            continue
        reached.append(row.user_id)
        with services.session() as session:
            feedback.record_request_dm(session, asked_id=row.id or 0, ts=sent.ts)
    confirmation = build_request_confirmation(
        services.renderer, request=request, reached=reached, missed=missed
    )
    delivery.post(client, request.requester, confirmation)


# Marks a feedback reminder DM as the one for this person and request.
REMINDER_METADATA_TYPE = "retrobot_feedback_reminder"


def send_feedback_reminders(services: Services, *, now: datetime) -> int:
    """Remind, once and gently, everyone whose feedback is due tomorrow; how many were sent.

    The scheduler calls this every hour. Each person is marked reminded before the DM goes,
    so a restart or a second scheduler never reminds anyone twice.
    """
    with services.session() as session:
        due = feedback.reminders_due(session, config=services.config, now=now)
    due = _on_shift(services, due, now)  # shifts: held for their working time, or skipped
    sent = 0
    for item in due:
        with services.session() as session:
            if not feedback.claim_reminder(session, asked_id=item.asked.id or 0, now=now):
                continue
        payload = build_request_dm(
            services.renderer, request=item.request, reminder=True, due_today=item.due_today
        )
        envelope = Envelope(REMINDER_METADATA_TYPE, {"asked_id": item.asked.id or 0})
        if outbox.send_once(services.client, item.asked.user_id, payload, envelope).ok:
            sent += 1
    if due:
        logger.info("Sent %d of %d feedback reminders due", sent, len(due))
    return sent


# --- Shifts and do-not-disturb (bot/shifts) ---------------------------------------------------


def _on_shift(services: Services, due: list[DueReminder], now: datetime) -> list[DueReminder]:
    """The reminders whose person is on shift and not in do-not-disturb now. The others wait
    (in shift_hold) for the next hourly run in their working time before the end of the due
    date, where they are; after it, they do not go."""

    def describe(item: DueReminder) -> ScheduledDm:
        request, asked = item.request, item.asked
        zone = zone_of(services.config, asked.user_id, request.team_id)
        assert request.due_date is not None  # reminders_due only returns dated requests
        deadline = local_moment(request.due_date + timedelta(days=1), time(0, 0), zone)
        return ScheduledDm(
            "feedback_reminder", asked.id or 0, asked.user_id, deadline, request.team_id
        )

    gate = ShiftGate(services, due, describe=describe, now=now, what="feedback reminders")
    ready = gate.admit(due)
    gate.finish()
    return ready
