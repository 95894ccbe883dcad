"""A local stand-in for Slack's Web API: an HTTP server on 127.0.0.1 that answers as Slack does.

Tests, the demo and the benchmarks point ``SLACK_API_URL`` at :attr:`FakeSlack.url`, so the real
app (and the WebClient Bolt builds per request) talks to it over real HTTP. It keeps the
workspace's people, channels and user groups, answers the methods retrobot calls with the fields
slack_sdk and Bolt read, refuses what Slack refuses (unknown channels, deactivated people,
reused triggers, Block Kit over its limits), records every call, and can be told to fail, rate
limit or slow down. Queries such as :meth:`FakeSlack.dms` show what people would see.

Besides ``/api/<method>`` it serves the two other URLs Slack hands out: the upload URL of
``files.getUploadURLExternal`` (``/upload/<file id>``) and ``response_url`` (``/response/<id>``).

Faults: :meth:`FakeSlack.fail_next` (an ok:false error), :meth:`~FakeSlack.rate_limit_next`
(429), :meth:`~FakeSlack.server_error_next` (5xx), :meth:`~FakeSlack.drop_next` (the connection
closed with no answer), :meth:`~FakeSlack.answer_late_next` (acted on, answered too late: a
client timeout) and :meth:`~FakeSlack.drop_after_acting_next` (acted on, then the connection
closed with no answer), each for some calls only when given ``when``.

Rate limits: :meth:`FakeSlack.rate_limit` keeps a token bucket per method (optionally per
channel). A refused request gets HTTP 429 with ``Retry-After`` in whole seconds, rounded up and
at least 1, as Slack sends it: slack_sdk's ``RateLimitErrorRetryHandler`` reads it with
``int()`` and sleeps that long plus up to a second, so a fractional or zero value would either
break the client or just earn another 429.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import logging
import math
import secrets
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from bot.manifest import BOT_SCOPES
from bot.slack.blockkit import MESSAGE_TEXT_MAX, message_problems, view_problems

logger = logging.getLogger(__name__)

# The bot token holds what the app's manifest asks for, as when Slack installs the app (Slack
# names them in each answer's X-OAuth-Scopes header).
DEFAULT_SCOPES = tuple(BOT_SCOPES)
# Args that slack_sdk sends as JSON strings inside a form body; recorded decoded.
JSON_ARGS = ("blocks", "view", "attachments", "files", "metadata")
RESPONSE_URL_USES = 5  # Slack accepts up to five posts to one response_url
TS_BASE_MICROS = 1_700_000_000_000_000
TS_STEP_MICROS = 100
USERS_LIST_UNPAGED_MAX = 1000
# Whose view a trigger_id the stand-in never issued opens, when triggers are not strict.
UNKNOWN_TRIGGER_USER = "U0UNKNOWN"


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
class _User:
    id: str
    name: str
    tz: str
    is_bot: bool
    deleted: bool
    email: str | None


@dataclass
class _Channel:
    id: str
    name: str
    members: list[str]
    bot_member: bool
    is_private: bool
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None  # the other person of an IM


@dataclass
class _Trigger:
    user: str
    issued: float
    view_id: str | None
    used: bool = False


@dataclass
class _ResponseUrl:
    user: str
    channel: str
    message_ts: str | None
    is_ephemeral: bool
    thread_ts: str | None
    uses: int = 0


@dataclass
class _Fault:
    method: str
    times: int
    error: str
    status: int
    retry_after: int | None
    when: Callable[[dict[str, Any]], bool] | None
    late: float = 0.0  # > 0: act on the call, then answer only after this many seconds
    drop_after: bool = False  # act on the call, then close the connection without an answer


# The status of a fault that drops the connection without an answer (no HTTP status at all).
DROPPED = 0


@dataclass
class _Bucket:
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
class _RateLimit:
    per_second: float
    burst: int
    per_channel: bool


@dataclass(frozen=True)
class _ViewEvent:
    kind: str  # open, push, update, publish
    user: str
    view: dict[str, Any]


@dataclass
class _PendingFile:
    filename: str
    length: int
    content: bytes | None = None


class FakeSlack:
    """Slack's Web API on 127.0.0.1, with the workspace, recording and faults tests need."""

    def __init__(
        self,
        port: int = 0,
        *,
        team_id: str = "T0001",
        team_domain: str = "example",
        bot_user_id: str = "UBOT01",
        bot_id: str = "B0001",
        app_id: str = "A0001",
        bot_name: str = "retrobot",
        token: str | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        trigger_ttl: float | None = 3.0,
        strict_users: bool = True,
        strict_channels: bool = True,
        strict_triggers: bool = True,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.token = token
        self.scopes = tuple(scopes)
        # None turns trigger expiry off, for stepping through a handler in a debugger.
        self.trigger_ttl = trigger_ttl
        self.strict_users = strict_users
        self.strict_channels = strict_channels
        # False accepts any trigger_id, as often as it is used and however old (a load
        # generator cannot ask the stand-in for a trigger per request).
        self.strict_triggers = strict_triggers
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "usergroups.users.list": self._usergroups_users_list,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._dm_by_user: dict[str, str] = {}
        self._clear_recordings()

    def _clear_recordings(self) -> None:
        """Forget traffic, faults, views, triggers and files (not people or channels)."""
        self._calls: list[ApiCall] = []
        self._messages: list[Message] = []
        self._updates: list[Message] = []
        self._current: dict[tuple[str, str], Message | None] = {}
        self._ephemerals: list[Ephemeral] = []
        self._files: list[UploadedFile] = []
        self._pending_files: dict[str, _PendingFile] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._view_owner: dict[str, str] = {}
        self._stacks: dict[str, list[str]] = {}
        self._homes: dict[str, str] = {}
        self._external_ids: dict[str, str] = {}
        self._view_log: list[_ViewEvent] = []
        self._faults: list[_Fault] = []
        self._delays: dict[str, float] = {}
        self._rate_limits: dict[str, _RateLimit] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._limit_violations: list[str] = []
        self._internal_errors: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Listen on 127.0.0.1 and serve from a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self._requested_port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeSlack:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (known once started)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started: call start() or use it as a context")
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT, the root of every URL the stand-in hands out."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL, what SLACK_API_URL and WebClient(base_url=...) are set to."""
        return f"{self.base}/api/"

    # -- the workspace -----------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
    ) -> None:
        """Register (or replace) a person; users.info, users.list and DMs know them."""
        ZoneInfo(tz)  # a bad zone name is a test bug: fail here, not in users.info
        with self._lock:
            self._users[user_id] = _User(user_id, name, tz, is_bot, deleted, email)

    def add_usergroup(self, group_id: str, users: Iterable[str]) -> None:
        """Register a user group (S…) and its members for usergroups.users.list."""
        with self._lock:
            self._usergroups[group_id] = list(users)

    def add_channel(
        self,
        channel_id: str,
        *,
        members: Iterable[str] = (),
        bot_member: bool = True,
        name: str | None = None,
        is_private: bool = False,
    ) -> None:
        """Register a channel; the bot can post in it only when ``bot_member``."""
        with self._lock:
            self._channels[channel_id] = _Channel(
                channel_id,
                name or channel_id.lower(),
                list(members),
                bot_member,
                is_private,
            )

    def dm_channel(self, user_id: str) -> str:
        """The bot's DM channel (D…) with a person; the same id every time."""
        with self._lock:
            channel = self._dm_by_user.get(user_id)
            if channel is None:
                channel = "D" + user_id
                self._dm_by_user[user_id] = channel
                self._channels[channel] = _Channel(
                    channel, channel.lower(), [user_id], True, True, is_im=True, user=user_id
                )
            return channel

    def channel_name(self, channel_id: str) -> str:
        """The channel's name as payloads carry it ("directmessage" for a DM)."""
        with self._lock:
            channel = self._channels.get(channel_id)
        if (channel and channel.is_im) or (channel is None and channel_id.startswith("D")):
            return "directmessage"
        return channel.name if channel else channel_id.lower()

    def user_name(self, user_id: str) -> str:
        """The handle Slack would put in payloads' ``user.name`` for this person."""
        with self._lock:
            user = self._users.get(user_id)
        return _handle(user.name) if user and user.name else user_id.lower()

    # -- triggers and response URLs (what the sender hands the app) ---------------------------

    def new_trigger(self, user_id: str, *, view_id: str | None = None) -> str:
        """Issue a single-use trigger_id for ``user_id`` that expires after ``trigger_ttl`` s."""
        with self._lock:
            trigger_id = f"{next(self._ids)}.{self.team_id[1:]}.{secrets.token_hex(12)}"
            self._triggers[trigger_id] = _Trigger(user_id, _RealClock.monotonic(), view_id)
            return trigger_id

    def new_response_url(
        self,
        user_id: str,
        channel_id: str,
        *,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
        thread_ts: str | None = None,
    ) -> str:
        """Issue a response_url whose posts reach ``user_id`` in ``channel_id`` (5 uses)."""
        with self._lock:
            key = secrets.token_urlsafe(12)
            self._response_urls[key] = _ResponseUrl(
                user_id, channel_id, message_ts, is_ephemeral, thread_ts
            )
        return f"{self.base}/response/{key}"

    # -- faults ------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error: str = "fatal_error",
        times: int = 1,
        status: int = 200,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*": any) with ok:false ``error``.

        ``when``, given the call's decoded args, picks which calls fail (others pass).
        """
        with self._lock:
            self._faults.append(_Fault(method, times, error, status, None, when))

    def rate_limit_next(
        self,
        method: str,
        retry_after: int = 1,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``Retry-After``."""
        with self._lock:
            self._faults.append(_Fault(method, times, "ratelimited", 429, retry_after, when))

    def server_error_next(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTTP 5xx."""
        with self._lock:
            self._faults.append(_Fault(method, times, "internal_error", status, None, when))

    def drop_next(
        self,
        method: str,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Close the connection of the next ``times`` calls of ``method`` without acting on them
        or answering (a connection lost on the way in: the client sees it reset, and cannot tell
        it from :meth:`drop_after_acting_next`)."""
        with self._lock:
            self._faults.append(_Fault(method, times, "connection_dropped", DROPPED, None, when))

    def answer_late_next(
        self,
        method: str,
        seconds: float,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Act on the next ``times`` calls of ``method`` but answer only ``seconds`` later (a
        timeout after Slack acted: a client that waits less never learns the message went)."""
        with self._lock:
            self._faults.append(_Fault(method, times, "late", 200, None, when, late=seconds))

    def drop_after_acting_next(
        self,
        method: str,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Act on the next ``times`` calls of ``method``, then close the connection without an
        answer (a link lost on the way back: the message went, the client never hears so)."""
        with self._lock:
            self._faults.append(
                _Fault(method, times, "dropped_after_acting", 200, None, when, drop_after=True)
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
            self._rate_limits[method] = _RateLimit(per_second, burst, per_channel)
            for key in [k for k in self._buckets if k[0] == method]:
                del self._buckets[key]

    # -- queries -----------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every call so far, in the order they were answered."""
        with self._lock:
            return list(self._calls)

    @property
    def limit_violations(self) -> list[str]:
        """Every Block Kit limit (or view answer) Slack would have refused, one line each."""
        with self._lock:
            return list(self._limit_violations)

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of requests the stand-in itself failed on (a bug here, not in the app)."""
        with self._lock:
            return list(self._internal_errors)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls of one method, answered or refused."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        """Messages as posted (chat.postMessage, in-channel responses), newest last."""
        with self._lock:
            return [m for m in self._messages if channel is None or m.channel == channel]

    def dms(self, user_id: str) -> list[Message]:
        """Messages posted in the bot's DM with this person, newest last."""
        return self.messages(self.dm_channel(user_id))

    def message(self, channel: str, ts: str) -> Message | None:
        """The message as it is now (after updates), or None if deleted or never posted."""
        with self._lock:
            return self._current.get((channel, ts))

    def updates(self, channel: str | None = None) -> list[Message]:
        """Messages as they were rewritten (chat.update, replace_original), newest last."""
        with self._lock:
            return [m for m in self._updates if channel is None or m.channel == channel]

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        """Messages only one person saw, newest last."""
        with self._lock:
            return [e for e in self._ephemerals if user is None or e.user == user]

    def views_opened(self, user: str | None = None) -> list[dict[str, Any]]:
        """Modals opened (views.open) or pushed, as Slack returned them, oldest first."""
        with self._lock:
            return [
                copy.deepcopy(e.view)
                for e in self._view_log
                if e.kind in ("open", "push") and (user is None or e.user == user)
            ]

    def last_view(self, user: str) -> dict[str, Any] | None:
        """The modal most recently opened, pushed or updated for ``user`` (with its id)."""
        with self._lock:
            for event in reversed(self._view_log):
                if event.user == user and event.view.get("type") == "modal":
                    return copy.deepcopy(event.view)
        return None

    def open_views(self, user: str) -> list[dict[str, Any]]:
        """The person's modal stack as it is now, root first (empty when closed)."""
        with self._lock:
            return [copy.deepcopy(self._views[v]) for v in self._stacks.get(user, [])]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """A view (modal or home) as it is now, by id."""
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found else None

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The person's App Home as last published, or None."""
        with self._lock:
            view_id = self._homes.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def files(self) -> list[UploadedFile]:
        """Files shared so far, with their bytes."""
        with self._lock:
            return list(self._files)

    def wait_quiet(self, quiet: float = 0.15, timeout: float = 30.0) -> None:
        """Wait until no Web API call has been answered for ``quiet`` seconds: the app's
        listeners have done what they do after their ack. AssertionError after ``timeout``."""
        deadline = _RealClock.monotonic() + timeout
        seen, since = -1, _RealClock.monotonic()
        while (now := _RealClock.monotonic()) - since < quiet:
            if now > deadline:
                raise AssertionError(f"the app kept calling Slack for {timeout} s")
            with self._lock:
                count = len(self._calls)
            if count != seen:
                seen, since = count, now
            time.sleep(0.02)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Poll ``predicate`` until it is truthy and return its value; AssertionError on timeout.

        Bolt runs listeners after the ack on a thread, so side effects land a little later.
        """
        deadline = _RealClock.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - _RealClock.monotonic()
                if left <= 0:
                    raise AssertionError(f"still not true after {timeout} s: {predicate!r}")
                self._changed.wait(min(left, 0.05))

    def take_calls(self) -> list[ApiCall]:
        """Every call recorded so far, forgetting all recordings at once (as :meth:`reset`).

        A stand-in under load for a long time (the benchmarks) calls this now and then to tally
        the traffic without keeping every view and message in memory.
        """
        with self._lock:
            calls = list(self._calls)
            self._clear_recordings()
        return calls

    def reset(self, *, directory: bool = False) -> None:
        """Forget calls, messages, views, files and faults; ``directory`` also people/channels."""
        with self._lock:
            self._clear_recordings()
            if directory:
                self._users.clear()
                self._channels.clear()
                self._usergroups.clear()
                self._dm_by_user.clear()

    # -- what the sender reports about acks (Slack acts on them, not the app) -----------------

    def record_command_ack(self, *, user_id: str, channel_id: str, body: str) -> None:
        """Show a slash command's ack body as Slack does: ephemeral, or in channel if asked."""
        body = body.strip()
        if not body:
            return
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {"text": body}
        if not isinstance(answer, dict):
            answer = {"text": body}
        with self._lock:
            target = _ResponseUrl(user_id, channel_id, None, False, None)
            problems = self._respond(target, answer, source="ack")
            if problems:
                self._violations("command ack", problems)
            self._changed.notify_all()

    def record_view_ack(self, *, user_id: str, view_id: str, answer: dict[str, Any] | None) -> None:
        """Apply a view_submission ack to the person's modal stack as Slack does."""
        answer = answer or {}
        action = answer.get("response_action")
        with self._lock:
            stack = self._stacks.get(user_id, [])
            if action == "clear":
                self._stacks[user_id] = []
            elif action == "update":
                self._ack_update(user_id, view_id, answer.get("view"))
            elif action == "push":
                self._ack_push(user_id, answer.get("view"))
            elif action == "errors":
                self._ack_errors(view_id, answer.get("errors"))
            elif action is None:
                if view_id in stack:
                    self._stacks[user_id] = stack[: stack.index(view_id)]
            else:
                self._violations("view_submission ack", [f"unknown response_action {action!r}"])
            self._changed.notify_all()

    def record_view_closed(self, *, user_id: str, view_id: str) -> None:
        """The person closed a modal: back to the previous view, or all closed if clear_on_close."""
        with self._lock:
            stack = self._stacks.get(user_id, [])
            if view_id in stack:
                closes_all = bool(self._views[view_id].get("clear_on_close"))
                self._stacks[user_id] = [] if closes_all else stack[: stack.index(view_id)]
            self._changed.notify_all()

    def _ack_update(self, user_id: str, view_id: str, view: Any) -> None:
        if not isinstance(view, dict):
            self._violations("view_submission ack", ["response_action update needs a view"])
            return
        if problems := view_problems(view):
            self._violations("view_submission ack (update)", problems)
            return
        current = self._views.get(view_id)
        if current is None:
            return
        updated = self._shape_view(
            view, view_id, current["root_view_id"], current["previous_view_id"]
        )
        self._store_view(updated, user_id)
        self._view_log.append(_ViewEvent("update", user_id, copy.deepcopy(updated)))

    def _ack_push(self, user_id: str, view: Any) -> None:
        if not isinstance(view, dict):
            self._violations("view_submission ack", ["response_action push needs a view"])
            return
        if problems := view_problems(view):
            self._violations("view_submission ack (push)", problems)
            return
        stack = self._stacks.setdefault(user_id, [])
        if len(stack) >= 3:
            self._violations("view_submission ack (push)", ["push_limit_reached"])
            return
        self._push_view(user_id, view)

    def _ack_errors(self, view_id: str, errors: Any) -> None:
        if not isinstance(errors, dict) or not errors:
            self._violations(
                "view_submission ack", ["response_action errors needs a non-empty dict"]
            )
            return
        view = self._views.get(view_id, {})
        inputs = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
        unknown = sorted(set(errors) - inputs)
        if unknown:
            self._violations(
                "view_submission ack",
                [f"errors name block_ids that are no input of the view: {unknown}"],
            )

    # -- request handling --------------------------------------------------------------------

    def _handle_api(
        self, method: str, query: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Answer one Web API request: status, headers, JSON body."""
        token = _bearer(headers.get("Authorization"))
        try:
            args = _parse_args(query, body, headers.get("Content-Type") or "")
        except ValueError:
            return self._answer(method, {}, token, SlackApiFailure("invalid_json"))
        token = token or args.pop("token", None)
        args.pop("token", None)
        if method not in self._methods:
            return self._answer(method, args, token, SlackApiFailure("unknown_method"))
        if not self._token_ok(token):
            return self._answer(method, args, token, SlackApiFailure("invalid_auth"))
        with self._lock:
            pause = self._delays.get(method, self._delays.get("*", 0.0))
        if pause:
            time.sleep(pause)
        with self._lock:
            try:
                acting = self._apply_faults(method, args)
                result = self._methods[method](args)
            except SlackApiFailure as failure:
                return self._answer(method, args, token, failure)
            headers_out = {}
            if method == "auth.test":
                headers_out["X-OAuth-Scopes"] = ",".join(self.scopes)
            self._record(ApiCall(method, args, token, time.time()))
        if acting is not None and acting.drop_after:
            return DROPPED, {}, {}
        if acting is not None and acting.late:
            time.sleep(acting.late)
        return 200, headers_out, {"ok": True, **result}

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, failure: SlackApiFailure
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Record a refused call and shape Slack's ok:false answer."""
        body: dict[str, Any] = {"ok": False, "error": failure.error}
        if failure.messages:
            body["response_metadata"] = {"messages": failure.messages}
        with self._lock:
            self._record(
                ApiCall(method, args, token, time.time(), False, failure.error, failure.status)
            )
        return failure.status, failure.headers, body

    def _record(self, call: ApiCall) -> None:
        with self._lock:
            self._calls.append(call)
            self._changed.notify_all()

    def _token_ok(self, token: str | None) -> bool:
        if not token:
            return False
        if self.token is not None:
            return secrets.compare_digest(token, self.token)
        return token.startswith("xoxb-")

    def _apply_faults(self, method: str, args: dict[str, Any]) -> _Fault | None:
        """Raise the first injected fault that matches, then the rate limit, if any; a fault
        that lets the call be carried out (a late answer, a drop after acting) is returned."""
        for fault in self._faults:
            if fault.method not in (method, "*") or fault.times <= 0:
                continue
            if fault.when is not None and not fault.when(args):
                continue
            fault.times -= 1
            self._faults = [f for f in self._faults if f.times > 0]
            if fault.late or fault.drop_after:
                return fault
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            raise SlackApiFailure(fault.error, status=fault.status, headers=headers)
        limit = self._rate_limits.get(method)
        if limit is None:
            return None
        key = str(args.get("channel") or "") if limit.per_channel else ""
        now = _RealClock.monotonic()
        bucket = self._buckets.setdefault(
            (method, key), _Bucket(limit.per_second, limit.burst, float(limit.burst), now)
        )
        wait = bucket.take(now)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise SlackApiFailure(
                "ratelimited", status=429, headers={"Retry-After": str(retry_after)}
            )
        return None

    def _handle_upload(self, file_id: str, body: bytes) -> tuple[int, str]:
        """Take the bytes posted to an upload URL."""
        with self._lock:
            pending = self._pending_files.get(file_id)
            if pending is None:
                return 404, "file not found"
            pending.content = body
            self._changed.notify_all()
        return 200, f"OK - {len(body)}"

    def _handle_response_url(self, key: str, body: bytes, content_type: str) -> tuple[int, str]:
        """Take a post to a response_url: a reply, a replacement or a deletion."""
        try:
            if "json" in content_type or body.lstrip().startswith(b"{"):
                answer = json.loads(body or b"{}")
            else:
                form = urllib.parse.parse_qs(body.decode("utf-8"))
                answer = json.loads(form.get("payload", ["{}"])[0])
        except ValueError:
            return 400, "invalid_payload"
        if not isinstance(answer, dict):
            return 400, "invalid_payload"
        with self._lock:
            target = self._response_urls.get(key)
            if target is None:
                return 404, "expired_url"
            if target.uses >= RESPONSE_URL_USES:
                return 404, "used_url"
            target.uses += 1
            problems = self._respond(target, answer, source="response_url")
            ok = not problems
            error = None if ok else "invalid_blocks"
            self._record(
                ApiCall("response_url", answer, None, time.time(), ok, error, 200 if ok else 400)
            )
            if problems:
                self._violations("response_url", problems)
                return 400, "invalid_blocks"
        return 200, "ok"

    def _respond(self, target: _ResponseUrl, answer: dict[str, Any], *, source: str) -> list[str]:
        """Show a response_url (or ack) message; return Block Kit problems instead if any."""
        if answer.get("delete_original"):
            if target.message_ts and not target.is_ephemeral:
                self._current[(target.channel, target.message_ts)] = None
            return []
        if answer.get("replace_original") and target.message_ts and not target.is_ephemeral:
            old = self._current.get((target.channel, target.message_ts))
            if old is not None:
                # Unlike chat.update, a replacement keeps nothing of the old message.
                if problems := message_problems(answer):
                    return problems
                new = replace(
                    old,
                    text=answer.get("text") or "",
                    blocks=_with_ids(answer.get("blocks") or []),
                    source=source,
                )
                self._current[(new.channel, new.ts)] = new
                self._updates.append(new)
                return []
        if problems := message_problems(answer):
            return problems
        text = answer.get("text") or ""
        blocks = _with_ids(answer.get("blocks") or [])
        if answer.get("response_type") == "in_channel":
            message = Message(
                target.channel,
                text,
                blocks,
                self._next_ts(),
                answer.get("thread_ts") or target.thread_ts,
                self.bot_user_id,
                source,
            )
            self._messages.append(message)
            self._current[(message.channel, message.ts)] = message
        else:
            self._ephemerals.append(
                Ephemeral(
                    target.channel,
                    target.user,
                    text,
                    blocks,
                    self._next_ts(),
                    target.thread_ts,
                    source,
                )
            )
        return []

    # -- methods -----------------------------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain.title(),
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        # Socket Mode needs an app-level token (xapp-); the stand-in only speaks HTTP.
        raise SlackApiFailure("not_allowed_token_type")

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._post_channel(args.get("channel"))
        self._check_message("chat.postMessage", args)
        message = Message(
            channel,
            args.get("text") or "",
            _with_ids(args.get("blocks") or []),
            self._next_ts(),
            _str_or_none(args.get("thread_ts")),
            self.bot_user_id,
            "chat.postMessage",
            args.get("metadata") if isinstance(args.get("metadata"), dict) else None,
        )
        self._messages.append(message)
        self._current[(channel, message.ts)] = message
        return {"channel": channel, "ts": message.ts, "message": self._message_json(message)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._known_channel(args.get("channel"))
        ts = _required(args, "ts")
        old = self._current.get((channel, ts))
        if old is None:
            raise SlackApiFailure("message_not_found")
        merged = {
            "text": args.get("text", old.text),
            "blocks": args.get("blocks", old.blocks),
        }
        self._check_message("chat.update", merged)
        new = replace(
            old,
            text=merged["text"] or "",
            blocks=_with_ids(merged["blocks"] or []),
            source="chat.update",
        )
        self._current[(channel, ts)] = new
        self._updates.append(new)
        return {"channel": channel, "ts": ts, "text": new.text, "message": self._message_json(new)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        user = _required(args, "user")
        self._person(user, for_dm=False)
        channel = self._post_channel(args.get("channel"))
        known = self._channels.get(channel)
        if known and known.members and not known.is_im and user not in known.members:
            raise SlackApiFailure("user_not_in_channel")
        self._check_message("chat.postEphemeral", args)
        ephemeral = Ephemeral(
            channel,
            user,
            args.get("text") or "",
            _with_ids(args.get("blocks") or []),
            self._next_ts(),
            _str_or_none(args.get("thread_ts")),
        )
        self._ephemerals.append(ephemeral)
        return {"message_ts": ephemeral.message_ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel")
        ts = _required(args, "message_ts")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._known_channel(args.get("channel"))
        ts = _required(args, "ts")
        if self._current.get((channel, ts)) is None:
            raise SlackApiFailure("message_not_found")
        self._current[(channel, ts)] = None
        return {"channel": channel, "ts": ts}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = self._known_channel(args["channel"])
            return {"channel": {"id": channel}, "no_op": True, "already_open": True}
        users = _id_list(args.get("users"))
        if not users:
            raise SlackApiFailure("users_list_not_supplied")
        for user in users:
            self._person(user, for_dm=False)
        if len(users) == 1:
            already = users[0] in self._dm_by_user
            channel = self.dm_channel(users[0])
            return {"channel": {"id": channel}, "no_op": already, "already_open": already}
        digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:9].upper()
        channel = f"G{digest}"
        if channel not in self._channels:
            self._channels[channel] = _Channel(
                channel, f"mpdm-{digest.lower()}", users, True, True, is_mpim=True
            )
        return {"channel": {"id": channel}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(_required(args, "channel"))
        if channel is None:
            raise SlackApiFailure("channel_not_found")
        info: dict[str, Any] = {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not (channel.is_private or channel.is_im),
            "is_group": channel.is_private and not (channel.is_im or channel.is_mpim),
            "is_im": channel.is_im,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "is_archived": False,
            "is_member": channel.bot_member,
            "num_members": len(self._channel_members(channel)),
        }
        if channel.is_im:
            info["user"] = channel.user
        return {"channel": info}

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(_required(args, "channel"))
        if channel is None:
            raise SlackApiFailure("channel_not_found")
        return _page(self._channel_members(channel), args, "members", default_limit=100)

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channel's messages as they are now, newest first, between oldest and latest.

        Message metadata comes back only with ``include_all_metadata`` (as Slack does). The
        token needs the history scope of the conversation's kind, else ``missing_scope``.
        """
        channel = self._channels.get(_required(args, "channel"))
        if channel is None:
            raise SlackApiFailure("channel_not_found")
        if channel.is_im:
            needed = "im:history"
        elif channel.is_mpim:
            needed = "mpim:history"
        else:
            needed = "groups:history" if channel.is_private else "channels:history"
        if needed not in self.scopes:
            raise SlackApiFailure("missing_scope")
        if not channel.bot_member:
            raise SlackApiFailure("not_in_channel")
        try:
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or math.inf)
        except ValueError:
            raise SlackApiFailure("invalid_ts_oldest") from None
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = []
        for posted in reversed(self._messages):
            current = self._current.get((posted.channel, posted.ts))
            if posted.channel != channel.id or posted.thread_ts or current is None:
                continue
            if not oldest < float(current.ts) < latest:
                continue
            shaped = self._message_json(current)
            if not with_metadata:
                shaped.pop("metadata", None)
            shown.append(shaped)
        page = _page(shown, args, "messages", default_limit=100)
        page["has_more"] = bool(page["response_metadata"]["next_cursor"])
        return page

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = _required(args, "user")
        if user_id == self.bot_user_id:
            return {"user": self._bot_user_json()}
        user = self._users.get(user_id)
        if user is None:
            raise SlackApiFailure("user_not_found")
        return {"user": self._user_json(user)}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_json(u) for u in self._users.values()] + [self._bot_user_json()]
        if not int(args.get("limit") or 0) and len(members) > USERS_LIST_UNPAGED_MAX:
            raise SlackApiFailure("limit_required")
        return {**_page(members, args, "members", default_limit=0), "cache_ts": int(time.time())}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = _required(args, "usergroup")
        if group not in self._usergroups:
            raise SlackApiFailure("no_such_subteam")
        return {"users": list(self._usergroups[group])}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._trigger(args.get("trigger_id"))
        view = self._view_arg(args, "modal", "views.open")
        trigger.used = True
        view_id = self._new_view_id()
        shaped = self._shape_view(view, view_id, view_id, None)
        self._stacks[trigger.user] = []
        self._store_view(shaped, trigger.user)
        self._stacks[trigger.user].append(view_id)
        self._view_log.append(_ViewEvent("open", trigger.user, copy.deepcopy(shaped)))
        return {"view": shaped}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._trigger(args.get("trigger_id"))
        view = self._view_arg(args, "modal", "views.push")
        if len(self._stacks.get(trigger.user, [])) >= 3:
            raise SlackApiFailure("push_limit_reached")
        trigger.used = True
        return {"view": self._push_view(trigger.user, view)}

    def _push_view(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Put a view on top of the person's modal stack (a new stack when none is open)."""
        stack = self._stacks.setdefault(user, [])
        view_id = self._new_view_id()
        root = stack[0] if stack else view_id
        shaped = self._shape_view(view, view_id, root, stack[-1] if stack else None)
        self._store_view(shaped, user)
        stack.append(view_id)
        self._view_log.append(_ViewEvent("push", user, copy.deepcopy(shaped)))
        return shaped

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise SlackApiFailure(
                "invalid_arguments", messages=["[ERROR] either view_id or external_id is required"]
            )
        if not view_id:
            view_id = self._external_ids.get(str(external_id))
        current = self._views.get(str(view_id)) if view_id else None
        owner = self._view_owner.get(str(view_id))
        if current is None or owner is None or not self._is_showing(owner, str(view_id)):
            raise SlackApiFailure("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackApiFailure("hash_conflict")
        view = self._view_arg(args, current["type"], "views.update")
        shaped = self._shape_view(
            view, current["id"], current["root_view_id"], current["previous_view_id"]
        )
        self._store_view(shaped, owner)
        self._view_log.append(_ViewEvent("update", owner, copy.deepcopy(shaped)))
        return {"view": shaped}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = _required(args, "user_id")
        self._person(user, for_dm=False)
        view = self._view_arg(args, "home", "views.publish")
        current_id = self._homes.get(user)
        if current_id and args.get("hash") and args["hash"] != self._views[current_id]["hash"]:
            raise SlackApiFailure("hash_conflict")
        view_id = current_id or self._new_view_id()
        shaped = self._shape_view(view, view_id, None, None)
        self._store_view(shaped, user)
        self._homes[user] = view_id
        self._view_log.append(_ViewEvent("publish", user, copy.deepcopy(shaped)))
        return {"view": shaped}

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = _required(args, "filename")
        try:
            length = int(_required(args, "length"))
        except ValueError:
            raise SlackApiFailure("invalid_arguments") from None
        file_id = f"F{next(self._ids):08d}"
        self._pending_files[file_id] = _PendingFile(filename, length)
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackApiFailure("invalid_arguments", messages=["[ERROR] files is required"])
        channel = None
        if args.get("channel_id"):
            channel = self._post_channel(args["channel_id"])
        pending = []
        for item in files:
            file_id = item.get("id") if isinstance(item, dict) else None
            found = self._pending_files.get(str(file_id))
            if found is None or found.content is None:
                raise SlackApiFailure("file_not_found")
            pending.append((str(file_id), item, found))
        shared = []
        for file_id, item, found in pending:
            del self._pending_files[file_id]
            title = item.get("title") or found.filename
            self._files.append(
                UploadedFile(
                    file_id,
                    found.filename,
                    title,
                    found.content or b"",
                    channel,
                    _str_or_none(args.get("initial_comment")),
                    _str_or_none(args.get("thread_ts")),
                )
            )
            shared.append(
                {
                    "id": file_id,
                    "name": found.filename,
                    "title": title,
                    "size": len(found.content or b""),
                    "channels": [channel] if channel else [],
                    "permalink": f"https://{self.team_domain}.slack.com/files/{file_id}",
                }
            )
        return {"files": shared}

    # -- helpers -----------------------------------------------------------------------------

    def _next_ts(self) -> str:
        micros = TS_BASE_MICROS + next(self._ts) * TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_view_id(self) -> str:
        return f"V{next(self._ids):08d}"

    def _violations(self, where: str, problems: Iterable[str]) -> None:
        self._limit_violations.extend(f"{where}: {p}" for p in problems)

    def _check_message(self, method: str, payload: dict[str, Any]) -> None:
        """Refuse a message over Slack's limits as Slack does, and note why."""
        problems = message_problems(payload)
        if not problems:
            return
        self._violations(method, problems)
        text = payload.get("text")
        if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
            raise SlackApiFailure("msg_too_long", messages=problems)
        if not payload.get("blocks") and not text:
            raise SlackApiFailure("no_text", messages=problems)
        raise SlackApiFailure("invalid_blocks", messages=problems)

    def _view_arg(self, args: dict[str, Any], kind: str, method: str) -> dict[str, Any]:
        """The ``view`` argument, refused unless it is a valid view of the expected type."""
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackApiFailure("invalid_arguments", messages=["[ERROR] view is required"])
        if view.get("type") != kind:
            raise SlackApiFailure(
                "invalid_arguments",
                messages=[f"[ERROR] {method} needs a view of type {kind!r}"],
            )
        if problems := view_problems(view):
            self._violations(method, problems)
            raise SlackApiFailure("invalid_blocks", messages=problems)
        return view

    def _trigger(self, trigger_id: Any) -> _Trigger:
        """The trigger behind a trigger_id, if it may still be used (not yet marked used)."""
        trigger = self._triggers.get(str(trigger_id)) if trigger_id else None
        if trigger_id and not self.strict_triggers:
            # A fresh trigger each time, so that being used or old never refuses it.
            if trigger is None:
                return _Trigger(UNKNOWN_TRIGGER_USER, _RealClock.monotonic(), None)
            return _Trigger(trigger.user, _RealClock.monotonic(), trigger.view_id)
        if trigger is None:
            raise SlackApiFailure("invalid_trigger_id")
        if trigger.used:
            raise SlackApiFailure("exchanged_trigger_id")
        ttl = self.trigger_ttl
        if ttl is not None and _RealClock.monotonic() - trigger.issued > ttl:
            raise SlackApiFailure("expired_trigger_id")
        return trigger

    def _shape_view(
        self, view: dict[str, Any], view_id: str, root: str | None, previous: str | None
    ) -> dict[str, Any]:
        """The view as Slack returns it: ids, hash, empty state, block ids filled in."""
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "title": copy.deepcopy(view.get("title")),
            "submit": copy.deepcopy(view.get("submit")),
            "close": copy.deepcopy(view.get("close")),
            "blocks": _with_ids(view.get("blocks") or []),
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "external_id": view.get("external_id") or "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root,
            "previous_view_id": previous,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _store_view(self, shaped: dict[str, Any], owner: str) -> None:
        self._views[shaped["id"]] = shaped
        self._view_owner[shaped["id"]] = owner
        if shaped["external_id"]:
            self._external_ids[shaped["external_id"]] = shaped["id"]

    def _is_showing(self, user: str, view_id: str) -> bool:
        return view_id in self._stacks.get(user, []) or self._homes.get(user) == view_id

    def _person(self, user_id: Any, *, for_dm: bool) -> _User | None:
        """The registered person, or the error Slack gives for an unknown, gone or bot user."""
        if not user_id:
            raise SlackApiFailure("user_not_found")
        user = self._users.get(str(user_id))
        if user is None:
            if user_id != self.bot_user_id and self.strict_users and self._users:
                raise SlackApiFailure("user_not_found")
            return None
        if user.deleted:
            raise SlackApiFailure("user_disabled")
        if for_dm and user.is_bot:
            raise SlackApiFailure("cannot_dm_bot")
        return user

    def _post_channel(self, channel: Any) -> str:
        """Where a post lands: a user id means their DM; refuse unknown or unjoined channels."""
        if not channel:
            raise SlackApiFailure("channel_not_found")
        channel = str(channel)
        if channel.startswith("#"):
            named = [c.id for c in self._channels.values() if c.name == channel[1:]]
            if not named:
                raise SlackApiFailure("channel_not_found")
            channel = named[0]
        if channel[0] in "UW":
            if channel == self.bot_user_id:
                raise SlackApiFailure("cannot_dm_bot")
            self._person(channel, for_dm=True)
            return self.dm_channel(channel)
        known = self._channels.get(channel)
        if known is None:
            if self.strict_channels:
                raise SlackApiFailure("channel_not_found")
            return channel
        if known.is_im and known.user:
            self._person(known.user, for_dm=True)
        if not known.bot_member:
            raise SlackApiFailure("not_in_channel")
        return channel

    def _known_channel(self, channel: Any) -> str:
        """A channel id for update/delete (a user id is read as their DM)."""
        if not channel:
            raise SlackApiFailure("channel_not_found")
        channel = str(channel)
        if channel[0] in "UW":
            return self.dm_channel(channel)
        if channel not in self._channels and self.strict_channels:
            raise SlackApiFailure("channel_not_found")
        return channel

    def _channel_members(self, channel: _Channel) -> list[str]:
        members = list(channel.members)
        if channel.bot_member and self.bot_user_id not in members:
            members.append(self.bot_user_id)
        return members

    def _message_json(self, message: Message) -> dict[str, Any]:
        shaped = message.to_dict()
        del shaped["channel"]
        shaped.update({"bot_id": self.bot_id, "app_id": self.app_id, "team": self.team_id})
        return shaped

    def _user_json(self, user: _User) -> dict[str, Any]:
        zone = ZoneInfo(user.tz)
        now = datetime.now(UTC).astimezone(zone)
        offset = now.utcoffset()
        real_name = user.name or user.id
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "team": self.team_id,
        }
        if user.email:
            profile["email"] = user.email
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": _handle(user.name) if user.name else user.id.lower(),
            "deleted": user.deleted,
            "real_name": real_name,
            "tz": user.tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "is_admin": False,
            "is_restricted": False,
            "updated": 1_700_000_000,
            "profile": profile,
        }

    def _bot_user_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_user_id,
            "team_id": self.team_id,
            "name": self.bot_name,
            "deleted": False,
            "real_name": self.bot_name,
            "tz": "America/Los_Angeles",
            "tz_label": "Pacific Time",
            "tz_offset": -28800,
            "is_bot": True,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "profile": {
                "real_name": self.bot_name,
                "display_name": "",
                "bot_id": self.bot_id,
                "api_app_id": self.app_id,
                "team": self.team_id,
            },
        }


class _Server(ThreadingHTTPServer):
    """The HTTP server; handler threads are daemons so a hung request never blocks exit."""

    daemon_threads = True
    # socketserver's default backlog is 5: a benchmark's bursts of calls from several worker
    # threads overflowed it and saw connections reset, which Slack itself never does.
    request_queue_size = 128
    fake: FakeSlack

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep the traceback of a failed request in ``internal_errors`` (and the log)."""
        # A client that timed out (a delay test) and hung up is expected, not an error.
        exc = traceback.format_exc()
        if "BrokenPipeError" in exc or "ConnectionResetError" in exc:
            return
        with self.fake._lock:
            self.fake._internal_errors.append(exc)
        logger.error("FakeSlack failed on a request:\n%s", exc)


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method>, /upload/<file id> and /response/<id>."""

    server: _Server
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        """Answer a POST (how slack_sdk calls every method)."""
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def do_GET(self) -> None:
        """Answer a GET (slack_sdk uses it for a few read methods)."""
        self._dispatch(b"")

    def _dispatch(self, body: bytes) -> None:
        fake = self.server.fake
        path, _, query = self.path.partition("?")
        try:
            if path.startswith("/api/"):
                status, headers, answer = fake._handle_api(path[5:], query, body, self.headers)
                if status == DROPPED:
                    self.close_connection = True  # no status line: the client sees a reset
                    return
                self._send(status, json.dumps(answer).encode(), "application/json", headers)
            elif path.startswith("/upload/") and self.command == "POST":
                status, text = fake._handle_upload(path[8:], body)
                self._send(status, text.encode(), "text/plain")
            elif path.startswith("/response/") and self.command == "POST":
                content_type = self.headers.get("Content-Type") or ""
                status, text = fake._handle_response_url(path[10:], body, content_type)
                self._send(status, text.encode(), "text/plain")
            else:
                self._send(404, b"not found", "text/plain")
        except Exception:
            self.server.handle_error(self.request, self.client_address)
            answer = {"ok": False, "error": "fatal_error"}
            self._send(500, json.dumps(answer).encode(), "application/json")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep request lines out of test output; they go to the debug log."""
        logger.debug("FakeSlack %s", format % args)


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _parse_args(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Query string, then a form or JSON body, with JSON-string args decoded (as Slack reads)."""
    args: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
    if body:
        if "application/json" in content_type:
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ValueError("a JSON body must be an object")
            args.update(decoded)
        else:
            form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
            args.update({k: v[-1] for k, v in form.items()})
    for name in JSON_ARGS:
        value = args.get(name)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            args[name] = json.loads(value)
    return args


def _required(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if value is None or value == "":
        raise SlackApiFailure(
            "invalid_arguments", messages=[f"[ERROR] missing required field: {name}"]
        )
    return str(value)


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _id_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _handle(name: str) -> str:
    return name.strip().lower().replace(" ", ".")


def _page(
    items: list[Any], args: dict[str, Any], key: str, *, default_limit: int
) -> dict[str, Any]:
    """One page of ``items`` after ``cursor``, with the cursor of the next page ("" at the end)."""
    try:
        limit = int(args.get("limit") or default_limit)
    except ValueError:
        raise SlackApiFailure("invalid_limit") from None
    start = _decode_cursor(str(args.get("cursor") or ""))
    if limit <= 0:
        limit = len(items)
    end = start + limit
    next_cursor = _encode_cursor(end) if end < len(items) else ""
    return {key: items[start:end], "response_metadata": {"next_cursor": next_cursor}}


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        prefix, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
        if prefix != "offset":
            raise ValueError(cursor)
        return int(number)
    except ValueError:
        raise SlackApiFailure("invalid_cursor") from None


def _with_ids(blocks: list[Any]) -> list[Any]:
    """A copy of the blocks with a block_id (and action_ids) wherever Slack would add one."""
    shaped = copy.deepcopy(blocks)
    for block in shaped:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", secrets.token_urlsafe(4))
        for element in _interactive(block):
            element.setdefault("action_id", secrets.token_urlsafe(4))
    return shaped


def _interactive(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The elements of a block that carry an action_id."""
    kind = block.get("type")
    if kind == "actions":
        yield from (e for e in block.get("elements") or [] if isinstance(e, dict))
    elif kind == "input" and isinstance(block.get("element"), dict):
        yield block["element"]
    elif kind == "section":
        # An image accessory is not interactive: Slack gives it no action_id.
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") != "image":
            yield accessory


__all__ = [
    "ApiCall",
    "Ephemeral",
    "FakeSlack",
    "Message",
    "SlackApiFailure",
    "UploadedFile",
    "all_text",
]
