"""Reading Slack's do-not-disturb: ``dnd.teamInfo``, 50 people a call, read ahead of the sending.

A round's people are read in batches from a thread of its own, paced to the method's tier
(Tier 2, 20 a minute, shared by every round of the process), so the DMs of those already read
go out while the next batch is read. A failure — rate limited, an error such as a token without
``dnd:read``, Slack out of reach — stops the reading for that round: the rest of its DMs go as
they would without it (their working pattern still counts), and the log says so once for the
round, never once per person. A 429 is not waited out: a round never waits on DND.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.shifts.model import DND_BATCH, Dnd
from bot.slack.pacing import Pace

logger = logging.getLogger(__name__)

# dnd.teamInfo is Tier 2: 20 calls a minute, bursts allowed. One pace for the whole process.
DND_CALLS_PER_SECOND = 20 / 60
DND_BURST = 20
PACE = Pace(DND_CALLS_PER_SECOND, DND_BURST)
# A DM never waits longer than this for its person's DND to be read; then it goes without.
WAIT_SECONDS = 120.0


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


class DndReading:
    """One round's people's DND, read ahead in batches of 50 from a thread of its own.

    :meth:`get` waits for the batch holding the person. After a failure nothing more is asked
    of Slack and everyone not yet read has no DND known; ``failed`` says why.
    """

    def __init__(
        self,
        client: WebClient,
        user_ids: Sequence[str],
        *,
        what: str,
        pace: Pace | None = None,
    ) -> None:
        ordered = list(dict.fromkeys(user_ids))
        self.what = what
        self.failed: str | None = None
        self.calls = 0
        self._client = dnd_client(client)
        self._pace = pace
        self._batches = [ordered[i : i + DND_BATCH] for i in range(0, len(ordered), DND_BATCH)]
        self._batch_of = {user: n for n, batch in enumerate(self._batches) for user in batch}
        self._read = [threading.Event() for _ in self._batches]
        self._found: dict[str, Dnd | None] = {}
        self._thread: threading.Thread | None = None
        if self._batches:
            self._thread = threading.Thread(target=self._run, name="retrobot-dnd", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            for number, batch in enumerate(self._batches):
                (self._pace or PACE).wait()
                self.calls += 1
                try:
                    self._found.update(read_dnd(self._client, batch))
                except Exception as error:  # Slack's refusal, or a link that stayed down
                    self.failed = failure_code(error)
                    logger.warning(
                        "Could not read Slack's do-not-disturb for %s (%s): its DMs go by "
                        "working patterns alone",
                        self.what,
                        self.failed,
                    )
                    return
                finally:
                    self._read[number].set()
        finally:
            for event in self._read:
                event.set()

    def get(self, user_id: str) -> Dnd | None:
        """The person's DND (None when off, not asked for, or not known)."""
        number = self._batch_of.get(user_id)
        if number is None:
            return None
        if not self._read[number].wait(WAIT_SECONDS):
            logger.warning("Slack's do-not-disturb for %s took too long to read", self.what)
            return None
        return self._found.get(user_id)

    def join(self, timeout: float | None = None) -> None:
        """Wait until the reading has finished (tests, and a round's end)."""
        if self._thread is not None:
            self._thread.join(timeout)
