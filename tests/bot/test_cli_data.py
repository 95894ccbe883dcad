"""`retrobot export` and `retrobot import` on the command line: files, exit codes, plain words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import make_engine, migrate
from tests.bot.team_data import fill_team, team_data


@pytest.fixture
def source_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """DATABASE_URL names a SQLite database holding team north."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as connection:
        fill_team(connection, "north")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return url


def north(url: str) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return team_data(connection, "north")
    finally:
        engine.dispose()


@pytest.mark.parametrize("export_format", ["json", "csv"])
def test_export_then_import_on_the_command_line(
    source_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    export_format: str,
) -> None:
    assert main(["export", "--team", "north", "--format", export_format]) == 0
    [written] = list(tmp_path.glob("retrobot-north-*"))
    assert written.suffix == (".json" if export_format == "json" else ".zip")
    out = capsys.readouterr().out
    assert out.startswith("Exported team north: ") and f"({export_format}) to {written.name}" in out

    target = f"sqlite:///{tmp_path / 'target.db'}"
    monkeypatch.setenv("DATABASE_URL", target)
    assert main(["import", str(written)]) == 0
    first = capsys.readouterr().out
    assert main(["import", str(written)]) == 0
    second = capsys.readouterr().out

    assert north(target) == north(source_url)
    total = sum(len(rows) for rows in north(source_url).values())
    assert (
        first
        == f"Imported team north from {written}: {total} rows added, 0 updated, 0 already there.\n"
    )
    assert second.endswith(f": 0 rows added, 0 updated, {total} already there.\n")


def test_export_to_standard_output(
    source_url: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["export", "--team", "north", "--out", "-"]) == 0
    captured = capsysbinary.readouterr()
    assert json.loads(captured.out)["team"] == "north"
    assert b"to standard output" in captured.err


def test_an_export_that_fails_leaves_no_file(
    source_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--team", "west", "--out", "west.json"]) == 1
    assert capsys.readouterr().err == ("retrobot: No team 'west' in the database (teams: north).\n")
    assert list(tmp_path.glob("*west*")) == []  # nor the half-written .west.json.*


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{", "is not valid JSON"),
        ('{"format_version": 1, "team": "north", "tables": {"gizmo": []}}', "no table 'gizmo'"),
        (
            '{"format_version": 1, "team": "north", "note": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "its 'note': nested more than 32 deep",
        ),
        (
            '{"format_version": 1, "team": "north", "tables": {"tension": [{"id": '
            + str(2**63)
            + "}]}}",
            "table tension, row 1, id: 9223372036854775808 is too big a number to store.",
        ),
        ('{"format_version": 1, "team": "west", "tables": {}}', "no row for team 'west'"),
    ],
)
def test_a_bad_file_is_one_plain_line(
    source_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    says: str,
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    assert main(["import", str(path)]) == 1

    err = capsys.readouterr().err
    assert err.startswith("retrobot: bad.json") and says in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://retrobot:s3cret@127.0.0.1:1/none", "cannot use the database "),
        ("nonsense-url", "cannot use the database nonsense-url"),
    ],
)
def test_a_database_that_cannot_be_used_is_one_plain_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    says: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"retrobot: {says}")
    assert "s3cret" not in err and "Traceback" not in err and err.count("\n") == 1


def test_export_into_a_folder_or_a_missing_folder_is_one_plain_line(
    source_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exports").mkdir()
    assert main(["export", "--team", "north", "--out", "exports"]) == 1
    assert capsys.readouterr().err == "retrobot: exports is a folder; name the file to write.\n"
    assert list((tmp_path / "exports").iterdir()) == []

    assert main(["export", "--team", "north", "--out", "missing/north.json"]) == 1
    err = capsys.readouterr().err
    assert err == "retrobot: There is no folder missing to write north.json in.\n"
    assert not (tmp_path / "missing").exists()  # said, not made

    (tmp_path / "a-file").write_text("")
    assert main(["export", "--team", "north", "--out", "a-file/north.json"]) == 1
    assert capsys.readouterr().err == (
        "retrobot: a-file is a file, not a folder to write north.json in.\n"
    )
