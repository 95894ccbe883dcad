"""The registry of tables that name people (bot/data/member.py): every table is in it or said to
name nobody, every column that sounds like a person is declared, and what it declares exists."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import JSON, Column, MetaData, String, Table
from sqlmodel import SQLModel

from bot.core.errors import RetrobotError
from bot.data.member import (
    NAMES_NOBODY,
    NOT_PEOPLE,
    REGISTRY,
    Forget,
    check_member_id,
    export_parts,
    holds_text,
)

# Column names that hold a person's Slack id in retrobot's tables, and the names the capabilities
# being built use (role holders, reflections, votes): a new table with one of them must say
# what forget does with it.
PERSON_COLUMN = re.compile(
    r"(^|_)(user_id|user|by|owner|giver|receiver|requester|recipient|proposer|holder|holders|"
    r"voter|author|member|members|coach|advisor|objector|unanswered|asked|person|people)$"
)


def looks_like_person(table: str, column: Column) -> bool:  # type: ignore[type-arg]
    named = bool(PERSON_COLUMN.search(column.name)) and f"{table}.{column.name}" not in NOT_PEOPLE
    return named and holds_text(column)


def undeclared(metadata: MetaData) -> dict[str, list[str]]:
    """Tables missing from the registry, and registered tables' person columns left undeclared."""
    registered = {entry.table: entry for entry in REGISTRY}
    missing: dict[str, list[str]] = {}
    for name, table in metadata.tables.items():
        if name in NAMES_NOBODY:
            continue
        entry = registered.get(name)
        declared = set(entry.people) | set(entry.people_lists) if entry else set()
        persons = [c.name for c in table.columns if looks_like_person(name, c)]
        if entry is None:
            missing[name] = persons or ["(not in the registry)"]
        elif left := [c for c in persons if c not in declared]:
            missing[name] = left
    return missing


def test_every_table_names_people_in_the_registry_or_is_said_to_name_nobody() -> None:
    assert undeclared(SQLModel.metadata) == {}, (
        "say in bot/data/member.py what `retrobot forget` does with these tables' people"
    )
    assert {entry.table for entry in REGISTRY} & set(NAMES_NOBODY) == set()
    assert len({entry.table for entry in REGISTRY}) == len(REGISTRY)


def test_a_new_table_with_a_person_column_fails_until_it_is_registered() -> None:
    grown = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(grown)
    Table(
        "circle_rep_link",
        grown,
        Column("id", String, primary_key=True),
        Column("role_id", String),
        Column("user_id", String),
    )
    grown.tables["tension"].append_column(Column("reviewed_by", String))

    assert undeclared(grown) == {"circle_rep_link": ["user_id"], "tension": ["reviewed_by"]}


def test_what_the_registry_declares_is_there() -> None:
    for entry in REGISTRY:
        table = SQLModel.metadata.tables[entry.table]
        declared = [*entry.people, *entry.people_lists, *entry.words, *entry.cleared]
        declared += [c for cleared in entry.cleared.values() for c in cleared]
        assert set(declared) <= set(table.columns.keys()), entry.table
        for name in entry.people_lists:
            assert isinstance(table.c[name].type, JSON), f"{entry.table}.{name}"
        for name in [*entry.people, *entry.words]:
            assert holds_text(table.c[name]), f"{entry.table}.{name}"
        assert len(table.primary_key.columns) == 1, entry.table


def test_only_rows_nothing_depends_on_are_deleted() -> None:
    for entry in REGISTRY:
        if entry.forget != Forget.DELETE:
            continue
        referring = [
            f"{other.name}.{column.name}"
            for other in SQLModel.metadata.sorted_tables
            for column in other.columns
            for key in column.foreign_keys
            if key.column.table.name == entry.table
        ]
        assert referring == [], entry.table


def test_every_part_has_its_words_and_unique_names() -> None:
    names = [part.name for part in export_parts()]
    assert len(names) == len(set(names))
    for part in export_parts():
        assert part.column_names, part.name
        assert len(part.column_names) == len(set(part.column_names)), part.name
        str(part.statement("U0ANA"))  # compiles


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("U0ANA", "U0ANA"), (" w012ab3cd ", "W012AB3CD"), ("U012AB3CD", "U012AB3CD")],
)
def test_a_member_id_is_read_as_slack_writes_it(typed: str, expected: str) -> None:
    assert check_member_id(typed) == expected


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("B012AB3CD", "B012AB3CD is a bot, not a person"),
        ("USLACKBOT", "USLACKBOT is a bot, not a person"),
        ("ana", "'ana' is not a Slack member id: they look like U012AB3CD"),
        ("U0ANA; DROP TABLE", "is not a Slack member id"),
        ("", "'' is not a Slack member id"),
        ("former-0a1b2c3d4e5f", "already forgotten"),
    ],
)
def test_what_is_not_a_person_s_id_is_one_plain_line(typed: str, said: str) -> None:
    with pytest.raises(RetrobotError) as refused:
        check_member_id(typed)
    assert said in str(refused.value)
    assert "\n" not in str(refused.value)
