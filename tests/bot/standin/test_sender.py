"""The sender signs and shapes requests as Slack does, so a real Bolt app accepts and reads them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from datetime import time as clock_time
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.standin.sender import DEFAULT_CHANNEL, Response, SlackSender
from bot.standin.web_api import FakeSlack
from tests.bot.standin.conftest import ANN, BEN, TEAM_CHANNEL, TOKEN

SECRET = "sender-test-secret"


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"text": plain(text), "value": value, **extra}


def input_block(block_id: str, element: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": plain(block_id), "element": element}


COLOURS = [option("Red", "red", description=plain("warm")), option("Blue", "blue")]
EVERY_ELEMENT_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "every_element",
    "title": plain("Every element"),
    "submit": plain("Send"),
    "private_metadata": "round=7",
    "blocks": [
        input_block("text", {"type": "plain_text_input", "action_id": "text_in"}),
        input_block(
            "kept",
            {"type": "plain_text_input", "action_id": "kept_in", "initial_value": "as typed"},
        ),
        input_block(
            "number", {"type": "number_input", "action_id": "n", "is_decimal_allowed": False}
        ),
        input_block("email", {"type": "email_text_input", "action_id": "mail"}),
        input_block("url", {"type": "url_text_input", "action_id": "link"}),
        input_block("select", {"type": "static_select", "action_id": "colour", "options": COLOURS}),
        input_block("radio", {"type": "radio_buttons", "action_id": "mood", "options": COLOURS}),
        input_block("boxes", {"type": "checkboxes", "action_id": "ticks", "options": COLOURS}),
        input_block(
            "multi", {"type": "multi_static_select", "action_id": "many", "options": COLOURS}
        ),
        input_block("user", {"type": "users_select", "action_id": "who"}),
        input_block("users", {"type": "multi_users_select", "action_id": "whom"}),
        input_block("channel", {"type": "conversations_select", "action_id": "where"}),
        input_block("date", {"type": "datepicker", "action_id": "day"}),
        input_block("time", {"type": "timepicker", "action_id": "at"}),
        input_block("again", {"type": "plain_text_input", "action_id": "text_in"}),
    ],
}


class QuietHandler(WSGIRequestHandler):
    """wsgiref's handler without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Rig:
    """A small Bolt app served over HTTP, the stand-in it calls, and a sender that drives it."""

    fake: FakeSlack
    sender: SlackSender
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    view_answer: dict[str, Any] = field(default_factory=dict)

    def bodies(self, kind: str) -> list[dict[str, Any]]:
        return [body for name, body in self.seen if name == kind]


def tension_modal(title: str = "Raise a tension", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "tension",
        "title": plain(title),
        "submit": plain("Send"),
        "blocks": [input_block("text", {"type": "plain_text_input", "action_id": "text_in"})],
        **extra,
    }


def build_app(rig: Rig, client: WebClient) -> App:
    """Listeners that record what reached them and answer as the test asks."""
    app = App(client=client, signing_secret=SECRET)

    @app.command("/tension")
    def on_tension(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        rig.seen.append(("command", body))
        client.views_open(trigger_id=body["trigger_id"], view=tension_modal())

    @app.command("/echo")
    def on_echo(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack(f"You said {body['text']}")
        respond(text="Shared with the channel", response_type="in_channel")

    @app.view("tension")
    def on_submit(ack: Any, body: dict[str, Any]) -> None:
        rig.seen.append(("view_submission", body))
        ack(**rig.view_answer)

    @app.view_closed("tension")
    def on_closed(ack: Any, body: dict[str, Any]) -> None:
        ack()
        rig.seen.append(("view_closed", body))

    @app.action("answer")
    def on_answer(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        rig.seen.append(("block_actions", body))
        respond(text=f"Thanks: {body['actions'][0].get('value')}", replace_original=True)

    @app.action("pick")
    def on_pick(ack: Any, body: dict[str, Any]) -> None:
        ack()
        rig.seen.append(("block_actions", body))

    @app.event("app_home_opened")
    def on_home(
        event: dict[str, Any], body: dict[str, Any], request: Any, client: WebClient
    ) -> None:
        rig.seen.append(("event", {**body, "retry": request.headers.get("x-slack-retry-num")}))
        blocks = [{"type": "section", "text": plain("Your tensions")}]
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": blocks})

    @app.shortcut("raise_tension")
    def on_shortcut(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        rig.seen.append(("shortcut", body))
        client.views_open(trigger_id=body["trigger_id"], view=tension_modal())

    return app


@pytest.fixture
def rig(fake: FakeSlack) -> Iterator[Rig]:
    """The Bolt app on 127.0.0.1, with a sender pointed at it."""
    client = WebClient(token=TOKEN, base_url=fake.url)
    rig = Rig(fake, SlackSender("http://127.0.0.1:1/slack/events", SECRET, fake))
    server = make_server(
        "127.0.0.1", 0, SlackRequestHandler(build_app(rig, client)), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    rig.sender = SlackSender(f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, fake)
    try:
        yield rig
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def open_modal(rig: Rig, user: str = ANN) -> dict[str, Any]:
    assert rig.sender.command("/tension", user_id=user).status == 200
    view = rig.fake.wait_for(lambda: rig.fake.last_view(user))
    assert isinstance(view, dict)
    return view


def payload_of(body: str) -> dict[str, Any]:
    """The JSON in a form body's payload field."""
    return json.loads(parse_qs(body)["payload"][0])


# -- signing --------------------------------------------------------------------------------


def test_signatures_verify_with_slack_sdks_verifier(fake: FakeSlack) -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, fake)
    body = b"command=%2Ftension&text=hello"
    headers = sender.sign(body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert not verifier.is_valid(
        body + b"!", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    stale = sender.sign(body, timestamp=int(time.time()) - 301)
    assert not verifier.is_valid(
        body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"]
    )


def test_a_transport_is_handed_the_signed_request_instead_of_http(fake: FakeSlack) -> None:
    sent: list[tuple[str, bytes, dict[str, str]]] = []

    def transport(path: str, body: bytes, headers: dict[str, str]) -> Response:
        sent.append((path, body, headers))
        return Response(200, "", None, {})

    # Nothing listens on port 9: over HTTP this command could not be delivered.
    url = "http://127.0.0.1:9/slack/events?team=T1"
    sender = SlackSender(url, SECRET, fake, transport=transport)
    assert sender.command("/tension", "rota gaps", user_id=ANN).status == 200
    [(path, body, headers)] = sent
    assert path == "/slack/events?team=T1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert parse_qs(body.decode())["text"] == ["rota gaps"]


def test_bolt_refuses_unsigned_forged_and_stale_requests(rig: Rig) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    json_type = {"Content-Type": "application/json"}
    assert rig.sender.raw(body, json_type).status == 401
    forged = {**json_type, **SlackSender("http://x", "wrong", rig.fake).sign(body)}
    assert rig.sender.raw(body, forged).status == 401
    stale = {**json_type, **rig.sender.sign(body, timestamp=int(time.time()) - 600)}
    assert rig.sender.raw(body, stale).status == 401
    good = {**json_type, **rig.sender.sign(body)}
    assert rig.sender.raw(body, good).status == 200


def test_url_verification_echoes_the_challenge(rig: Rig) -> None:
    answer = rig.sender.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert answer.status == 200
    assert answer.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


# -- commands -------------------------------------------------------------------------------


def test_a_command_carries_a_working_trigger(rig: Rig) -> None:
    view = open_modal(rig)
    [body] = rig.bodies("command")
    assert (body["command"], body["text"], body["user_id"]) == ("/tension", "", ANN)
    assert (body["channel_id"], body["team_id"]) == (DEFAULT_CHANNEL, "T0001")
    assert body["response_url"].startswith(rig.fake.base + "/response/")
    assert view["callback_id"] == "tension"
    assert rig.fake.views_opened(ANN) == [view]


def test_a_commands_ack_and_response_url_reach_the_person(rig: Rig) -> None:
    answer = rig.sender.command("/echo", "hello", user_id=BEN, channel_id=TEAM_CHANNEL)
    assert (answer.status, answer.body) == (200, "You said hello")
    [ack] = rig.fake.ephemerals(BEN)
    assert (ack.text, ack.channel, ack.source) == ("You said hello", TEAM_CHANNEL, "ack")
    shared = rig.fake.wait_for(lambda: rig.fake.messages(TEAM_CHANNEL))
    assert shared[0].text == "Shared with the channel"


# -- view submissions -----------------------------------------------------------------------


def test_a_submission_reaches_bolt_and_ack_closes_the_modal(rig: Rig) -> None:
    view = open_modal(rig)
    answer = rig.sender.submit_view(view, user_id=ANN, values={"text_in": "Rota gaps"})
    assert (answer.status, answer.body) == (200, "")
    [body] = rig.bodies("view_submission")
    assert body["view"]["id"] == view["id"]
    assert body["view"]["hash"] == view["hash"]
    assert body["view"]["state"]["values"] == {
        "text": {"text_in": {"type": "plain_text_input", "value": "Rota gaps"}}
    }
    assert body["trigger_id"] and body["user"]["id"] == ANN
    assert rig.fake.open_views(ANN) == []


def test_field_errors_keep_the_modal_open(rig: Rig) -> None:
    view = open_modal(rig)
    rig.view_answer.update(response_action="errors", errors={"text": "Say a little more"})
    answer = rig.sender.submit_view(view, user_id=ANN, values={"text_in": "x"})
    assert answer.json == {"response_action": "errors", "errors": {"text": "Say a little more"}}
    assert [v["id"] for v in rig.fake.open_views(ANN)] == [view["id"]]
    assert rig.fake.limit_violations == []


def test_errors_for_a_block_the_modal_lacks_are_noted(rig: Rig) -> None:
    view = open_modal(rig)
    rig.view_answer.update(response_action="errors", errors={"nope": "?"})
    rig.sender.submit_view(view, user_id=ANN, values={})
    assert rig.fake.limit_violations == [
        "view_submission ack: errors name block_ids that are no input of the view: ['nope']"
    ]


def test_update_and_push_answers_change_the_stack(rig: Rig) -> None:
    view = open_modal(rig)
    rig.view_answer.update(response_action="update", view=tension_modal("Thanks"))
    rig.sender.submit_view(view, user_id=ANN, values={})
    updated = rig.fake.last_view(ANN)
    assert updated is not None
    assert (updated["id"], updated["title"]["text"]) == (view["id"], "Thanks")
    rig.view_answer.clear()
    rig.view_answer.update(response_action="push", view=tension_modal("Step 2"))
    rig.sender.submit_view(updated, user_id=ANN, values={})
    assert [v["title"]["text"] for v in rig.fake.open_views(ANN)] == ["Thanks", "Step 2"]
    rig.view_answer.clear()
    rig.view_answer.update(response_action="clear")
    rig.sender.submit_view(rig.fake.open_views(ANN)[-1], user_id=ANN, values={})
    assert rig.fake.open_views(ANN) == []


def test_closing_a_modal_notifies_only_when_asked(rig: Rig) -> None:
    view = open_modal(rig)
    assert rig.sender.close_view(view, user_id=ANN) is None
    assert rig.fake.open_views(ANN) == []
    noisy = {**view, "notify_on_close": True}
    answer = rig.sender.close_view(noisy, user_id=ANN)
    assert answer is not None and answer.status == 200
    assert rig.bodies("view_closed")[0]["view"]["id"] == view["id"]


def test_build_view_submission_shapes_state_as_slack_does(
    fake: FakeSlack, client: WebClient
) -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, fake)
    view = client.views_open(trigger_id=fake.new_trigger(ANN), view=EVERY_ELEMENT_MODAL)["view"]
    values = {
        "text.text_in": "Rota gaps",
        "n": 12,
        "mail": "ann@example.org",
        "link": "https://example.org",
        "colour": "red",
        "mood": "blue",
        "ticks": ["red", "blue"],
        "many": "blue",
        "who": BEN,
        "whom": [ANN, BEN],
        "where": TEAM_CHANNEL,
        "day": date(2026, 3, 29),
        "at": clock_time(9, 30),
    }
    payload = sender.build_view_submission(view, user_id=ANN, values=values)
    state = payload["view"]["state"]["values"]
    assert state == {
        "text": {"text_in": {"type": "plain_text_input", "value": "Rota gaps"}},
        "kept": {"kept_in": {"type": "plain_text_input", "value": "as typed"}},
        "number": {"n": {"type": "number_input", "value": "12"}},
        "email": {"mail": {"type": "email_text_input", "value": "ann@example.org"}},
        "url": {"link": {"type": "url_text_input", "value": "https://example.org"}},
        "select": {"colour": {"type": "static_select", "selected_option": COLOURS[0]}},
        "radio": {"mood": {"type": "radio_buttons", "selected_option": COLOURS[1]}},
        "boxes": {"ticks": {"type": "checkboxes", "selected_options": COLOURS}},
        "multi": {"many": {"type": "multi_static_select", "selected_options": [COLOURS[1]]}},
        "user": {"who": {"type": "users_select", "selected_user": BEN}},
        "users": {"whom": {"type": "multi_users_select", "selected_users": [ANN, BEN]}},
        "channel": {
            "where": {"type": "conversations_select", "selected_conversation": TEAM_CHANNEL}
        },
        "date": {"day": {"type": "datepicker", "selected_date": "2026-03-29"}},
        "time": {"at": {"type": "timepicker", "selected_time": "09:30"}},
        "again": {"text_in": {"type": "plain_text_input", "value": None}},
    }
    assert payload["type"] == "view_submission"
    assert payload["view"]["private_metadata"] == "round=7"
    assert payload["view"]["callback_id"] == "every_element"


def test_inputs_not_given_come_back_empty(fake: FakeSlack, client: WebClient) -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, fake)
    view = client.views_open(trigger_id=fake.new_trigger(ANN), view=EVERY_ELEMENT_MODAL)["view"]
    state = sender.build_view_submission(view, user_id=ANN, values={})["view"]["state"]["values"]
    assert len(state) == len(EVERY_ELEMENT_MODAL["blocks"])
    assert state["text"]["text_in"]["value"] is None
    assert state["kept"]["kept_in"]["value"] == "as typed"
    assert state["select"]["colour"]["selected_option"] is None
    assert state["boxes"]["ticks"]["selected_options"] == []
    assert state["users"]["whom"]["selected_users"] == []
    assert state["date"]["day"]["selected_date"] is None


def test_values_that_fit_no_element_are_test_bugs(fake: FakeSlack, client: WebClient) -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, fake)
    view = client.views_open(trigger_id=fake.new_trigger(ANN), view=EVERY_ELEMENT_MODAL)["view"]
    with pytest.raises(ValueError, match="no element"):
        sender.build_view_submission(view, user_id=ANN, values={"missing": "x"})
    with pytest.raises(ValueError, match="several elements"):
        sender.build_view_submission(view, user_id=ANN, values={"text_in": "x"})
    with pytest.raises(ValueError, match="not an option"):
        sender.build_view_submission(view, user_id=ANN, values={"colour": "green"})
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        sender.build_view_submission(view, user_id=ANN, values={"day": "29/03/2026"})


# -- block actions --------------------------------------------------------------------------


def post_question(client: WebClient) -> None:
    """A DM with an overflow and two buttons that share an action_id (in separate blocks)."""
    picker = {
        "type": "overflow",
        "action_id": "pick",
        "options": [option("Edit", "edit"), option("Away", "away")],
    }
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": plain("Did you get what you need?"), "accessory": picker}
    ]
    for label in ("Yes", "No"):
        button = {"type": "button", "text": plain(label), "action_id": "answer"}
        button["value"] = label.lower()
        blocks.append(
            {"type": "actions", "block_id": f"answer_{button['value']}", "elements": [button]}
        )
    client.chat_postMessage(channel=ANN, text="Did you get what you need?", blocks=blocks)


def test_a_button_click_from_a_message(rig: Rig, client: WebClient) -> None:
    post_question(client)
    message = rig.fake.dms(ANN)[-1]
    answer = rig.sender.click(message, "answer", user_id=ANN, value="no")
    assert answer.status == 200
    body = rig.fake.wait_for(lambda: rig.bodies("block_actions"))[0]
    [action] = body["actions"]
    assert (action["type"], action["action_id"], action["value"]) == ("button", "answer", "no")
    assert action["block_id"] == "answer_no" and action["text"] == plain("No")
    assert body["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": message.channel,
        "is_ephemeral": False,
    }
    assert body["message"]["ts"] == message.ts
    assert body["message"]["blocks"] == message.blocks
    assert body["channel"]["id"] == message.channel
    assert body["trigger_id"]
    replaced = rig.fake.wait_for(lambda: rig.fake.updates(message.channel))
    assert replaced[0].text == "Thanks: no" and replaced[0].ts == message.ts


def test_an_overflow_choice_sends_the_whole_option(rig: Rig, client: WebClient) -> None:
    post_question(client)
    rig.sender.click(rig.fake.dms(ANN)[-1], "pick", user_id=ANN, value="away")
    body = rig.fake.wait_for(lambda: rig.bodies("block_actions"))[0]
    assert body["actions"][0]["selected_option"] == option("Away", "away")
    with pytest.raises(ValueError, match="pass value="):
        rig.sender.click(rig.fake.dms(ANN)[-1], "answer", user_id=ANN)
    with pytest.raises(ValueError, match="no element"):
        rig.sender.click(rig.fake.dms(ANN)[-1], "nothing", user_id=ANN)


def test_a_click_in_a_view_carries_the_view_and_its_state(fake: FakeSlack) -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, fake)
    blocks = [
        input_block("text", {"type": "plain_text_input", "action_id": "text_in"}),
        {
            "type": "actions",
            "block_id": "when",
            "elements": [{"type": "datepicker", "action_id": "due"}],
        },
    ]
    home = {"type": "home", "blocks": blocks}
    WebClient(token=TOKEN, base_url=fake.url).views_publish(user_id=ANN, view=home)
    published = fake.home(ANN)
    assert published is not None
    payload = sender.build_block_actions(
        published, "due", user_id=ANN, selected_date=date(2026, 4, 1)
    )
    assert payload["container"] == {"type": "view", "view_id": published["id"]}
    assert payload["actions"][0]["selected_date"] == "2026-04-01"
    assert payload["view"]["state"]["values"] == {
        "text": {"text_in": {"type": "plain_text_input", "value": None}},
        "when": {"due": {"type": "datepicker", "selected_date": "2026-04-01"}},
    }
    assert "response_url" not in payload


# -- events and shortcuts -------------------------------------------------------------------


def test_events_arrive_in_their_envelope_with_retry_headers(rig: Rig) -> None:
    assert rig.sender.app_home_opened(BEN, event_id="Ev01", retry_num=1).status == 200
    home = rig.fake.wait_for(lambda: rig.fake.home(BEN))
    assert home["type"] == "home"
    body = rig.bodies("event")[0]
    assert (body["type"], body["event_id"], body["team_id"]) == ("event_callback", "Ev01", "T0001")
    assert body["event"]["user"] == BEN and body["event"]["tab"] == "home"
    assert body["event"]["channel"] == rig.fake.dm_channel(BEN)
    assert body["authorizations"][0]["user_id"] == rig.fake.bot_user_id
    assert body["retry"] == ["1"]
    rig.sender.app_home_opened(BEN)
    rig.fake.wait_for(lambda: len(rig.bodies("event")) == 2)
    assert rig.bodies("event")[1]["retry"] is None
    assert rig.sender.last_event_id and rig.sender.last_event_id != "Ev01"


def test_a_message_shortcut_carries_the_message_and_a_trigger(rig: Rig) -> None:
    answer = rig.sender.message_shortcut(
        "raise_tension",
        user_id=ANN,
        channel_id=TEAM_CHANNEL,
        message_text="The rota has gaps again",
        message_user=BEN,
        message_ts="1700000001.000200",
    )
    assert answer.status == 200
    view = rig.fake.wait_for(lambda: rig.fake.last_view(ANN))
    assert view["callback_id"] == "tension"
    body = rig.bodies("shortcut")[0]
    assert body["type"] == "message_action"
    assert body["message"]["text"] == "The rota has gaps again"
    assert body["message"]["user"] == BEN
    assert body["message_ts"] == "1700000001.000200"
    assert body["channel"]["id"] == TEAM_CHANNEL
    assert body["response_url"].startswith(rig.fake.base)


def test_the_interactivity_body_is_one_signed_payload_field(
    fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, fake)
    sent: list[tuple[str, bytes, dict[str, str]]] = []

    def capture(path: str, body: bytes, headers: dict[str, str]) -> Response:
        sent.append((path, body, headers))
        return Response(200, "", None, {})

    monkeypatch.setattr(sender, "_send", capture)
    sender.global_shortcut("raise_tension", user_id=ANN)
    [(path, body, headers)] = sent
    assert path == "/slack/events"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    payload = payload_of(body.decode())
    assert (payload["type"], payload["callback_id"]) == ("shortcut", "raise_tension")
    assert payload["trigger_id"] and payload["user"]["id"] == ANN
