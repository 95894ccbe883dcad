"""What the retrospective sends: its channel message and thread (kept in line with the database),
the health chart, the reflection DMs and the two reminders.

Publishing brings the channel message and its thread replies in line with the database: each
part's content digest is recorded, so only what changed is updated and nothing is posted twice.
One process at a time holds the retrospective's publishing turn (a lease row, storage.locks), and
reads the database only once it holds it, so the last to publish always shows the latest state.

The reflection DMs go out at Slack's pace from the check-ins' sender pool (the workspace's one
budget), each claimed before it is posted and recorded after; a claim left in doubt is looked up
in the DM's history (message metadata) before it is sent again. One member's closed account never
stops the rest. Logs name retrospectives and Slack's errors, never what anyone wrote.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.checkins import service as checkins
from bot.checkins.service import SENDERS, PacedRateLimitRetryHandler, paced_client, worth_retrying
from bot.core.errors import RetrobotError
from bot.retros import figures, rounds
from bot.retros.charts import has_chart, health_radar
from bot.retros.model import RetroBoard
from bot.retros.views import (
    MAIN,
    build_board_message,
    build_invitation,
    build_reminder,
    build_thread,
)
from bot.services import Services
from bot.slack import client as slack_client
from bot.slack.client import TIMEOUT, Delivery, may_have_arrived
from storage.locks import LeaseLock, instance_name
from storage.models import Retrospective, RetroStatus

logger = logging.getLogger(__name__)

BOARD_METADATA_TYPE = "retrobot_retro"
INVITATION_METADATA_TYPE = "retrobot_retro_invitation"
HISTORY_PAGES = 2
TURN_WAIT = 120.0  # seconds to wait for another process to finish publishing
PUBLISH_LEASE = timedelta(minutes=5)  # longer than any publishing takes


class PublishBusyError(RetrobotError):
    """Another process held the retrospective's publishing turn for longer than anyone waits."""


@dataclass(frozen=True)
class Published:
    """What publishing did: where the channel message is, and Slack's first refusal, if any."""

    retro_id: int
    channel: str
    ts: str | None
    error: str | None = None
    chart_error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the channel message is there."""
        return self.ts is not None and self.error is None


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def _call(call: Callable[..., Any], **arguments: Any) -> tuple[Any, str | None]:
    """One Web API call; Slack's refusal (or a lost connection) becomes an error code."""
    try:
        return call(**arguments), None
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        logger.warning("Slack refused %s: %s", getattr(call, "__name__", "a call"), code)
        return None, str(code or "slack_error")
    except Exception as error:
        if may_have_arrived(error):
            return None, TIMEOUT
        logger.exception("Could not reach Slack for a retrospective")
        return None, type(error).__name__


@contextmanager
def publishing_turn(services: Services, retro_id: int) -> Iterator[None]:
    """Take turns with every other thread or process publishing this retrospective: a lease row
    (storage.locks), so no database lock is held while Slack is called."""
    lease = LeaseLock(
        services,
        holder=f"{instance_name()}:{threading.get_ident()}",
        lease=PUBLISH_LEASE,
        name=f"retro:{retro_id}",
    )
    deadline = time.monotonic() + TURN_WAIT
    while not lease.acquire():
        if time.monotonic() > deadline:
            raise PublishBusyError(f"retrospective {retro_id} was being published for too long")
        time.sleep(0.05)
    try:
        yield
    finally:
        lease.release()


def publish(services: Services, *, retro_id: int, paced: bool = False) -> Published:
    """Bring the retrospective's channel message, thread and chart in line with the database.

    ``paced`` (the scheduler, opening many at once) posts in turn with the DMs, at the pace of
    the workspace's one budget; a listener publishes at once, for the person looking at it.
    """
    client = paced_client(services.client, checkins.PACE) if paced else services.client
    with publishing_turn(services, retro_id):
        with services.session() as session:
            retro = session.get(Retrospective, retro_id, populate_existing=True)
            if retro is None:
                raise RetrobotError(f"retrospective {retro_id} no longer exists")
            team = services.config.find_team(retro.team_id)
            board = figures.board(session, team=team, retro=retro)
        stored: dict[str, Any] = dict(retro.messages or {})
        ts, error = _sync_main(
            client, retro, build_board_message(services.renderer, board=board), stored
        )
        chart_error = None
        chart_posted = retro.chart_posted
        if ts is not None and error is None:
            error = _sync_thread(
                client, retro.channel, ts, build_thread(services.renderer, board=board), stored
            )
            if not chart_posted and board.health and has_chart(board.health):
                chart_error = _upload_chart(services, client, board, ts)
                chart_posted = chart_error in (None, TIMEOUT)  # a timeout may have posted it
        with services.session() as session:
            rounds.record_publishing(
                session,
                retro_id=retro_id,
                message_ts=ts,
                messages=stored,
                chart_posted=chart_posted,
            )
    return Published(retro_id, retro.channel, ts, error, chart_error)


def _sync_main(
    client: WebClient, retro: Retrospective, payload: dict[str, Any], stored: dict[str, Any]
) -> tuple[str | None, str | None]:
    """Post the channel message, or update it when what it shows changed; (ts, error)."""
    digest = _digest(payload)
    ts = retro.message_ts
    if ts is None and stored.get("attempted"):
        ts = _posted_before(client, retro)
    if ts is not None:
        if stored.get(MAIN, {}).get("digest") == digest:
            return ts, None
        _, error = _call(client.chat_update, channel=retro.channel, ts=ts, **payload)
        if error is None:
            stored[MAIN] = {"ts": ts, "digest": digest}
        return ts, error
    stored["attempted"] = True
    metadata = {"event_type": BOARD_METADATA_TYPE, "event_payload": {"retro_id": retro.id}}
    _wait_turn(client)
    sent = slack_client.post(client, retro.channel, payload, metadata=metadata)
    if not sent.ok:
        return None, sent.error
    stored[MAIN] = {"ts": sent.ts, "digest": digest}
    return sent.ts, None


def _wait_turn(client: WebClient) -> None:
    """Before a post by the paced client: wait for its turn in the workspace's budget."""
    if any(isinstance(handler, PacedRateLimitRetryHandler) for handler in client.retry_handlers):
        checkins.PACE.wait()


def _posted_before(client: WebClient, retro: Retrospective) -> str | None:
    """The channel message an earlier attempt posted without hearing back, found by metadata."""
    try:
        for ts, payload in slack_client.tagged_messages(
            client, retro.channel, BOARD_METADATA_TYPE, pages=1
        ):
            if payload.get("retro_id") == retro.id:
                return ts
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        logger.info("Could not look for retrospective %s's message: %s", retro.id, code)
    except Exception:
        logger.warning("Could not look for retrospective %s's message", retro.id, exc_info=True)
    return None


def _sync_thread(
    client: WebClient,
    channel: str,
    thread_ts: str,
    wanted: dict[str, dict[str, Any]],
    stored: dict[str, Any],
) -> str | None:
    """Post or update the thread's replies so they are ``wanted``; the first error."""
    first_error: str | None = None
    for key, payload in wanted.items():
        digest = _digest(payload)
        known = stored.get(key)
        if known and known.get("digest") == digest:
            continue
        if known:
            _, error = _call(client.chat_update, channel=channel, ts=known["ts"], **payload)
            if error is None:
                stored[key] = {"ts": known["ts"], "digest": digest}
                continue
            if error != "message_not_found":
                first_error = first_error or error
                continue
        _wait_turn(client)
        sent = slack_client.post(client, channel, payload, thread_ts=thread_ts)
        if sent.ok:
            stored[key] = {"ts": sent.ts, "digest": digest}
        else:
            first_error = first_error or sent.error
    for key in [k for k in stored if k not in wanted and k not in (MAIN, "attempted")]:
        # A continuation no longer needed (reflections were removed): delete it, quietly.
        _, error = _call(client.chat_delete, channel=channel, ts=stored[key]["ts"])
        if error in (None, "message_not_found"):
            del stored[key]
        else:
            first_error = first_error or error
    return first_error


def _upload_chart(
    services: Services, client: WebClient, board: RetroBoard, thread_ts: str
) -> str | None:
    """Draw the health radar and attach it in the thread; the error as text when that fails."""
    title = services.renderer.plain("retros.chart_title", team_name=board.team_name)
    try:
        png = health_radar(services.renderer, board.health, team_name=board.team_name)
    except Exception as error:
        logger.exception("Could not draw retrospective %s's health chart", board.retro.id)
        return f"chart: {type(error).__name__}"
    _, error = _call(
        client.files_upload_v2,
        channel=board.retro.channel,
        file=png,
        filename=f"retro-health-{board.retro.id}.png",
        title=title,
        alt_txt=title,
        thread_ts=thread_ts,
    )
    return error


# --- the reflection DMs -----------------------------------------------------------------------


@dataclass
class InvitationReport:
    """What a send of reflection DMs did."""

    sent: int = 0
    failed: int = 0
    in_doubt: int = 0


def _find_invitation(client: WebClient, *, user_id: str, participant_id: int) -> Delivery | None:
    """The reflection DM if Slack has it (by its metadata); SlackApiError when it cannot tell."""
    opened = client.conversations_open(users=user_id)
    channel = (opened.get("channel") or {}).get("id")
    if not channel:
        return None
    for ts, payload in slack_client.tagged_messages(
        client, channel, INVITATION_METADATA_TYPE, pages=HISTORY_PAGES
    ):
        if payload.get("participant_id") == participant_id:
            return Delivery(recipient=user_id, channel=channel, ts=ts)
    return None


def _send_invitation(
    client: WebClient, invitation: rounds.Invitation, payload: dict[str, Any]
) -> Delivery:
    """Post one member's reflection DM (looking first when an earlier claim was left)."""
    if invitation.in_doubt:
        try:
            found = _find_invitation(
                client, user_id=invitation.user_id, participant_id=invitation.participant_id
            )
        except Exception:
            logger.warning(
                "Could not check whether a reflection DM of retro %s arrived", invitation.retro_id
            )
            return Delivery(recipient=invitation.user_id, error="in_doubt")
        if found is not None:
            return found
    checkins.PACE.wait()
    metadata = {
        "event_type": INVITATION_METADATA_TYPE,
        "event_payload": {
            "participant_id": invitation.participant_id,
            "retro_id": invitation.retro_id,
        },
    }
    return slack_client.post(client, invitation.user_id, payload, metadata=metadata)


def send_invitations(
    services: Services,
    *,
    retro_id: int | None = None,
    more_coming: Callable[[], bool] = lambda: False,
) -> InvitationReport:
    """Send the reflection DMs due now (of one retrospective, or of all), at Slack's pace.

    DMs are claimed a batch at a time just ahead of the senders, and their results written a
    batch at a time, so the database never holds up the pace. While ``more_coming()`` (the
    scheduler still opening retrospectives) it waits for the DMs those openings add.
    """
    client = paced_client(services.client, checkins.PACE)
    report = InvitationReport()
    payloads: dict[int, dict[str, Any]] = {}
    inflight: dict[Future[Delivery], rounds.Invitation] = {}
    while True:
        if len(inflight) < 2 * rounds.INVITATION_BATCH:
            claimed = _claim_next(services, retro_id, payloads)
            for item in claimed:
                future = SENDERS.get().submit(
                    _send_invitation, client, item, payloads[item.retro_id]
                )
                inflight[future] = item
            if not claimed and not inflight:
                if not more_coming():
                    return report
                time.sleep(0.05)
                continue
            if claimed and len(inflight) < 2 * rounds.INVITATION_BATCH:
                continue
        done, _ = wait(inflight, timeout=1.0, return_when=FIRST_COMPLETED)
        _record_sent(services, [(inflight.pop(future), future) for future in done], report)


def _claim_next(
    services: Services, retro_id: int | None, payloads: dict[int, dict[str, Any]]
) -> list[rounds.Invitation]:
    """Claim the next batch of DMs due; the payload of each retrospective met, once."""
    with services.session() as session:
        due = rounds.due_invitations(session, now=services.now(), retro_id=retro_id)
        claimed = rounds.claim_invitations(session, due, now=services.now())
        for invitation in claimed:
            if invitation.retro_id not in payloads:
                payloads[invitation.retro_id] = _invitation_payload(
                    services, session, invitation.retro_id
                )
    return claimed


def _record_sent(
    services: Services,
    finished: list[tuple[rounds.Invitation, Future[Delivery]]],
    report: InvitationReport,
) -> None:
    """Write what became of the finished DMs, in one transaction."""
    with services.session() as session:
        for item, future in finished:
            try:
                sent = future.result()
            except Exception as error:  # a bug, not Slack: record it and go on
                logger.exception("Sending a reflection DM of retro %s failed", item.retro_id)
                sent = Delivery(recipient=item.user_id, error=type(error).__name__)
            if sent.ok:
                report.sent += 1
            elif sent.error in (TIMEOUT, "in_doubt"):
                report.in_doubt += 1  # left claimed: looked up before it is sent again
                continue
            else:
                report.failed += 1
            rounds.record_invitation(
                session,
                participant_id=item.participant_id,
                channel=sent.channel,
                ts=sent.ts,
                error=sent.error,
                now=services.now(),
                retry=not sent.ok and worth_retrying(sent.error),
            )
        session.commit()


def _invitation_payload(services: Services, session: Any, retro_id: int) -> dict[str, Any]:
    """The DM every member of this retrospective gets (it names nobody)."""
    retro = session.get(Retrospective, retro_id)
    team = services.config.find_team(retro.team_id)
    name = team.name if team is not None else retro.team_id
    zone = team.zone if team is not None else services.config.teams[0].zone
    return build_invitation(services.renderer, retro=retro, team_name=name, zone=zone)


def send_reminders(services: Services, *, retro_id: int, voting: bool) -> int:
    """The one reminder to reflect (or to vote), to those who have not and are not away."""
    with services.session() as session:
        retro = session.get(Retrospective, retro_id)
        if retro is None:
            return 0
        team = services.config.find_team(retro.team_id)
        if team is None:
            return 0
        people = rounds.claim_reminders(
            session, retro_id=retro_id, voting=voting, now=services.now(), team=team
        )
        retro = session.get(Retrospective, retro_id, populate_existing=True)
    if retro is None or retro.status not in (RetroStatus.REFLECTING, RetroStatus.VOTING):
        return 0
    payload = build_reminder(
        services.renderer, retro=retro, team_name=team.name, zone=team.zone, voting=voting
    )
    client = paced_client(services.client, checkins.PACE)
    sent = 0
    for user_id in people:
        checkins.PACE.wait()
        if slack_client.post(client, user_id, payload).ok:
            sent += 1
    if people:
        logger.info(
            "Retro %s: %d of %d %s reminders sent",
            retro_id,
            sent,
            len(people),
            "vote" if voting else "reflect",
        )
    return sent
