"""chat.*: post, update, delete and link to messages, and post ephemeral ones.

Every message is checked against Block Kit's limits (bot.slack.blockkit) and refused with the
error Slack gives (``msg_too_long``, ``no_text``, ``invalid_blocks``), the reason noted in
:attr:`~bot.standin.web_api.FakeSlack.limit_violations`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.slack.blockkit import MESSAGE_TEXT_MAX, message_problems
from bot.standin.web_api.model import Ephemeral, Message, SlackApiFailure
from bot.standin.web_api.state import Workspace
from bot.standin.web_api.wire import required, str_or_none, with_ids


class ChatMethods(Workspace):
    """chat.postMessage, chat.update, chat.postEphemeral, chat.getPermalink, chat.delete."""

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._post_channel(args.get("channel"))
        self._check_message("chat.postMessage", args)
        message = Message(
            channel,
            args.get("text") or "",
            with_ids(args.get("blocks") or []),
            self._next_ts(),
            str_or_none(args.get("thread_ts")),
            self.bot_user_id,
            "chat.postMessage",
            args.get("metadata") if isinstance(args.get("metadata"), dict) else None,
        )
        self._messages.append(message)
        self._current[(channel, message.ts)] = message
        return {"channel": channel, "ts": message.ts, "message": self._message_json(message)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._known_channel(args.get("channel"))
        ts = required(args, "ts")
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
            blocks=with_ids(merged["blocks"] or []),
            source="chat.update",
        )
        self._current[(channel, ts)] = new
        self._updates.append(new)
        return {"channel": channel, "ts": ts, "text": new.text, "message": self._message_json(new)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        user = required(args, "user")
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
            with_ids(args.get("blocks") or []),
            self._next_ts(),
            str_or_none(args.get("thread_ts")),
        )
        self._ephemerals.append(ephemeral)
        return {"message_ts": ephemeral.message_ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = required(args, "channel")
        ts = required(args, "message_ts")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._known_channel(args.get("channel"))
        ts = required(args, "ts")
        if self._current.get((channel, ts)) is None:
            raise SlackApiFailure("message_not_found")
        self._current[(channel, ts)] = None
        return {"channel": channel, "ts": ts}

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
