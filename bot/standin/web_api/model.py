"""What the stand-in keeps and records: calls, messages, files, and the workspace's parts.

The public records (:class:`ApiCall`, :class:`Message`, :class:`Ephemeral`,
:class:`UploadedFile`) are what tests read back; the rest is the stand-in's own bookkeeping
(people, channels, triggers, response URLs, faults, rate limit buckets, view events).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# The status of a fault that drops the connection without an answer (no HTTP status at all).
DROPPED = 0


class _RealClock:
    """The real monotonic clock, held where freezegun's module scan does not replace it.

    Tests freeze time for the app, but a trigger's three seconds and a rate limit's refill are
    measured by Slack in real time, and wait_for must time out even under a frozen clock.
    """

    monotonic = staticmethod(time.monotonic)


def real_monotonic() -> float:
    """Seconds on the real monotonic clock, even while a test has frozen time."""
    return _RealClock.monotonic()


@dataclass(frozen=True)
class ApiCall:
    """One request the app made: the method, its decoded arguments, and how it was answered."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    ok: bool = True
    error: str | None = None
    status: int = 200


@dataclass(frozen=True)
class Message:
    """A message in a channel or DM as people see it (posted, updated or sent via response_url)."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    ts: str
    thread_ts: str | None = None
    user: str | None = None
    source: str = "chat.postMessage"
    metadata: dict[str, Any] | None = None

    @property
    def all_text(self) -> str:
        """The fallback text and every text inside the blocks, one per line, for assertions."""
        return all_text(self.text, self.blocks)

    def to_dict(self) -> dict[str, Any]:
        """The message as Slack shows it in payloads (``type``, ``ts``, ``text``, ``blocks``)."""
        shaped: dict[str, Any] = {
            "type": "message",
            "channel": self.channel,
            "user": self.user,
            "ts": self.ts,
            "text": self.text,
            "blocks": copy.deepcopy(self.blocks),
        }
        if self.thread_ts:
            shaped["thread_ts"] = self.thread_ts
        if self.metadata:
            shaped["metadata"] = copy.deepcopy(self.metadata)
        return shaped


@dataclass(frozen=True)
class Ephemeral:
    """A message only ``user`` sees (chat.postEphemeral, an ephemeral response or ack)."""

    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    message_ts: str
    thread_ts: str | None = None
    source: str = "chat.postEphemeral"

    @property
    def all_text(self) -> str:
        """The fallback text and every text inside the blocks, one per line, for assertions."""
        return all_text(self.text, self.blocks)


@dataclass(frozen=True)
class UploadedFile:
    """A file shared through files.getUploadURLExternal → upload → files.completeUploadExternal."""

    id: str
    filename: str
    title: str
    content: bytes
    channel: str | None
    initial_comment: str | None = None
    thread_ts: str | None = None
    ts: str | None = None  # of the message that shares it, as Slack shows it in history

    def message_json(self) -> dict[str, Any]:
        """The message sharing this file, as conversations.history and .replies show it."""
        shaped: dict[str, Any] = {
            "type": "message",
            "ts": self.ts,
            "upload": True,
            "files": [{"id": self.id, "name": self.filename, "title": self.title}],
        }
        if self.thread_ts:
            shaped["thread_ts"] = self.thread_ts
        return shaped


def all_text(*parts: Any) -> str:
    """Every string held under a ``text`` key (and every bare string given), one per line."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for part in parts:
        if isinstance(part, str):
            if part:
                found.append(part)
        else:
            walk(part)
    return "\n".join(found)


class SlackApiFailure(Exception):
    """How one request is refused: the Slack error code, HTTP status, headers and details."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        messages: Iterable[str] = (),
    ) -> None:
        self.error = error
        self.status = status
        self.headers = dict(headers or {})
        self.messages = list(messages)
        super().__init__(error)


@dataclass
class Person:
    """A registered member of the workspace (users.info, users.list, DMs)."""

    id: str
    name: str
    tz: str
    is_bot: bool
    deleted: bool
    email: str | None


@dataclass
class Channel:
    """A channel, private channel, DM (``is_im``) or group DM (``is_mpim``)."""

    id: str
    name: str
    members: list[str]
    bot_member: bool
    is_private: bool
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None  # the other person of an IM


@dataclass
class Trigger:
    """A trigger_id the stand-in issued: whose it is, when, and whether it was used."""

    user: str
    issued: float
    view_id: str | None
    used: bool = False


@dataclass
class ResponseUrl:
    """Where posts to one response_url land, and how many of its five uses are spent."""

    user: str
    channel: str
    message_ts: str | None
    is_ephemeral: bool
    thread_ts: str | None
    uses: int = 0


@dataclass
class Fault:
    """A refusal (or a late or lost answer) waiting for the next calls of a method."""

    method: str
    times: int
    error: str
    status: int
    retry_after: int | None
    when: Callable[[dict[str, Any]], bool] | None
    late: float = 0.0  # > 0: act on the call, then answer only after this many seconds
    drop_after: bool = False  # act on the call, then close the connection without an answer


@dataclass
class TokenBucket:
    """One method's (or one method and channel's) rate limit allowance."""

    per_second: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take a token if there is one (0.0); else the seconds until one is there."""
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.per_second


@dataclass(frozen=True)
class RateLimit:
    """A method's rate: tokens per second, the burst allowed, and whether it is per channel."""

    per_second: float
    burst: int
    per_channel: bool


@dataclass(frozen=True)
class ViewEvent:
    """A view shown to someone: opened, pushed, updated or published."""

    kind: str  # open, push, update, publish
    user: str
    view: dict[str, Any]


@dataclass
class PendingFile:
    """A file announced by files.getUploadURLExternal, its bytes once uploaded."""

    filename: str
    length: int
    content: bytes | None = None
