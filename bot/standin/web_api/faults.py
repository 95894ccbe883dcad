"""Faults a test asks for: refusals, 429s, 5xx, lost or late answers, delays and rate limits.

Each ``*_next`` method queues a :class:`~bot.standin.web_api.model.Fault` for the next calls
of a method ("*": any), optionally only those whose args ``when`` picks. A rate limit keeps a
token bucket per method (optionally per channel); a refused request gets HTTP 429 with
``Retry-After`` in whole seconds, rounded up and at least 1, as Slack sends it: slack_sdk's
``RateLimitErrorRetryHandler`` reads it with ``int()`` and sleeps that long plus up to a
second, so a fractional or zero value would either break the client or just earn another 429.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bot.standin.web_api.model import (
    DROPPED,
    Fault,
    RateLimit,
    SlackApiFailure,
    TokenBucket,
    real_monotonic,
)
from bot.standin.web_api.state import Workspace

When = Callable[[dict[str, Any]], bool]


class FaultInjection(Workspace):
    """Make the next calls of a method fail, slow down or go unanswered."""

    def fail_next(
        self,
        method: str,
        error: str = "fatal_error",
        times: int = 1,
        status: int = 200,
        when: When | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*": any) with ok:false ``error``.

        ``when``, given the call's decoded args, picks which calls fail (others pass).
        """
        with self._lock:
            self._faults.append(Fault(method, times, error, status, None, when))

    def rate_limit_next(
        self, method: str, retry_after: int = 1, times: int = 1, when: When | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``Retry-After``."""
        with self._lock:
            self._faults.append(Fault(method, times, "ratelimited", 429, retry_after, when))

    def server_error_next(
        self, method: str, status: int = 500, times: int = 1, when: When | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTTP 5xx."""
        with self._lock:
            self._faults.append(Fault(method, times, "internal_error", status, None, when))

    def drop_next(self, method: str, times: int = 1, when: When | None = None) -> None:
        """Close the connection of the next ``times`` calls of ``method`` without acting on them
        or answering (a connection lost on the way in: the client sees it reset, and cannot tell
        it from :meth:`drop_after_acting_next`)."""
        with self._lock:
            self._faults.append(Fault(method, times, "connection_dropped", DROPPED, None, when))

    def answer_late_next(
        self, method: str, seconds: float, times: int = 1, when: When | None = None
    ) -> None:
        """Act on the next ``times`` calls of ``method`` but answer only ``seconds`` later (a
        timeout after Slack acted: a client that waits less never learns the message went)."""
        with self._lock:
            self._faults.append(Fault(method, times, "late", 200, None, when, late=seconds))

    def drop_after_acting_next(self, method: str, times: int = 1, when: When | None = None) -> None:
        """Act on the next ``times`` calls of ``method``, then close the connection without an
        answer (a link lost on the way back: the message went, the client never hears so)."""
        with self._lock:
            self._faults.append(
                Fault(method, times, "dropped_after_acting", 200, None, when, drop_after=True)
            )

    def clear_faults(self) -> None:
        """Forget every fault not yet used (recordings, delays and rate limits stay)."""
        with self._lock:
            self._faults = []

    def delay(self, method: str, seconds: float) -> None:
        """Hold every call of ``method`` (or "*") ``seconds`` before answering (0 stops it)."""
        with self._lock:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def rate_limit(
        self, method: str, per_second: float, burst: int = 1, *, per_channel: bool = False
    ) -> None:
        """Keep ``method`` to ``per_second`` with bursts of ``burst`` (per channel if asked).

        Over-rate calls get 429 with Retry-After in whole seconds (rounded up, at least 1).
        """
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be positive and burst at least 1")
        with self._lock:
            self._rate_limits[method] = RateLimit(per_second, burst, per_channel)
            for key in [k for k in self._buckets if k[0] == method]:
                del self._buckets[key]

    def _apply_faults(self, method: str, args: dict[str, Any]) -> Fault | None:
        """Raise the first injected fault that matches, then the rate limit, if any; a fault
        that lets the call be carried out (a late answer, a drop after acting) is returned."""
        fault = self._take_fault(method, args)
        if fault is not None:
            if fault.late or fault.drop_after:
                return fault
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            raise SlackApiFailure(fault.error, status=fault.status, headers=headers)
        self._check_rate(method, args)
        return None

    def _take_fault(self, method: str, args: dict[str, Any]) -> Fault | None:
        """Use up one time of the first fault queued for this call, if any."""
        for fault in self._faults:
            if fault.method not in (method, "*") or fault.times <= 0:
                continue
            if fault.when is not None and not fault.when(args):
                continue
            fault.times -= 1
            self._faults = [f for f in self._faults if f.times > 0]
            return fault
        return None

    def _check_rate(self, method: str, args: dict[str, Any]) -> None:
        """Refuse the call with a 429 when the method's bucket is empty."""
        limit = self._rate_limits.get(method)
        if limit is None:
            return
        key = str(args.get("channel") or "") if limit.per_channel else ""
        now = real_monotonic()
        bucket = self._buckets.setdefault(
            (method, key), TokenBucket(limit.per_second, limit.burst, float(limit.burst), now)
        )
        wait = bucket.take(now)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise SlackApiFailure(
                "ratelimited", status=429, headers={"Retry-After": str(retry_after)}
            )
