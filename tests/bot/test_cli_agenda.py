"""`retrobot agenda post --team ID`: where it posted, once, or a kind error; never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time

import bot.standin  # noqa: F401  (imported before time is frozen, as freezegun needs)
from bot.cli import main
from bot.standin.web_api import FakeSlack
from tests.conftest import BOT_TOKEN, NORTH_CHANNEL, TEST_APP_YAML


@pytest.fixture
def environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack, database_url: str
) -> Iterator[Path]:
    path = tmp_path / "app.yaml"
    path.write_text(TEST_APP_YAML, encoding="utf-8")
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETROBOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    # Wednesday 25 November 2026: North's next meeting is Tuesday 1 December, 10:00 London.
    with freeze_time("2026-11-25 15:00:00", tick=True):
        yield path


def test_agenda_post_prints_where_it_posted_and_updates_on_a_second_run(
    environment: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agenda", "post", "--team", "north"]) == 0
    first = capsys.readouterr().out
    assert "Posted the agenda for North Neighbourhood Team's meeting on Tuesday 1 December" in first
    assert f"in channel {NORTH_CHANNEL}" in first and "0 tensions" in first

    assert main(["agenda", "post", "--team", "north"]) == 0
    assert "Updated the agenda" in capsys.readouterr().out
    assert len(fake_slack.messages(NORTH_CHANNEL)) == 1


def test_an_unknown_team_is_named_with_the_known_ones(
    environment: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agenda", "post", "--team", "west"]) == 1
    err = capsys.readouterr().err
    assert "No team 'west'" in err and "north, south" in err and "Traceback" not in err
    assert fake_slack.calls == []


def test_a_channel_the_bot_is_not_in_is_a_kind_error(
    environment: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_slack.add_channel(NORTH_CHANNEL, bot_member=False)
    assert main(["agenda", "post", "--team", "north"]) == 1
    err = capsys.readouterr().err
    assert "Slack said not_in_channel" in err and "/invite @retrobot" in err


def test_without_a_bot_token_it_says_what_is_missing(
    environment: Path,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert main(["agenda", "post", "--team", "north"]) == 1
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN is not set" in err and "Posting the agenda needs them" in err
