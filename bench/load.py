"""The load generator: signed Slack requests over keep-alive HTTP from several processes.

Bodies are built once, before the clock starts; at send time a request only gets its unique
view id (for a submission) and its signature (one HMAC over a timestamp read at send time, so it
is always inside Bolt's five minutes). Each generator process runs threads, one keep-alive
``http.client`` connection each, so no process's GIL limits the others.

Two ways to load a server:

- :func:`saturate` — closed loop: ``connections`` connections each send the next request as soon
  as the last is answered; the figure is requests answered per second.
- :func:`offer` — open loop: requests are scheduled by the clock at a fixed rate, and each
  latency is measured from its *scheduled* time, so a server that falls behind is charged for
  the requests queued behind a slow one (no coordinated omission).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import multiprocessing
import secrets
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

VIEW_ID_MARK = b"VBENCHVIEWID"
# In an answer's body: a submission answered with field errors, its modal kept open.
FIELD_ERRORS = b'"response_action": "errors"'
GENERATOR_SLACK = 0.5  # seconds for the generator processes to start before the clock does
SEND_TIMEOUT = 30.0


@dataclass(frozen=True)
class Request:
    """A request body ready to sign; the mark (a submission's view id, an event's id) is
    replaced per request by an id of its own."""

    kind: str
    body: bytes
    content_type: str = "application/x-www-form-urlencoded"

    @property
    def unique_view(self) -> bool:
        """True when each send must carry a view id of its own."""
        return VIEW_ID_MARK in self.body


@dataclass(frozen=True)
class Sample:
    """One request: its kind's index, when it was due (or sent), when answered, the status, and
    whether the answer kept a modal open with field errors (a submission not stored: the
    database could not take it within the save's wait)."""

    kind: int
    due: float
    done: float
    status: int
    kept_open: bool = False

    @property
    def latency(self) -> float:
        """Seconds from due to answered."""
        return self.done - self.due


@dataclass
class Outcome:
    """The samples of one load phase, and the phase's measuring window."""

    kinds: list[str]
    samples: list[Sample]
    start: float
    end: float
    errors: dict[str, int] = field(default_factory=dict)

    def measured(self) -> list[Sample]:
        """The samples due inside the measuring window (after the warm-up)."""
        return [s for s in self.samples if self.start <= s.due < self.end]

    def ok(self, kind: str | None = None) -> list[Sample]:
        """The measured samples answered 200 (of one kind, when given)."""
        wanted = None if kind is None else self.kinds.index(kind)
        return [s for s in self.measured() if s.status == 200 and wanted in (None, s.kind)]

    def failed(self) -> int:
        """How many requests, anywhere in the phase, were not answered 200."""
        return sum(1 for s in self.samples if s.status != 200)

    def answered_per_second(self) -> float:
        """Requests answered 200 inside the measuring window, per second."""
        answered = sum(
            1 for s in self.samples if s.status == 200 and self.start <= s.done < self.end
        )
        return answered / (self.end - self.start)

    def sent(self, kind: str) -> int:
        """How many requests of this kind were answered 200 in the whole phase."""
        index = self.kinds.index(kind)
        return sum(1 for s in self.samples if s.kind == index and s.status == 200)

    def kept_open(self, kind: str) -> int:
        """How many of those answers kept their modal open with field errors."""
        if kind not in self.kinds:
            return 0
        index = self.kinds.index(kind)
        return sum(1 for s in self.samples if s.kind == index and s.kept_open)


class Signer:
    """Slack's v0 signature over a body, with a timestamp read at send time."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def headers(self, body: bytes, content_type: str) -> dict[str, str]:
        """The headers Slack sends with ``body``."""
        stamp = str(int(time.time()))
        digest = hmac.new(
            self._secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest}",
        }


class _Connection:
    """One keep-alive connection to the app; reconnects when the server closed it."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self._host, self._port, self._path = host, port, path
        self._connection: http.client.HTTPConnection | None = None

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bool]:
        """POST and read the whole answer: the status (-1 when the request failed), and whether
        it kept a modal open with field errors."""
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=SEND_TIMEOUT
                )
            try:
                self._connection.request("POST", self._path, body=body, headers=headers)
                answer = self._connection.getresponse()
                kept_open = FIELD_ERRORS in answer.read()
                if answer.will_close:
                    self.close()
                return answer.status, kept_open
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server had already closed: once more, afresh.
                self.close()
                if attempt == 2:
                    return -1, False
            except (OSError, http.client.HTTPException):
                self.close()
                return -1, False
        return -1, False

    def close(self) -> None:
        """Close the connection (the next post opens a new one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass(frozen=True)
class _Plan:
    """What one generator process does."""

    url: str
    secret: str
    requests: Sequence[Request]
    threads: int
    start: float
    end: float
    process: int
    processes: int
    rate: float | None  # None: closed loop
    view_prefix: str


def _generate(plan: _Plan, results: Any) -> None:
    """A generator process: run the threads, then send back the samples."""
    parts = urllib.parse.urlsplit(plan.url)
    signer = Signer(plan.secret)
    kinds = sorted({r.kind for r in plan.requests})
    kind_of = [kinds.index(r.kind) for r in plan.requests]
    samples: list[Sample] = []
    lock = threading.Lock()
    # Requests are numbered across all processes; this process takes every processes-th one.
    numbers = itertools.count(plan.process, plan.processes)

    def body_of(number: int) -> tuple[int, bytes, dict[str, str]]:
        # Each process walks the whole list in order, so every process sends every kind.
        index = (number // plan.processes) % len(plan.requests)
        request = plan.requests[index]
        body = request.body
        if request.unique_view:
            body = body.replace(VIEW_ID_MARK, f"{plan.view_prefix}{number:09d}".encode())
        return kind_of[index], body, signer.headers(body, request.content_type)

    def closed_loop() -> None:
        connection = _Connection(parts.hostname or "127.0.0.1", parts.port or 80, parts.path)
        mine: list[Sample] = []
        delay = plan.start - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        while True:
            with lock:
                number = next(numbers)
            kind, body, headers = body_of(number)
            sent = time.monotonic()
            if sent >= plan.end:
                break
            status, kept_open = connection.post(body, headers)
            mine.append(Sample(kind, sent, time.monotonic(), status, kept_open))
        connection.close()
        with lock:
            samples.extend(mine)

    def open_loop() -> None:
        assert plan.rate is not None
        connection = _Connection(parts.hostname or "127.0.0.1", parts.port or 80, parts.path)
        mine: list[Sample] = []
        while True:
            with lock:
                number = next(numbers)
            due = plan.start + number / plan.rate
            if due >= plan.end:
                break
            kind, body, headers = body_of(number)
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            status, kept_open = connection.post(body, headers)
            mine.append(Sample(kind, due, time.monotonic(), status, kept_open))
        connection.close()
        with lock:
            samples.extend(mine)

    target = closed_loop if plan.rate is None else open_loop
    threads = [threading.Thread(target=target, daemon=True) for _ in range(plan.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put([(s.kind, s.due, s.done, s.status, s.kept_open) for s in samples])


def _run(
    url: str,
    secret: str,
    requests: Sequence[Request],
    *,
    threads_per_process: list[int],
    warmup: float,
    seconds: float,
    rate: float | None,
) -> Outcome:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    begin = time.monotonic() + GENERATOR_SLACK
    start, end = begin + warmup, begin + warmup + seconds
    prefix = f"V{secrets.token_hex(3).upper()}"
    processes = []
    for index, threads in enumerate(threads_per_process):
        plan = _Plan(
            url=url,
            secret=secret,
            requests=requests,
            threads=threads,
            start=begin,
            end=end,
            process=index,
            processes=len(threads_per_process),
            rate=rate,
            view_prefix=prefix,
        )
        process = context.Process(target=_generate, args=(plan, results), daemon=True)
        process.start()
        processes.append(process)
    collected: list[Sample] = []
    for _ in processes:
        collected += [Sample(*row) for row in results.get(timeout=warmup + seconds + 120)]
    for process in processes:
        process.join(timeout=10)
    kinds = sorted({r.kind for r in requests})
    outcome = Outcome(kinds=kinds, samples=collected, start=start, end=end)
    for sample in collected:
        if sample.status != 200:
            key = "connection failed" if sample.status < 0 else f"HTTP {sample.status}"
            outcome.errors[key] = outcome.errors.get(key, 0) + 1
    return outcome


def spread(total: int, processes: int) -> list[int]:
    """``total`` threads shared as evenly as possible over ``processes`` (none left empty)."""
    processes = max(1, min(processes, total))
    return [total // processes + (1 if i < total % processes else 0) for i in range(processes)]


def saturate(
    url: str,
    secret: str,
    requests: Sequence[Request],
    *,
    connections: int,
    seconds: float,
    warmup: float,
    processes: int,
) -> Outcome:
    """Closed loop over ``connections`` keep-alive connections; measured after ``warmup``."""
    return _run(
        url,
        secret,
        requests,
        threads_per_process=spread(connections, processes),
        warmup=warmup,
        seconds=seconds,
        rate=None,
    )


def offer(
    url: str,
    secret: str,
    requests: Sequence[Request],
    *,
    rate: float,
    seconds: float,
    warmup: float,
    processes: int,
    connections: int,
) -> Outcome:
    """Open loop at ``rate`` requests/s, latencies from each request's scheduled time."""
    return _run(
        url,
        secret,
        requests,
        threads_per_process=spread(connections, processes),
        warmup=warmup,
        seconds=seconds,
        rate=rate,
    )
