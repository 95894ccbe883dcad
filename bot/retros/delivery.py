"""What the retrospective sends: its channel message and thread (kept in line with the database),
the health chart, the reflection DMs and the two reminders.

Publishing brings the channel message and its thread replies in line with the database: each
part's content digest is recorded, so only what changed is updated and nothing is posted twice.
One process at a time holds the retrospective's publishing turn (a lease row, storage.locks), and
reads the database only once it holds it, so the last to publish always shows the latest state.

The channel message and the reflection DMs go through the one outbox (bot.slack.outbox): each
DM is claimed before it is posted (bot.retros.rounds) and recorded after, every such message
carries an envelope, and one that may have gone (a claim left behind, an answer lost) is looked
up before it is sent again. The scheduler's posts take turns in the workspace's one pace
(bot.slack.pacing). One member's closed account never stops the rest. Logs name retrospectives
and Slack's errors, never what anyone wrote.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import col, select

from bot.checkins.model import worth_retrying
from bot.core.charts import draw_later
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
from bot.shifts import service as shifts
from bot.shifts.gate import ScheduledDm, ShiftGate
from bot.slack import client as slack_client
from bot.slack import outbox, pacing
from bot.slack.client import TIMEOUT, may_have_arrived
from storage.locks import LeaseLock, instance_name
from storage.models import Retrospective, RetroStatus

logger = logging.getLogger(__name__)

BOARD_METADATA_TYPE = "retrobot_retro"
INVITATION_METADATA_TYPE = "retrobot_retro_invitation"
DUE_AT_ONCE = 500  # reflection DMs handed to the outbox in one go
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


@dataclass
class _Asked:
    """This process's publishes of one retrospective: how many were asked for, and how many of
    those a finished publish read the database after (so showed)."""

    turn: threading.Lock = field(default_factory=threading.Lock)
    asked: int = 0
    shown: int = 0
    last: Published | None = None


_ASKED: dict[int, _Asked] = {}
_ASKED_LOCK = threading.Lock()


def publish(services: Services, *, retro_id: int, paced: bool = False) -> Published:
    """Bring the retrospective's channel message, thread and chart in line with the database.

    ``paced`` (the scheduler, opening many at once) posts in turn with the DMs, at the pace of
    the workspace's one budget; a listener publishes at once, for the person looking at it.

    Threads of this process take turns on a lock, not by polling the lease every 50 ms. A
    publish asked for while another waited its turn (votes clicked together) is done by that
    one: its caller's change was committed before it asked, and the database is read after, so
    a publish that succeeded having started later shows it too; Slack is not told it again.
    """
    with _ASKED_LOCK:
        asked = _ASKED.setdefault(retro_id, _Asked())
        asked.asked += 1
        mine = asked.asked
    try:
        with asked.turn:
            if asked.shown >= mine and asked.last is not None:
                return asked.last
            with _ASKED_LOCK:
                reading = asked.asked
            published = _publish(services, retro_id=retro_id, paced=paced)
            if published.ok and published.chart_error is None:
                asked.shown, asked.last = reading, published
            return published
    finally:
        with _ASKED_LOCK:
            if asked.asked == mine and _ASKED.get(retro_id) is asked:
                del _ASKED[retro_id]  # nobody else is waiting: nothing to keep


def _publish(services: Services, *, retro_id: int, paced: bool) -> Published:
    """One publish, in turn with every other thread or process (see :func:`publish`)."""
    client = pacing.paced_client(services.client, services.pace()) if paced else services.client
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
    """Post the channel message through the outbox (looking first for one an earlier attempt
    may have posted), or update it when what it shows changed; (ts, error)."""
    digest = _digest(payload)
    ts = retro.message_ts
    if ts is None:
        stored["attempted"], looked = True, bool(stored.get("attempted"))
        envelope = outbox.Envelope(BOARD_METADATA_TYPE, {"retro_id": retro.id or 0})
        sent = outbox.send_once(
            client, retro.channel, payload, envelope, look_first=looked, pace=_pace_of(client)
        )
        if not sent.ok:
            return None, sent.error
        if not isinstance(sent, outbox.FoundDelivery):
            stored[MAIN] = {"ts": sent.ts, "digest": digest}
            return sent.ts, None
        ts = sent.ts  # an earlier attempt's: brought up to date below
    if stored.get(MAIN, {}).get("digest") == digest:
        return ts, None
    _, error = _call(client.chat_update, channel=retro.channel, ts=ts, **payload)
    if error is None:
        stored[MAIN] = {"ts": ts, "digest": digest}
    return ts, error


def _pace_of(client: WebClient) -> pacing.Pace | None:
    """The pace ``client`` keeps when it is a paced one (the scheduler's), else None."""
    for handler in client.retry_handlers:
        if isinstance(handler, pacing.PacedRateLimitRetryHandler):
            return handler.pace
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
        if (pace := _pace_of(client)) is not None:
            pace.wait()
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
        drawing = draw_later(
            health_radar, services.renderer, board.health, team_name=board.team_name
        )
        png = drawing.result()
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


def _envelope(invitation: rounds.Invitation) -> outbox.Envelope:
    """What marks a reflection DM as this participant's, for finding it again."""
    return outbox.Envelope(
        INVITATION_METADATA_TYPE,
        {"participant_id": invitation.participant_id, "retro_id": invitation.retro_id},
    )


def send_invitations(
    services: Services,
    *,
    retro_id: int | None = None,
    more_coming: Callable[[], bool] = lambda: False,
) -> InvitationReport:
    """Send the reflection DMs due now (of one retrospective, or of all) through the outbox,
    at the workspace's pace: claimed just ahead of the senders, recorded a batch at a time.
    While ``more_coming()`` (the scheduler still opening retrospectives) it waits for the DMs
    those openings add."""
    pace = services.pace()
    client = pacing.paced_client(services.client, pace)
    report = InvitationReport()
    payloads: dict[int, dict[str, Any]] = {}
    batch = outbox.Batch(
        claim=lambda rows: _claim(services, rows),
        send=lambda row: outbox.send_once(
            client,
            row.user_id,
            payloads[row.retro_id],
            _envelope(row),
            look_first=row.in_doubt,
            pace=pace,
        ),
        record=lambda sent: _record_sent(services, sent, report),
        recipient=lambda row: row.user_id,
    )
    while True:
        with services.session() as session:
            due = rounds.due_invitations(
                session, now=services.now(), retro_id=retro_id, limit=DUE_AT_ONCE
            )
            for item in due:
                if item.retro_id not in payloads:
                    payloads[item.retro_id] = _invitation_payload(services, session, item.retro_id)
        due = _on_shift(services, due)
        if due:
            outbox.send_all(due, batch)
        elif more_coming():
            time.sleep(0.05)
        else:
            return report


def _on_shift(services: Services, due: list[rounds.Invitation]) -> list[rounds.Invitation]:
    """The reflection DMs whose person is on shift and not in do-not-disturb now (bot/shifts).
    The others wait, as their participant's ``not_before``, for their next working time before
    reflection closes; after it, they are marked off shift and not sent."""
    if not due:
        return due
    with services.session() as session:
        closes = {
            retro.id: retro.reflection_closes_at
            for retro in session.exec(
                select(Retrospective).where(
                    col(Retrospective.id).in_({item.retro_id for item in due})
                )
            )
        }

    def describe(item: rounds.Invitation) -> ScheduledDm:
        return ScheduledDm(
            shifts.REFLECTION,
            item.participant_id,
            item.user_id,
            closes[item.retro_id],
            item.team_id,
            in_doubt=item.in_doubt,
        )

    gate = ShiftGate(
        services,
        due,
        describe=describe,
        now=services.now(),
        what="reflection DMs",
        mark=shifts.hold_reflection_dms,
    )
    ready = gate.admit(due)
    gate.finish()
    return ready


def _claim(services: Services, rows: Sequence[rounds.Invitation]) -> list[rounds.Invitation]:
    """Claim these DMs for this process; those someone else claimed are left out."""
    with services.session() as session:
        return rounds.claim_invitations(session, rows, now=services.now())


def _record_sent(
    services: Services, finished: Sequence[outbox.Sent[rounds.Invitation]], report: InvitationReport
) -> None:
    """Write what became of the finished DMs, in one transaction."""
    with services.session() as session:
        for outcome in finished:
            item, sent = outcome.row, outcome.result
            if sent.ok:
                report.sent += 1
            elif sent.error == TIMEOUT or (sent.error or "").startswith(outbox.IN_DOUBT):
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


def send_reminders(services: Services, *, retro_id: int, voting: bool, held: bool = False) -> int:
    """The one reminder to reflect (or to vote), to those who have not and are not away; or,
    ``held``, the reminders a shift held whose time has come. Each passes the shift gate
    (bot/shifts): whoever is off shift or in do-not-disturb now is reminded at their next
    working time before the phase closes, or not at all."""
    now = services.now()
    with services.session() as session:
        retro = session.get(Retrospective, retro_id)
        team = services.config.find_team(retro.team_id) if retro is not None else None
        if retro is None or team is None:
            return 0
        owe = rounds.reminders_come_due if held else rounds.claim_reminders
        owed = owe(session, retro_id=retro_id, voting=voting, now=now, team=team)
        retro = session.get(Retrospective, retro_id, populate_existing=True)
        session.expunge_all()
    if retro is None or retro.status not in (RetroStatus.REFLECTING, RetroStatus.VOTING):
        return 0
    deadline = retro.voting_closes_at if voting else retro.reflection_closes_at
    gate = ShiftGate(
        services,
        owed,
        describe=lambda item: ScheduledDm(
            rounds.REMINDER_KINDS[voting], item.participant_id, item.user_id, deadline, team.id
        ),
        now=now,
        what="retrospective reminders",
    )
    ready = gate.admit(owed)
    gate.finish()
    with services.session() as session:
        people = rounds.take_reminders(session, ready, voting=voting)
    payload = build_reminder(
        services.renderer, retro=retro, team_name=team.name, zone=team.zone, voting=voting
    )
    pace = services.pace()
    client = pacing.paced_client(services.client, pace)
    sent = 0
    for user_id in people:
        pace.wait()
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
