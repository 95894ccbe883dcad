"""response_url and slash command acks: what Slack shows when the app answers that way.

A response_url (``/response/<id>``) takes up to five posts: a reply only the person sees, one
in the channel, a replacement of the original message or its deletion. A slash command's ack
body is shown the same way, by the sender's report (:meth:`ResponseUrls.record_command_ack`).
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse
from dataclasses import replace
from typing import Any

from bot.slack.blockkit import message_problems
from bot.standin.web_api.model import ApiCall, Ephemeral, Message, ResponseUrl
from bot.standin.web_api.state import Workspace
from bot.standin.web_api.wire import with_ids

RESPONSE_URL_USES = 5  # Slack accepts up to five posts to one response_url


class ResponseUrls(Workspace):
    """Issue response URLs, take posts to them, and show command acks."""

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
            self._response_urls[key] = ResponseUrl(
                user_id, channel_id, message_ts, is_ephemeral, thread_ts
            )
        return f"{self.base}/response/{key}"

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
            target = ResponseUrl(user_id, channel_id, None, False, None)
            problems = self._respond(target, answer, source="ack")
            if problems:
                self._violations("command ack", problems)
            self._changed.notify_all()

    def _handle_response_url(self, key: str, body: bytes, content_type: str) -> tuple[int, str]:
        """Take a post to a response_url: a reply, a replacement or a deletion."""
        answer = _response_body(body, content_type)
        if answer is None:
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

    def _respond(self, target: ResponseUrl, answer: dict[str, Any], *, source: str) -> list[str]:
        """Show a response_url (or ack) message; return Block Kit problems instead if any."""
        on_message = bool(target.message_ts) and not target.is_ephemeral
        if answer.get("delete_original"):
            if on_message:
                self._current[(target.channel, str(target.message_ts))] = None
            return []
        if answer.get("replace_original") and on_message:
            old = self._current.get((target.channel, str(target.message_ts)))
            if old is not None:
                return self._replace_original(old, answer, source=source)
        if problems := message_problems(answer):
            return problems
        self._show_response(target, answer, source=source)
        return []

    def _replace_original(self, old: Message, answer: dict[str, Any], *, source: str) -> list[str]:
        """Rewrite the message the response_url came from; Block Kit problems if any."""
        # Unlike chat.update, a replacement keeps nothing of the old message.
        if problems := message_problems(answer):
            return problems
        new = replace(
            old,
            text=answer.get("text") or "",
            blocks=with_ids(answer.get("blocks") or []),
            source=source,
        )
        self._current[(new.channel, new.ts)] = new
        self._updates.append(new)
        return []

    def _show_response(self, target: ResponseUrl, answer: dict[str, Any], *, source: str) -> None:
        """A new message: in the channel when asked, else only the person sees it."""
        text = answer.get("text") or ""
        blocks = with_ids(answer.get("blocks") or [])
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
            return
        ephemeral = Ephemeral(
            target.channel, target.user, text, blocks, self._next_ts(), target.thread_ts, source
        )
        self._ephemerals.append(ephemeral)


def _response_body(body: bytes, content_type: str) -> dict[str, Any] | None:
    """A response_url post's JSON object (sent as JSON or as a ``payload`` form field)."""
    try:
        if "json" in content_type or body.lstrip().startswith(b"{"):
            answer = json.loads(body or b"{}")
        else:
            form = urllib.parse.parse_qs(body.decode("utf-8"))
            answer = json.loads(form.get("payload", ["{}"])[0])
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
