"""Pacing a round's DMs to Slack's budget, from a few threads shared by every round.

Slack allows chat.postMessage about once a second per DM channel and "several hundred per
minute" per workspace (SLACK.md). DMs go out from a small thread pool, paced to that budget,
through a copy of ``services.client`` with its retry handlers (5xx and lost connections retried;
a 429's Retry-After holds every sender, then the retry waits its turn).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

SEND_WORKERS = 8  # threads posting DMs, for all rounds; the pace, not the pool, sets the speed
# Five a second stays inside Slack's budget. No burst is spent, so Slack's own bucket stays full
# and absorbs the jitter of calls in flight.
DMS_PER_SECOND = 5.0
DM_BURST = 1


class RealClock:
    """The real monotonic clock and sleep, held where freezegun's module scan leaves them.

    Tests freeze the app's clock; pacing Slack calls is about real seconds all the same.
    """

    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)


class Pace:
    """Spaces calls at most ``per_second`` apart across every thread, after a short burst.

    A 12,000-member round is a queue that drains at Slack's pace (SLACK.md). Pacing it keeps
    429s rare; one that still comes holds every sender for its Retry-After, and its retry waits
    its turn like any call (:class:`PacedRateLimitRetryHandler`), so retries never add up.
    """

    def __init__(self, per_second: float, burst: int = 1) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be positive and burst at least 1")
        self.per_second = per_second
        self.burst = burst
        self._interval = 1.0 / per_second
        self._next = -math.inf
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this call may go."""
        with self._lock:
            now = RealClock.monotonic()
            start = max(self._next, now - (self.burst - 1) * self._interval)
            self._next = start + self._interval
        if start > now:
            RealClock.sleep(start - now)

    def hold(self, seconds: float) -> None:
        """Let no call go for ``seconds`` (Slack said Retry-After)."""
        with self._lock:
            self._next = max(self._next, RealClock.monotonic() + seconds)


# One workspace's budget is shared by every round this process sends.
PACE = Pace(DMS_PER_SECOND, DM_BURST)


class PacedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, made to keep the pace: Slack's Retry-After holds every sender of
    this process (Slack limits the app, not the request), then the retry waits its turn."""

    def __init__(self, pace: Pace, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pace = pace

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Hold the pace for Retry-After seconds (1 if Slack gave none), then queue the retry."""
        if response is None:
            raise error or RuntimeError("a 429 without a response")
        state.next_attempt_requested = True
        retry_after = 1
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                with contextlib.suppress(ValueError):
                    retry_after = max(1, int(values[0]))
        self.pace.hold(retry_after)
        self.pace.wait()
        state.increment_current_attempt()


def paced_client(client: WebClient, pace: Pace) -> WebClient:
    """A client like ``client`` (same token, URL and retry handlers) whose 429 handling keeps
    ``pace``: the fan-out's way through Slack."""
    handlers = [
        PacedRateLimitRetryHandler(pace, max_retry_count=handler.max_retry_count)
        if isinstance(handler, RateLimitErrorRetryHandler)
        else handler
        for handler in client.retry_handlers
    ]
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=handlers,
    )


class _SenderPool:
    """The few threads that post this process's DMs, shared by every round (bounded concurrency:
    the pace is one workspace's, so more threads would only wait longer)."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def get(self) -> ThreadPoolExecutor:
        """The pool, started on first use."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(SEND_WORKERS, thread_name_prefix="retrobot-dm")
            return self._pool

    def forget(self) -> None:
        """In a forked child: the parent's threads are not here; start afresh if ever needed."""
        self._pool = None
        self._lock = threading.Lock()


SENDERS = _SenderPool()
os.register_at_fork(after_in_child=SENDERS.forget)
