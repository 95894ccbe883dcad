"""bot.slack.client: a post whose answer is lost is never retried blindly; a lost link that carried
nothing, or a call that is safe to repeat, is retried (make_client's retry handlers)."""

from __future__ import annotations

import http.client
import socket
import types
import urllib.error

import pytest
import slack_sdk.http_retry.handler as retry_handler
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator

from bot.slack import client as delivery
from bot.slack.client import SafeConnectionErrorRetryHandler, make_client, post
from bot.standin.web_api import FakeSlack
from tests.conftest import BEN, BOT_TOKEN, NORTH_CHANNEL


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk's waits between retries cut to nothing (what is retried is what matters)."""
    monkeypatch.setattr(retry_handler, "time", types.SimpleNamespace(sleep=lambda _: None))


def posts_to(fake: FakeSlack, channel: str) -> list[bool]:
    return [c.ok for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def test_a_post_whose_connection_drops_after_slack_acted_is_not_posted_again(
    fake_slack: FakeSlack,
) -> None:
    client = make_client(BOT_TOKEN, fake_slack.url)
    fake_slack.drop_after_acting_next("chat.postMessage")
    sent = post(client, BEN, {"text": "Your check-in for Tuesday"})
    # Slack posted it; the client never heard so, and did not post it a second time.
    assert sent.error == delivery.TIMEOUT and not sent.ok
    assert [m.text for m in fake_slack.dms(BEN)] == ["Your check-in for Tuesday"]
    assert posts_to(fake_slack, BEN) == [True]


def test_a_post_dropped_before_slack_acted_is_not_retried_blindly_either(
    fake_slack: FakeSlack,
) -> None:
    # The client cannot tell this drop from the one above: it is left to the caller, which
    # looks in Slack before sending again (check-in DMs, summaries, digests).
    client = make_client(BOT_TOKEN, fake_slack.url)
    fake_slack.drop_next("chat.postMessage")
    assert post(client, NORTH_CHANNEL, {"text": "Agenda"}).error == delivery.TIMEOUT
    assert fake_slack.messages(NORTH_CHANNEL) == []
    assert posts_to(fake_slack, NORTH_CHANNEL) == [False]


def test_a_chart_shared_then_dropped_is_not_shared_twice(fake_slack: FakeSlack) -> None:
    client = make_client(BOT_TOKEN, fake_slack.url)
    fake_slack.drop_after_acting_next("files.completeUploadExternal")
    with pytest.raises(ConnectionError) as raised:
        client.files_upload_v2(channel=NORTH_CHANNEL, content=b"png", filename="chart.png")
    assert delivery.may_have_arrived(raised.value)
    assert len(fake_slack.files()) == 1
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1


def test_a_call_that_is_safe_to_repeat_is_retried_after_a_drop(fake_slack: FakeSlack) -> None:
    client = make_client(BOT_TOKEN, fake_slack.url)
    fake_slack.drop_after_acting_next("conversations.open")
    fake_slack.drop_next("users.info")
    assert client.conversations_open(users=BEN)["channel"]["id"] == fake_slack.dm_channel(BEN)
    assert client.users_info(user=BEN)["user"]["id"] == BEN
    assert [c.ok for c in fake_slack.calls_to("users.info")] == [False, True]


def test_a_refused_connection_carried_nothing_so_even_a_post_is_retried(
    fake_slack: FakeSlack,
) -> None:
    with socket.socket() as probe:  # a port with nothing listening: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started: list[FakeSlack] = []

    class StartSlackMeanwhile(RetryIntervalCalculator):
        """Between the refused try and the retry, Slack comes up on that port."""

        def calculate_sleep_duration(self, current_attempt: int) -> float:
            if not started:
                late = FakeSlack(port)
                late.add_user(BEN, name="Ben")
                started.append(late.start())
            return 0.0

    client = make_client(BOT_TOKEN, f"http://127.0.0.1:{port}/api/")
    client.retry_handlers[0] = SafeConnectionErrorRetryHandler(
        max_retry_count=1, interval_calculator=StartSlackMeanwhile()
    )
    try:
        sent = post(client, BEN, {"text": "Hello"})
        assert sent.ok, sent.error
        assert [m.text for m in started[0].dms(BEN)] == ["Hello"]  # once, after the retry
    finally:
        for late in started:
            late.stop()


def test_may_have_arrived_tells_a_lost_answer_from_a_request_never_sent() -> None:
    assert delivery.may_have_arrived(TimeoutError("read timed out"))
    assert delivery.may_have_arrived(http.client.RemoteDisconnected("closed"))
    assert delivery.may_have_arrived(ConnectionResetError("reset"))
    assert not delivery.may_have_arrived(urllib.error.URLError(ConnectionRefusedError()))
    assert not delivery.may_have_arrived(urllib.error.URLError(TimeoutError("connect")))
    assert not delivery.may_have_arrived(ValueError("a bug"))
