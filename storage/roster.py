"""Mirroring app.yaml's teams, members and coaches into the database, in a few statements.

Every process does this at start (and the scheduler on each reload): with 1,000 teams of 12, one
team at a time through the ORM took seconds of CPU before /healthz could answer. Here the known
rows are read in one SELECT per table, compared in Python, and what differs is written in one
executemany per table and kind (INSERT, UPDATE): a restart with nothing changed only reads.

The rules are those of :func:`storage.queries.sync_members`, which both share through
:func:`reconcile`: nobody is deleted, so history stays; a listed person is (re)activated; a name
or time zone given as None keeps the one already known; members who are not listed are
deactivated unless their team keeps them (its people come from a Slack user group), coaches who
are not listed always are. Teams that app.yaml no longer lists are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlmodel import Session

from storage.models import Coach, Member, Team
from storage.types import utc_now

TEAM: Table = Team.__table__  # type: ignore[attr-defined]
MEMBER: Table = Member.__table__  # type: ignore[attr-defined]
COACH: Table = Coach.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Person:
    """A member's or coach's row as the mirror compares it (a coach has no name)."""

    name: str | None
    timezone: str | None
    active: bool = True


@dataclass(frozen=True)
class TeamRoster:
    """One team as app.yaml lists it: members are (user id, name, time zone), coaches (user id,
    time zone); ``keep_unlisted_members`` for a team whose people come from a user group."""

    team_id: str
    name: str
    channel: str
    timezone: str
    members: Sequence[tuple[str, str | None, str | None]]
    coaches: Sequence[tuple[str, str | None]]
    keep_unlisted_members: bool = False


def reconcile(
    known: Mapping[str, Person],
    listed: Iterable[tuple[str, str | None, str | None]],
    *,
    keep_unlisted: bool,
) -> tuple[dict[str, Person], dict[str, Person]]:
    """The people to add and the known people whose row changes (user id → the row wanted).

    ``listed`` holds (user id, name, time zone); a person listed twice counts once, as listed
    last, in the place they were first listed.
    """
    wanted = {user_id: (name, timezone) for user_id, name, timezone in listed}
    added: dict[str, Person] = {}
    changed: dict[str, Person] = {}
    for user_id, (name, timezone) in wanted.items():
        row = known.get(user_id)
        if row is None:
            added[user_id] = Person(name, timezone)
            continue
        updated = Person(
            name if name is not None else row.name,
            timezone if timezone is not None else row.timezone,
        )
        if updated != row:
            changed[user_id] = updated
    if not keep_unlisted:
        for user_id, row in known.items():
            if user_id not in wanted and row.active:
                changed[user_id] = replace(row, active=False)
    return added, changed


def mirror_teams(session: Session, rosters: Sequence[TeamRoster]) -> None:
    """Make the database's teams, members and coaches those of ``rosters``; the caller commits.

    It runs on the session's connection, in its transaction, bypassing the ORM: call it on a
    session that holds no team, member or coach objects it will read afterwards.
    """
    connection = session.connection()
    _mirror_team_rows(connection, rosters)
    _mirror_people(
        connection,
        MEMBER,
        {roster.team_id: (roster.members, roster.keep_unlisted_members) for roster in rosters},
    )
    _mirror_people(
        connection,
        COACH,
        {
            roster.team_id: ([(user_id, None, tz) for user_id, tz in roster.coaches], False)
            for roster in rosters
        },
    )


def _mirror_team_rows(connection: Connection, rosters: Sequence[TeamRoster]) -> None:
    """Insert the new teams; bring the known ones in line, active (updated_at moves by itself)."""
    fields = ("name", "channel", "timezone", "active")
    known = {
        row[0]: tuple(row[1:])
        for row in connection.execute(select(TEAM.c.id, *(TEAM.c[f] for f in fields)))
    }
    now = utc_now()
    added: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    for roster in rosters:
        row = dict(zip(fields, (roster.name, roster.channel, roster.timezone, True), strict=True))
        if roster.team_id not in known:
            added[roster.team_id] = {"id": roster.team_id, "updated_at": now, **row}
        elif known[roster.team_id] != tuple(row.values()):
            changed[roster.team_id] = {"row_id": roster.team_id, **row}
    if added:
        connection.execute(TEAM.insert(), list(added.values()))
    if changed:
        connection.execute(
            update(TEAM).where(TEAM.c.id == bindparam("row_id")), list(changed.values())
        )


def _mirror_people(
    connection: Connection,
    table: Table,
    listed: Mapping[str, tuple[Sequence[tuple[str, str | None, str | None]], bool]],
) -> None:
    """Members or coaches: team id → (people listed, whether unlisted ones are kept)."""
    has_name = "name" in table.c
    known = _known_people(connection, table, has_name=has_name)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for team_id, (people, keep_unlisted) in listed.items():
        rows = known.get(team_id, {})
        added, changed = reconcile(
            {user_id: person for user_id, (_, person) in rows.items()},
            people,
            keep_unlisted=keep_unlisted,
        )
        for user_id, person in added.items():
            inserts.append({"team_id": team_id, "user_id": user_id, **_values(person, has_name)})
        for user_id, person in changed.items():
            updates.append({"row_id": rows[user_id][0], **_values(person, has_name)})
    if inserts:
        connection.execute(table.insert(), inserts)
    if updates:
        connection.execute(update(table).where(table.c.id == bindparam("row_id")), updates)


def _known_people(
    connection: Connection, table: Table, *, has_name: bool
) -> dict[str, dict[str, tuple[int, Person]]]:
    """Every row of the table: team id → user id → (row id, the person as recorded)."""
    name = table.c.name if has_name else None
    columns = [table.c.id, table.c.team_id, table.c.user_id, table.c.timezone, table.c.active]
    known: dict[str, dict[str, tuple[int, Person]]] = {}
    for row in connection.execute(select(*columns, *([name] if has_name else []))):
        person = Person(row[5] if has_name else None, row[3], bool(row[4]))
        known.setdefault(row[1], {})[row[2]] = (row[0], person)
    return known


def _values(person: Person, has_name: bool) -> dict[str, Any]:
    """The columns a person's row is written with."""
    values: dict[str, Any] = {"timezone": person.timezone, "active": person.active}
    if has_name:
        values["name"] = person.name
    return values
