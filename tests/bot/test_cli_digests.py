"""`retrobot summary` and `retrobot digest`: printed readably, saved as a chart, sent once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.standin  # noqa: F401  (imported before time is frozen, as its clock must stay real)
from bot.cli import digests as cli_digests
from bot.cli import main
from bot.core.settings import Settings
from bot.digests.views import FORMATS
from bot.services import Services
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, BEN, CARA, COACH, NORTH_CHANNEL, SOUTH_COACH, TEST_APP_YAML
from tests.storage.factories import make_answered_round

freezegun = pytest.importorskip("freezegun")

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday of week 49: week 48 is complete
STORY = "Mrs J walked to the shop"


@pytest.fixture
def cli_env(
    services: Services,
    settings: Settings,
    fake_slack: FakeSlack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """app.yaml, the test database with North's week 48 in it, and the stand-in as Slack."""
    with services.session() as session:
        make_answered_round(
            session,
            meeting_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
            answers=[(ANA, 4), (BEN, 4), (CARA, 1)],
            stories={ANA: STORY},
        )
        session.commit()
    path = tmp_path / "app.yaml"
    path.write_text(TEST_APP_YAML, encoding="utf-8")
    monkeypatch.setenv("RETROBOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    with freezegun.freeze_time(NOW):
        yield path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_formats_match_the_builders() -> None:
    assert cli_digests.FORMATS == FORMATS


def test_summary_prints_the_last_complete_week_and_sends_nothing(
    cli_env: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "summary", "--team", "north")
    assert code == 0
    assert out.startswith("North Neighbourhood Team — week 48\n")
    assert "3 of 3 answered the check-in (100%)." in out
    assert "Mood 3.0 out of 5, over 3 answers" in out
    assert f"• {STORY} — @{ANA}" in out
    assert fake_slack.calls == []


def test_summary_as_json_and_markdown_and_its_chart(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "summary", "--team", "north", "--week", "2026-W48", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["figures"]["week"] == "2026-W48"
    assert data["figures"]["weeks"][-1]["mood"] == 3.0 and data["stories"][0]["text"] == STORY
    # Private tensions are never counted in the team's summary, not even in its data.
    assert "raised" in data["figures"]["tensions"]
    for private in ("private_raised", "private_open", "first_raised"):
        assert private not in json.dumps(data)
    chart = tmp_path / "charts" / "north.png"
    code, out, err = run(
        capsys, "summary", "--team", "north", "--format", "markdown", "--chart", str(chart)
    )
    assert code == 0 and out.startswith("# North Neighbourhood Team — week 48\n")
    assert "\n## Check-in\n\n- This is the team's first week" in out
    assert "\n- 3 of 3 answered the check-in (100%).\n" in out
    assert chart.read_bytes().startswith(b"\x89PNG") and f"Chart saved to {chart}." in err


def test_summary_send_goes_once_and_says_so_the_second_time(
    cli_env: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "summary", "--team", "north", "--send")
    assert code == 0
    assert out.startswith(
        f"Posted the summary of North Neighbourhood Team for 2026-W48 in #{NORTH_CHANNEL}"
    )
    posted = len(fake_slack.messages(NORTH_CHANNEL))
    assert posted >= 2 and len(fake_slack.files()) == 1

    code, out, _ = run(capsys, "summary", "--team", "north", "--week", "2026-w48", "--send")
    assert code == 0
    assert "for 2026-W48 was already posted on Tue 1 Dec 2026, 09:00 UTC" in out
    assert "never sent twice" in out
    assert len(fake_slack.messages(NORTH_CHANNEL)) == posted


def test_summary_send_reports_slack_s_refusal(
    cli_env: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_slack.fail_next("chat.postMessage", "not_in_channel")
    code, out, _ = run(capsys, "summary", "--team", "north", "--send")
    assert code == 1
    assert (
        "Slack refused the summary of North Neighbourhood Team for 2026-W48: not_in_channel." in out
    )


def test_send_needs_the_bot_token(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    code, _, err = run(capsys, "summary", "--team", "north", "--send")
    assert code == 1
    assert "SLACK_BOT_TOKEN is not set" in err and "--send needs them" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "--team", "west"], "No team 'west' in app.yaml; teams are: north, south"),
        (["summary", "--team", "north", "--week", "48"], "'48' is not an ISO week"),
        (["digest", "--team", "north", "--week", "2027-W53"], "2027 has no week 53."),
        (["summary", "--team", "north", "--week", "2026-W50"], "Week 2026-W50 has not begun yet"),
    ],
)
def test_bad_input_is_one_plain_line(
    cli_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_digest_prints_each_coach_s_digest_without_stories(
    cli_env: Path, fake_slack: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "digest.png"
    code, out, _ = run(capsys, "digest", "--team", "north", "--chart", str(chart))
    assert code == 0
    assert out.startswith("Your coach digest — week 48\n")
    assert f"To: @{COACH}" in out and "Mood 3.0 out of 5, over 3 answers" in out
    assert STORY not in out and ANA not in out
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert fake_slack.calls == []
    code, out, _ = run(capsys, "digest", "--team", "south", "--format", "json")
    [digest] = json.loads(out)
    assert digest["coach_id"] == SOUTH_COACH and "stories" not in json.dumps(digest)


def test_digest_send_dms_the_team_s_coaches_once(
    cli_env: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "digest", "--team", "north", "--send")
    assert code == 0
    assert f"Sent @{COACH} the coach digest for 2026-W48 about North Neighbourhood Team" in out
    assert len(fake_slack.dms(COACH)) == 1 and fake_slack.dms(SOUTH_COACH) == []
    code, out, _ = run(capsys, "digest", "--team", "north", "--send")
    assert code == 0
    assert f"@{COACH} already received the coach digest for 2026-W48" in out
    assert len(fake_slack.dms(COACH)) == 1


def test_digest_for_a_team_without_coaches(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.write_text(TEST_APP_YAML.replace("    coaches: [U0SCOACH]\n", ""), encoding="utf-8")
    code, _, err = run(capsys, "digest", "--team", "south")
    assert code == 1
    assert "South Neighbourhood Team has no coaches in app.yaml" in err
