"""`retrobot checkin send --team ID`: a round now, and a report of who was asked and who not."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time

import bot.standin  # noqa: F401  (the stand-in keeps real time while the app's is frozen)
from bot.cli import main
from bot.slack import pacing
from bot.slack.pacing import Pace
from bot.standin.web_api import FakeSlack
from tests.conftest import BEN, BOT_TOKEN, DEV, TEST_APP_YAML

MONDAY_OPENING = "2026-06-01 09:05:00"  # (UTC) five minutes after North's round opened


@pytest.fixture
def cli_env(tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    path = tmp_path / "app.yaml"
    path.write_text(TEST_APP_YAML, encoding="utf-8")
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETROBOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))
    return fake_slack


def test_send_asks_everyone_then_reports_them_as_already_asked(
    cli_env: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.add_user(BEN, name="Ben", deleted=True)
    with freeze_time(MONDAY_OPENING):
        assert main(["checkin", "send", "--team", "north"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "North Neighbourhood Team (north): check-in for the tactical meeting on "
        "Tuesday 2 June at 10:00 (Europe/London)"
    )
    assert "  asked now:      4" in out
    assert "  already asked:  0" in out
    assert "  failed:         1" in out
    assert f"    {BEN}: user_disabled (their Slack account is deactivated)" in out
    assert len(cli_env.calls_to("chat.postMessage")) == 5  # four asked, Ben refused

    with freeze_time(MONDAY_OPENING):
        assert main(["checkin", "send", "--team", "north"]) == 0
    again = capsys.readouterr().out
    assert "  asked now:      0" in again and "  already asked:  4" in again
    assert len(cli_env.calls_to("chat.postMessage")) == 5  # Ben is not tried again by default

    cli_env.add_user(BEN, name="Ben")
    with freeze_time(MONDAY_OPENING):
        assert main(["checkin", "send", "--team", "north", "--retry-failed"]) == 0
    assert "  asked now:      1" in capsys.readouterr().out


def test_away_members_are_counted_not_asked(
    cli_env: FakeSlack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from sqlalchemy import create_engine, text

    with freeze_time(MONDAY_OPENING):
        assert main(["checkin", "send", "--team", "south"]) == 0
    capsys.readouterr()
    engine = create_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE member SET away_until = '2026-06-20' WHERE user_id = :u"), {"u": DEV}
        )
    engine.dispose()
    with freeze_time("2026-06-08 11:00:00"):
        assert main(["checkin", "send", "--team", "north"]) == 0
    out = capsys.readouterr().out
    assert f"  away:           1  ({DEV})" in out and "  asked now:      4" in out


def test_an_unknown_team_is_one_line_naming_the_teams(
    cli_env: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["checkin", "send", "--team", "east"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "retrobot: No team 'east' in app.yaml; teams are: north, south"
    assert cli_env.calls == []


def test_without_a_bot_token_it_says_which_variable(
    cli_env: FakeSlack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert main(["checkin", "send", "--team", "north"]) == 1
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err
