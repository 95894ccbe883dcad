"""conversations.*: open a DM or group DM, describe a channel, list its members and history."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from bot.standin.web_api.model import Channel, SlackApiFailure
from bot.standin.web_api.state import Workspace
from bot.standin.web_api.wire import id_list, page, required


class ConversationMethods(Workspace):
    """conversations.open, conversations.info, conversations.members, conversations.history."""

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
        channel = self._channel_arg(args)
        if _history_scope(channel) not in self.scopes:
            raise SlackApiFailure("missing_scope")
        if not channel.bot_member:
            raise SlackApiFailure("not_in_channel")
        try:
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or math.inf)
        except ValueError:
            raise SlackApiFailure("invalid_ts_oldest") from None
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = self._history(channel.id, oldest, latest, with_metadata=with_metadata)
        history = page(shown, args, "messages", default_limit=100)
        history["has_more"] = bool(history["response_metadata"]["next_cursor"])
        return history

    def _history(
        self, channel_id: str, oldest: float, latest: float, *, with_metadata: bool
    ) -> list[dict[str, Any]]:
        """The channel's top-level messages as they are now, newest first, strictly between."""
        shown = []
        for posted in reversed(self._messages):
            current = self._current.get((posted.channel, posted.ts))
            if posted.channel != channel_id or posted.thread_ts or current is None:
                continue
            if not oldest < float(current.ts) < latest:
                continue
            shaped = self._message_json(current)
            if not with_metadata:
                shaped.pop("metadata", None)
            shown.append(shaped)
        return shown

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
