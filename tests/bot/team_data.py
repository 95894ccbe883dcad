"""Rows in every team table for a team, made from the tables' metadata, with hard values.

A table or column added later gets rows and values here without a change: each column's value
comes from its kind (text, number, date, JSON, ...), foreign keys point at the same team's rows,
and unique columns differ from row to row. The texts are the ones that are hardest to carry
through an export and back: empty text beside empty values, ``\\N``, formulas, quotes and
newlines, emoji, right-to-left script, Slack markup, control characters, a long text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, UniqueConstraint, insert
from sqlmodel import SQLModel

from bot.data.export import column_kind, team_rows, team_scopes
from storage.types import StrEnumType

START = datetime(2026, 6, 1, 9, 30, 15, 123456, tzinfo=UTC)
TRICKY_TEXTS = (
    "",
    "\\N",
    "\\\\N",
    '=HYPERLINK("https://evil.example","click")',
    "+44 7700 900123",
    "-1",
    "@SUM(A1)",
    "'already quoted",
    'línea uno\nline "two", with commas;\r\nthree',
    "😀👩‍🚒🏳️‍🌈 مرحبا بالعالم עברית",
    "<!channel> ask <@U0ANA> about <https://evil.example|the form> & more",
    "\ttab first\x01\x7f",
    "x" * 3000,
)


def model_of(table: Table) -> type[SQLModel] | None:
    """The SQLModel class mapped to ``table``."""
    pending = list(SQLModel.__subclasses__())
    while pending:
        model = pending.pop()
        if getattr(model, "__table__", None) is table:
            return model
        pending += model.__subclasses__()
    return None


def _unique_columns(table: Table) -> set[str]:
    """Columns whose values must differ row to row: a unique constraint's or a unique index's."""
    constrained = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    unique_indexes = [index for index in table.indexes if index.unique]
    return {column.name for unique in constrained + unique_indexes for column in unique.columns}


def _json_value(table: Table, name: str, number: int) -> Any:
    model = model_of(table)
    field = model.model_fields.get(name) if model else None
    if field is not None and field.default_factory is list:
        return ["Compassion", f"Trust 😀 {number}", "<!here>"]
    return {"visits": number + 0.5, "nested": {"ok": True, "é": [1, None, "\\N"]}}


def value_for(table: Table, name: str, number: int, team_id: str, parents: dict) -> Any:
    """A value for one column of row ``number`` (0 leaves every nullable column empty)."""
    column = table.columns[name]
    references = [fk.column.table.name for fk in column.foreign_keys]
    if column.nullable and number == 0:
        return None
    if references:
        if references[0] == "team":
            return team_id
        choices = parents[references[0]]
        return choices[number % len(choices)]
    kind = column_kind(column)
    if isinstance(column.type, StrEnumType):
        members = [member.value for member in column.type.enum_class]
        return members[number % len(members)]
    if kind == "str":
        text = TRICKY_TEXTS[(number * 5 + list(table.columns).index(column)) % len(TRICKY_TEXTS)]
        unique = name in _unique_columns(table)
        if unique:
            text = f"{text} #{team_id}{number}"
        length = getattr(column.type, "length", None)
        if length is None or len(text) <= length:
            return text
        return text[-length:] if unique else text[:length]  # a unique value keeps its number
    if kind == "int":
        return 1 + number % 3  # inside the check-in mood's (1-5) and a vote slot's (1-3) ranges
    if kind == "float":
        return number + 0.25
    if kind == "bool":
        return number % 2 == 1
    if kind == "date":
        return date(2026, 6, 2) + timedelta(weeks=number)
    if kind == "datetime":
        return START + timedelta(days=number, hours=number)
    return _json_value(table, name, number)


def fill_team(connection: Connection, team_id: str, *, rows: int = 3) -> dict[str, list[Any]]:
    """Insert the team and ``rows`` rows in every other team table; the ids made, by table."""
    made: dict[str, list[Any]] = {}
    for scope in team_scopes():
        table = scope.table
        if scope.column is None:
            values = {
                "id": team_id,
                "name": f"{team_id.title()} Neighbourhood Team — “Ünïcode” & <b>",
                "channel": f"C0{team_id.upper()}",
                "timezone": "Europe/London",
                "active": True,
                "updated_at": START,
            }
            connection.execute(insert(table).values(values))
            made[table.name] = [team_id]
            continue
        made[table.name] = []
        for number in range(rows):
            values = {
                column.name: value_for(table, column.name, number, team_id, made)
                for column in table.columns
                if not column.primary_key
            }
            result = connection.execute(insert(table).values(values))
            made[table.name].append(result.inserted_primary_key[0])
    return made


def team_data(connection: Connection, team_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the team, table by table, in id order, as the database returns them."""
    return {scope.name: list(team_rows(connection, scope, team_id)) for scope in team_scopes()}


def canonical(connection: Connection, team_id: str) -> dict[str, list[str]]:
    """The team's data with ids replaced by what they point at: equal whatever the ids are."""
    shapes: dict[str, dict[Any, str]] = {}
    result: dict[str, list[str]] = {}
    for scope in team_scopes():
        table = scope.table
        shapes[table.name] = {}
        for row in team_rows(connection, scope, team_id):
            parts = []
            for column in table.columns:
                if column.primary_key and column_kind(column) == "int":
                    continue
                value = row[column.name]
                for foreign_key in column.foreign_keys:
                    parent = foreign_key.column.table.name
                    if value is not None and parent != "team":
                        value = shapes[parent][value]
                parts.append(f"{column.name}={value!r}")
            shapes[table.name][row[scope.key.name]] = "(" + ", ".join(parts) + ")"
        result[table.name] = sorted(shapes[table.name].values())
    return result
