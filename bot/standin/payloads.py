"""The payloads Slack sends an app, shaped as Slack shapes them, before any is sent.

Slash command fields, view_submission and view_closed, block_actions (from a message, an
ephemeral message, a modal or the App Home), shortcuts and the event_callback envelope. Trigger
ids and response URLs come from the :class:`~bot.standin.web_api.FakeSlack` the app calls back,
so that what the app does with them lands where a test looks.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.standin.elements import action, clicked_state, find_element, state_values
from bot.standin.web_api import Ephemeral, FakeSlack, Message

DEFAULT_CHANNEL = "C0DEFAULT"
# Bolt ignores the legacy verification token; Slack still sends one.
VERIFICATION_TOKEN = "legacy-verification-token"

Container = Message | Ephemeral | dict[str, Any]


@dataclass(frozen=True)
class _Clicked:
    """Where a click in a message happened, as block_actions reports it."""

    channel: str | None
    ts: str | None
    is_ephemeral: bool
    thread_ts: str | None
    message: dict[str, Any] | None  # the message as the payload carries it (not for ephemerals)


class SlackPayloads:
    """Builds what Slack would send the app, with trigger ids and response URLs from ``fake``."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake

    def build_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str = DEFAULT_CHANNEL,
        team_id: str | None = None,
    ) -> dict[str, str]:
        """The form fields of a slash command ``user_id`` runs in ``channel_id``."""
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id or self.fake.team_id,
            "team_domain": self.fake.team_domain,
            "channel_id": channel_id,
            "channel_name": self.fake.channel_name(channel_id),
            "user_id": user_id,
            "user_name": self.fake.user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.fake.app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(user_id, channel_id),
            "trigger_id": self.fake.new_trigger(user_id),
        }

    def build_view_submission(
        self, view: dict[str, Any], *, user_id: str, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The view_submission payload Slack would send when ``user_id`` submits ``view``.

        ``values`` maps an action_id (or "block_id.action_id") to a plain value; every input
        block appears in the state, with its initial value or null/empty when not given.
        """
        submitted = copy.deepcopy(view)
        submitted["state"] = {"values": state_values(view.get("blocks") or [], values)}
        return {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.fake.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.fake.new_trigger(user_id, view_id=view.get("id")),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def build_view_closed(self, view: dict[str, Any], *, user_id: str) -> dict[str, Any]:
        """The view_closed payload of a modal closed with its close button."""
        closed = copy.deepcopy(view)
        closed["state"] = {"values": state_values(view.get("blocks") or [], {})}
        return {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.fake.app_id,
            "token": VERIFICATION_TOKEN,
            "view": closed,
            "is_cleared": bool(view.get("clear_on_close")),
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def build_block_actions(
        self,
        container: Container,
        action_id: str,
        *,
        user_id: str,
        value: str | Sequence[str] | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        selected_date: str | date | None = None,
    ) -> dict[str, Any]:
        """The block_actions payload Slack would send when ``user_id`` uses an element.

        ``value`` picks the button (when several share the action_id) or the option chosen.
        """
        if isinstance(container, Message | Ephemeral):
            blocks = container.blocks
        else:
            blocks = container.get("blocks") or []
        block_id, element = find_element(blocks, action_id, value)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.fake.app_id,
            "token": VERIFICATION_TOKEN,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action(block_id, element, value, selected_date)],
        }
        # The element's new value is part of the surface's state too, as Slack reports it.
        given = clicked_state(block_id, element, value, selected_date)
        if isinstance(container, dict) and container.get("type") in ("modal", "home"):
            return self._in_view(payload, container, given, user_id=user_id)
        payload["trigger_id"] = self.fake.new_trigger(user_id)
        clicked = self._clicked(container, channel_id, message_ts)
        return self._in_message(payload, clicked, blocks, given, user_id=user_id)

    def build_message_action(
        self,
        callback_id: str,
        *,
        user_id: str,
        channel_id: str,
        message_text: str,
        message_user: str,
        message_ts: str | None = None,
    ) -> dict[str, Any]:
        """The message_action payload of a message shortcut run on someone's message."""
        ts = message_ts or f"{int(time.time())}.{secrets.randbelow(1_000_000):06d}"
        return {
            "type": "message_action",
            "token": VERIFICATION_TOKEN,
            "action_ts": f"{time.time():.6f}",
            "team": self._team(),
            "user": self._user(user_id),
            "channel": {"id": channel_id, "name": self.fake.channel_name(channel_id)},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.new_trigger(user_id),
            "response_url": self.fake.new_response_url(user_id, channel_id),
            "message_ts": ts,
            "message": {
                "type": "message",
                "user": message_user,
                "ts": ts,
                "text": message_text,
                "client_msg_id": secrets.token_hex(16),
                "team": self.fake.team_id,
            },
        }

    def build_global_shortcut(self, callback_id: str, *, user_id: str) -> dict[str, Any]:
        """The shortcut payload of a global shortcut (from the shortcuts menu)."""
        return {
            "type": "shortcut",
            "token": VERIFICATION_TOKEN,
            "action_ts": f"{time.time():.6f}",
            "team": self._team(),
            "user": self._user(user_id),
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.new_trigger(user_id),
        }

    def build_event_callback(
        self, event: dict[str, Any], *, event_id: str, now: float
    ) -> dict[str, Any]:
        """An event in the event_callback envelope Slack delivers it in."""
        inner = dict(event)
        inner.setdefault("event_ts", f"{now:.6f}")
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.fake.team_id,
            "api_app_id": self.fake.app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.fake.team_id,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_urlsafe(24)}",
        }

    def build_url_verification(self, challenge: str) -> dict[str, Any]:
        """Slack's check of a new Request URL, which the app must answer with the challenge."""
        return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}

    # -- block_actions, by where the click happened ------------------------------------------

    def _in_view(
        self,
        payload: dict[str, Any],
        container: dict[str, Any],
        given: dict[str, Any],
        *,
        user_id: str,
    ) -> dict[str, Any]:
        """A click in a modal or the App Home: the view, with its state, is in the payload."""
        view = copy.deepcopy(container)
        view["state"] = {"values": state_values(view.get("blocks") or [], given)}
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = view
        payload["trigger_id"] = self.fake.new_trigger(user_id, view_id=view.get("id"))
        return payload

    def _clicked(
        self, container: Container, channel_id: str | None, message_ts: str | None
    ) -> _Clicked:
        """The channel, ts and message a click in a message carries (given ones win)."""
        if isinstance(container, Ephemeral):
            channel = channel_id or container.channel
            ts = message_ts or container.message_ts
            return _Clicked(channel, ts, True, container.thread_ts, None)
        shaped = container.to_dict() if isinstance(container, Message) else container
        message = {k: v for k, v in copy.deepcopy(shaped).items() if k != "channel"}
        message.setdefault("type", "message")
        message.setdefault("bot_id", self.fake.bot_id)
        message.setdefault("app_id", self.fake.app_id)
        message.setdefault("team", self.fake.team_id)
        return _Clicked(
            channel_id or shaped.get("channel"),
            message_ts or shaped.get("ts"),
            False,
            shaped.get("thread_ts"),
            message,
        )

    def _in_message(
        self,
        payload: dict[str, Any],
        clicked: _Clicked,
        blocks: Sequence[Any],
        given: dict[str, Any],
        *,
        user_id: str,
    ) -> dict[str, Any]:
        """A click in a message: where it is, the message, every element's state, response_url."""
        channel, ts = clicked.channel, clicked.ts
        if not channel or not ts:
            raise ValueError("a message container needs its channel and ts (pass channel_id=...)")
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": clicked.is_ephemeral,
        }
        payload["channel"] = {"id": channel, "name": self.fake.channel_name(channel)}
        if clicked.message is not None:
            payload["message"] = clicked.message
        payload["state"] = {"values": state_values(blocks, given, every_element=True)}
        payload["response_url"] = self.fake.new_response_url(
            user_id,
            channel,
            message_ts=ts,
            is_ephemeral=clicked.is_ephemeral,
            thread_ts=clicked.thread_ts,
        )
        return payload

    def _team(self) -> dict[str, str]:
        return {"id": self.fake.team_id, "domain": self.fake.team_domain}

    def _user(self, user_id: str) -> dict[str, str]:
        name = self.fake.user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.fake.team_id}
