"""`retrobot report`: the command writes the file it is asked for, says what is wrong plainly,
and shows a progress bar only on a terminal."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.cli import main
from bot.cli.reports import ProgressBar
from bot.core.config import AppConfig
from tests.bot.reports.seed import REPORT_APP_YAML, Seeded

freezegun = pytest.importorskip("freezegun")


@pytest.fixture
def cli_env(
    database_url: str,
    session: Session,
    org: AppConfig,
    seeded: Seeded,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """app.yaml and the seeded database, as the command line finds them; run from tmp_path."""
    path = tmp_path / "app.yaml"
    path.write_text(REPORT_APP_YAML, encoding="utf-8")
    monkeypatch.setenv("RETROBOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    with freezegun.freeze_time("2026-06-22 09:00:00"):
        yield tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_all_teams_writes_one_html_file_named_for_the_scope_and_period(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "--all", "--from", "2026-06-01", "--to", "2026-06-21")
    assert code == 0 and out == ""
    written = cli_env / "report-organisation-2026-06-01-to-2026-06-21.html"
    assert f"Wrote {written.name}" in err
    page = written.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Riverside Community Care: all 3 teams" in page
    assert "[###" not in err  # not a terminal: no progress bar


def test_one_team_as_json_on_standard_output(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "report", "--team", "north", "--from", "2026-06-01", "--to", "2026-06-21",
        "--format", "json", "--out", "-",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert (data["scope"], [t["id"] for t in data["teams"]]) == ("team", ["north"])
    assert not list(cli_env.glob("report-*"))


def test_out_names_the_file(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = cli_env / "board" / "q2.html"
    code, _, _ = run(
        capsys, "report", "--team", "south", "--from", "2026-06-01", "--to", "2026-06-21",
        "--out", str(target),
    )  # fmt: skip
    assert code == 0 and "South Riverside Team" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all", "--from", "2026-06-31", "--to", "2026-07-01"], "--from '2026-06-31' is not a"),
        (["--all", "--from", "1 June", "--to", "2026-07-01"], "write it as YYYY-MM-DD"),
        (["--all", "--from", "2026-07-01", "--to", "2026-06-01"], "--to comes before --from"),
        (["--all", "--from", "2020-01-01", "--to", "2026-06-01"], "at most 160"),
        (["--team", "west", "--from", "2026-06-01", "--to", "2026-06-21"], "No team 'west'"),
    ],
)
def test_mistakes_are_told_plainly(
    cli_env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "report", *args)
    assert code == 1 and out == "" and message in err and "Traceback" not in err
    assert not list(cli_env.glob("report-*"))


def test_team_or_all_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--from", "2026-06-01", "--to", "2026-06-21"])
    assert "one of the arguments --team --all is required" in capsys.readouterr().err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    terminal = Terminal()
    bar = ProgressBar(terminal)
    bar.plan(4)
    for step in ("time zone Europe/London", "figures", "chart participation", "written"):
        bar.advance(step)
    bar.finish()
    drawn = terminal.getvalue()
    assert "\r[#######" in drawn and " 25% time zone Europe/London" in drawn
    assert "[##############################] 100% written" in drawn and drawn.endswith("\n")
    piped = io.StringIO()
    quiet = ProgressBar(piped)
    quiet.plan(2)
    quiet.advance("figures")
    quiet.finish()
    assert piped.getvalue() == ""
