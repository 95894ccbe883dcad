"""`retrobot export` and `retrobot import`: a team's data round-trips exactly, on every database."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, update
from sqlmodel import SQLModel

import bot.data.export
import bot.data.import_source
import bot.data.importer
from bot.core.errors import ImportFileError, NotFoundError
from bot.data.export import (
    NOT_TEAM_DATA,
    column_kind,
    csv_cell,
    export_team,
    export_team_to_file,
    team_rows,
    team_scopes,
)
from bot.data.import_source import from_csv_cell
from bot.data.importer import import_export
from storage.db import make_engine, migrate, session_factory
from storage.models import Tension, TensionStatus
from tests.bot.team_data import START, TRICKY_TEXTS, canonical, fill_team, team_data

NOW = START.replace(year=2027)


def migrated(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite database holding teams south and north, with rows in every team table."""
    engine = migrated(f"sqlite:///{tmp_path / 'source.db'}")
    with engine.begin() as connection:
        fill_team(connection, "south")
        fill_team(connection, "north")
    yield engine
    engine.dispose()


@pytest.fixture
def target(database_url: str) -> Iterator[Engine]:
    """An empty, migrated database: SQLite, or PostgreSQL when TEST_DATABASE_URL is set."""
    engine = migrated(database_url)
    yield engine
    engine.dispose()


def export_file(engine: Engine, directory: Path, export_format: str, team: str = "north") -> Path:
    path = directory / f"{team}.{'json' if export_format == 'json' else 'zip'}"
    with session_factory(engine)() as session:
        export_team_to_file(session, team_id=team, export_format=export_format, path=path, now=NOW)  # type: ignore[arg-type]
    return path


def load(engine: Engine, path: Path) -> bot.data.importer.ImportReport:
    with session_factory(engine)() as session:
        return import_export(session, path=path)


def data(engine: Engine, team: str = "north") -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return team_data(connection, team)


def shape(engine: Engine, team: str) -> dict[str, list[str]]:
    with engine.connect() as connection:
        return canonical(connection, team)


def row_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return sum(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        )


# --- what is exported -------------------------------------------------------------------------


def test_every_table_is_team_data_or_declared_not_to_be() -> None:
    exported = {scope.name for scope in team_scopes()}
    assert exported | NOT_TEAM_DATA == set(SQLModel.metadata.tables)
    assert exported & NOT_TEAM_DATA == set()
    for scope in team_scopes():
        assert len(scope.table.primary_key.columns) == 1, scope.name
        for column in scope.table.columns:
            column_kind(column)  # raises for a column no export format can carry


def test_child_tables_belong_to_a_team_through_their_parent() -> None:
    scopes = {scope.name: scope for scope in team_scopes()}
    assert scopes["checkin_prompt"].column.name == "round_id"  # type: ignore[union-attr]
    assert scopes["feedback_request_recipient"].column.name == "request_id"  # type: ignore[union-attr]
    assert scopes["tension"].by_team_id


def test_json_export_is_one_document_of_the_team_alone(source: Engine, tmp_path: Path) -> None:
    document = json.loads(export_file(source, tmp_path, "json").read_text(encoding="utf-8"))

    assert list(document) == ["format_version", "exported_at", "team", "tables"]
    assert document["format_version"] == 1
    assert document["team"] == "north"
    assert document["exported_at"] == "2027-06-01T09:30:15.123456+00:00"
    assert list(document["tables"]) == [scope.name for scope in team_scopes()]
    assert document["tables"]["team"][0]["id"] == "north"
    [tension] = [t for t in document["tables"]["tension"] if t["id"] is not None][:1]
    assert tension["created_at"].endswith("+00:00")
    teams = {
        row.get("team_id", "north")
        for rows in document["tables"].values()
        for row in rows
        if "team_id" in row
    }
    assert teams == {"north"}
    assert document["tables"] == {
        name: [{k: bot.data.export.json_value(v) for k, v in row.items()} for row in rows]
        for name, rows in data(source).items()
    }


def test_csv_export_is_a_zip_of_one_csv_per_table_and_a_manifest(
    source: Engine, tmp_path: Path
) -> None:
    path = export_file(source, tmp_path, "csv")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        tension_csv = archive.read("tension.csv").decode("utf-8-sig")
    expected = data(source)

    assert sorted(names) == sorted([f"{name}.csv" for name in expected] + ["manifest.json"])
    assert manifest["team"] == "north" and manifest["format_version"] == 1
    assert {name: table["rows"] for name, table in manifest["tables"].items()} == {
        name: len(rows) for name, rows in expected.items()
    }
    rows = list(csv.DictReader(io.StringIO(tension_csv, newline="")))
    assert len(rows) == len(expected["tension"])
    cells = [cell for row in rows for cell in row.values()]
    assert "\\N" in cells  # an empty value
    assert "" in cells  # empty text, told apart from an empty value
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    assert '\'=HYPERLINK("https://evil.example","click")' in cells


def test_an_unknown_team_is_named_with_the_known_ones(source: Engine) -> None:
    with session_factory(source)() as session, pytest.raises(NotFoundError) as raised:
        export_team(session, team_id="west", export_format="json", out=io.BytesIO(), now=NOW)
    assert str(raised.value) == "No team 'west' in the database (teams: north, south)."


def test_rows_are_read_a_batch_at_a_time_in_id_order(source: Engine) -> None:
    scope = next(s for s in team_scopes() if s.name == "member")
    with source.connect() as connection:
        statements: list[str] = []
        from sqlalchemy import event

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(source, "before_cursor_execute", count)
        try:
            rows = list(team_rows(connection, scope, "north", batch_size=2))
        finally:
            event.remove(source, "before_cursor_execute", count)
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    assert len(rows) == 3
    assert len(statements) == 2  # two rows, then the last one


@pytest.mark.parametrize("export_format", ["json", "csv"])
def test_rows_written_during_an_export_are_all_in_or_all_out(
    target: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, export_format: str
) -> None:
    with target.begin() as connection:
        fill_team(connection, "north")
    before = data(target)
    tables = SQLModel.metadata.tables
    real_team_rows = bot.data.export.team_rows

    def rows_then_a_new_round(connection: Any, scope: Any, team_id: str) -> Iterator[dict]:
        yield from real_team_rows(connection, scope, team_id)
        if scope.name == "checkin_round":  # its prompts are read later, in another statement
            with target.begin() as writer:
                [round_id] = writer.execute(
                    tables["checkin_round"]
                    .insert()
                    .values({**before["checkin_round"][1], "id": 999, "meeting_date": NOW.date()})
                    .returning(tables["checkin_round"].c.id)
                ).scalars()
                writer.execute(
                    tables["checkin_prompt"]
                    .insert()
                    .values({**before["checkin_prompt"][1], "id": 999, "round_id": round_id})
                )

    monkeypatch.setattr(bot.data.export, "team_rows", rows_then_a_new_round)
    path = export_file(target, tmp_path, export_format)
    monkeypatch.undo()

    fresh = migrated(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        load(fresh, path)  # would fail if the file held a prompt without its round
        assert data(fresh) == before
    finally:
        fresh.dispose()


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", ["json", "csv"])
def test_export_then_import_into_a_fresh_database_round_trips_every_row(
    source: Engine, target: Engine, tmp_path: Path, export_format: str
) -> None:
    path = export_file(source, tmp_path, export_format)

    report = load(target, path)

    expected = data(source)
    assert data(target) == expected
    assert data(target, "south") == {name: [] for name in expected}
    assert report.team_id == "north" and report.format == export_format
    assert dict(report.added) == {name: len(rows) for name, rows in expected.items() if rows}
    assert sum(report.updated.values()) == sum(report.unchanged.values()) == 0


@pytest.mark.parametrize("export_format", ["json", "csv"])
def test_importing_twice_changes_nothing_the_second_time(
    source: Engine, target: Engine, tmp_path: Path, export_format: str
) -> None:
    path = export_file(source, tmp_path, export_format)
    first = load(target, path)
    rows = row_count(target)

    second = load(target, path)

    assert row_count(target) == rows
    assert sum(second.added.values()) == sum(second.updated.values()) == 0
    assert second.unchanged == first.added
    assert data(target) == data(source)


def test_importing_restores_rows_changed_or_lost_since(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    path = export_file(source, tmp_path, "json")
    load(target, path)
    [first_tension, *_] = data(target)["tension"]
    with target.begin() as connection:
        connection.execute(
            update(Tension.__table__)  # type: ignore[arg-type]
            .where(Tension.__table__.c.id == first_tension["id"])  # type: ignore[attr-defined]
            .values(text="edited since", status=TensionStatus.WITHDRAWN)
        )
        connection.execute(SQLModel.metadata.tables["feedback_request_recipient"].delete())

    report = load(target, path)

    assert report.updated == {"tension": 1}
    assert report.added == {
        "feedback_request_recipient": len(data(source)["feedback_request_recipient"])
    }
    assert data(target) == data(source)


def test_importing_beside_other_teams_moves_only_the_ids_that_are_taken(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    with target.begin() as connection:
        fill_team(connection, "east", rows=5)  # takes ids 1-5 (or so) of every table
    east_before = shape(target, "east")
    path = export_file(source, tmp_path, "csv")

    load(target, path)
    again = load(target, path)

    assert shape(target, "north") == shape(source, "north")
    assert shape(target, "east") == east_before
    assert sum(again.added.values()) == sum(again.updated.values()) == 0


def test_a_row_already_there_under_another_id_is_found_by_its_natural_key(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    exported = data(source)
    first_round = exported["checkin_round"][0]
    tables = SQLModel.metadata.tables
    with target.begin() as connection:
        connection.execute(tables["team"].insert().values(exported["team"][0]))
        # The same meeting (team and date) recorded here first, under another id.
        connection.execute(
            tables["checkin_round"]
            .insert()
            .values({**first_round, "id": first_round["id"] + 100, "status": "missed"})
        )

    report = load(target, export_file(source, tmp_path, "json"))

    assert report.unchanged["team"] == 1
    assert report.updated["checkin_round"] == 1
    assert shape(target, "north") == shape(source, "north")
    prompts = [p for p in exported["checkin_prompt"] if p["round_id"] == first_round["id"]]
    assert prompts, "the test data should hang prompts from the first round"
    moved = [p for p in data(target)["checkin_prompt"] if p["round_id"] == first_round["id"] + 100]
    assert [p["user_id"] for p in moved] == [p["user_id"] for p in prompts]


def test_rows_added_after_an_import_get_new_ids(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    load(target, export_file(source, tmp_path, "json"))
    highest = max(row["id"] for row in data(target)["tension"])

    with session_factory(target)() as session:
        tension = Tension(team_id="north", raised_by="U0ANA", text="After the move", created_at=NOW)
        session.add(tension)
        session.commit()
        assert tension.id is not None and tension.id > highest


def test_a_small_read_buffer_and_small_batches_change_nothing(
    source: Engine, target: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.data.export, "BATCH_SIZE", 2)
    monkeypatch.setattr(bot.data.importer, "BATCH_SIZE", 2)
    monkeypatch.setattr(bot.data.import_source, "_READ_CHARS", 7)
    path = export_file(source, tmp_path, "json")
    load(target, path)
    assert data(target) == data(source)


# --- cells ------------------------------------------------------------------------------------


@given(st.one_of(st.none(), st.text(), st.sampled_from(TRICKY_TEXTS)))
def test_any_text_survives_a_csv_cell(value: str | None) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow([csv_cell(value, "str"), "end"])
    [[cell, end]] = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert end == "end"
    assert from_csv_cell(cell, "str") == value


@pytest.mark.parametrize(
    ("value", "kind", "cell"),
    [
        (None, "int", "\\N"),
        (True, "bool", "true"),
        (0.1, "float", "0.1"),
        ({"a": [1, None]}, "json", '{"a":[1,null]}'),
        (START, "datetime", "2026-06-01T09:30:15.123456+00:00"),
        (START.date(), "date", "2026-06-01"),
        ("=1+1", "str", "'=1+1"),
        ("\\N", "str", "\\\\N"),
    ],
)
def test_cells_of_each_kind(value: Any, kind: Any, cell: str) -> None:
    assert csv_cell(value, kind) == cell
    assert from_csv_cell(cell, kind) == value


# --- files that are not exports ---------------------------------------------------------------


def _json_export(**tables: list[dict[str, Any]]) -> str:
    return json.dumps({"format_version": 1, "team": "north", "tables": tables})


TEAM_ROW = {
    "id": "north",
    "name": "North",
    "channel": "C0N",
    "timezone": "Europe/London",
    "active": True,
    "updated_at": "2026-06-01T09:00:00+00:00",
}
TENSION_ROW = {
    "id": 1,
    "team_id": "north",
    "raised_by": "U0ANA",
    "text": "ok",
    "created_at": "2026-06-01T09:00:00+00:00",
    "updated_at": "2026-06-01T09:00:00+00:00",
}


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def without(row: dict[str, Any], column: str) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != column}


MANIFEST = json.dumps({"format_version": 1, "team": "north"})
TEAM_CSV = (
    "id,name,channel,timezone,active,updated_at\n"
    "north,North,C0N,Europe/London,true,2026-06-01T09:00:00+00:00\n"
)
DEEP = "[" * 100_000 + "]" * 100_000  # far past Python's recursion limit
BAD_FILES: dict[str, tuple[str | bytes, str]] = {
    "empty": ("", "is not a retrobot export: expected '{', found the end of the file"),
    "text": ("hello", "is not a retrobot export: expected '{', found 'h'"),
    "binary": (b"\x89PNG\r\n\x1a\n\xff\xfe\x00", "is not UTF-8 text"),
    "truncated": (_json_export(team=[TEAM_ROW])[:60], "is not valid JSON"),
    "not an export": ('{"name": "x"}', "is not a retrobot export (it has no format_version"),
    "newer": (
        json.dumps({"format_version": 99, "team": "north", "tables": {}}),
        "was written by a newer retrobot (export format 99)",
    ),
    "no tables": ('{"format_version": 1, "team": "north"}', "it has no tables"),
    "lone surrogate": (
        _json_export(team=[TEAM_ROW | {"name": "\ud83d"}]),
        "table team, row 1, name: holds half a character",
    ),
    "unknown table": (_json_export(gizmo=[]), "this retrobot has no table 'gizmo'"),
    "bookkeeping": (_json_export(processed_event=[]), "table processed_event is not team data"),
    "unknown column": (
        _json_export(team=[TEAM_ROW | {"colour": "red"}]),
        "table team has no column 'colour'",
    ),
    "bad time": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"created_at": "yesterday"}]),
        "table tension, row 1, created_at: 'yesterday' is not an ISO 8601 date and time.",
    ),
    "naive time": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"created_at": "2026-06-01T09:00"}]),
        "has no UTC offset",
    ),
    "wrong type": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"id": "one"}]),
        "table tension, row 1, id: expected a whole number",
    ),
    "empty required": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"raised_by": None}]),
        "table tension, row 1, raised_by: cannot be empty.",
    ),
    "bad status": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"status": "lost"}]),
        "'lost' is not one of open, triaged",
    ),
    "other team": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"team_id": "south"}]),
        "table tension, row 1: belongs to team 'south', not 'north'.",
    ),
    "orphan child": (
        _json_export(team=[TEAM_ROW], checkin_prompt=[{"id": 1, "round_id": 7, "user_id": "U1"}]),
        "table checkin_prompt, row 1: round_id 7 is not a checkin_round of this export.",
    ),
    "dangling reference": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"triaged_round_id": 999}]),
        "does not fit this database",
    ),
    "nested too deep in the header": (
        '{"format_version": 1, "team": "north", "note": ' + DEEP + ', "tables": {}}',
        "export.json: its 'note': nested more than 32 deep, as no export is.",
    ),
    "nested too deep in a row": (
        '{"format_version": 1, "team": "north", "tables": {"team": [' + DEEP + "]}}",
        "export.json: table team, row 1: nested more than 32 deep, as no export is.",
    ),
    "nested deeper than any export": (
        _json_export(team=[TEAM_ROW | {"name": json.loads("[" * 40 + "]" * 40)}]),
        "export.json: table team, row 1: nested more than 32 deep, as no export is.",
    ),
    "an id too big to store": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"id": 2**63}]),
        "table tension, row 1, id: 9223372036854775808 is too big a number to store.",
    ),
    "a number of 5000 digits": (
        _json_export(team=[TEAM_ROW]).replace('"active": true', '"active": ' + "9" * 5000),
        "export.json: table team, row 1: a number too long to be a value.",
    ),
    "csv: a number of 5000 digits": (
        _zip({"manifest.json": MANIFEST, "team.csv": TEAM_CSV, "tension.csv": "id\n" + "9" * 5000}),
        "tension.csv row 1, id: 9999999999999999999999999999999999999999 is too big a number",
    ),
    "a negative id": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"id": -3}]),
        "table tension, row 1, id: -3 is negative; no id is.",
    ),
    "a negative reference": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW | {"triaged_round_id": -1}]),
        "table tension, row 1, triaged_round_id: -1 is negative; no id is.",
    ),
    "the same id twice": (
        _json_export(team=[TEAM_ROW], tension=[TENSION_ROW, TENSION_ROW | {"text": "again"}]),
        "table tension, row 2, id: 1 is row 1's id too.",
    ),
    "a required column missing": (
        _json_export(team=[TEAM_ROW], tension=[without(TENSION_ROW, "raised_by")]),
        "table tension, row 1, raised_by: missing; every row has one.",
    ),
    "no id": (
        _json_export(
            team=[TEAM_ROW], tension=[{k: v for k, v in TENSION_ROW.items() if k != "id"}]
        ),
        "table tension, row 1, id: missing; every row has one.",
    ),
    "an unknown team and no rows": (
        json.dumps({"format_version": 1, "team": "west", "tables": {}}),
        "export.json: table team has no row for team 'west', and this database has no such "
        "team either.",
    ),
    "an unknown team and no row of it": (
        _json_export(tension=[TENSION_ROW]),
        "export.json: table team has no row for team 'north', and this database has no such "
        "team either.",
    ),
    "csv: an id too big to store": (
        _zip({"manifest.json": MANIFEST, "team.csv": TEAM_CSV, "tension.csv": "id\n" + "9" * 30}),
        "tension.csv row 1, id: 999999999999999999999999999999 is too big a number to store.",
    ),
    "csv: nested too deep": (
        _zip(
            {
                "manifest.json": MANIFEST,
                "team.csv": TEAM_CSV,
                "checkin_response.csv": f'id,round_id,metric_values\n1,1,"{DEEP}"\n',
            }
        ),
        "checkin_response.csv row 1, metric_values: nested more than 32 deep, as no export is.",
    ),
    "csv: a required column missing": (
        _zip(
            {
                "manifest.json": MANIFEST,
                "team.csv": TEAM_CSV,
                "tension.csv": "id,team_id\n1,north\n",
            }
        ),
        "table tension, row 1, raised_by: missing; every row has one.",
    ),
    "zip without manifest": (_zip({"team.csv": "id\n"}), "is a zip without manifest.json"),
    "damaged zip": (b"PK\x03\x04" + b"\x00" * 40, "is a damaged zip file"),
    "short csv row": (
        _zip({"manifest.json": MANIFEST, "team.csv": "id,name\nnorth\n"}),
        "team.csv row 1 has 1 cells, not 2.",
    ),
    "bad csv number": (
        _zip(
            {
                "manifest.json": MANIFEST,
                "team.csv": "id,name,channel,timezone,active,updated_at\n"
                "north,N,C0N,Europe/London,true,2026-06-01T09:00:00+00:00\n",
                "tension.csv": "id,team_id\nseven,north\n",
            }
        ),
        "tension.csv row 1, id: invalid literal for int()",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_file_that_is_not_a_good_export_is_refused_in_one_line_and_nothing_changes(
    target: Engine, tmp_path: Path, case: str
) -> None:
    content, message = BAD_FILES[case]
    path = tmp_path / "export.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = row_count(target)

    with pytest.raises(ImportFileError) as raised:
        load(target, path)

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert row_count(target) == before


def test_a_damaged_file_inside_the_zip_is_one_line(target: Engine, tmp_path: Path) -> None:
    team_csv = (
        "id,name,channel,timezone,active,updated_at\n"
        "north,North,C0N,Europe/London,true,2026-06-01T09:00:00+00:00\n"
    )
    archive = _zip({"manifest.json": MANIFEST, "team.csv": team_csv})
    at = archive.index(b"Europe/London")
    path = tmp_path / "damaged.zip"
    path.write_bytes(archive[:at] + b"X" + archive[at + 1 :])  # the stored CRC no longer fits

    with pytest.raises(ImportFileError, match=r"damaged.zip: team.csv cannot be read: .*CRC"):
        load(target, path)
    assert row_count(target) == 0


def test_a_missing_file_or_a_folder_is_named(target: Engine, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="There is no file"):
        load(target, tmp_path / "nowhere.json")
    with pytest.raises(ImportFileError, match="is a folder"):
        load(target, tmp_path)


def test_a_refusal_counts_rows_across_batches(
    target: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.data.importer, "BATCH_SIZE", 2)
    tensions = [TENSION_ROW | {"id": n} for n in (1, 2, 3, 4)] + [TENSION_ROW | {"id": 2}]
    path = tmp_path / "export.json"
    path.write_text(_json_export(team=[TEAM_ROW], tension=tensions), encoding="utf-8")

    with pytest.raises(ImportFileError, match=r"table tension, row 5, id: 2 is row 2's id too\."):
        load(target, path)
    assert row_count(target) == 0


def test_a_file_without_rows_for_a_team_already_here_changes_nothing(
    source: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"format_version": 1, "team": "north", "tables": {}}))
    before = data(source)

    report = load(source, path)

    assert (report.team_id, report.total) == ("north", 0)
    assert data(source) == before


def test_a_good_start_then_a_bad_row_imports_nothing(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    document = json.loads(export_file(source, tmp_path, "json").read_text(encoding="utf-8"))
    document["tables"]["feedback_request_recipient"][-1]["user_id"] = 12
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(ImportFileError, match="feedback_request_recipient, row"):
        load(target, path)

    assert row_count(target) == 0
