"""Loading an export back: `retrobot import FILE`, to restore a team or to move to PostgreSQL.

The file (JSON, or the zip of CSV files, as :mod:`bot.data.export` writes them) is read as a stream
and loaded in one transaction: all of it, or nothing. Rows keep their ids. Importing the same
file twice changes nothing the second time, because each row is matched before it is written:

1. by a natural unique key (a member's team and user id, a round's team and date, ...): a row
   already there under another id is updated, and the rows that refer to it follow it;
2. else by its id, when the row there belongs to the same team (or round, or request);
3. else it is inserted with its own id, or, when that id is taken by another team's row, with a
   new one (again followed by the rows that refer to it), unless an identical copy is there.

On PostgreSQL each table's id sequence is moved past the ids inserted, so rows the app adds
later do not collide with them. A malformed file is refused with one line saying where and why.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Connection, UniqueConstraint, and_, select, text, tuple_
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from bot.core.errors import ImportFileError
from bot.data.export import (
    BATCH_SIZE,
    CSV_ENCODING,
    FORMAT_VERSION,
    MANIFEST,
    NOT_TEAM_DATA,
    NULL_CELL,
    Kind,
    Scope,
    column_kind,
    team_scopes,
)
from storage.types import StrEnumType

# One row (one JSON object) larger than this is not something retrobot wrote.
MAX_ROW_CHARS = 16 * 1024 * 1024
_READ_CHARS = 64 * 1024
_ESCAPED_BACKSLASHES_N = re.compile(r"\\\\+N")
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class ImportReport:
    """What an import did, table by table: rows added, rows updated, rows already there."""

    team_id: str
    format: str
    added: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Every row the file held."""
        return sum(self.added.values()) + sum(self.updated.values()) + sum(self.unchanged.values())


def import_export(session: Session, *, path: Path) -> ImportReport:
    """Load the export at ``path`` into the session's database, in one transaction."""
    try:
        with _SourceContext(path) as source:
            report = ImportReport(team_id=source.team_id, format=source.format)
            _Loader(session.connection(), source, report).load()
        session.commit()
    except ImportFileError:
        session.rollback()
        raise
    except StatementError as error:
        session.rollback()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise ImportFileError(f"{path.name} does not fit this database: {reason}") from None
    except BaseException:
        session.rollback()
        raise
    return report


# --- values -----------------------------------------------------------------------------------


def from_csv_cell(cell: str, kind: Kind) -> Any:
    """Read one CSV cell written by :func:`bot.data.export.csv_cell`; ValueError if it cannot be."""
    if cell == NULL_CELL:
        return None
    if kind == "str":
        if cell.startswith("'"):
            cell = cell[1:]
        if _ESCAPED_BACKSLASHES_N.fullmatch(cell):
            cell = cell[1:]
        return cell
    if kind == "bool":
        if cell.lower() not in ("true", "false"):
            raise ValueError(f"{cell!r} is not true or false")
        return cell.lower() == "true"
    if kind == "int":
        return int(cell)
    if kind == "float":
        return float(cell)
    if kind == "json":
        return json.loads(cell)
    return _from_iso(cell, kind)


def from_json_value(value: Any, kind: Kind) -> Any:
    """Read one JSON value written by :func:`bot.data.export.json_value` (ValueError if not)."""
    if value is None or kind == "json":
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {json.dumps(value)[:40]}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("holds half a character (a lone UTF-16 surrogate)") from None
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {json.dumps(value)[:40]}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {json.dumps(value)[:40]}")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {json.dumps(value)[:40]}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date, got {json.dumps(value)[:40]}")
    return _from_iso(value, kind)


def _from_iso(value: str, kind: Kind) -> date | datetime:
    if kind == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a date (YYYY-MM-DD)") from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 date and time") from None
    if moment.utcoffset() is None:
        raise ValueError(f"{value[:40]!r} has no UTC offset (exports write +00:00)")
    return moment


# --- reading the file -------------------------------------------------------------------------


class _Source:
    """An export being read: its team, format, tables, and each table's rows as plain values."""

    team_id: str
    format: str
    tables: list[str]
    name: str

    def rows(self, scope: Scope) -> Iterator[dict[str, Any]]:
        """The table's rows, each value already of its column's Python type."""
        raise NotImplementedError


class _JsonText:
    """A JSON document read a piece at a time: whole values are parsed, the layout is walked."""

    def __init__(self, stream: IO[str], name: str) -> None:
        self.stream = stream
        self.name = name
        self.buffer = ""
        self.position = 0
        self.ended = False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        if self.ended:
            return False
        try:
            chunk = self.stream.read(_READ_CHARS)
        except UnicodeDecodeError:
            raise ImportFileError(f"{self.name} is not UTF-8 text.") from None
        if not chunk:
            self.ended = True
            return False
        if len(self.buffer) - self.position > MAX_ROW_CHARS:
            raise ImportFileError(f"{self.name}: a value over {MAX_ROW_CHARS:,} characters.")
        self.buffer = self.buffer[self.position :] + chunk
        self.position = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space; "" at the end."""
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in " \t\r\n":
                self.position += 1
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self._more():
                return ""

    def expect(self, characters: str) -> str:
        """Take the next character, which must be one of ``characters``."""
        found = self.peek()
        if not found or found not in characters:
            wanted = " or ".join(repr(c) for c in characters)
            got = repr(found) if found else "the end of the file"
            raise ImportFileError(
                f"{self.name} is not a retrobot export: expected {wanted}, found {got}."
            )
        self.position += 1
        return found

    def value(self) -> Any:
        """The next whole JSON value."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                if self._more():
                    continue
                raise ImportFileError(f"{self.name} is not valid JSON: {error.msg}.") from None
            # A number at the end of the buffer may go on in the next piece.
            if end == len(self.buffer) and self._more():
                continue
            self.position = end
            return value


class _JsonSource(_Source):
    """A JSON export: the document is walked once and each table's rows spooled to disk."""

    def __init__(self, stream: IO[str], name: str, spool: Path, known: set[str]) -> None:
        self.name = name
        self.format = "json"
        self.spool = spool
        self.tables = []
        header: dict[str, Any] = {}
        has_tables = False
        reader = _JsonText(stream, name)
        reader.expect("{")
        while reader.peek() != "}":
            key = reader.value()
            reader.expect(":")
            if key == "tables":
                self._spool_tables(reader, known)
                has_tables = True
            else:
                header[str(key)] = reader.value()
            if reader.expect(",}") == "}":
                break
        else:
            reader.expect("}")
        if reader.peek():
            raise ImportFileError(f"{name} is not a retrobot export: text after the document.")
        self.team_id = _check_header(header, name)
        if not has_tables:
            raise ImportFileError(f"{name} is not a retrobot export: it has no tables.")

    def _spool_tables(self, reader: _JsonText, known: set[str]) -> None:
        reader.expect("{")
        if reader.peek() == "}":
            reader.expect("}")
            return
        while True:
            table = reader.value()
            _check_table_name(table, known, self.name)
            if table in self.tables:
                raise ImportFileError(f"{self.name}: table {table} appears twice.")
            self.tables.append(table)
            reader.expect(":")
            reader.expect("[")
            with (self.spool / f"{table}.jsonl").open("w", encoding="utf-8") as out:
                if reader.peek() == "]":
                    reader.expect("]")
                else:
                    while True:
                        row = reader.value()
                        if not isinstance(row, dict):
                            raise ImportFileError(
                                f"{self.name}: table {table} holds something that is not a row."
                            )
                        out.write(json.dumps(row) + "\n")
                        if reader.expect(",]") == "]":
                            break
            if reader.expect(",}") == "}":
                return

    def rows(self, scope: Scope) -> Iterator[dict[str, Any]]:
        """The spooled rows of one table, decoded."""
        kinds = {column.name: (column, column_kind(column)) for column in scope.table.columns}
        with (self.spool / f"{scope.name}.jsonl").open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                row = {}
                for name, value in json.loads(line).items():
                    if name not in kinds:
                        raise _unknown_column(self.name, scope.name, name)
                    column, kind = kinds[name]
                    row[name] = _decoded(
                        f"{self.name}: table {scope.name}, row {number}",
                        column,
                        from_json_value,
                        value,
                        kind,
                    )
                yield row


class _CsvZipSource(_Source):
    """A zip of CSV files with a manifest, read table by table straight from the archive."""

    def __init__(self, archive: zipfile.ZipFile, name: str, known: set[str]) -> None:
        self.archive = archive
        self.name = name
        self.format = "csv"
        names = archive.namelist()
        if MANIFEST not in names:
            raise ImportFileError(f"{name} is a zip without {MANIFEST}: not a retrobot export.")
        try:
            header = json.loads(archive.read(MANIFEST).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ImportFileError(f"{name}: {MANIFEST} is not valid JSON.") from None
        if not isinstance(header, dict):
            raise ImportFileError(f"{name}: {MANIFEST} is not a retrobot manifest.")
        self.team_id = _check_header(header, name)
        self.tables = []
        for member in names:
            if member == MANIFEST:
                continue
            table = member.removesuffix(".csv")
            if table == member or "/" in member:
                raise ImportFileError(f"{name}: {member} is not one of an export's files.")
            _check_table_name(table, known, name)
            self.tables.append(table)
        csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW_CHARS))

    def rows(self, scope: Scope) -> Iterator[dict[str, Any]]:
        """The rows of ``<table>.csv``, decoded."""
        where = f"{scope.name}.csv"
        with (
            self.archive.open(where) as member,
            io.TextIOWrapper(member, encoding=CSV_ENCODING, newline="") as text,
        ):
            reader = csv.reader(text)
            try:
                header = next(reader, None)
                if header is None:
                    return
                columns = []
                for name in header:
                    if name not in scope.table.columns:
                        raise _unknown_column(self.name, scope.name, name)
                    column = scope.table.columns[name]
                    columns.append((column, column_kind(column)))
                for number, cells in enumerate(reader, start=1):
                    if len(cells) != len(columns):
                        raise ImportFileError(
                            f"{self.name}: {where} row {number} has {len(cells)} cells, "
                            f"not {len(columns)}."
                        )
                    yield {
                        column.name: _decoded(
                            f"{self.name}: {where} row {number}", column, from_csv_cell, cell, kind
                        )
                        for (column, kind), cell in zip(columns, cells, strict=True)
                    }
            except (csv.Error, UnicodeDecodeError, zipfile.BadZipFile, zlib.error) as error:
                raise ImportFileError(f"{self.name}: {where} cannot be read: {error}.") from None


class _SourceContext:
    """``with _SourceContext(path) as source``: opens, sniffs and finally closes the export."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stack = ExitStack()

    def __enter__(self) -> _Source:
        known = {scope.name for scope in team_scopes()}
        name = self.path.name
        try:
            with self.path.open("rb") as probe:
                start = probe.read(4)
            if start == _ZIP_MAGIC:
                try:
                    archive = self.stack.enter_context(zipfile.ZipFile(self.path))
                    return _CsvZipSource(archive, name, known)
                except (zipfile.BadZipFile, zlib.error):
                    raise ImportFileError(f"{name} is a damaged zip file.") from None
            spool = Path(self.stack.enter_context(tempfile.TemporaryDirectory()))
            stream = self.stack.enter_context(self.path.open(encoding="utf-8-sig", newline=""))
            return _JsonSource(stream, name, spool, known)
        except FileNotFoundError:
            self.stack.close()
            raise ImportFileError(f"There is no file {self.path}.") from None
        except IsADirectoryError:
            self.stack.close()
            raise ImportFileError(f"{self.path} is a folder; give the export file.") from None
        except OSError as error:
            self.stack.close()
            raise ImportFileError(f"{self.path} cannot be read: {error.strerror}.") from None
        except BaseException:
            self.stack.close()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stack.close()


def _check_header(header: dict[str, Any], name: str) -> str:
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or "team" not in header:
        raise ImportFileError(
            f"{name} is not a retrobot export (it has no format_version and team)."
        )
    if version > FORMAT_VERSION:
        raise ImportFileError(
            f"{name} was written by a newer retrobot (export format {version}); "
            f"this one reads format {FORMAT_VERSION}. Upgrade retrobot first."
        )
    if version < 1:
        raise ImportFileError(f"{name}: export format {version} does not exist.")
    team_id = header["team"]
    if not isinstance(team_id, str) or not team_id:
        raise ImportFileError(f"{name}: the team is not named.")
    return team_id


def _check_table_name(table: Any, known: set[str], name: str) -> None:
    if not isinstance(table, str):
        raise ImportFileError(f"{name}: a table name is not text.")
    if table in NOT_TEAM_DATA:
        raise ImportFileError(f"{name}: table {table} is not team data and is never imported.")
    if table not in known:
        raise ImportFileError(
            f"{name}: this retrobot has no table {table!r}; was the export made by a newer "
            "retrobot? Upgrade retrobot first."
        )


def _unknown_column(name: str, table: str, column: str) -> ImportFileError:
    return ImportFileError(
        f"{name}: table {table} has no column {column!r} in this retrobot; was the export made "
        "by a newer retrobot? Upgrade retrobot first."
    )


def _decoded(
    row: str, column: Column[Any], read: Callable[[Any, Kind], Any], raw: Any, kind: Kind
) -> Any:
    """Read one value with ``read``; a problem becomes one line naming file, row and column."""
    where = f"{row}, {column.name}"
    try:
        value = read(raw, kind)
    except ValueError as error:
        raise ImportFileError(f"{where}: {error}.") from None
    if value is None and not column.nullable:
        raise ImportFileError(f"{where}: cannot be empty.")
    if value is not None and isinstance(column.type, StrEnumType):
        allowed = [member.value for member in column.type.enum_class]
        if value not in allowed:
            raise ImportFileError(f"{where}: {value[:40]!r} is not one of {', '.join(allowed)}.")
    return value


# --- writing to the database ------------------------------------------------------------------


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


class _Loader:
    """Upserts a source's tables, parents first, remembering ids that had to change."""

    def __init__(self, connection: Connection, source: _Source, report: ImportReport) -> None:
        self.connection = connection
        self.source = source
        self.report = report
        self.team_id = source.team_id
        self.postgresql = connection.dialect.name == "postgresql"
        # table → {id in the file: id in the database}, only for ids that differ
        self.remaps: dict[str, dict[Any, Any]] = defaultdict(dict)
        # table → the database ids of this import's rows, for tables other tables hang from
        self.loaded: dict[str, set[Any]] = defaultdict(set)

    def load(self) -> None:
        """Load every table the file holds, parents before children."""
        for scope in team_scopes():
            if scope.name in self.source.tables:
                for batch in _batches(self.source.rows(scope), BATCH_SIZE):
                    self._load_batch(scope, batch)

    def _load_batch(self, scope: Scope, batch: list[dict[str, Any]]) -> None:
        table, key = scope.table, scope.key.name
        for number, row in enumerate(batch, start=1):
            if row.get(key) is None:
                raise ImportFileError(
                    f"{self.source.name}: table {table.name}: a row has no {key}."
                )
            for column in table.columns:
                for foreign_key in column.foreign_keys:
                    value = row.get(column.name)
                    remap = self.remaps.get(foreign_key.column.table.name)
                    if value is not None and remap and value in remap:
                        row[column.name] = remap[value]
            self._check_owner(scope, row, number)

        existing = self._rows_by_key(scope, [row[key] for row in batch])
        natural = self._natural_matches(scope, batch)
        existing |= self._rows_by_key(scope, [k for k in natural.values() if k not in existing])

        inserts: list[dict[str, Any]] = []
        copies: list[dict[str, Any]] = []
        for row in batch:
            target = self._match(scope, row, existing, natural)
            if target is None and row[key] in existing:
                copies.append(row)  # its id is another team's row: it needs a new one
                continue
            if target is None:
                inserts.append(row)
                self.loaded[table.name].add(row[key])
                continue
            if target != row[key]:
                self.remaps[table.name][row[key]] = target
            self.loaded[table.name].add(target)
            current = existing[target]
            values = {c: v for c, v in row.items() if c != key}
            if any(current.get(c) != v for c, v in values.items()):
                # Every column is set, so none moves by itself (an updated_at's onupdate).
                self.connection.execute(table.update().where(scope.key == target).values(**values))
                self.report.updated[table.name] += 1
            else:
                self.report.unchanged[table.name] += 1

        for group in _same_columns(inserts):
            self.connection.execute(table.insert(), group)
        if inserts:
            self.report.added[table.name] += len(inserts)
            self._advance_sequence(scope)
        for row in copies:
            self._insert_copy(scope, row)

    def _check_owner(self, scope: Scope, row: dict[str, Any], number: int) -> None:
        """Refuse a row of another team: an export holds one team's data."""
        where = f"{self.source.name}: table {scope.name}"
        if scope.column is None:
            if row[scope.key.name] != self.team_id:
                raise ImportFileError(
                    f"{where} holds team {row[scope.key.name]!r}, not the export's "
                    f"team {self.team_id!r}."
                )
            return
        value = row.get(scope.column.name)
        if scope.by_team_id:
            if value != self.team_id:
                raise ImportFileError(
                    f"{where}, row {number}: belongs to team {value!r}, not {self.team_id!r}."
                )
        elif scope.parent is not None and value not in self.loaded[scope.parent.name]:
            raise ImportFileError(
                f"{where}, row {number}: {scope.column.name} {value!r} is not a "
                f"{scope.parent.name} of this export."
            )

    def _rows_by_key(self, scope: Scope, keys: list[Any]) -> dict[Any, dict[str, Any]]:
        if not keys:
            return {}
        statement = select(scope.table).where(scope.key.in_(keys))
        return {
            row[scope.key.name]: dict(row) for row in self.connection.execute(statement).mappings()
        }

    def _natural_matches(self, scope: Scope, batch: list[dict[str, Any]]) -> dict[Any, Any]:
        """For each natural key of the batch's rows already in the database: its row's id."""
        found: dict[Any, Any] = {}
        for index, columns in enumerate(_unique_keys(scope)):
            wanted = {
                values
                for row in batch
                if None not in (values := tuple(row.get(c.name) for c in columns))
            }
            if not wanted:
                continue
            statement = select(scope.key, *columns).where(tuple_(*columns).in_(list(wanted)))
            for key, *values in self.connection.execute(statement):
                found[(index, tuple(values))] = key
        return found

    def _match(
        self,
        scope: Scope,
        row: dict[str, Any],
        existing: dict[Any, dict[str, Any]],
        natural: dict[Any, Any],
    ) -> Any:
        """The database id this row is, or None when it is new here."""
        for index, columns in enumerate(_unique_keys(scope)):
            values = tuple(row.get(c.name) for c in columns)
            if (index, values) in natural:
                return natural[(index, values)]
        key = row[scope.key.name]
        current = existing.get(key)
        if current is None:
            return None
        if scope.column is None or current.get(scope.column.name) == row.get(scope.column.name):
            return key
        return None

    def _insert_copy(self, scope: Scope, row: dict[str, Any]) -> None:
        """Insert a row whose id is taken, under a new id, unless an identical copy is there."""
        table, key = scope.table, scope.key
        values = {c: v for c, v in row.items() if c != key.name}
        comparable = [
            table.columns[c].is_not_distinct_from(v)
            for c, v in values.items()
            if column_kind(table.columns[c]) != "json"
        ]
        taken = self.loaded[table.name] | set(self.remaps[table.name].values())
        statement = select(key).where(and_(*comparable)).order_by(key)
        copy = next(
            (k for k in self.connection.execute(statement).scalars() if k not in taken), None
        )
        if copy is None:
            copy = self.connection.execute(table.insert().values(**values)).inserted_primary_key[0]
            self.report.added[table.name] += 1
        else:
            self.report.unchanged[table.name] += 1
        self.remaps[table.name][row[key.name]] = copy
        self.loaded[table.name].add(copy)

    def _advance_sequence(self, scope: Scope) -> None:
        """On PostgreSQL, move the id sequence past the ids just inserted explicitly."""
        if not self.postgresql or column_kind(scope.key) != "int":
            return
        table, key = scope.table.name, scope.key.name
        self.connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :key), "
                f'(SELECT COALESCE(MAX("{key}"), 0) + 1 FROM "{table}"), false)'
            ),
            {"table": table, "key": key},
        )


def _unique_keys(scope: Scope) -> list[tuple[Column[Any], ...]]:
    return [
        tuple(constraint.columns)
        for constraint in scope.table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]


def _same_columns(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Rows grouped by the columns they give, so each group is one executemany."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    yield from groups.values()
