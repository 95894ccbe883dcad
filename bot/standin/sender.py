"""Requests to the app exactly as Slack sends them: signed, over real HTTP, shaped like Slack's.

Slash commands go as form fields, interactivity as one ``payload=<JSON>`` form field, events as
JSON; each is signed with ``v0=HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")`` so the
app's own Bolt verification checks it (SLACK.md, Requests from Slack). Trigger ids and
response URLs come from the :class:`~bot.standin.web_api.FakeSlack` the app calls back, and what
Slack does with an ack (a command's reply, a modal closing or showing errors) is reported to it.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import http.client
import json
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

from bot.standin.web_api import Ephemeral, FakeSlack, Message, real_monotonic

DEFAULT_CHANNEL = "C0DEFAULT"
# Bolt ignores the legacy verification token; Slack still sends one.
VERIFICATION_TOKEN = "legacy-verification-token"

TEXT_VALUE_ELEMENTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input"}
SINGLE_OPTION_ELEMENTS = {"static_select", "radio_buttons", "external_select", "overflow"}
MULTI_OPTION_ELEMENTS = {"multi_static_select", "checkboxes", "multi_external_select"}
# Element type → the state key Slack fills for it, for elements whose value is an id or ids.
ID_STATE_KEYS = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
}
ID_LIST_STATE_KEYS = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
STATELESS_ELEMENTS = {"button", "overflow", "workflow_button", "image"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_UNSET: Any = object()


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


class SlackSender:
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
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.fake = fake
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
        fields = {
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
        response = self._post_form(fields)
        if response.status == 200:
            self.fake.record_command_ack(user_id=user_id, channel_id=channel_id, body=response.body)
        return response

    # -- modals ------------------------------------------------------------------------------

    def build_view_submission(
        self, view: dict[str, Any], *, user_id: str, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The view_submission payload Slack would send when ``user_id`` submits ``view``.

        ``values`` maps an action_id (or "block_id.action_id") to a plain value; every input
        block appears in the state, with its initial value or null/empty when not given.
        """
        submitted = copy.deepcopy(view)
        submitted["state"] = {"values": _state(view.get("blocks") or [], values)}
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
        closed = copy.deepcopy(view)
        closed["state"] = {"values": _state(view.get("blocks") or [], {})}
        payload = {
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
        return self._post_payload(payload)

    # -- block actions -----------------------------------------------------------------------

    def build_block_actions(
        self,
        container: Message | Ephemeral | dict[str, Any],
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
        block_id, element = _find_element(blocks, action_id, value)
        action = _action(block_id, element, value, selected_date)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.fake.app_id,
            "token": VERIFICATION_TOKEN,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
        }
        # The element's new value is part of the surface's state too, as Slack reports it.
        given = {f"{block_id}.{action_id}": value} if _stateful_in_state(element) else {}
        if element.get("type") == "datepicker" and selected_date is not None:
            given = {f"{block_id}.{action_id}": selected_date}
        if isinstance(container, dict) and container.get("type") in ("modal", "home"):
            view = copy.deepcopy(container)
            view["state"] = {"values": _state(view.get("blocks") or [], given)}
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
            payload["trigger_id"] = self.fake.new_trigger(user_id, view_id=view.get("id"))
            return payload
        payload["trigger_id"] = self.fake.new_trigger(user_id)
        if isinstance(container, Ephemeral):
            channel = channel_id or container.channel
            ts = message_ts or container.message_ts
            ephemeral, thread_ts, message = True, container.thread_ts, None
        else:
            shaped = container.to_dict() if isinstance(container, Message) else container
            channel = channel_id or shaped.get("channel")
            ts = message_ts or shaped.get("ts")
            ephemeral, thread_ts = False, shaped.get("thread_ts")
            message = {k: v for k, v in copy.deepcopy(shaped).items() if k != "channel"}
            message.setdefault("type", "message")
            message.setdefault("bot_id", self.fake.bot_id)
            message.setdefault("app_id", self.fake.app_id)
            message.setdefault("team", self.fake.team_id)
        if not channel or not ts:
            raise ValueError("a message container needs its channel and ts (pass channel_id=...)")
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        payload["channel"] = {"id": channel, "name": self.fake.channel_name(channel)}
        if message is not None:
            payload["message"] = message
        payload["state"] = {"values": _state(blocks, given, every_element=True)}
        payload["response_url"] = self.fake.new_response_url(
            user_id, channel, message_ts=ts, is_ephemeral=ephemeral, thread_ts=thread_ts
        )
        return payload

    def click(
        self,
        container: Message | Ephemeral | dict[str, Any],
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
        ts = message_ts or f"{int(time.time())}.{secrets.randbelow(1_000_000):06d}"
        payload = {
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
        return self._post_payload(payload)

    def global_shortcut(self, callback_id: str, *, user_id: str) -> Response:
        """Run a global shortcut (from the shortcuts menu)."""
        payload = {
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
        return self._post_payload(payload)

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
        now = time.time()
        inner = dict(event)
        inner.setdefault("event_ts", f"{now:.6f}")
        self.last_event_id = event_id or f"Ev{secrets.token_hex(5).upper()}"
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.fake.team_id,
            "api_app_id": self.fake.app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": self.last_event_id,
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
        body = json.dumps(
            {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        ).encode()
        return self._post(body, "application/json")

    # -- shapes ------------------------------------------------------------------------------

    def _team(self) -> dict[str, str]:
        return {"id": self.fake.team_id, "domain": self.fake.team_domain}

    def _user(self, user_id: str) -> dict[str, str]:
        name = self.fake.user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.fake.team_id}


def _elements(blocks: Sequence[Any]) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Every element with an action_id: (block_id, element, whether it sits in an input)."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        kind = block.get("type")
        if kind == "input" and isinstance(block.get("element"), dict):
            yield block_id, block["element"], True
        elif kind == "actions":
            for element in block.get("elements") or []:
                if isinstance(element, dict):
                    yield block_id, element, False
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"], False


def _stateful_in_state(element: dict[str, Any]) -> bool:
    return element.get("type") not in STATELESS_ELEMENTS


def _state(
    blocks: Sequence[Any], values: Mapping[str, Any], *, every_element: bool = False
) -> dict[str, dict[str, Any]]:
    """view.state.values as Slack fills it: inputs always, other elements when they hold a value."""
    found = list(_elements(blocks))
    chosen: dict[tuple[str, str], Any] = {}
    for key, value in values.items():
        exact = [(b, e) for b, e, _ in found if f"{b}.{e.get('action_id')}" == key]
        matches = exact or [(b, e) for b, e, _ in found if e.get("action_id") == key]
        if not matches:
            known = sorted(f"{b}.{e.get('action_id')}" for b, e, _ in found)
            raise ValueError(
                f"no element with action_id {key!r} in these blocks; there are {known}"
            )
        if len(matches) > 1:
            raise ValueError(f"several elements have action_id {key!r}: say 'block_id.action_id'")
        block_id, element = matches[0]
        if not _stateful_in_state(element):
            raise ValueError(f"a {element.get('type')} ({key!r}) holds no value to submit")
        chosen[(block_id, str(element.get("action_id")))] = value
    state: dict[str, dict[str, Any]] = {}
    for block_id, element, in_input in found:
        action_id = str(element.get("action_id"))
        given = chosen.get((block_id, action_id), _UNSET)
        wanted = in_input or every_element or given is not _UNSET
        if wanted and _stateful_in_state(element):
            state.setdefault(block_id, {})[action_id] = _element_state(element, given)
    return state


def _element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """One element's entry in state.values, shaped as Slack shapes it for that element type."""
    kind = str(element.get("type"))
    entry: dict[str, Any] = {"type": kind}
    unset = value is _UNSET
    if kind in TEXT_VALUE_ELEMENTS:
        raw = element.get("initial_value") if unset else value
        entry["value"] = None if raw is None or raw == "" else str(raw)
    elif kind in SINGLE_OPTION_ELEMENTS:
        if unset:
            entry["selected_option"] = copy.deepcopy(element.get("initial_option"))
        else:
            entry["selected_option"] = None if value is None else _option(element, value)
    elif kind in MULTI_OPTION_ELEMENTS:
        if unset:
            entry["selected_options"] = copy.deepcopy(element.get("initial_options") or [])
        else:
            entry["selected_options"] = [_option(element, v) for v in _as_list(value)]
    elif kind in ID_STATE_KEYS:
        initial_key = "initial_" + ID_STATE_KEYS[kind].removeprefix("selected_")
        entry[ID_STATE_KEYS[kind]] = element.get(initial_key) if unset else value
    elif kind in ID_LIST_STATE_KEYS:
        initial_key = "initial_" + ID_LIST_STATE_KEYS[kind].removeprefix("selected_")
        chosen = (element.get(initial_key) or []) if unset else _as_list(value)
        entry[ID_LIST_STATE_KEYS[kind]] = list(chosen)
    elif kind == "datepicker":
        entry["selected_date"] = element.get("initial_date") if unset else _date(value)
    elif kind == "timepicker":
        entry["selected_time"] = element.get("initial_time") if unset else _time(value)
        if element.get("timezone"):
            entry["timezone"] = element["timezone"]
    elif kind == "datetimepicker":
        raw = element.get("initial_date_time") if unset else value
        entry["selected_date_time"] = int(raw.timestamp()) if isinstance(raw, datetime) else raw
    elif kind == "rich_text_input":
        raw = element.get("initial_value") if unset else value
        entry["rich_text_value"] = _rich_text(raw)
    elif kind == "file_input":
        entry["files"] = [] if unset or value is None else list(value)
    else:
        raise ValueError(f"the sender does not know how Slack fills a {kind}")
    return entry


def _find_element(
    blocks: Sequence[Any], action_id: str, value: str | Sequence[str] | None
) -> tuple[str, dict[str, Any]]:
    """The (block_id, element) a click targets; ``value`` tells same-id buttons apart."""
    matches = [(b, e) for b, e, _ in _elements(blocks) if e.get("action_id") == action_id]
    if not matches:
        known = sorted({str(e.get("action_id")) for _, e, _ in _elements(blocks)})
        raise ValueError(f"no element with action_id {action_id!r}; there are {known}")
    if len(matches) > 1 and value is not None:
        matches = [(b, e) for b, e in matches if e.get("value") == value] or matches
    if len(matches) > 1:
        raise ValueError(f"several elements have action_id {action_id!r}; pass value= to pick one")
    return matches[0]


def _action(
    block_id: str,
    element: dict[str, Any],
    value: str | Sequence[str] | None,
    selected_date: str | date | None,
) -> dict[str, Any]:
    """actions[0] of a block_actions payload, as Slack shapes it for the element's type."""
    kind = str(element.get("type"))
    action: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if kind in ("button", "workflow_button"):
        action["text"] = copy.deepcopy(element.get("text"))
        if "value" in element:
            action["value"] = element["value"]
        if "style" in element:
            action["style"] = element["style"]
        return action
    if kind == "datepicker":
        chosen = selected_date if selected_date is not None else value
        if chosen is None:
            raise ValueError("a datepicker click needs selected_date=")
        action["selected_date"] = _date(chosen)
        if element.get("initial_date"):
            action["initial_date"] = element["initial_date"]
        return action
    if value is None and kind not in STATELESS_ELEMENTS:
        raise ValueError(f"using a {kind} needs value= (what the person chose)")
    if kind in SINGLE_OPTION_ELEMENTS:
        action["selected_option"] = _option(element, value)
    elif kind in MULTI_OPTION_ELEMENTS:
        action["selected_options"] = [_option(element, v) for v in _as_list(value)]
    elif kind in ID_STATE_KEYS:
        action[ID_STATE_KEYS[kind]] = value
    elif kind in ID_LIST_STATE_KEYS:
        action[ID_LIST_STATE_KEYS[kind]] = _as_list(value)
    elif kind == "timepicker":
        action["selected_time"] = _time(value)
    elif kind in TEXT_VALUE_ELEMENTS:
        action["value"] = value
    else:
        raise ValueError(f"the sender does not know how Slack reports a {kind} action")
    return action


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The element's full option object with this value (Slack sends the whole object)."""
    if isinstance(value, dict):
        return copy.deepcopy(value)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    if element.get("type") in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    known = [o.get("value") for o in options]
    raise ValueError(
        f"{value!r} is not an option of {element.get('action_id')!r}; options: {known}"
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | dict):
        return [value]
    return list(value)


def _date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    if not (isinstance(value, str) and _DATE.fullmatch(value)):
        raise ValueError(f"a date must be a datetime.date or 'YYYY-MM-DD', not {value!r}")
    return value


def _time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, clock_time):
        return value.strftime("%H:%M")
    if not (isinstance(value, str) and _TIME.fullmatch(value)):
        raise ValueError(f"a time must be a datetime.time or 'HH:MM', not {value!r}")
    return value


def _rich_text(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    return {
        "type": "rich_text",
        "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": str(value)}]}
        ],
    }
