"""The command line: plain answers, exit codes, and never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import bot.cli as cli
from bot.cli import main
from bot.core import heap
from tests.conftest import TEST_APP_YAML


@pytest.fixture
def app_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(TEST_APP_YAML, encoding="utf-8")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETROBOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'check.db'}")
    return path


def test_check_passes_with_a_good_file_and_environment(
    app_yaml: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert f"{app_yaml}: OK — Riverside Community Care, 2 team(s), 7 member(s) listed." in out
    assert "Environment: OK." in out


def test_check_names_each_problem_with_file_line_and_key(
    app_yaml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_yaml.write_text(
        TEST_APP_YAML.replace("    timezone: Europe/London", "    timezone: Europe/Londn").replace(
            "name: South Neighbourhood Team", "name: South Neighbourhood Team\n    colour: red"
        ),
        encoding="utf-8",
    )
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert any(
        line.startswith(f"{app_yaml}:") and "teams[1].timezone" in line and "Europe/Londn" in line
        for line in lines
    )
    assert any("teams[1].colour" in line and "unknown key 'colour'" in line for line in lines)
    assert "SLACK_BOT_TOKEN is not set" in err
    assert lines[-1] == "retrobot check: 4 problem(s) found."
    assert "Traceback" not in err


def test_check_config_only_ignores_the_environment(
    app_yaml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--config-only"]) == 0
    assert "Environment" not in capsys.readouterr().out


def test_check_reports_an_unreachable_database(
    app_yaml: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bob:hunter2@127.0.0.1:9/none")
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "DATABASE_URL: cannot reach postgresql+psycopg://bob:***@127.0.0.1:9/none." in err
    assert "hunter2" not in err


def test_a_missing_config_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RETROBOT_CONFIG", str(tmp_path / "nope.yaml"))
    assert main(["check", "--config-only"]) == 1
    err = capsys.readouterr().err
    assert "nope.yaml" in err and "Traceback" not in err


def test_manifest_prints_yaml(app_yaml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--url", "https://retro.example.org"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    assert manifest["settings"]["interactivity"]["request_url"] == (
        "https://retro.example.org/slack/events"
    )


def test_manifest_refuses_a_plain_http_url(
    app_yaml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["manifest", "--url", "http://retro.example.org"]) == 1
    assert capsys.readouterr().err.strip() == (
        "retrobot: --url must be the https:// address Slack can reach you at."
    )


def test_only_serving_over_http_loads_gunicorn_and_only_drawing_loads_matplotlib() -> None:
    """The demo, Socket Mode and every command load the app without the HTTP front (gunicorn,
    bot.front: about 0.07 s) or matplotlib (about 0.4 s), which only serving over HTTP and
    drawing a chart need."""
    loads = (
        "import sys, bot.server, bot.demo, bot.jobs.process; "
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'gunicorn', 'matplotlib'}),"
        " 'bot.front' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", loads],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["[]", "False"]


def test_the_command_exits_with_its_code_and_leaves_its_heap_out_of_the_last_walks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`retrobot` and `python -m bot.cli` run :func:`main`, then freeze the heap before the
    interpreter's teardown (bot.core.heap.leave): 0.2 s of walking what the OS frees anyway."""
    steps: list[str] = []
    monkeypatch.setattr(cli, "main", lambda: steps.append("main") or 3)
    monkeypatch.setattr(heap.gc, "freeze", lambda: steps.append("freeze"))
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 3
    assert steps == ["main", "freeze"]


def test_python_m_bot_cli_is_the_command() -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", "no-such.yaml", "check", "--config-only"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert ran.returncode == 1
    assert "no-such.yaml" in ran.stderr and "Traceback" not in ran.stderr
