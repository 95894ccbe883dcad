"""The one outbox: every message that must reach Slack exactly once goes through here.

A check-in DM, a reminder, an agenda, a weekly summary, a coach digest, a feedback reminder: each
is first *claimed* in the database by its owner (the SQL lives with the data, in storage/claims
and the capability's rounds), so two processes never both send it. Then:

1. **post with metadata** — the message carries an :class:`Envelope` (Slack's message metadata)
   that names what it is (``event_type``) and which row it answers for (``event_payload``);
2. **look it up when in doubt** — a claim a stopped process left behind, or a post Slack never
   answered (``TIMEOUT``), may have arrived: the recipient's history is searched for the
   envelope before anything is posted again, and when Slack cannot say, nothing is posted
   (``in_doubt:<Slack's error>``) — never blindly twice;
3. **record** what Slack said, which the caller writes back to its claimed row.

:func:`send_all` runs that for a batch (a 12,000-member round): claims a few rows at a time just
ahead of a small shared pool of senders paced to Slack's budget (bot.slack.pacing), and records
the results in batches, at least every second.

A reply in a thread (the agenda's parts, a summary's details) is looked for among the thread's
replies (``thread_ts``); what followed a first message — more messages, a chart — among the
messages after it (:func:`messages_after`). A message sent at once that Slack refuses (a triage
DM, a shared appreciation, the agenda) is recorded by :func:`note_refused` for `retrobot status`:
its team, kind and Slack's error, never its words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.slack.client import (
    TIMEOUT,
    Delivery,
    conversation_messages,
    may_have_arrived,
    post,
    tagged_messages,
)
from bot.slack.pacing import SENDERS, Pace, RealClock
from storage.models import RefusedKind
from storage.refusals import record_refusal

logger = logging.getLogger(__name__)

HISTORY_PAGES = 3  # of 100 messages read to find one that may have gone out
CLAIM_BATCH = 25  # rows claimed per statement, just ahead of the pool
FLUSH_EVERY = 50  # results written per statement...
FLUSH_SECONDS = 1.0  # ...or at least this often
IN_DOUBT = "in_doubt"  # Slack could not say whether a message arrived: not sent blind

# A claim older than this, never marked sent or failed, was left by a process that stopped.
# It is longer than one post can take with every retry the client makes (5 waits on 429).
IN_DOUBT_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Envelope:
    """What a message is and which row it answers for, carried as Slack message metadata."""

    event_type: str
    payload: dict[str, str | int] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """The ``metadata`` argument of chat.postMessage."""
        return {"event_type": self.event_type, "event_payload": dict(self.payload)}

    def matches(self, payload: dict[str, Any]) -> bool:
        """True when a message's metadata payload names the same row."""
        return all(payload.get(key) == value for key, value in self.payload.items())


@dataclass(frozen=True)
class FoundDelivery(Delivery):
    """A message found in Slack's history: posted by an earlier run, not by this one."""


def conversation_of(client: WebClient, recipient: str) -> str | None:
    """The channel a message to ``recipient`` lands in: the DM for a person, else the channel."""
    if not recipient.startswith(("U", "W")):
        return recipient
    opened = client.conversations_open(users=recipient)
    return (opened.get("channel") or {}).get("id")


def sent_messages(
    client: WebClient,
    recipient: str,
    event_type: str,
    *,
    pages: int = HISTORY_PAGES,
    thread_ts: str | None = None,
) -> Iterator[tuple[Delivery, dict[str, Any]]]:
    """Each message of ``event_type`` the app sent ``recipient`` (or in the thread of
    ``thread_ts`` there), with its metadata payload. Raises SlackApiError when Slack cannot
    tell (no history scope, not in the channel): the caller must then not post blindly."""
    channel = conversation_of(client, recipient)
    if not channel:
        return
    for ts, payload in tagged_messages(
        client, channel, event_type, pages=pages, thread_ts=thread_ts
    ):
        yield FoundDelivery(recipient=recipient, channel=channel, ts=ts), payload


def find_sent(
    client: WebClient,
    recipient: str,
    envelope: Envelope,
    *,
    pages: int = HISTORY_PAGES,
    thread_ts: str | None = None,
) -> Delivery | None:
    """The message this envelope names if Slack has it (in the thread of ``thread_ts`` when
    given), None if it never arrived (raises SlackApiError when Slack cannot tell)."""
    for found, payload in sent_messages(
        client, recipient, envelope.event_type, pages=pages, thread_ts=thread_ts
    ):
        if envelope.matches(payload):
            return found
    return None


def messages_after(
    client: WebClient,
    recipient: str,
    *,
    after: str,
    thread_ts: str | None = None,
    pages: int = HISTORY_PAGES,
) -> list[dict[str, Any]]:
    """The messages (with their metadata and files) in the conversation with ``recipient`` (or
    the thread of ``thread_ts`` there) posted after the message ``after``: how what should
    follow a first message — more messages, a chart — is found when a run stopped part-way.
    Raises SlackApiError when Slack cannot tell."""
    channel = conversation_of(client, recipient)
    if not channel:
        return []
    return [
        message
        for message in conversation_messages(client, channel, pages=pages, thread_ts=thread_ts)
        if float(message.get("ts") or 0) > float(after)
    ]


def in_doubt(error: BaseException) -> str:
    """The error recorded for a message Slack could not say had arrived."""
    if isinstance(error, SlackApiError):
        code = error.response.get("error") if error.response is not None else None
        return f"{IN_DOUBT}:{code or 'error'}"
    return IN_DOUBT if may_have_arrived(error) else f"{IN_DOUBT}:{type(error).__name__}"


def send_once(
    client: WebClient,
    recipient: str,
    message: dict[str, Any],
    envelope: Envelope,
    *,
    look_first: bool = False,
    pace: Pace | None = None,
    thread_ts: str | None = None,
    **extra: Any,
) -> Delivery:
    """Post ``message`` in its envelope (as a reply in the thread of ``thread_ts`` when given),
    unless ``look_first`` finds it went already.

    ``look_first`` when an earlier claim was left behind or the last try was not answered:
    found, the earlier message is returned (a :class:`FoundDelivery`); when Slack cannot say,
    nothing is posted and the error is ``in_doubt:…`` (the next run looks again).
    """
    if look_first:
        try:
            found = find_sent(client, recipient, envelope, thread_ts=thread_ts)
        except SlackApiError as error:
            logger.warning(
                "Could not check whether %s got a %s message", recipient, envelope.event_type
            )
            return Delivery(recipient=recipient, error=in_doubt(error))
        except Exception:
            logger.exception(
                "Could not check whether %s got a %s message", recipient, envelope.event_type
            )
            return Delivery(recipient=recipient, error=IN_DOUBT)
        if found is not None:
            return found
    if pace is not None:
        pace.wait()
    if thread_ts is not None:
        extra["thread_ts"] = thread_ts
    return post(client, recipient, message, metadata=envelope.metadata(), **extra)


def unconfirmed(result: Delivery) -> bool:
    """True when a message may have arrived though Slack never said so (a lost answer, or Slack
    could not say): it is looked for before it is sent again."""
    error = result.error or ""
    return error in (TIMEOUT, IN_DOUBT) or error.startswith(f"{IN_DOUBT}:")


Row = TypeVar("Row")


@dataclass(frozen=True)
class Sent(Generic[Row]):
    """One claimed row and what Slack said to its message."""

    row: Row
    result: Delivery


@dataclass
class Batch(Generic[Row]):
    """How one batch of messages goes out: ``claim`` takes rows for this process (only those it
    got come back), ``send`` posts one row's message (through :func:`send_once`), ``record``
    writes what Slack said to the claimed rows."""

    claim: Callable[[Sequence[Row]], list[Row]]
    send: Callable[[Row], Delivery]
    record: Callable[[Sequence[Sent[Row]]], None]
    recipient: Callable[[Row], str]
    workers: int = 8


def send_all(rows: Sequence[Row], batch: Batch[Row]) -> list[Sent[Row]]:
    """Claim the rows a few at a time, post them from the shared pool, record the results.

    Claims run just ahead of the pool, so a process that stops leaves few claims behind;
    results are written in batches, at least every second. A bug sending one row is recorded
    as that row's failure and never stops the rest.
    """
    results = _Results(batch)
    pool = SENDERS.get()
    inflight: dict[Future[Delivery], Row] = {}
    for start in range(0, len(rows), CLAIM_BATCH):
        for row in batch.claim(rows[start : start + CLAIM_BATCH]):
            inflight[pool.submit(batch.send, row)] = row
        while len(inflight) >= batch.workers * 2:
            done, _ = wait(inflight, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            results.collect(done, inflight)
            results.flush()
    while inflight:  # all submitted: wake once a second, or when the last one is done
        done, _ = wait(inflight, timeout=FLUSH_SECONDS, return_when=ALL_COMPLETED)
        results.collect(done, inflight)
        results.flush()
    results.flush(force=True)
    return results.sent


class _Results(Generic[Row]):
    """What Slack said to each message posted so far, recorded in batches."""

    def __init__(self, batch: Batch[Row]) -> None:
        self.sent: list[Sent[Row]] = []
        self._unwritten: list[Sent[Row]] = []
        self._last_flush = RealClock.monotonic()
        self._batch = batch

    def collect(
        self, done: Iterable[Future[Delivery]], inflight: dict[Future[Delivery], Row]
    ) -> None:
        """Take in the finished posts (a bug in one is recorded as its failure)."""
        for future in done:
            row = inflight.pop(future)
            try:
                result = future.result()
            except Exception as error:  # a bug, not Slack: record it and go on
                recipient = self._batch.recipient(row)
                logger.exception("Sending to %s failed", recipient)
                result = Delivery(recipient=recipient, error=type(error).__name__)
            outcome = Sent(row, result)
            self.sent.append(outcome)
            self._unwritten.append(outcome)

    def flush(self, force: bool = False) -> None:
        """Record the results taken in, when enough are waiting or a second has gone by."""
        elapsed = RealClock.monotonic() - self._last_flush
        waiting = self._unwritten
        if waiting and (force or len(waiting) >= FLUSH_EVERY or elapsed >= FLUSH_SECONDS):
            self._batch.record(list(waiting))
            waiting.clear()
            self._last_flush = RealClock.monotonic()


def note_refused(
    session: Session,
    results: Iterable[Delivery],
    *,
    team_id: str,
    kind: RefusedKind,
    now: datetime,
) -> int:
    """Record each message of ``results`` that Slack refused (or never answered about), for
    `retrobot status`; commits when there was one. How many were recorded."""
    refused = [result for result in results if not result.ok]
    for result in refused:
        record_refusal(session, team_id=team_id, kind=kind, error=result.error or "", now=now)
    if refused:
        session.commit()
    return len(refused)
