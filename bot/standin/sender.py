"""Requests to the app exactly as Slack sends them: signed, over real HTTP, shaped like Slack's.

Slash commands go as form fields, interactivity as one ``payload=<JSON>`` form field, events as
JSON; each is signed with ``v0=HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")`` so the
app's own Bolt verification checks it (SLACK.md, Requests from Slack). The payloads themselves
are built by :class:`~bot.standin.payloads.SlackPayloads` with trigger ids and response URLs
from the :class:`~bot.standin.web_api.FakeSlack` the app calls back; what Slack does with an ack
(a command's reply, a modal closing or showing errors) is reported to it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.standin.payloads import (
    DEFAULT_CHANNEL,
    VERIFICATION_TOKEN,
    Container,
    SlackPayloads,
)
from bot.standin.web_api import FakeSlack, real_monotonic

__all__ = ["DEFAULT_CHANNEL", "VERIFICATION_TOKEN", "Response", "SlackSender"]


@dataclass(frozen=True)
class Response:
    """The app's answer: status, raw body, the body as JSON when it is an object, headers."""

    status: int
    body: str
    json: dict[str, Any] | None
    headers: dict[str, str]
    elapsed: float = 0.0


# Delivers one POST (path and query, raw body, headers) to the app and returns its answer.
Transport = Callable[[str, bytes, dict[str, str]], Response]


class SlackSender(SlackPayloads):
    """Sends the app at ``app_url`` signed commands, interactions and events, as Slack does.

    They go over HTTP unless a ``transport`` is given: tests of the listeners hand the same
    requests straight to Bolt's ``app.dispatch`` in this process instead.
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        fake: FakeSlack,
        *,
        timeout: float = 10.0,
        transport: Transport | None = None,
    ) -> None:
        super().__init__(fake)
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.timeout = timeout
        self.transport: Transport = transport or self._send_http
        self.last_event_id: str | None = None
        parts = urllib.parse.urlsplit(app_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"app_url must be an http(s) URL, not {app_url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    # -- signing and sending -----------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The X-Slack-Request-Timestamp and X-Slack-Signature headers Slack sends for ``body``."""
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        base = f"v0:{stamp}:".encode() + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": f"v0={digest}"}

    def raw(
        self, body: bytes, headers: Mapping[str, str], *, path: str = "/slack/events"
    ) -> Response:
        """POST ``body`` with exactly ``headers`` (nothing signed) to ``path`` on the app's host."""
        return self._send(path, body, dict(headers))

    def _post(
        self, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
    ) -> Response:
        headers = {"Content-Type": content_type, **self.sign(body), **(extra or {})}
        return self._send(self._path, body, headers)

    def _post_form(self, fields: Mapping[str, str]) -> Response:
        body = urllib.parse.urlencode(fields).encode()
        return self._post(body, "application/x-www-form-urlencoded")

    def _post_payload(self, payload: dict[str, Any]) -> Response:
        return self._post_form({"payload": json.dumps(payload)})

    def _send(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        return self.transport(path, body, headers)

    def _send_http(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        connection_class = (
            http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(self._host, self._port, timeout=self.timeout)
        started = real_monotonic()
        try:
            connection.request("POST", path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            status, answer_headers = answer.status, dict(answer.getheaders())
        finally:
            connection.close()
        text = data.decode("utf-8", "replace")
        parsed = None
        if text.lstrip().startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        return Response(status, text, parsed, answer_headers, real_monotonic() - started)

    # -- slash commands ----------------------------------------------------------------------

    def command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str = DEFAULT_CHANNEL,
        team_id: str | None = None,
    ) -> Response:
        """Run a slash command as ``user_id`` in ``channel_id``; its ack reply is shown to them."""
        fields = self.build_command(
            command, text, user_id=user_id, channel_id=channel_id, team_id=team_id
        )
        response = self._post_form(fields)
        if response.status == 200:
            self.fake.record_command_ack(user_id=user_id, channel_id=channel_id, body=response.body)
        return response

    # -- modals ------------------------------------------------------------------------------

    def submit_view(
        self, view: dict[str, Any], *, user_id: str, values: Mapping[str, Any] | None = None
    ) -> Response:
        """Submit a modal the app opened; the ack's response_action is applied to the stack."""
        response = self._post_payload(
            self.build_view_submission(view, user_id=user_id, values=values or {})
        )
        if response.status == 200 and (response.json is not None or not response.body.strip()):
            self.fake.record_view_ack(user_id=user_id, view_id=view["id"], answer=response.json)
        return response

    def close_view(self, view: dict[str, Any], *, user_id: str) -> Response | None:
        """Close a modal with its close button; the app hears of it only if notify_on_close."""
        self.fake.record_view_closed(user_id=user_id, view_id=view["id"])
        if not view.get("notify_on_close"):
            return None
        return self._post_payload(self.build_view_closed(view, user_id=user_id))

    # -- block actions -----------------------------------------------------------------------

    def click(
        self,
        container: Container,
        action_id: str,
        *,
        user_id: str,
        value: str | Sequence[str] | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        selected_date: str | date | None = None,
    ) -> Response:
        """Use an element (button, select, date picker...) in a message, modal or App Home."""
        payload = self.build_block_actions(
            container,
            action_id,
            user_id=user_id,
            value=value,
            channel_id=channel_id,
            message_ts=message_ts,
            selected_date=selected_date,
        )
        return self._post_payload(payload)

    # -- shortcuts ---------------------------------------------------------------------------

    def message_shortcut(
        self,
        callback_id: str,
        *,
        user_id: str,
        channel_id: str,
        message_text: str,
        message_user: str,
        message_ts: str | None = None,
    ) -> Response:
        """Run a message shortcut (message_action) on someone's message."""
        payload = self.build_message_action(
            callback_id,
            user_id=user_id,
            channel_id=channel_id,
            message_text=message_text,
            message_user=message_user,
            message_ts=message_ts,
        )
        return self._post_payload(payload)

    def global_shortcut(self, callback_id: str, *, user_id: str) -> Response:
        """Run a global shortcut (from the shortcuts menu)."""
        return self._post_payload(self.build_global_shortcut(callback_id, user_id=user_id))

    # -- events ------------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Response:
        """Deliver an event in its event_callback envelope (a retry when ``retry_num`` is set)."""
        self.last_event_id = event_id or f"Ev{secrets.token_hex(5).upper()}"
        envelope = self.build_event_callback(event, event_id=self.last_event_id, now=time.time())
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        body = json.dumps(envelope).encode()
        return self._post(body, "application/json", extra)

    def app_home_opened(self, user_id: str, *, tab: str = "home", **kw: Any) -> Response:
        """The person opened the app's Home (or Messages) tab."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_channel(user_id),
            "tab": tab,
        }
        home = self.fake.home(user_id)
        if tab == "home" and home is not None:
            event["view"] = home
        return self.event(event, **kw)

    def url_verification(self, challenge: str) -> Response:
        """Slack's check of a new Request URL: the app must echo the challenge."""
        body = json.dumps(self.build_url_verification(challenge)).encode()
        return self._post(body, "application/json")
