"""Reading Slack's do-not-disturb: ``dnd.teamInfo``, 50 people a call, read ahead of the sending.

One reader per workspace (token and URL) and process takes the people every round asks about
into one queue and reads them from a thread of its own, 50 a call, paced to the method's tier
(Tier 2: 20 a minute, bursts allowed). A 12,000-member round is read ahead of its DMs, which go
out while the next batch is read; the rounds of many small teams sent at the same hour share
calls, so a thousand teams of 12 need about 240 calls, not a thousand.

A failure — rate limited, an error such as a token without ``dnd:read``, Slack out of reach —
is never waited out: the people of that call have no DND known, and for a while (Slack's
Retry-After, else a minute) nobody's is read, so their DMs go as they would without it (their
working pattern still counts). Each round that met a failure says so once in the log
(bot.shifts.gate), never once per person.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.shifts.model import DND_BATCH, Dnd
from bot.slack.pacing import Pace, RealClock

logger = logging.getLogger(__name__)

# dnd.teamInfo is Tier 2: 20 calls a minute, bursts allowed. One pace for the whole process.
DND_CALLS_PER_SECOND = 20 / 60
DND_BURST = 20
PACE = Pace(DND_CALLS_PER_SECOND, DND_BURST)
# A DM never waits longer than this for its person's DND to be read; then it goes without.
WAIT_SECONDS = 120.0
# After a failure other than a 429 (which says how long), nobody's DND is read for this long.
QUIET_AFTER_FAILURE = 60.0
# A reader with nothing to read for this long lets its thread end (a new ask starts another).
IDLE_SECONDS = 30.0


def dnd_client(client: WebClient) -> WebClient:
    """A client like ``client`` that does not wait out a 429: rate limited, the round goes on
    without DND rather than wait."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[
            h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
        ],
    )


def read_dnd(client: WebClient, user_ids: Sequence[str]) -> dict[str, Dnd | None]:
    """Each person's DND now, in one dnd.teamInfo call (at most 50 people); raises
    SlackApiError (or the connection's error) when Slack does not say."""
    response = client.dnd_teamInfo(users=list(user_ids))
    users = response.get("users") or {}
    return {user_id: Dnd.from_slack(users.get(user_id)) for user_id in user_ids}


def failure_code(error: BaseException) -> str:
    """What went wrong, in a word for the log (Slack's error code, else the error's kind)."""
    if isinstance(error, SlackApiError) and error.response is not None:
        status = getattr(error.response, "status_code", None)
        return str(error.response.get("error") or f"http_{status}")
    return type(error).__name__


def _retry_after(error: BaseException) -> float:
    """How long Slack asked to be left alone (a 429's Retry-After), else the default."""
    if isinstance(error, SlackApiError) and error.response is not None:
        headers = getattr(error.response, "headers", None) or {}
        for name, value in headers.items():
            if name.lower() == "retry-after":
                with contextlib.suppress(TypeError, ValueError):
                    return max(1.0, float(value[0] if isinstance(value, list) else value))
    return QUIET_AFTER_FAILURE


@dataclass(eq=False)
class _Ask:
    """One person's DND, asked for by one round: read (``dnd``), or not (``failed``)."""

    user_id: str
    done: threading.Event = field(default_factory=threading.Event)
    dnd: Dnd | None = None
    failed: str | None = None
    call: int = 0  # which call read it (0: none)


class DndReader:
    """The queue of people whose DND rounds are waiting for, read 50 a call from one thread."""

    def __init__(self, client: WebClient) -> None:
        self._client = dnd_client(client)
        self._queue: deque[_Ask] = deque()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._quiet_until = 0.0
        self._quiet_reason = ""
        self._calls = 0

    def ask(self, user_ids: Sequence[str]) -> list[_Ask]:
        """Queue these people (the reader starts if it was idle); their asks, to wait on."""
        asks = [_Ask(user_id) for user_id in user_ids]
        if not asks:
            return asks
        with self._changed:
            self._queue.extend(asks)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="retrobot-dnd", daemon=True)
                self._thread.start()
            self._changed.notify()
        return asks

    def _next_batch(self) -> list[_Ask] | None:
        """Up to 50 people from the front of the queue; None once idle long enough to stop."""
        with self._changed:
            while not self._queue:
                if not self._changed.wait(IDLE_SECONDS) and not self._queue:
                    self._thread = None
                    return None
            batch: list[_Ask] = []
            people: set[str] = set()
            while self._queue and (len(people) < DND_BATCH or self._queue[0].user_id in people):
                ask = self._queue.popleft()
                people.add(ask.user_id)
                batch.append(ask)
            return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._read(batch)
            finally:
                for ask in batch:
                    ask.done.set()

    def _read(self, batch: list[_Ask]) -> None:
        """Read one batch's DND (or say why not), unless Slack is being left alone just now."""
        if RealClock.monotonic() < self._quiet_until:
            for ask in batch:
                ask.failed = self._quiet_reason
            return
        PACE.wait()
        self._calls += 1
        people = list(dict.fromkeys(ask.user_id for ask in batch))
        try:
            found = read_dnd(self._client, people)
        except Exception as error:  # Slack's refusal, or a link that stayed down
            self._quiet_reason = failure_code(error)
            self._quiet_until = RealClock.monotonic() + _retry_after(error)
            for ask in batch:
                ask.failed, ask.call = self._quiet_reason, self._calls
            return
        for ask in batch:
            ask.dnd, ask.call = found.get(ask.user_id), self._calls


class _Readers:
    """One reader per workspace (token and Web API URL), made on first use."""

    def __init__(self) -> None:
        self._readers: dict[tuple[str | None, str], DndReader] = {}
        self._lock = threading.Lock()

    def of(self, client: WebClient) -> DndReader:
        """The reader of the workspace ``client`` speaks to."""
        key = (client.token, client.base_url)
        with self._lock:
            if key not in self._readers:
                self._readers[key] = DndReader(client)
            return self._readers[key]

    def forget(self) -> None:
        """In a forked child: the parent's threads are not here; start afresh if ever needed."""
        self._readers = {}
        self._lock = threading.Lock()


READERS = _Readers()
os.register_at_fork(after_in_child=READERS.forget)


class DndReading:
    """One round's people's DND, queued at once on the workspace's reader; :meth:`get` waits
    for a person's batch. ``failed`` says why some could not be read; ``calls`` how many
    dnd.teamInfo calls carried this round's people."""

    def __init__(self, client: WebClient, user_ids: Sequence[str]) -> None:
        people = list(dict.fromkeys(user_ids))
        self._asks = {ask.user_id: ask for ask in READERS.of(client).ask(people)}

    def get(self, user_id: str) -> Dnd | None:
        """The person's DND (None when off, not asked for, or not known)."""
        ask = self._asks.get(user_id)
        if ask is None:
            return None
        if not ask.done.wait(WAIT_SECONDS):
            logger.warning("Slack's do-not-disturb took too long to read; the DM goes without")
            return None
        return ask.dnd

    @property
    def failed(self) -> str | None:
        """Why some of this round's people's DND could not be read, if so."""
        return next((a.failed for a in self._asks.values() if a.done.is_set() and a.failed), None)

    @property
    def calls(self) -> int:
        """How many dnd.teamInfo calls carried this round's people."""
        return len({a.call for a in self._asks.values() if a.done.is_set() and a.call})
