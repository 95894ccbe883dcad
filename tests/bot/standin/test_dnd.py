"""The stand-in's dnd.teamInfo and dnd.info answer slack_sdk as Slack does: up to 50 people a
call, the next scheduled quiet time, a snooze on dnd.info only, and the dnd:read scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.shifts.model import Dnd
from bot.standin.web_api import FakeSlack
from tests.bot.standin.conftest import ANN, BEN, TOKEN

START = datetime(2026, 6, 1, 21, 0, tzinfo=UTC)
END = datetime(2026, 6, 2, 7, 0, tzinfo=UTC)


def test_team_info_reports_each_persons_schedule(fake: FakeSlack, client: WebClient) -> None:
    fake.set_dnd(ANN, START, END)

    users = client.dnd_teamInfo(users=[ANN, BEN])["users"]

    assert users[ANN] == {
        "dnd_enabled": True,
        "next_dnd_start_ts": int(START.timestamp()),
        "next_dnd_end_ts": int(END.timestamp()),
    }
    assert users[BEN]["dnd_enabled"] is False
    assert Dnd.from_slack(users[ANN]) == Dnd(START, END)
    assert Dnd.from_slack(users[BEN]) is None


def test_info_adds_the_snooze_and_clear_turns_it_off(fake: FakeSlack, client: WebClient) -> None:
    fake.set_dnd(BEN, snooze_until=END)
    answer = client.dnd_info(user=BEN)
    assert (answer["snooze_enabled"], answer["snooze_endtime"]) == (True, int(END.timestamp()))
    assert Dnd.from_slack(answer.data) == Dnd(snoozed_until=END)

    fake.clear_dnd(BEN)
    assert client.dnd_info(user=BEN)["snooze_enabled"] is False


def test_more_than_fifty_people_or_no_scope_is_refused(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as refused:
        client.dnd_teamInfo(users=[f"U{n:03d}" for n in range(51)])
    assert refused.value.response["error"] == "too_many_users"

    with FakeSlack(scopes=["chat:write"]) as narrow:
        narrow.add_user(ANN)
        other = WebClient(token=TOKEN, base_url=narrow.url, retry_handlers=[])
        with pytest.raises(SlackApiError) as missing:
            other.dnd_teamInfo(users=[ANN])
        assert missing.value.response["error"] == "missing_scope"
