"""`retrobot export --member` and `retrobot forget --member` on the command line: files, exit
codes, the confirmation, and bad input in one plain line."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import make_engine, migrate, session_factory
from tests.bot.member_data.seed import WITHOUT_SHAY_YAML, seed
from tests.conftest import SHARED, TEST_APP_YAML


@pytest.fixture
def organisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DATABASE_URL names the seeded organisation; app.yaml no longer lists Shay."""
    url = f"sqlite:///{tmp_path / 'retrobot.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        seed(session)
    engine.dispose()
    (tmp_path / "app.yaml").write_text(WITHOUT_SHAY_YAML)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("RETROBOT_CONFIG", str(tmp_path / "app.yaml"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Terminal(io.StringIO):
    """Standard input at a terminal, where someone types ``answer``."""

    def isatty(self) -> bool:
        return True


def shay_export(folder: Path) -> dict:
    assert main(["export", "--member", SHARED, "--out", str(folder / "shay.json")]) == 0
    return json.loads((folder / "shay.json").read_text())


@pytest.mark.parametrize("export_format", ["json", "csv"])
def test_export_a_member_to_a_file(
    organisation: Path, capsys: pytest.CaptureFixture[str], export_format: str
) -> None:
    assert main(["export", "--member", SHARED, "--format", export_format]) == 0

    [written] = list(organisation.glob("retrobot-member-U0SHARED-*"))
    assert written.suffix == (".json" if export_format == "json" else ".zip")
    said = capsys.readouterr().out
    assert said.startswith("Exported what retrobot holds about U0SHARED: ")
    assert f"in 16 parts ({export_format}) to {written.name}." in said
    if export_format == "csv":
        assert "README.txt" in zipfile.ZipFile(written).namelist()
    else:
        assert json.loads(written.read_text())["member"] == SHARED


def test_export_a_member_to_standard_output(
    organisation: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["export", "--member", "u0shared", "--out", "-"]) == 0
    captured = capsysbinary.readouterr()
    assert json.loads(captured.out)["member"] == SHARED
    assert b"to standard output" in captured.err


@pytest.mark.parametrize(
    ("member", "said"),
    [
        ("U0NOBODY", "retrobot: retrobot holds nothing about U0NOBODY: no team has them in its"),
        ("B0123BOT", "retrobot: B0123BOT is a bot, not a person"),
        ("USLACKBOT", "retrobot: USLACKBOT is a bot, not a person"),
        ("shay@example.org", "retrobot: 'shay@example.org' is not a Slack member id"),
    ],
)
@pytest.mark.parametrize("command", ["export", "forget"])
def test_bad_input_is_one_plain_line(
    organisation: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    member: str,
    said: str,
) -> None:
    confirmed = ["--yes"] if command == "forget" else []
    assert main([command, "--member", member, *confirmed]) == 1

    captured = capsys.readouterr()
    if command == "forget" and member == "U0NOBODY":
        said = "retrobot: Nothing to forget: retrobot holds nothing about U0NOBODY."
    assert captured.err.startswith(said)
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert not list(organisation.glob("retrobot-member-*"))


def test_team_or_member_not_both(organisation: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--team", "north", "--member", SHARED])
    assert "not allowed with argument" in capsys.readouterr().err


def test_forget_needs_yes_without_a_terminal(
    organisation: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))  # piped: not a terminal

    assert main(["forget", "--member", SHARED]) == 1

    captured = capsys.readouterr()
    assert captured.out.startswith("retrobot forget U0SHARED will, in one transaction:\n")
    assert captured.err == (
        "retrobot: nothing was changed: there is no terminal to confirm at, so run "
        "retrobot forget again with --yes to confirm.\n"
    )
    assert shay_export(organisation)["member"] == SHARED


def test_forget_with_yes(
    organisation: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["forget", "--member", SHARED, "--yes"]) == 0

    out = capsys.readouterr().out
    assert "  - delete 3 places in a team\n" in out  # north, south and the links circle
    assert out.splitlines()[-1].startswith("Forgot U0SHARED: ")
    assert "recorded as " in out and "Backups still hold them until they age out" in out
    assert main(["export", "--member", SHARED, "--out", "-"]) == 1
    assert "they were forgotten on" in capsys.readouterr().err


@pytest.mark.parametrize(("answer", "code"), [("yes\n", 0), ("no\n", 1), ("\n", 1)])
def test_forget_asks_at_a_terminal(
    organisation: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal(answer))

    assert main(["forget", "--member", SHARED]) == code

    out = capsys.readouterr().out
    assert "Forget U0SHARED? This cannot be undone. Type yes to go on:" in out
    assert ("Forgot U0SHARED" in out) == (code == 0)
    assert ("Nothing was changed." in out) == (code == 1)


def test_forget_refuses_a_current_member(
    organisation: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (organisation / "app.yaml").write_text(TEST_APP_YAML)

    assert main(["forget", "--member", SHARED, "--yes"]) == 1

    captured = capsys.readouterr()
    assert captured.err == (
        "retrobot: U0SHARED is still a member of north and a member of south: remove them from "
        "app.yaml (or the user group) first, then run retrobot forget again.\n"
    )
    assert captured.out == ""
    assert shay_export(organisation)["member"] == SHARED
