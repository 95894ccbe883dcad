"""`retrobot retro open --team ID` and `retrobot retro close --team ID`: each step once, said
plainly; a kind error, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, text

import bot.standin  # noqa: F401  (imported before time is frozen, as freezegun needs)
from bot.cli import main
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, BEN, BOT_TOKEN, NORTH_CHANNEL, TEST_APP_YAML


@pytest.fixture
def environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack, database_url: str
) -> Iterator[str]:
    path = tmp_path / "app.yaml"
    path.write_text(TEST_APP_YAML, encoding="utf-8")
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETROBOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    with freeze_time("2026-05-21 13:00:00", tick=True):  # Thursday, 14:00 in London
        yield database_url


def test_open_then_close_twice_then_nothing_open(
    environment: str, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retro", "open", "--team", "north"]) == 0
    out = capsys.readouterr().out
    assert "Opened North Neighbourhood Team's retrospective in channel C0NORTH" in out
    assert "5 asked to reflect, 5 DM(s) sent" in out and "Reflection closes Sat 23 May 14:00" in out
    assert len(fake_slack.dms(ANA)) == 1

    assert main(["retro", "open", "--team", "north"]) == 1
    assert "already open (reflecting)" in capsys.readouterr().err
    assert len(fake_slack.dms(ANA)) == 1  # nobody asked twice

    engine = create_engine(environment)
    with engine.begin() as connection:  # Ben reflected (as the modal would store it)
        connection.execute(
            text(
                "INSERT INTO reflection (retro_id, kind, text, author) "
                "VALUES (1, 'could_be_better', 'Late rota', :author)"
            ),
            {"author": BEN},
        )
    engine.dispose()
    assert main(["retro", "close", "--team", "north"]) == 0
    assert "Closed reflection and opened voting" in capsys.readouterr().out
    assert main(["retro", "close", "--team", "north"]) == 0
    assert "Closed North Neighbourhood Team's retrospective: nothing was chosen" in (
        capsys.readouterr().out
    )
    assert main(["retro", "close", "--team", "north"]) == 1
    assert "has no retrospective open" in capsys.readouterr().err
    boards = [m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts is None]
    assert len(boards) == 1


def test_a_team_with_retro_off_or_unknown_is_a_kind_error(
    environment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retro", "open", "--team", "west"]) == 1
    assert "No team 'west'" in capsys.readouterr().err
    path = tmp_path / "off.yaml"
    path.write_text(
        TEST_APP_YAML.replace("    coaches: [U0SCOACH]", "    coaches: [U0SCOACH]\n    retro: off"),
        encoding="utf-8",
    )
    assert main(["--config", str(path), "retro", "open", "--team", "south"]) == 1
    err = capsys.readouterr().err
    assert "South Neighbourhood Team's retrospective is off in app.yaml" in err
    assert "Traceback" not in err
