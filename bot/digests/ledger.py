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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    """Unconfirmed deliveries, looked for in Slack: found (and recorded sent), to send now,
    or in doubt. ``unfinished`` are found first messages nothing was sent after yet."""

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
    bodies: dict[str, str],
    now: datetime,
) -> Settled:
    """Settle deliveries an earlier run left unconfirmed, never sending one twice. Commits.

    A row that kept its first message's ts went (the run stopped after it). The others are
    looked for in Slack: found, they are recorded sent; not there, they are to be sent now;
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
            row.status = DeliveryStatus.SENT
            row.sent_at = now
            row.body = bodies.get(row.team_id, "")
            row.error = None
            if not row.message_ts and found is not None:
                row.message_ts = found.ts
                settled.unfinished[row.team_id] = found
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
    is known to have sent it (and maybe some of what follows), so it is never looked for."""
    for row in rows:
        row.message_ts = ts
        session.add(row)
    session.commit()


def _post_rest(
    client: WebClient,
    channel: str,
    payloads: Sequence[dict[str, Any]],
    *,
    thread_ts: str | None = None,
) -> list[str | None]:
    """Post the messages after the first; Slack's refusals of them, as errors."""
    errors: list[str | None] = []
    extra = {"thread_ts": thread_ts} if thread_ts else {}
    for payload in payloads:
        reply = post(client, channel, payload, **extra)
        if not reply.ok:
            errors.append(reply.error)
    return errors


def _record(
    session: Session,
    rows: Sequence[SentDigest],
    *,
    delivery: Delivery,
    bodies: dict[str, str],
    now: datetime,
    later_errors: Sequence[str | None] = (),
) -> None:
    """Mark claimed deliveries sent (with the message's ts and the text sent) or failed.

    ``later_errors`` are Slack's refusals of the messages after the first, which went. A first
    message Slack did not answer may have arrived: it stays unconfirmed (pending, with the error
    ``timeout``), and the next run looks for it in Slack before sending it again.
    """
    for row in rows:
        if delivery.error == TIMEOUT:
            row.status = DeliveryStatus.PENDING
            row.error = TIMEOUT
        elif delivery.ok:
            row.status = DeliveryStatus.SENT
            row.message_ts = delivery.ts
            row.sent_at = now
            row.body = bodies.get(row.team_id, "")
            row.error = "; ".join(e or "" for e in later_errors) or None
        else:
            row.status = DeliveryStatus.FAILED
            row.error = delivery.error
        session.add(row)
    session.commit()


def finish_found(
    client: WebClient,
    session: Session,
    rows: Sequence[SentDigest],
    *,
    channel: str,
    payloads: Sequence[dict[str, Any]],
    thread_ts: str | None = None,
) -> str | None:
    """Post what never followed a found first message; Slack's refusals, noted and returned."""
    errors = _post_rest(client, channel, payloads, thread_ts=thread_ts)
    joined = "; ".join(e or "" for e in errors) or None
    if joined:
        for row in rows:
            row.error = joined
            session.add(row)
        session.commit()
    return joined


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


@dataclass(frozen=True)
class Posted:
    """A delivery's first message as Slack answered it, and its refusals of the others."""

    delivery: Delivery
    messages: int
    errors: list[str | None]

    @property
    def error(self) -> str | None:
        """The refusals of the messages after the first, joined; None when there were none."""
        return "; ".join(e or "" for e in self.errors) or None


def post_claimed(
    client: WebClient,
    session: Session,
    rows: Sequence[SentDigest],
    guard: Guard,
    *,
    recipient: str,
    payloads: Sequence[dict[str, Any]],
    metadata: dict[str, Any],
    bodies: dict[str, str],
    now: datetime,
    in_thread: bool,
) -> Posted:
    """Post the first message with its metadata, keep its ts, post the rest, record the rows."""
    delivery = post(client, recipient, payloads[0], metadata=metadata)
    guard.posted = delivery.ok or delivery.error == TIMEOUT
    errors: list[str | None] = []
    if delivery.ok:
        _keep_ts(session, rows, delivery.ts)
        thread_ts = delivery.ts if in_thread else None
        errors = _post_rest(client, recipient, payloads[1:], thread_ts=thread_ts)
    _record(session, rows, delivery=delivery, bodies=bodies, now=now, later_errors=errors)
    return Posted(delivery, len(payloads), errors)
