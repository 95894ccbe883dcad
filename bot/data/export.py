"""A team's data, out of the database: `retrobot export --team ID --format json|csv`.

The team owns its data (DESIGN.md, Privacy), so an export holds every row of the team from every
table that has any: which tables and rows those are is read from the tables' metadata, not
listed by hand, so a column or table added later is exported without a change here. A table
belongs to a team when it is the ``team`` table, has a foreign key to ``team.id``, or has a
foreign key to a table that belongs to a team (a check-in prompt through its round).

Two formats, both written as the rows are read, a few hundred at a time, so years of history
never sit in memory at once:

- **JSON**: one document ``{"format_version", "exported_at", "team", "tables": {name: [rows]}}``,
  one row per line, datetimes in ISO 8601 with their UTC offset, dates as ``YYYY-MM-DD``.
- **CSV**: a zip holding ``manifest.json`` (format version, export time, team, each table's
  columns and row count) and one ``<table>.csv`` per table, UTF-8 with a byte-order mark so
  spreadsheets show every accent and emoji. A cell holds a value as text; see :func:`csv_cell`
  for the two escapes that make it read back exactly (``\\N`` for an empty value, and a leading
  ``'`` that keeps a spreadsheet from running typed text as a formula).

:mod:`bot.data.importer` reads both back.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    select,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from bot.core.errors import ExportFileError, NotFoundError
from storage.models import Team  # also registers every table on SQLModel.metadata

FORMAT_VERSION = 1
BATCH_SIZE = 500
TEAM_TABLE = "team"
# Tables that hold no team's data: the app's own bookkeeping, never exported.
NOT_TEAM_DATA = frozenset({"processed_event", "scheduler_lock", "member_erasure"})
MANIFEST = "manifest.json"
CSV_ENCODING = "utf-8-sig"  # the BOM tells spreadsheets the file is UTF-8

Format = Literal["json", "csv"]
Written = TypeVar("Written")
Kind = Literal["str", "int", "float", "bool", "date", "datetime", "json"]

NULL_CELL = "\\N"  # PostgreSQL's and MySQL's text-format spelling of an empty (NULL) value
_BACKSLASHES_N = re.compile(r"\\+N")
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class Scope:
    """How a table's rows belong to a team.

    ``column`` is None for the team table itself (its primary key is the team id); otherwise it
    holds the team id (``parent`` is the team table's scope) or refers to ``parent``'s rows.
    """

    table: Table
    column: Column[Any] | None = None
    parent: Scope | None = None

    @property
    def name(self) -> str:
        """The table's name."""
        return self.table.name

    @property
    def key(self) -> Column[Any]:
        """The table's primary key column (every team table has a single-column one)."""
        [column] = self.table.primary_key.columns
        return column

    @property
    def by_team_id(self) -> bool:
        """True when ``column`` holds the team id itself."""
        return self.parent is not None and self.parent.column is None

    def condition(self, team_id: str) -> ColumnElement[bool]:
        """SQL that is true for exactly the team's rows of this table."""
        if self.column is None:
            return self.key == team_id
        if self.parent is None or self.by_team_id:
            return self.column == team_id
        return self.column.in_(select(self.parent.key).where(self.parent.condition(team_id)))


def team_scopes(metadata: MetaData | None = None) -> list[Scope]:
    """The scope of every table holding team data, parents before children."""
    metadata = metadata or SQLModel.metadata
    scopes: dict[str, Scope] = {}
    for table in metadata.sorted_tables:
        if table.name in NOT_TEAM_DATA:
            continue
        if table.name == TEAM_TABLE:
            scopes[table.name] = Scope(table)
            continue
        links = [
            (column, scopes[fk.column.table.name])
            for column in table.columns
            for fk in column.foreign_keys
            if fk.column.table.name in scopes and fk.column.table is not table
        ]
        to_team = [(c, p) for c, p in links if p.column is None]
        # Through the team id when there is one, else through a parent that must be there.
        chosen = to_team or sorted(links, key=lambda link: bool(link[0].nullable))
        if chosen:
            column, parent = chosen[0]
            scopes[table.name] = Scope(table, column, parent)
    return list(scopes.values())


def column_kind(column: Column[Any]) -> Kind:
    """What kind of value a column holds, as far as writing and reading an export goes."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, Float | Numeric):
        return "float"
    if isinstance(kind, String):
        return "str"
    raise TypeError(f"{column.table.name}.{column.name}: no export format for {kind!r}")


# --- values -----------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A column value as JSON: datetimes and dates in ISO 8601, enums as their value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def csv_cell(value: Any, kind: Kind) -> str:
    """A column value as one CSV cell that :func:`bot.data.importer.from_csv_cell` reads back
    exactly.

    An empty value (NULL) is written ``\\N``; text that is itself ``\\N`` (or backslashes then N)
    gets one more backslash. Text starting with ``= + - @``, a tab, a carriage return or ``'``
    gets a leading ``'``, so a spreadsheet shows it instead of running it as a formula.
    """
    if value is None:
        return NULL_CELL
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if kind == "bool":
        return "true" if value else "false"
    if kind == "float":
        return repr(float(value))
    if kind in ("int", "date", "datetime"):
        return str(json_value(value))
    text = str(value.value if isinstance(value, Enum) else value)
    if _BACKSLASHES_N.fullmatch(text):
        text = "\\" + text
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


# --- reading the team's rows ------------------------------------------------------------------


def team_rows(
    connection: Connection, scope: Scope, team_id: str, *, batch_size: int = BATCH_SIZE
) -> Iterator[dict[str, Any]]:
    """The team's rows of one table in primary-key order, read ``batch_size`` at a time."""
    key = scope.key
    last: Any = None
    while True:
        statement = select(scope.table).where(scope.condition(team_id))
        if last is not None:
            statement = statement.where(key > last)
        batch = connection.execute(statement.order_by(key).limit(batch_size)).mappings().all()
        for row in batch:
            yield dict(row)
        if len(batch) < batch_size:
            return
        last = batch[-1][key.name]


# --- writing an export ------------------------------------------------------------------------


@dataclass
class ExportReport:
    """What an export wrote: the team, the format, the file, and each table's row count."""

    team_id: str
    format: Format
    path: Path | None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """All rows written, over every table."""
        return sum(self.rows.values())


def default_export_name(team_id: str, export_format: Format, now: datetime) -> str:
    """``retrobot-north-20260601.json`` (or ``.zip`` for CSV)."""
    suffix = "json" if export_format == "json" else "zip"
    return f"retrobot-{team_id}-{now:%Y%m%d}.{suffix}"


def export_team(
    session: Session,
    *,
    team_id: str,
    export_format: Format,
    out: BinaryIO,
    now: datetime,
) -> ExportReport:
    """Write all of one team's data to ``out``, as JSON or as a zip of CSV files.

    Every table is read in one transaction that sees the database as it was when the export
    began, so rows written meanwhile (a check-in answered during the export) are either all in
    the file or all left out, never a prompt without its round.
    """
    connection = snapshot(session)
    if connection.execute(select(Team.id).where(Team.id == team_id)).first() is None:
        known = connection.execute(select(Team.id).order_by(Team.id)).scalars().all()
        listed = ", ".join(known) if known else "none yet"
        raise NotFoundError(f"No team {team_id!r} in the database (teams: {listed}).")
    report = ExportReport(team_id=team_id, format=export_format, path=None)
    if export_format == "json":
        _write_json(connection, team_id, out, now, report)
    else:
        _write_csv_zip(connection, team_id, out, now, report)
    session.rollback()  # read only: end the transaction, release SQLite's read snapshot
    return report


def snapshot(session: Session) -> Connection:
    """A connection in a new read-only transaction that keeps one view of the database."""
    session.rollback()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    elif connection.dialect.name == "sqlite":
        # pysqlite runs a SELECT outside any transaction; one opened here holds WAL's snapshot.
        connection.exec_driver_sql("BEGIN")
    return connection


def export_team_to_file(
    session: Session, *, team_id: str, export_format: Format, path: Path, now: datetime
) -> ExportReport:
    """Export to ``path``, written next to it first so a failed export leaves no half file.

    Its folder must be there already: a mistyped folder is said, not made.
    """
    report = write_whole_file(
        path,
        lambda out: export_team(
            session, team_id=team_id, export_format=export_format, out=out, now=now
        ),
    )
    report.path = path
    return report


def write_whole_file(path: Path, write: Callable[[BinaryIO], Written]) -> Written:
    """Call ``write`` with a file next to ``path``, then put it in place: all of it, or nothing.

    Its folder must be there already: a mistyped folder is said, not made.
    """
    _check_writable(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise ExportFileError(f"{path} cannot be written: {error.strerror}.") from None
    try:
        with os.fdopen(handle, "wb") as out:
            written = write(out)
        os.replace(temporary, path)
    except IsADirectoryError:  # a folder made there meanwhile
        Path(temporary).unlink(missing_ok=True)
        raise ExportFileError(f"{path} is a folder; name the file to write.") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written


def _check_writable(path: Path) -> None:
    """Refuse, in one line, a path that is a folder or whose folder is not there."""
    if path.is_dir():
        raise ExportFileError(f"{path} is a folder; name the file to write.")
    folder = path.parent
    if not folder.exists():
        raise ExportFileError(f"There is no folder {folder} to write {path.name} in.")
    if not folder.is_dir():
        raise ExportFileError(f"{folder} is a file, not a folder to write {path.name} in.")


def _header(team_id: str, now: datetime) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "exported_at": now.isoformat(), "team": team_id}


def _write_json(
    connection: Connection, team_id: str, out: BinaryIO, now: datetime, report: ExportReport
) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=False)
    header = json.dumps(_header(team_id, now), ensure_ascii=False)
    text.write(header[:-1] + ', "tables": {')
    for number, scope in enumerate(team_scopes()):
        text.write(("," if number else "") + f"\n{json.dumps(scope.name)}: [")
        count = 0
        for row in team_rows(connection, scope, team_id):
            values = {name: json_value(value) for name, value in row.items()}
            text.write(("," if count else "") + "\n" + json.dumps(values, ensure_ascii=False))
            count += 1
        text.write("\n]" if count else "]")
        report.rows[scope.name] = count
    text.write("\n}}\n")
    text.flush()
    text.detach()  # leave ``out`` open for the caller


def _write_csv_zip(
    connection: Connection, team_id: str, out: BinaryIO, now: datetime, report: ExportReport
) -> None:
    manifest: dict[str, Any] = {**_header(team_id, now), "tables": {}}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for scope in team_scopes():
            columns = list(scope.table.columns)
            kinds = [column_kind(column) for column in columns]
            count = 0
            entry = zipfile.ZipInfo(f"{scope.name}.csv", date_time=now.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            with (
                archive.open(entry, "w", force_zip64=True) as member,
                io.TextIOWrapper(member, encoding=CSV_ENCODING, newline="") as text,
            ):
                writer = csv.writer(text)
                writer.writerow([column.name for column in columns])
                for row in team_rows(connection, scope, team_id):
                    writer.writerow(
                        [
                            csv_cell(row[column.name], kind)
                            for column, kind in zip(columns, kinds, strict=True)
                        ]
                    )
                    count += 1
            report.rows[scope.name] = count
            manifest["tables"][scope.name] = {
                "columns": [column.name for column in columns],
                "rows": count,
            }
        entry = zipfile.ZipInfo(MANIFEST, date_time=now.timetuple()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(entry, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
