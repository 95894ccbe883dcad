"""The fake Web API answers slack_sdk's WebClient as Slack does: results, errors, limits, faults."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.standin.web_api import UNKNOWN_TRIGGER_USER, FakeSlack, all_text
from tests.bot.standin.conftest import (
    ANN,
    BEN,
    GONE,
    GROUP,
    LEFT_CHANNEL,
    ROBOT,
    TEAM_CHANNEL,
    TOKEN,
)

REPO = Path(__file__).resolve().parents[3]


def error_of(call: Any, *args: Any, **kwargs: Any) -> str:
    """The Slack error code a WebClient call fails with."""
    with pytest.raises(SlackApiError) as raised:
        call(*args, **kwargs)
    return str(raised.value.response["error"])


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def modal(title: str = "Raise a tension", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "tension_modal",
        "title": plain(title),
        "submit": plain("Send"),
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "label": plain("What is the tension?"),
                "element": {"type": "plain_text_input", "action_id": "text_input"},
            }
        ],
        **extra,
    }


def post_raw(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


# -- identity and auth ----------------------------------------------------------------------


def test_auth_test_names_the_bot_and_its_scopes(fake: FakeSlack, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["ok"] is True
    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == ("UBOT01", "B0001", "T0001")
    assert "chat:write" in answer.headers["X-OAuth-Scopes"].split(",")
    assert fake.url == f"http://127.0.0.1:{fake.port}/api/"


def test_unknown_methods_and_bad_tokens_are_refused(fake: FakeSlack, client: WebClient) -> None:
    assert error_of(client.api_call, "chat.scheduleMessage") == "unknown_method"
    assert error_of(WebClient(token="xoxp-user", base_url=fake.url).auth_test) == "invalid_auth"
    status, body = post_raw(fake.url + "auth.test", b"", {})
    assert (status, body) == (200, {"ok": False, "error": "invalid_auth"})
    assert [c.error for c in fake.calls] == ["unknown_method", "invalid_auth", "invalid_auth"]
    assert error_of(client.apps_connections_open, app_token=TOKEN) == "not_allowed_token_type"


def test_only_the_configured_token_is_accepted_when_one_is_set() -> None:
    with FakeSlack(token="xoxb-right") as strict:
        assert WebClient(token="xoxb-right", base_url=strict.url).auth_test()["ok"]
        wrong = WebClient(token="xoxb-wrong", base_url=strict.url)
        assert error_of(wrong.auth_test) == "invalid_auth"


# -- messages -------------------------------------------------------------------------------


def test_a_post_to_a_person_lands_in_their_stable_dm(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel=ANN, text="Check-in time")
    second = client.chat_postMessage(channel=ANN, text="Reminder", thread_ts=first["ts"])
    assert first["channel"] == second["channel"] == fake.dm_channel(ANN)
    assert first["channel"].startswith("D")
    assert client.conversations_open(users=ANN)["channel"]["id"] == first["channel"]
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "Check-in time"
    dms = fake.dms(ANN)
    assert [m.text for m in dms] == ["Check-in time", "Reminder"]
    assert dms[1].thread_ts == first["ts"]
    assert fake.dms(BEN) == []


def test_blocks_sent_as_form_json_are_recorded_decoded(fake: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Agenda*"}}]
    client.api_call(
        "chat.postMessage",
        data={"channel": TEAM_CHANNEL, "text": "Agenda", "blocks": json.dumps(blocks)},
    )
    call = fake.calls_to("chat.postMessage")[0]
    assert call.args["blocks"] == blocks
    assert call.token == TOKEN
    posted = fake.messages(TEAM_CHANNEL)[0]
    assert posted.blocks[0]["block_id"]  # Slack fills in a block_id
    assert posted.all_text == "Agenda\n*Agenda*"


def test_posts_slack_would_refuse(fake: FakeSlack, client: WebClient) -> None:
    assert error_of(client.chat_postMessage, channel=GONE, text="x") == "user_disabled"
    assert error_of(client.chat_postMessage, channel=ROBOT, text="x") == "cannot_dm_bot"
    assert error_of(client.chat_postMessage, channel="U99", text="x") == "user_not_found"
    assert error_of(client.chat_postMessage, channel=LEFT_CHANNEL, text="x") == "not_in_channel"
    assert error_of(client.chat_postMessage, channel="C99", text="x") == "channel_not_found"
    # (slack_sdk itself warns about a missing text, so the raw call)
    no_text = {"channel": TEAM_CHANNEL}
    assert error_of(client.api_call, "chat.postMessage", json=no_text) == "no_text"
    assert fake.messages() == []
    assert client.chat_postMessage(channel="#north-team", text="x")["channel"] == TEAM_CHANNEL


def test_a_lenient_stand_in_accepts_unregistered_people_and_channels() -> None:
    with FakeSlack(strict_users=False, strict_channels=False) as lenient:
        lenient.add_user(ANN)
        client = WebClient(token=TOKEN, base_url=lenient.url)
        assert client.chat_postMessage(channel="U99", text="x")["channel"] == "DU99"
        assert client.chat_postMessage(channel="C99", text="x")["channel"] == "C99"


def test_update_ephemeral_permalink_and_delete(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=TEAM_CHANNEL, text="Agenda v1")
    client.chat_update(channel=TEAM_CHANNEL, ts=posted["ts"], text="Agenda v2")
    assert [m.text for m in fake.updates(TEAM_CHANNEL)] == ["Agenda v2"]
    assert fake.messages(TEAM_CHANNEL)[0].text == "Agenda v1"
    assert fake.message(TEAM_CHANNEL, posted["ts"]).text == "Agenda v2"
    assert error_of(client.chat_update, channel=TEAM_CHANNEL, ts="1.2", text="x") == (
        "message_not_found"
    )

    ephemeral = client.chat_postEphemeral(channel=TEAM_CHANNEL, user=BEN, text="Only you")
    assert ephemeral["message_ts"]
    assert [(e.user, e.text) for e in fake.ephemerals()] == [(BEN, "Only you")]
    assert fake.ephemerals(ANN) == []
    assert error_of(client.chat_postEphemeral, channel=LEFT_CHANNEL, user=ANN, text="x") == (
        "not_in_channel"
    )
    fake.add_channel("C03", members=[ANN])
    assert error_of(client.chat_postEphemeral, channel="C03", user=BEN, text="x") == (
        "user_not_in_channel"
    )

    link = client.chat_getPermalink(channel=TEAM_CHANNEL, message_ts="1700000000.000100")
    assert link["permalink"] == "https://example.slack.com/archives/C01/p1700000000000100"

    client.chat_delete(channel=TEAM_CHANNEL, ts=posted["ts"])
    assert fake.message(TEAM_CHANNEL, posted["ts"]) is None
    assert error_of(client.chat_delete, channel=TEAM_CHANNEL, ts=posted["ts"]) == (
        "message_not_found"
    )


def test_messages_over_block_kit_limits_are_refused_and_noted(
    fake: FakeSlack, client: WebClient
) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=TEAM_CHANNEL, text="too many", blocks=[section] * 51)
    answer = raised.value.response
    assert answer["error"] == "invalid_blocks"
    assert any("51 blocks" in m for m in answer["response_metadata"]["messages"])
    assert fake.limit_violations == ["chat.postMessage: 51 blocks; a message holds at most 50"]
    assert error_of(client.chat_postMessage, channel=ANN, text="x" * 40_001) == "msg_too_long"
    assert fake.messages() == []


# -- people, channels, groups ---------------------------------------------------------------


def test_users_info_carries_time_zone_and_profile(fake: FakeSlack, client: WebClient) -> None:
    user = client.users_info(user=BEN)["user"]
    offset = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).utcoffset()
    assert offset is not None
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] == offset.total_seconds()
    assert user["profile"]["real_name"] == "Ben Birch"
    assert user["profile"]["display_name"] == "Ben Birch"
    assert (user["is_bot"], user["deleted"]) == (False, False)
    assert client.users_info(user=GONE)["user"]["deleted"] is True
    assert client.users_info(user=ANN)["user"]["profile"]["email"] == "ann@example.org"
    assert client.users_info(user="UBOT01")["user"]["is_bot"] is True
    assert error_of(client.users_info, user="U99") == "user_not_found"


def test_users_list_pages_with_a_cursor(fake: FakeSlack, client: WebClient) -> None:
    pages = [page["members"] for page in client.users_list(limit=2)]
    assert [len(p) for p in pages] == [2, 2, 1]
    ids = [m["id"] for page in pages for m in page]
    assert ids == [ANN, BEN, GONE, ROBOT, "UBOT01"]
    assert len(client.users_list()["members"]) == 5
    assert error_of(client.users_list, cursor="not-a-cursor") == "invalid_cursor"


def test_conversations_and_usergroups(fake: FakeSlack, client: WebClient) -> None:
    info = client.conversations_info(channel=TEAM_CHANNEL)["channel"]
    assert (info["name"], info["is_member"], info["is_channel"]) == ("north-team", True, True)
    assert client.conversations_info(channel=LEFT_CHANNEL)["channel"]["is_member"] is False
    assert error_of(client.conversations_info, channel="C99") == "channel_not_found"
    members = [
        m
        for page in client.conversations_members(channel=TEAM_CHANNEL, limit=2)
        for m in page["members"]
    ]
    assert members == [ANN, BEN, "UBOT01"]
    dm = client.conversations_open(users=ANN)["channel"]["id"]
    assert client.conversations_info(channel=dm)["channel"]["user"] == ANN
    assert error_of(client.conversations_open, users=GONE) == "user_disabled"
    assert client.usergroups_users_list(usergroup=GROUP)["users"] == [ANN, BEN]
    assert error_of(client.usergroups_users_list, usergroup="S99") == "no_such_subteam"


# -- views ----------------------------------------------------------------------------------


def test_a_trigger_opens_one_modal_for_its_person(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger(ANN)
    view = client.views_open(trigger_id=trigger, view=modal(private_metadata="team=north"))["view"]
    assert view["id"].startswith("V")
    assert view["hash"] and view["callback_id"] == "tension_modal"
    assert view["private_metadata"] == "team=north"
    assert view["state"] == {"values": {}}
    assert fake.last_view(ANN) == view
    assert fake.views_opened(ANN) == [view]
    assert fake.count_views_opened(ANN) == 1 and fake.count_views_opened(BEN) == 0
    assert fake.open_views(ANN) == [view]
    assert fake.last_view(BEN) is None
    assert error_of(client.views_open, trigger_id=trigger, view=modal()) == ("exchanged_trigger_id")
    assert error_of(client.views_open, trigger_id="1.2.3", view=modal()) == "invalid_trigger_id"


def test_triggers_expire_unless_expiry_is_off(fake: FakeSlack, client: WebClient) -> None:
    fake.trigger_ttl = 0.05
    trigger = fake.new_trigger(ANN)
    time.sleep(0.1)
    assert error_of(client.views_open, trigger_id=trigger, view=modal()) == "expired_trigger_id"
    fake.trigger_ttl = None
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_triggers_that_are_not_strict_open_views_for_any_trigger_id() -> None:
    with FakeSlack(strict_triggers=False, trigger_ttl=0.01) as lenient:
        lenient.add_user(ANN)
        client = WebClient(token=TOKEN, base_url=lenient.url, retry_handlers=[])
        made_up = client.views_open(trigger_id="bench.1", view=modal())["view"]
        again = client.views_open(trigger_id="bench.1", view=modal("Again"))["view"]
        assert made_up["id"] != again["id"]
        assert [v["title"]["text"] for v in lenient.views_opened(UNKNOWN_TRIGGER_USER)] == [
            "Raise a tension",
            "Again",
        ]
        # An issued trigger still opens its own person's view, even used and expired.
        issued = lenient.new_trigger(ANN)
        time.sleep(0.05)
        for _ in range(2):
            assert client.views_open(trigger_id=issued, view=modal())["ok"]
        assert len(lenient.views_opened(ANN)) == 2 == lenient.count_views_opened(ANN)
        assert lenient.views_opened(ANN, since=1) == lenient.views_opened(ANN)[1:]
        assert lenient.count_views_opened() == 4
        # A trigger must still be given.
        assert error_of(client.views_open, trigger_id="", view=modal()) == "invalid_trigger_id"
        # A long-running stand-in tallies its traffic and forgets it.
        taken = lenient.take_calls()
        assert [(c.method, c.ok) for c in taken] == [("views.open", True)] * 4 + [
            ("views.open", False)
        ]
        assert lenient.calls == [] and lenient.views_opened() == []


def test_a_modal_can_push_two_more_views(fake: FakeSlack, client: WebClient) -> None:
    root = client.views_open(trigger_id=fake.new_trigger(ANN), view=modal())["view"]
    first = client.views_push(trigger_id=fake.new_trigger(ANN), view=modal("Step 2"))["view"]
    client.views_push(trigger_id=fake.new_trigger(ANN), view=modal("Step 3"))
    assert first["root_view_id"] == root["id"] and first["previous_view_id"] == root["id"]
    assert error_of(client.views_push, trigger_id=fake.new_trigger(ANN), view=modal("Step 4")) == (
        "push_limit_reached"
    )
    assert [v["title"]["text"] for v in fake.open_views(ANN)] == [
        "Raise a tension",
        "Step 2",
        "Step 3",
    ]


def test_views_update_by_id_or_external_id(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(
        trigger_id=fake.new_trigger(ANN), view=modal(external_id="tension-1")
    )["view"]
    updated = client.views_update(view_id=opened["id"], view=modal("Thanks"), hash=opened["hash"])
    assert updated["view"]["id"] == opened["id"]
    assert updated["view"]["hash"] != opened["hash"]
    assert fake.last_view(ANN)["title"]["text"] == "Thanks"
    assert error_of(
        client.views_update, view_id=opened["id"], view=modal(), hash=opened["hash"]
    ) == ("hash_conflict")
    by_external = client.views_update(external_id="tension-1", view=modal("Again"))
    assert by_external["view"]["id"] == opened["id"]
    assert error_of(client.views_update, view_id="V404", view=modal()) == "not_found"


def test_views_publish_keeps_one_home_per_person(fake: FakeSlack, client: WebClient) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": plain("Your tensions")}]}
    first = client.views_publish(user_id=ANN, view=home)["view"]
    second = client.views_publish(user_id=ANN, view=home, hash=first["hash"])["view"]
    assert first["id"] == second["id"]
    assert fake.home(ANN) == second
    assert fake.home(BEN) is None
    assert error_of(client.views_publish, user_id=ANN, view=home, hash=first["hash"]) == (
        "hash_conflict"
    )
    assert error_of(client.views_publish, user_id=ANN, view=modal()) == "invalid_arguments"
    assert error_of(client.views_publish, user_id="U99", view=home) == "user_not_found"


def test_views_over_block_kit_limits_are_refused_and_noted(
    fake: FakeSlack, client: WebClient
) -> None:
    trigger = fake.new_trigger(ANN)
    too_long = modal("A title far beyond twenty-four characters")
    assert error_of(client.views_open, trigger_id=trigger, view=too_long) == "invalid_blocks"
    assert fake.limit_violations == ["views.open: title.text is 41 characters; the limit is 24"]
    # A refused view does not use up the trigger.
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


# -- files ----------------------------------------------------------------------------------


def test_files_upload_v2_goes_through_the_three_steps(fake: FakeSlack, client: WebClient) -> None:
    answer = client.files_upload_v2(
        channel=TEAM_CHANNEL,
        content=b"week,visits\n48,12\n",
        filename="summary.csv",
        title="Weekly summary",
        initial_comment="This week",
    )
    assert answer["file"]["title"] == "Weekly summary"
    [shared] = fake.files()
    assert shared.content == b"week,visits\n48,12\n"
    assert (shared.filename, shared.channel, shared.initial_comment) == (
        "summary.csv",
        TEAM_CHANNEL,
        "This week",
    )
    assert [c.method for c in fake.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_completing_an_upload_that_never_came_fails(fake: FakeSlack, client: WebClient) -> None:
    started = client.files_getUploadURLExternal(filename="a.txt", length=3)
    assert started["upload_url"].startswith(f"http://127.0.0.1:{fake.port}/upload/")
    files = [{"id": started["file_id"]}]
    assert error_of(client.files_completeUploadExternal, files=files) == "file_not_found"
    assert error_of(client.files_completeUploadExternal, files=[{"id": "F404"}]) == (
        "file_not_found"
    )


# -- response_url ---------------------------------------------------------------------------


def respond(url: str, body: dict[str, Any]) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def test_response_urls_reply_replace_and_delete(fake: FakeSlack, client: WebClient) -> None:
    url = fake.new_response_url(ANN, TEAM_CHANNEL)
    assert respond(url, {"text": "Saved"}) == (200, "ok")
    assert respond(url, {"text": "Posted", "response_type": "in_channel"}) == (200, "ok")
    assert [(e.user, e.text, e.source) for e in fake.ephemerals()] == [
        (ANN, "Saved", "response_url")
    ]
    assert [m.text for m in fake.messages(TEAM_CHANNEL)] == ["Posted"]

    posted = client.chat_postMessage(
        channel=TEAM_CHANNEL,
        text="Click me",
        blocks=[
            {
                "type": "actions",
                "elements": [{"type": "button", "text": plain("Go"), "action_id": "go"}],
            }
        ],
    )
    on_message = fake.new_response_url(ANN, TEAM_CHANNEL, message_ts=posted["ts"])
    assert respond(on_message, {"text": "Done", "replace_original": True}) == (200, "ok")
    now = fake.message(TEAM_CHANNEL, posted["ts"])
    assert now is not None and (now.text, now.blocks) == ("Done", [])
    assert respond(on_message, {"delete_original": True}) == (200, "ok")
    assert fake.message(TEAM_CHANNEL, posted["ts"]) is None
    assert [c.method for c in fake.calls_to("response_url")] == ["response_url"] * 4


def test_response_urls_refuse_bad_blocks_unknown_urls_and_a_sixth_use(fake: FakeSlack) -> None:
    url = fake.new_response_url(ANN, TEAM_CHANNEL)
    assert respond(url, {"blocks": [{"type": "divider"}]}) == (400, "invalid_blocks")
    assert fake.limit_violations and "text is missing" in fake.limit_violations[0]
    for _ in range(4):
        assert respond(url, {"text": "again"})[0] == 200
    assert respond(url, {"text": "once more"}) == (404, "used_url")
    assert respond(f"{fake.base}/response/nope", {"text": "x"}) == (404, "expired_url")


# -- faults ---------------------------------------------------------------------------------


def test_fail_next_fails_only_the_matching_calls(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "channel_is_archived", when=lambda a: a["channel"] == BEN)
    assert client.chat_postMessage(channel=ANN, text="x")["ok"]
    assert error_of(client.chat_postMessage, channel=BEN, text="x") == "channel_is_archived"
    assert client.chat_postMessage(channel=BEN, text="x")["ok"]
    fake.fail_next("*", "fatal_error", times=2)
    assert error_of(client.users_info, user=ANN) == "fatal_error"
    assert error_of(client.auth_test) == "fatal_error"
    assert client.auth_test()["ok"]


def test_a_429_is_waited_out_by_slack_sdks_retry_handler(
    fake: FakeSlack, client: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.rate_limit_next("chat.postMessage", retry_after=1)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=ANN, text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert raised.value.response["error"] == "ratelimited"

    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers.time, "sleep", slept.append)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    fake.rate_limit_next("chat.postMessage", retry_after=1, times=2)
    assert client.chat_postMessage(channel=ANN, text="after the wait")["ok"]
    assert len(slept) == 2 and all(1 <= s < 2 for s in slept)
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 429, 429, 200]
    assert [m.text for m in fake.dms(ANN)] == ["after the wait"]


def test_server_errors_and_the_server_error_retry_handler(
    fake: FakeSlack, client: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.server_error_next("users.info", status=503)
    status, body = post_raw(
        fake.url + "users.info",
        f"user={ANN}".encode(),
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, body["ok"]) == (503, False)
    monkeypatch.setattr("slack_sdk.http_retry.handler.time.sleep", lambda s: None)
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=1))
    fake.server_error_next("users.info")
    assert client.users_info(user=ANN)["user"]["id"] == ANN


def test_a_delay_makes_a_short_client_timeout(fake: FakeSlack) -> None:
    fake.delay("auth.test", 0.3)
    impatient = WebClient(token=TOKEN, base_url=fake.url, timeout=0.1, retry_handlers=[])  # type: ignore[arg-type]
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        impatient.auth_test()
    # Slack still carried out a call the client gave up waiting for.
    fake.wait_for(lambda: fake.calls_to("auth.test"), timeout=2)
    fake.delay("auth.test", 0)
    assert impatient.auth_test()["ok"]


def test_a_dropped_connection_is_retried_and_a_late_answer_times_out_after_slack_acted(
    fake: FakeSlack,
) -> None:
    bare = WebClient(token=TOKEN, base_url=fake.url, retry_handlers=[])  # type: ignore[arg-type]
    fake.drop_next("chat.postMessage", when=lambda a: a["channel"] == BEN)
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        bare.chat_postMessage(channel=BEN, text="lost on the way")
    assert fake.dms(BEN) == []  # dropped before Slack acted
    fake.drop_next("chat.postMessage")
    retrying = WebClient(
        token=TOKEN,
        base_url=fake.url,
        retry_handlers=[
            ConnectionErrorRetryHandler(
                max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.0)
            )
        ],
    )
    assert retrying.chat_postMessage(channel=BEN, text="again")["ok"]
    assert [m.text for m in fake.dms(BEN)] == ["again"]
    assert [(c.ok, c.error) for c in fake.calls_to("chat.postMessage")][-2:] == [
        (False, "connection_dropped"),
        (True, None),
    ]

    fake.answer_late_next("chat.postMessage", 0.5)
    impatient = WebClient(token=TOKEN, base_url=fake.url, timeout=0.1, retry_handlers=[])  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel=BEN, text="slow")
    assert [m.text for m in fake.dms(BEN)] == ["again", "slow"]  # acted on, answered too late
    fake.clear_faults()
    assert impatient.chat_postMessage(channel=BEN, text="on time")["ok"]


def test_a_steady_rate_limit_answers_429_with_an_honest_retry_after(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.rate_limit("chat.postMessage", per_second=20, burst=2)
    assert client.chat_postMessage(channel=ANN, text="1")["ok"]
    assert client.chat_postMessage(channel=ANN, text="2")["ok"]
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=ANN, text="3")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    time.sleep(0.06)  # one token back at 20 a second
    assert client.chat_postMessage(channel=ANN, text="4")["ok"]
    assert client.users_info(user=ANN)["ok"]  # other methods are not limited


def test_a_per_channel_rate_limit_keeps_channels_apart(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit("chat.postMessage", per_second=1, burst=1, per_channel=True)
    assert client.chat_postMessage(channel=ANN, text="x")["ok"]
    assert client.chat_postMessage(channel=BEN, text="x")["ok"]
    assert error_of(client.chat_postMessage, channel=ANN, text="x") == "ratelimited"


# -- queries and life cycle -----------------------------------------------------------------


def test_wait_for_returns_the_value_or_fails_in_time(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel=ANN, text="hello")
    assert fake.wait_for(lambda: fake.dms(ANN))[0].text == "hello"
    started = time.monotonic()
    with pytest.raises(AssertionError):
        fake.wait_for(lambda: fake.dms(BEN), timeout=0.05)
    assert time.monotonic() - started < 1


def test_reset_forgets_traffic_but_keeps_the_workspace(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel=ANN, text="hello")
    fake.fail_next("auth.test")
    fake.reset()
    assert fake.calls == [] and fake.messages() == []
    assert client.auth_test()["ok"]
    assert client.users_info(user=ANN)["ok"]
    fake.reset(directory=True)
    assert error_of(client.users_info, user=ANN) == "user_not_found"


def test_all_text_gathers_every_text_in_blocks() -> None:
    blocks = [
        {"type": "header", "text": plain("Agenda")},
        {
            "type": "section",
            "fields": [plain("a"), plain("b")],
            "accessory": {
                "type": "button",
                "text": plain("Open"),
                "action_id": "open",
                "url": "https://x",
            },
        },
    ]
    assert all_text("fallback", blocks) == "fallback\nAgenda\na\nb\nOpen"


def test_it_runs_as_a_process_and_prints_its_url() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.standin", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.strip().rpartition("=")[2]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/")
        assert WebClient(token=TOKEN, base_url=url).auth_test()["ok"]
    finally:
        process.terminate()
        process.wait(timeout=5)
        assert process.stdout is not None
        process.stdout.close()


def test_a_drop_after_acting_posts_the_message_and_leaves_the_client_without_an_answer(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.drop_after_acting_next("chat.postMessage", when=lambda a: a["channel"] == BEN)
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel=BEN, text="went, unanswered")
    assert [m.text for m in fake.dms(BEN)] == ["went, unanswered"]  # acted on
    assert [c.ok for c in fake.calls_to("chat.postMessage")] == [True]
    assert client.chat_postMessage(channel=BEN, text="answered")["ok"]  # the fault hit one call


def test_reading_history_needs_the_scope_of_the_conversations_kind(
    fake: FakeSlack, client: WebClient
) -> None:
    dm = client.conversations_open(users=BEN)["channel"]["id"]
    assert client.conversations_history(channel=dm)["ok"]
    assert client.conversations_history(channel=TEAM_CHANNEL)["ok"]
    fake.scopes = tuple(s for s in fake.scopes if s not in ("im:history", "channels:history"))
    for channel in (dm, TEAM_CHANNEL):
        with pytest.raises(SlackApiError) as refused:
            client.conversations_history(channel=channel)
        assert refused.value.response["error"] == "missing_scope"


def test_a_threads_replies_and_files_are_read_as_slack_shows_them(
    fake: FakeSlack, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel=TEAM_CHANNEL, text="Agenda")["ts"]
    client.chat_postMessage(
        channel=TEAM_CHANNEL,
        text="Progress",
        thread_ts=parent,
        metadata={"event_type": "part", "event_payload": {"part": "progress"}},
    )
    client.files_upload_v2(
        channel=TEAM_CHANNEL, content=b"png", filename="chart.png", thread_ts=parent
    )
    client.files_upload_v2(channel=TEAM_CHANNEL, content=b"png", filename="outside.png")

    thread = client.conversations_replies(
        channel=TEAM_CHANNEL, ts=parent, include_all_metadata=True
    )["messages"]
    assert len(thread) == 3 and thread[0]["ts"] == parent  # the parent, then its replies in order
    assert thread[1]["metadata"] == {"event_type": "part", "event_payload": {"part": "progress"}}
    assert [f["name"] for f in thread[2]["files"]] == ["chart.png"]
    plain = client.conversations_replies(channel=TEAM_CHANNEL, ts=parent)["messages"]
    assert "metadata" not in plain[1]  # only with include_all_metadata, as Slack does
    history = client.conversations_history(channel=TEAM_CHANNEL)["messages"]
    assert [m.get("text") or m["files"][0]["name"] for m in history] == ["outside.png", "Agenda"]
    assert error_of(client.conversations_replies, channel=TEAM_CHANNEL, ts="1.000001") == (
        "thread_not_found"
    )
    fake.scopes = tuple(s for s in fake.scopes if s != "channels:history")
    assert error_of(client.conversations_replies, channel=TEAM_CHANNEL, ts=parent) == (
        "missing_scope"
    )


def test_wait_quiet_waits_out_calls_still_coming(fake: FakeSlack, client: WebClient) -> None:
    def keep_posting() -> None:
        for n in range(5):
            client.chat_postMessage(channel=ANN, text=f"after the ack {n}")
            time.sleep(0.1)

    worker = threading.Thread(target=keep_posting)
    worker.start()
    fake.wait_for(lambda: fake.calls)
    fake.wait_quiet(quiet=1.0)
    assert len(fake.calls_to("chat.postMessage")) == 5  # none came while it was quiet
    worker.join()

    client.chat_postMessage(channel=ANN, text="one more")
    fake.delay("chat.postMessage", 0.05)
    busy = threading.Thread(
        target=lambda: [client.chat_postMessage(channel=ANN, text="x") for _ in range(40)]
    )
    busy.start()
    with pytest.raises(AssertionError, match=r"kept calling Slack for 0\.5 s"):
        fake.wait_quiet(quiet=0.3, timeout=0.5)
    busy.join()
