"""An export being read for `retrobot import`: its team, its tables, and their rows as values.

Both formats :mod:`bot.data.export` writes are read as a stream: the JSON document a piece at a
time (its tables spooled to disk, one row a line), the zip of CSV files table by table. Each
value is turned back into its column's Python type, and anything that is not what an export
holds is refused in one line naming the file, the table, the row and the column:
:mod:`bot.data.importer` then loads the rows.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column

from bot.core.errors import ImportFileError
from bot.data.export import (
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

__all__ = [
    "MAX_DEPTH",
    "MAX_ROW_CHARS",
    "Source",
    "from_csv_cell",
    "from_json_value",
    "open_source",
]

# One row (one JSON object) larger than this is not something retrobot wrote.
MAX_ROW_CHARS = 16 * 1024 * 1024
# Nor a value nested deeper than this: the JSON columns hold flat lists and small objects, and
# a document nested thousands deep would exhaust Python's stack (a RecursionError) on reading.
MAX_DEPTH = 32
# What SQLite's INTEGER holds (PostgreSQL's columns, narrower, refuse what they cannot hold).
_SMALLEST_INT, _LARGEST_INT = -(2**63), 2**63 - 1
_LONGEST_INT_TEXT = len(str(_SMALLEST_INT)) + 10  # room for leading zeros, not thousands
_READ_CHARS = 64 * 1024
_ESCAPED_BACKSLASHES_N = re.compile(r"\\\\+N")
_ZIP_MAGIC = b"PK\x03\x04"


# --- values -----------------------------------------------------------------------------------


def from_csv_cell(cell: str, kind: Kind) -> Any:
    """Read one CSV cell written by :func:`bot.data.export.csv_cell`; ValueError if it cannot be."""
    if cell == NULL_CELL:
        return None
    read = _CSV_READERS.get(kind)
    return read(cell) if read is not None else _from_iso(cell, kind)


def _csv_str(cell: str) -> str:
    if cell.startswith("'"):
        cell = cell[1:]
    if _ESCAPED_BACKSLASHES_N.fullmatch(cell):
        cell = cell[1:]
    return cell


def _csv_bool(cell: str) -> bool:
    if cell.lower() not in ("true", "false"):
        raise ValueError(f"{cell!r} is not true or false")
    return cell.lower() == "true"


def _csv_int(cell: str) -> int:
    if len(cell) > _LONGEST_INT_TEXT:
        raise ValueError(f"{cell[:40]} is too big a number to store")
    return _whole_number(int(cell))


def _csv_json(cell: str) -> Any:
    try:
        return _shallow(json.loads(cell))
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None


def from_json_value(value: Any, kind: Kind) -> Any:
    """Read one JSON value written by :func:`bot.data.export.json_value` (ValueError if not)."""
    if value is None:
        return value
    read = _JSON_READERS.get(kind)
    if read is not None:
        return read(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date, got {_shown(value)}")
    return _from_iso(value, kind)


def _shown(value: Any) -> str:
    return json.dumps(value)[:40]


def _json_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds half a character (a lone UTF-16 surrogate)") from None
    return value


def _json_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_shown(value)}")
    return value


def _json_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {_shown(value)}")
    return _whole_number(value)


def _json_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {_shown(value)}")
    return float(value)


_TOO_DEEP = f"nested more than {MAX_DEPTH} deep, as no export is"


def _whole_number(value: int) -> int:
    if not _SMALLEST_INT <= value <= _LARGEST_INT:
        raise ValueError(f"{str(value)[:40]} is too big a number to store")
    return value


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a plain value); no recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            stack.extend((inner, depth + 1) for inner in item)
    return deepest


def _shallow(value: Any) -> Any:
    if _depth(value) > MAX_DEPTH:
        raise ValueError(_TOO_DEEP)
    return value


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


class Source:
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

    def value(self, where: str = "") -> Any:
        """The next whole JSON value (``where`` names it in a refusal: "table x, row 3")."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                if self._more():
                    continue
                raise ImportFileError(f"{self.name} is not valid JSON: {error.msg}.") from None
            except RecursionError:
                raise ImportFileError(f"{self.name}: {where or 'a value'}: {_TOO_DEEP}.") from None
            except ValueError:  # a number of thousands of digits, which Python will not read
                raise ImportFileError(
                    f"{self.name}: {where or 'a value'}: a number too long to be a value."
                ) from None
            # A number at the end of the buffer may go on in the next piece.
            if end == len(self.buffer) and self._more():
                continue
            self.position = end
            return value


class _JsonSource(Source):
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
                header[str(key)] = reader.value(f"its {str(key)[:40]!r}")
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
                    for number in itertools.count(1):
                        where = f"table {table}, row {number}"
                        row = reader.value(where)
                        if not isinstance(row, dict):
                            raise ImportFileError(
                                f"{self.name}: table {table} holds something that is not a row."
                            )
                        if _depth(row) > MAX_DEPTH + 1:  # the row itself is one level
                            raise ImportFileError(f"{self.name}: {where}: {_TOO_DEEP}.")
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


class _CsvZipSource(Source):
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
        except (ValueError, UnicodeDecodeError, RecursionError):
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


def open_source(path: Path) -> _SourceContext:
    """``with open_source(path) as source``: the export at ``path``, closed afterwards."""
    return _SourceContext(path)


class _SourceContext:
    """Opens, sniffs and finally closes an export."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stack = ExitStack()

    def __enter__(self) -> Source:
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


# How each kind of column is read from a CSV cell and from a JSON value (dates: ISO 8601).
_CSV_READERS: dict[str, Any] = {
    "str": _csv_str,
    "bool": _csv_bool,
    "int": _csv_int,
    "float": float,
    "json": _csv_json,
}
_JSON_READERS: dict[str, Any] = {
    "json": lambda value: _shallow(value),
    "str": _json_str,
    "bool": _json_bool,
    "int": _json_int,
    "float": _json_float,
}
