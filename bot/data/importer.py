"""Loading an export back: `retrobot import FILE`, to restore a team or to move to PostgreSQL.

The file (JSON, or the zip of CSV files, as :mod:`bot.data.export` writes them) is read as a
stream (:mod:`bot.data.import_source`) and loaded in one transaction: all of it, or nothing. Rows
keep their ids. Importing the same file twice changes nothing the second time, because each row
is matched before it is written:

1. by a natural unique key (a member's team and user id, a round's team and date, ...): a row
   already there under another id is updated, and the rows that refer to it follow it;
2. else by its id, when the row there belongs to the same team (or round, or request);
3. else it is inserted with its own id, or, when that id is taken by another team's row, with a
   new one (again followed by the rows that refer to it), unless an identical copy is there.

On PostgreSQL each table's id sequence is moved past the ids inserted, so rows the app adds
later do not collide with them. A malformed file is refused with one line saying where and why:
the table, the row and the column.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, UniqueConstraint, and_, select, text, tuple_
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from bot.core.errors import ImportFileError
from bot.data.export import BATCH_SIZE, TEAM_TABLE, Scope, column_kind, team_scopes
from bot.data.import_source import Source, open_source


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
        with open_source(path) as source:
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


# --- writing to the database ------------------------------------------------------------------


Numbered = tuple[int, dict[str, Any]]  # a row, and its number in its table (from 1)


def _batches(rows: Iterable[Numbered], size: int) -> Iterator[list[Numbered]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


class _Loader:
    """Upserts a source's tables, parents first, remembering ids that had to change."""

    def __init__(self, connection: Connection, source: Source, report: ImportReport) -> None:
        self.connection = connection
        self.source = source
        self.report = report
        self.team_id = source.team_id
        self.postgresql = connection.dialect.name == "postgresql"
        # table → {id in the file: id in the database}, only for ids that differ
        self.remaps: dict[str, dict[Any, Any]] = defaultdict(dict)
        # table → the database ids of this import's rows, for tables other tables hang from
        self.loaded: dict[str, set[Any]] = defaultdict(set)
        # table → {id in the file: the number of its row}, to refuse an id given twice
        self.numbers: dict[str, dict[Any, int]] = defaultdict(dict)

    def load(self) -> None:
        """Load every table the file holds, parents before children (the team first)."""
        for scope in team_scopes():
            if scope.name in self.source.tables:
                rows = enumerate(self.source.rows(scope), start=1)
                for batch in _batches(rows, BATCH_SIZE):
                    self._load_batch(scope, batch)
            if scope.name == TEAM_TABLE:
                self._check_the_team_is_here(scope)

    def _check_the_team_is_here(self, scope: Scope) -> None:
        """Refuse a file for a team neither in the file (its row of table team) nor here."""
        if self.team_id in self.loaded[TEAM_TABLE]:
            return
        statement = select(scope.key).where(scope.key == self.team_id)
        if self.connection.execute(statement).first() is None:
            raise ImportFileError(
                f"{self.source.name}: table {TEAM_TABLE} has no row for team {self.team_id!r}, "
                "and this database has no such team either."
            )

    def _check_row(self, scope: Scope, row: dict[str, Any], number: int) -> None:
        """Refuse a row an export never holds: without its id or a required column, with a
        negative id, or with an id an earlier row of the file already has."""
        where, key = f"{self.source.name}: table {scope.name}, row {number}", scope.key.name
        if row.get(key) is None:
            raise ImportFileError(f"{where}, {key}: missing; every row has one.")
        for column in _required_columns(scope):
            if column.name not in row:
                raise ImportFileError(f"{where}, {column.name}: missing; every row has one.")
        for column in _id_columns(scope):
            value = row.get(column.name)
            if isinstance(value, int) and value < 0:
                raise ImportFileError(f"{where}, {column.name}: {value} is negative; no id is.")
        first = self.numbers[scope.name].setdefault(row[key], number)
        if first != number:
            raise ImportFileError(f"{where}, {key}: {row[key]!r} is row {first}'s {key} too.")

    def _remap_references(self, scope: Scope, row: dict[str, Any]) -> None:
        """Point the row's foreign keys at the ids their rows were given in this database."""
        for column in scope.table.columns:
            for foreign_key in column.foreign_keys:
                value = row.get(column.name)
                remap = self.remaps.get(foreign_key.column.table.name)
                if value is not None and remap and value in remap:
                    row[column.name] = remap[value]

    def _update(
        self, scope: Scope, row: dict[str, Any], current: dict[str, Any], target: Any
    ) -> None:
        """Bring an existing row to the file's values, when any differs."""
        table, key = scope.table, scope.key.name
        values = {c: v for c, v in row.items() if c != key}
        if any(current.get(c) != v for c, v in values.items()):
            # Every column is set, so none moves by itself (an updated_at's onupdate).
            self.connection.execute(table.update().where(scope.key == target).values(**values))
            self.report.updated[table.name] += 1
        else:
            self.report.unchanged[table.name] += 1

    def _load_batch(self, scope: Scope, numbered: list[Numbered]) -> None:
        table, key = scope.table, scope.key.name
        batch = [row for _, row in numbered]
        for number, row in numbered:
            self._check_row(scope, row, number)
            self._remap_references(scope, row)
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
            self._update(scope, row, existing[target], target)

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


@functools.cache
def _required_columns(scope: Scope) -> list[Column[Any]]:
    """The columns a row must give: no default, no server default, never empty."""
    return [
        column
        for column in scope.table.columns
        if not column.nullable
        and column.default is None
        and column.server_default is None
        and not column.primary_key
    ]


@functools.cache
def _id_columns(scope: Scope) -> list[Column[Any]]:
    """The columns holding a whole-number id: the key, and those referring to another row."""
    return [
        column
        for column in scope.table.columns
        if (column.primary_key or column.foreign_keys) and column_kind(column) == "int"
    ]


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
