"""The stand-in's workspace: its people, channels and user groups, and what it has recorded.

:class:`Workspace` holds the state every Web API family works on (messages, views, triggers,
files, faults, calls) behind one re-entrant lock, and the checks several families share: who
may receive a DM, where a post lands, the next message ``ts``. Each family (chat.py,
conversations.py, users.py, views.py, files.py...) is a mixin over it, and server.py's
:class:`~bot.standin.web_api.FakeSlack` puts them together.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from http.server import ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from bot.manifest import BOT_SCOPES
from bot.standin.web_api.model import (
    ApiCall,
    Channel,
    Ephemeral,
    Fault,
    Message,
    PendingFile,
    Person,
    RateLimit,
    ResponseUrl,
    SlackApiFailure,
    TokenBucket,
    Trigger,
    UploadedFile,
    ViewEvent,
)
from bot.standin.web_api.wire import handle

# The bot token holds what the app's manifest asks for, as when Slack installs the app (Slack
# names them in each answer's X-OAuth-Scopes header).
DEFAULT_SCOPES = tuple(BOT_SCOPES)
TS_BASE_MICROS = 1_700_000_000_000_000
TS_STEP_MICROS = 100


class Workspace:
    """The workspace and recordings behind the fake Web API, with the checks families share."""

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
        # Where it listens once started (server.py starts and stops it).
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._forget_directory()
        self._clear_recordings()

    def _forget_directory(self) -> None:
        """Forget people, channels, user groups and DMs."""
        self._users: dict[str, Person] = {}
        self._channels: dict[str, Channel] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._dm_by_user: dict[str, str] = {}

    def _clear_recordings(self) -> None:
        """Forget traffic, faults, views, triggers and files (not people or channels)."""
        self._calls: list[ApiCall] = []
        self._messages: list[Message] = []
        self._updates: list[Message] = []
        self._current: dict[tuple[str, str], Message | None] = {}
        self._ephemerals: list[Ephemeral] = []
        self._files: list[UploadedFile] = []
        self._pending_files: dict[str, PendingFile] = {}
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._view_owner: dict[str, str] = {}
        self._stacks: dict[str, list[str]] = {}
        self._homes: dict[str, str] = {}
        self._external_ids: dict[str, str] = {}
        self._view_log: list[ViewEvent] = []
        self._faults: list[Fault] = []
        self._delays: dict[str, float] = {}
        self._rate_limits: dict[str, RateLimit] = {}
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._limit_violations: list[str] = []
        self._internal_errors: list[str] = []

    # -- where it listens --------------------------------------------------------------------

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

    # -- the directory -----------------------------------------------------------------------

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
            self._users[user_id] = Person(user_id, name, tz, is_bot, deleted, email)

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
            self._channels[channel_id] = Channel(
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
                self._channels[channel] = Channel(
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
        return handle(user.name) if user and user.name else user_id.lower()

    # -- what several families share ---------------------------------------------------------

    def _record(self, call: ApiCall) -> None:
        with self._lock:
            self._calls.append(call)
            self._changed.notify_all()

    def _next_ts(self) -> str:
        micros = TS_BASE_MICROS + next(self._ts) * TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _violations(self, where: str, problems: Iterable[str]) -> None:
        self._limit_violations.extend(f"{where}: {p}" for p in problems)

    def _person(self, user_id: Any, *, for_dm: bool) -> Person | None:
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

    def _message_json(self, message: Message) -> dict[str, Any]:
        """A message as the Web API returns it (chat.* answers, conversations.history)."""
        shaped = message.to_dict()
        del shaped["channel"]
        shaped.update({"bot_id": self.bot_id, "app_id": self.app_id, "team": self.team_id})
        return shaped
