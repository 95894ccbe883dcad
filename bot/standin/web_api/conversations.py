"""conversations.*: open a DM or group DM, describe a channel, list its members, its history and
a thread's replies (files shared in them shown as Slack shows them, a message with ``files``)."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from bot.standin.web_api.model import Channel, SlackApiFailure
from bot.standin.web_api.state import Workspace
from bot.standin.web_api.wire import id_list, page, required


class ConversationMethods(Workspace):
    """conversations.open, .info, .members, .history and .replies."""

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = self._known_channel(args["channel"])
            return {"channel": {"id": channel}, "no_op": True, "already_open": True}
        users = id_list(args.get("users"))
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
            self._channels[channel] = Channel(
                channel, f"mpdm-{digest.lower()}", users, True, True, is_mpim=True
            )
        return {"channel": {"id": channel}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_arg(args)
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
        channel = self._channel_arg(args)
        return page(self._channel_members(channel), args, "members", default_limit=100)

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channel's messages as they are now, newest first, between oldest and latest.

        Message metadata comes back only with ``include_all_metadata`` (as Slack does). The
        token needs the history scope of the conversation's kind, else ``missing_scope``.
        """
        channel = self._readable_channel(args)
        try:
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or math.inf)
        except ValueError:
            raise SlackApiFailure("invalid_ts_oldest") from None
        with_metadata = _flag(args.get("include_all_metadata"))
        shown = self._history(channel.id, oldest, latest, with_metadata=with_metadata)
        history = page(shown, args, "messages", default_limit=100)
        history["has_more"] = bool(history["response_metadata"]["next_cursor"])
        return history

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent, then its replies oldest first (files shared in it included).

        Metadata only with ``include_all_metadata``; the same scopes as conversations.history;
        ``thread_not_found`` for a ts that is no message of the channel.
        """
        channel = self._readable_channel(args)
        ts = required(args, "ts")
        parent = self._current.get((channel.id, ts))
        if parent is None:
            raise SlackApiFailure("thread_not_found")
        with_metadata = _flag(args.get("include_all_metadata"))
        thread = [
            (float(current.ts), self._message_json(current))
            for posted in self._messages
            if posted.channel == channel.id
            and posted.thread_ts == ts
            and (current := self._current.get((posted.channel, posted.ts))) is not None
        ]
        thread += [
            (float(shared.ts), shared.message_json())
            for shared in self._files
            if shared.channel == channel.id and shared.thread_ts == ts and shared.ts
        ]
        shown = [self._message_json(parent), *(m for _, m in sorted(thread, key=lambda t: t[0]))]
        if not with_metadata:
            for message in shown:
                message.pop("metadata", None)
        replies = page(shown, args, "messages", default_limit=100)
        replies["has_more"] = bool(replies["response_metadata"]["next_cursor"])
        return replies

    def _readable_channel(self, args: dict[str, Any]) -> Channel:
        """The channel named, if the token may read its history and the bot is in it."""
        channel = self._channel_arg(args)
        if _history_scope(channel) not in self.scopes:
            raise SlackApiFailure("missing_scope")
        if not channel.bot_member:
            raise SlackApiFailure("not_in_channel")
        return channel

    def _history(
        self, channel_id: str, oldest: float, latest: float, *, with_metadata: bool
    ) -> list[dict[str, Any]]:
        """The channel's top-level messages (and files shared outside a thread) as they are
        now, newest first, strictly between ``oldest`` and ``latest``."""
        shown: list[tuple[float, dict[str, Any]]] = []
        for posted in self._messages:
            current = self._current.get((posted.channel, posted.ts))
            if posted.channel != channel_id or posted.thread_ts or current is None:
                continue
            if not oldest < float(current.ts) < latest:
                continue
            shaped = self._message_json(current)
            if not with_metadata:
                shaped.pop("metadata", None)
            shown.append((float(current.ts), shaped))
        for shared in self._files:
            outside_threads = shared.channel == channel_id and not shared.thread_ts
            if outside_threads and shared.ts and oldest < float(shared.ts) < latest:
                shown.append((float(shared.ts), shared.message_json()))
        return [message for _, message in sorted(shown, key=lambda t: -t[0])]

    def _channel_arg(self, args: dict[str, Any]) -> Channel:
        """The channel the ``channel`` argument names, or channel_not_found."""
        channel = self._channels.get(required(args, "channel"))
        if channel is None:
            raise SlackApiFailure("channel_not_found")
        return channel

    def _channel_members(self, channel: Channel) -> list[str]:
        members = list(channel.members)
        if channel.bot_member and self.bot_user_id not in members:
            members.append(self.bot_user_id)
        return members


def _history_scope(channel: Channel) -> str:
    """The scope conversations.history needs for this kind of conversation."""
    if channel.is_im:
        return "im:history"
    if channel.is_mpim:
        return "mpim:history"
    return "groups:history" if channel.is_private else "channels:history"


def _flag(value: Any) -> bool:
    """A boolean Web API argument, as form or JSON sends it."""
    return str(value or "").lower() in ("1", "true")
