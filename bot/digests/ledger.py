"""The digests' ledger: each summary and digest delivery claimed once, before it is sent.

Each (recipient, team, week) delivery is claimed in the database before anything is posted
(its unique key makes it once only, across restarts and concurrent runs). The first message
carries metadata naming the delivery, so a run that takes over a delivery left unconfirmed
(Slack's answer lost, or the process stopped) looks for it in Slack before sending it again:
found, it is recorded; not there, it is sent; when Slack cannot say, it is left in doubt and
never sent blind. Claim, first message, look-up and record are here; what a summary or a digest
is made of (its thread, its other messages, its chart) is :mod:`bot.digests.delivery`'s.

A change to a delivery's row is committed at once, so that what reached Slack is known even if
the run stops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.digests.model import DeliveryOutcome, DeliveryReport
from bot.slack import outbox
from bot.slack.client import TIMEOUT, Delivery, post
from bot.slack.outbox import IN_DOUBT_AFTER, Envelope
from storage.claims import claim_delivery, find_delivery, reclaim_unconfirmed
from storage.models import DeliveryStatus, DigestKind, SentDigest

logger = logging.getLogger(__name__)

# The message metadata that marks a summary's or digest's first message, so that a delivery
# left unconfirmed (Slack's answer lost, or the process stopped) can be found in Slack.
METADATA_TYPE = "retrobot_digest"
HISTORY_PAGES = 5  # of 100 messages read in the channel or DM to find one


def digest_metadata(
    kind: DigestKind, *, week: str, recipient: str, team_ids: Sequence[str]
) -> dict[str, Any]:
    """The message metadata that marks a summary's or digest's first message as this delivery.

    ``recipient`` is the team channel of a summary, the coach of a digest; ``teams`` the teams
    the message covers (comma-separated: Slack's payload values are plain strings or numbers).
    """
    return Envelope(
        METADATA_TYPE,
        {"kind": kind.value, "week": week, "recipient": recipient, "teams": ",".join(team_ids)},
    ).metadata()


def find_posted(
    client: WebClient, *, kind: DigestKind, recipient: str, week: str
) -> dict[str, Delivery]:
    """The first messages of this delivery that Slack has (found by their metadata), by team.

    A team summary is looked for in its channel, a coach digest in the coach's DM, among the
    newest few hundred messages. Raises SlackApiError when Slack cannot tell (no history scope,
    the bot left the channel): then nothing is posted, to never post twice.
    """
    found: dict[str, Delivery] = {}
    for sent, payload in outbox.sent_messages(
        client, recipient, METADATA_TYPE, pages=HISTORY_PAGES
    ):
        if (
            payload.get("kind") == kind.value
            and payload.get("week") == week
            and payload.get("recipient") == recipient
        ):
            for team_id in str(payload.get("teams") or "").split(","):
                if team_id and team_id not in found:
                    found[team_id] = Delivery(recipient, channel=sent.channel, ts=sent.ts)
    return found


# --- claims: what this run may send ------------------------------------------------------------


@dataclass
class Claims:
    """What one run may send: deliveries it claimed afresh, deliveries an earlier run left
    unconfirmed that it took over (to look for in Slack first), and the others' rows."""

    fresh: list[SentDigest] = field(default_factory=list)
    unconfirmed: list[SentDigest] = field(default_factory=list)
    taken: list[SentDigest] = field(default_factory=list)


def claim(
    session: Session,
    *,
    kind: DigestKind,
    recipient: str,
    team_ids: Sequence[str],
    week: str,
    now: datetime,
) -> Claims:
    """Claim each (recipient, team, week) delivery, or take over one left unconfirmed.

    Unconfirmed: Slack's answer was lost (``timeout``), Slack could not say whether it arrived
    (``in_doubt:…``), or the run that claimed it stopped over :data:`IN_DOUBT_AFTER` ago.
    """
    claims = Claims()
    for team_id in team_ids:
        key = {"kind": kind, "recipient": recipient, "team_id": team_id, "iso_week": week}
        row = claim_delivery(session, **key, now=now)
        if row is not None:
            claims.fresh.append(row)
            continue
        row = reclaim_unconfirmed(session, **key, now=now, stale_before=now - IN_DOUBT_AFTER)
        if row is not None:
            claims.unconfirmed.append(row)
            continue
        existing = find_delivery(session, **key)
        if existing is not None:
            claims.taken.append(existing)
    return claims


@dataclass
class Settled:
    """Unconfirmed deliveries, looked for in Slack: found (their first message went), to send
    now, or in doubt. ``unfinished`` are the found first messages, by team: what follows them
    may be missing, and is looked for and finished (:func:`follow`)."""

    found: list[SentDigest] = field(default_factory=list)
    send: list[SentDigest] = field(default_factory=list)
    in_doubt: list[SentDigest] = field(default_factory=list)
    unfinished: dict[str, Delivery] = field(default_factory=dict)
    error: str | None = None


def _look_in_slack(
    client: WebClient, *, kind: DigestKind, recipient: str, week: str
) -> tuple[dict[str, Delivery], str | None]:
    """The delivery's first messages Slack has, by team; or the error when Slack cannot say."""
    try:
        return find_posted(client, kind=kind, recipient=recipient, week=week), None
    except Exception as error:
        logger.warning("Could not check whether the %s to %s arrived", kind, recipient)
        return {}, outbox.in_doubt(error)


def settle(
    client: WebClient,
    session: Session,
    rows: Sequence[SentDigest],
    *,
    kind: DigestKind,
    recipient: str,
    week: str,
) -> Settled:
    """Settle deliveries an earlier run left unconfirmed, never sending one twice. Commits.

    A row that kept its first message's ts went (the run stopped after it). The others are
    looked for in Slack: found, their ts is kept; either way they are ``unfinished``, and the
    caller sends what never followed them (:func:`follow`); not there, they are to be sent now;
    when Slack cannot say, they stay unconfirmed with the error ``in_doubt:<Slack's error>``
    and are not sent blind (the next run looks again).
    """
    settled = Settled()
    posted: dict[str, Delivery] = {}
    if any(not row.message_ts for row in rows):
        posted, settled.error = _look_in_slack(client, kind=kind, recipient=recipient, week=week)
    for row in rows:
        found = posted.get(row.team_id)
        if row.message_ts or found is not None:
            # Its first message went: what follows it is finished by the caller (``follow``).
            row.error = None
            if not row.message_ts and found is not None:
                row.message_ts = found.ts
            channel = found.channel if found is not None else None
            settled.unfinished[row.team_id] = Delivery(row.recipient, channel, row.message_ts)
            settled.found.append(row)
        elif settled.error is not None:
            row.error = settled.error  # still pending: it may have arrived
            settled.in_doubt.append(row)
        else:
            settled.send.append(row)
        session.add(row)
    session.commit()
    if settled.found or settled.in_doubt:
        logger.info(
            "The %s of %s to %s, left unconfirmed: found in Slack for %s, in doubt for %s",
            kind,
            week,
            recipient,
            [row.team_id for row in settled.found] or "none",
            [row.team_id for row in settled.in_doubt] or "none",
        )
    return settled


def not_sent_again(
    kind: DigestKind, recipient: str, week: str, rows: Sequence[SentDigest]
) -> DeliveryReport:
    """The report for a delivery some earlier (or concurrent) run already made."""
    sent = [row for row in rows if row.status is DeliveryStatus.SENT]
    first = sent[0] if sent else (rows[0] if rows else None)
    return DeliveryReport(
        kind=kind,
        recipient=recipient,
        week=week,
        outcome=DeliveryOutcome.ALREADY_SENT if sent else DeliveryOutcome.IN_PROGRESS,
        already_sent=[row.team_id for row in rows],
        message_ts=first.message_ts if first else None,
        sent_at=first.sent_at if first else None,
    )


# --- posting and recording ---------------------------------------------------------------------


def _keep_ts(session: Session, rows: Sequence[SentDigest], ts: str | None) -> None:
    """Keep the first message's ts as soon as Slack gives it: a run that stops after this point
    is known to have sent it, and the next run finishes what follows it (:func:`follow`)."""
    for row in rows:
        row.message_ts = ts
        session.add(row)
    session.commit()


def _record(
    session: Session,
    rows: Sequence[SentDigest],
    *,
    delivery: Delivery,
    bodies: dict[str, str],
    now: datetime,
    later_errors: Sequence[str | None] = (),
    unconfirmed: bool = False,
) -> None:
    """Mark claimed deliveries sent (with the message's ts and the text sent) or failed.

    ``later_errors`` are Slack's refusals of what followed the first message, which went. A
    first message Slack did not answer may have arrived: it stays unconfirmed (pending, with the
    error ``timeout``), and the next run looks for it in Slack before sending it again. So does
    one whose thread or chart is ``unconfirmed`` (keeping its ts: the next run finishes it).
    """
    for row in rows:
        if delivery.error == TIMEOUT:
            row.status = DeliveryStatus.PENDING
            row.error = TIMEOUT
        elif delivery.ok:
            row.status = DeliveryStatus.PENDING if unconfirmed else DeliveryStatus.SENT
            row.message_ts = delivery.ts
            row.sent_at = now
            row.body = bodies.get(row.team_id, "")
            row.error = TIMEOUT if unconfirmed else "; ".join(e or "" for e in later_errors) or None
        else:
            row.status = DeliveryStatus.FAILED
            row.error = delivery.error
        session.add(row)
    session.commit()


def _release(session: Session, rows: Sequence[SentDigest], error: BaseException) -> None:
    """A run that broke before reaching Slack leaves its claims retryable, not stuck."""
    session.rollback()
    for row in rows:
        row.status = DeliveryStatus.FAILED
        row.error = f"{type(error).__name__}: {error}"[:2000]
        session.add(row)
    session.commit()


@dataclass
class Guard:
    """Whether something of this delivery may be in Slack yet."""

    posted: bool = False


@contextmanager
def released_on_failure(session: Session, fresh: Sequence[SentDigest]) -> Iterator[Guard]:
    """Release the fresh claims when the run breaks before anything may be in Slack."""
    guard = Guard()
    try:
        yield guard
    except BaseException as error:
        if fresh and not guard.posted:  # once something may be in Slack: never twice
            _release(session, fresh, error)
        raise


def post_claimed(
    client: WebClient,
    session: Session,
    rows: Sequence[SentDigest],
    guard: Guard,
    *,
    recipient: str,
    first: dict[str, Any],
    metadata: dict[str, Any],
    bodies: dict[str, str],
    now: datetime,
) -> Delivery:
    """Post the first message with its metadata and keep its ts (the rows stay pending until
    what follows it is sent: :func:`follow`); a refusal or a lost answer is recorded."""
    delivery = post(client, recipient, first, metadata=metadata)
    guard.posted = delivery.ok or delivery.error == TIMEOUT
    if delivery.ok:
        _keep_ts(session, rows, delivery.ts)
    else:
        _record(session, rows, delivery=delivery, bodies=bodies, now=now)
    return delivery


# --- what follows the first message: its other messages and its chart, each once ---------------

# Each message after the first names the first one and its place, so that a run finishing a
# delivery another run stopped in (or whose answer was lost) sends only what is missing.
PART_METADATA_TYPE = "retrobot_digest_part"


@dataclass(frozen=True)
class Rest:
    """What follows a delivery's first message: its other messages (in its thread, or after it
    in the DM), then its chart, attached by ``attach(channel, thread_ts)`` (the error, if any)."""

    channel: str  # the first message's channel (or, until looked up, the coach's user id)
    first_ts: str
    payloads: Sequence[dict[str, Any]]
    in_thread: bool
    chart_name: str
    attach: Callable[[str, str | None], str | None]

    @property
    def thread_ts(self) -> str | None:
        """The thread the rest goes in, if any."""
        return self.first_ts if self.in_thread else None

    def envelope(self, part: int) -> Envelope:
        """What marks the message at ``part`` (1 is the first after the first message)."""
        return Envelope(PART_METADATA_TYPE, {"first": self.first_ts, "part": part})


@dataclass
class Followed:
    """What one run did after a first message: messages posted now, Slack's refusals, the
    chart's error; ``in_doubt`` when Slack could not say what was already there."""

    messages: int = 0
    errors: list[str | None] = field(default_factory=list)
    chart_error: str | None = None
    unconfirmed: bool = False
    in_doubt: str | None = None

    @property
    def error(self) -> str | None:
        """The refusals of the messages after the first, joined; None when there were none."""
        return self.in_doubt or "; ".join(e or "" for e in self.errors) or None


def _already_there(client: WebClient, rest: Rest) -> tuple[Rest, set[int], bool]:
    """Which of the rest's messages, and whether its chart, Slack has after the first message
    (its channel looked up too). Raises SlackApiError when Slack cannot tell."""
    channel = outbox.conversation_of(client, rest.channel) or rest.channel
    rest = replace(rest, channel=channel)
    parts: set[int] = set()
    chart = False
    for message in outbox.messages_after(
        client, channel, after=rest.first_ts, thread_ts=rest.thread_ts, pages=HISTORY_PAGES
    ):
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == PART_METADATA_TYPE and payload.get("first") == (
            rest.first_ts
        ):
            parts.add(int(payload.get("part") or 0))
        files = message.get("files") or []
        chart = chart or any(shared.get("name") == rest.chart_name for shared in files)
    return rest, parts, chart


def _post_rest(client: WebClient, rest: Rest, followed: Followed, present: set[int]) -> None:
    """Post the messages after the first that Slack does not have, in order; one whose answer
    is lost stops the rest (the next run looks for it, then goes on)."""
    for part, payload in enumerate(rest.payloads, start=1):
        if part in present:
            continue
        sent = outbox.send_once(
            client, rest.channel, payload, rest.envelope(part), thread_ts=rest.thread_ts
        )
        if outbox.unconfirmed(sent):
            followed.unconfirmed = True
            return
        if sent.ok:
            followed.messages += 1
        else:
            followed.errors.append(sent.error)


def follow(
    client: WebClient,
    session: Session,
    rows: Sequence[SentDigest],
    rest: Rest,
    *,
    look: bool,
    bodies: dict[str, str],
    now: datetime,
) -> Followed:
    """Send what follows a delivery's first message, each part once, then record the rows.

    ``look`` when an earlier run may have sent some of it (it stopped, or an answer was lost):
    the thread (or the DM after the first message) is read first and only what is missing is
    sent; when Slack cannot say, nothing is sent and the rows stay pending ``in_doubt:…``. A
    message or chart whose answer is lost leaves the rows pending: the next run finishes them.
    """
    followed = Followed()
    present: set[int] = set()
    chart_there = False
    if look:
        try:
            rest, present, chart_there = _already_there(client, rest)
        except Exception as error:
            logger.warning("Could not check what followed a weekly delivery in %s", rest.channel)
            followed.in_doubt = outbox.in_doubt(error)
            for row in rows:
                row.error = followed.in_doubt
                session.add(row)
            session.commit()
            return followed
    _post_rest(client, rest, followed, present)
    if not followed.unconfirmed and not chart_there:
        followed.chart_error = rest.attach(rest.channel, rest.thread_ts)
        followed.unconfirmed = followed.chart_error == TIMEOUT
    sent = Delivery(rest.channel, channel=rest.channel, ts=rest.first_ts)
    _record(
        session,
        rows,
        delivery=sent,
        bodies=bodies,
        now=now,
        later_errors=followed.errors,
        unconfirmed=followed.unconfirmed,
    )
    return followed
