"""Mirroring app.yaml's organisation in a few statements (storage.roster), on every database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, select

from storage import queries
from storage.models import Coach, Member, Team
from storage.roster import Person, TeamRoster, mirror_teams, reconcile
from tests.storage.factories import make_member, make_team


def north(**overrides: Any) -> TeamRoster:
    """Team north as a small app.yaml lists it."""
    fields: dict[str, Any] = {
        "team_id": "north",
        "name": "North",
        "channel": "C1",
        "timezone": "Europe/London",
        "members": [("U01", "Ana", "Europe/London"), ("U02", "Ben", None), ("U03", None, None)],
        "coaches": [("U09", "Europe/London"), ("U08", None)],
    } | overrides
    return TeamRoster(**fields)


def members_of(session: Session, team_id: str) -> dict[str, tuple[str | None, str | None, bool]]:
    """user id -> (name, time zone, active) of every member row of the team."""
    rows = session.exec(select(Member).where(Member.team_id == team_id))
    return {m.user_id: (m.name, m.timezone, m.active) for m in rows}


def coaches_of(session: Session, team_id: str) -> dict[str, tuple[str | None, bool]]:
    """user id -> (time zone, active) of every coach row of the team."""
    rows = session.exec(select(Coach).where(Coach.team_id == team_id))
    return {c.user_id: (c.timezone, c.active) for c in rows}


def mirror(session: Session, *rosters: TeamRoster) -> None:
    """Mirror, commit, and forget what the session had loaded (the mirror bypasses the ORM)."""
    mirror_teams(session, rosters)
    session.commit()
    session.expire_all()


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, str]]]:
    """(verb, table) of each SELECT, INSERT and UPDATE run on ``engine`` inside the block."""
    seen: list[tuple[str, str]] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.replace('"', "").split()
        verb = words[0].upper()
        if verb in ("SELECT", "INSERT", "UPDATE"):
            after = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}[verb]
            seen.append((verb, words[[w.upper() for w in words].index(after) + 1]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_reconcile_adds_updates_reactivates_and_deactivates() -> None:
    known = {
        "U01": Person("Ana", "Europe/London"),
        "U02": Person("Ben", None),
        "U03": Person(None, None, active=False),
        "U04": Person("Dev", "Europe/Paris"),
    }
    listed = [("U01", None, None), ("U03", "Cara", None), ("U05", "Eve", None), ("U05", "Eve", "X")]

    added, changed = reconcile(known, listed, keep_unlisted=False)

    assert added == {"U05": Person("Eve", "X")}
    assert changed == {
        "U03": Person("Cara", None),
        "U02": Person("Ben", None, active=False),
        "U04": Person("Dev", "Europe/Paris", active=False),
    }
    assert reconcile(known, listed, keep_unlisted=True)[1] == {"U03": Person("Cara", None)}


def test_mirror_creates_the_organisation(session: Session) -> None:
    mirror(session, north(), north(team_id="south", name="South", channel="C2", coaches=[]))

    teams = session.exec(select(Team).order_by(Team.id)).all()
    assert [(t.id, t.name, t.channel, t.timezone, t.active) for t in teams] == [
        ("north", "North", "C1", "Europe/London", True),
        ("south", "South", "C2", "Europe/London", True),
    ]
    assert all(team.updated_at is not None for team in teams)
    assert members_of(session, "north") == {
        "U01": ("Ana", "Europe/London", True),
        "U02": ("Ben", None, True),
        "U03": (None, None, True),
    }
    assert coaches_of(session, "north") == {"U09": ("Europe/London", True), "U08": (None, True)}
    assert coaches_of(session, "south") == {}
    # Rosters list members in app.yaml's order: the rows are made in that order.
    assert queries.active_members_of_teams(session, ["north"]) == {"north": ["U01", "U02", "U03"]}


def test_mirror_again_updates_reactivates_and_deactivates_without_deleting(
    session: Session,
) -> None:
    mirror(session, north())
    first_ids = {m.user_id: m.id for m in session.exec(select(Member))}
    session.get_one(Team, "north").active = False
    session.commit()

    mirror(
        session,
        north(
            name="North and East",
            channel="C3",
            timezone="Europe/Dublin",
            members=[
                ("U01", "Ana Silva", None),
                ("U03", "Cara", "Europe/Paris"),
                ("U04", "Dev", None),
            ],
            coaches=[("U08", "Europe/Madrid")],
        ),
    )

    team = session.get_one(Team, "north")
    assert (team.name, team.channel, team.timezone, team.active) == (
        "North and East",
        "C3",
        "Europe/Dublin",
        True,
    )
    assert members_of(session, "north") == {
        "U01": ("Ana Silva", "Europe/London", True),  # a None time zone keeps the known one
        "U02": ("Ben", None, False),
        "U03": ("Cara", "Europe/Paris", True),
        "U04": ("Dev", None, True),
    }
    assert coaches_of(session, "north") == {
        "U09": ("Europe/London", False),
        "U08": ("Europe/Madrid", True),
    }
    assert {m.user_id: m.id for m in session.exec(select(Member))}.items() >= first_ids.items()


def test_mirror_keeps_a_user_group_teams_unlisted_members(session: Session) -> None:
    mirror(session, north())
    mirror(session, north(members=[("U01", None, None)], keep_unlisted_members=True))

    assert members_of(session, "north") == {
        "U01": ("Ana", "Europe/London", True),
        "U02": ("Ben", None, True),
        "U03": (None, None, True),
    }


def test_mirror_leaves_unlisted_teams_alone(session: Session) -> None:
    make_team(session, id="west", channel="C0WEST")
    make_member(session, team_id="west", user_id="U05")
    session.commit()

    mirror(session, north(members=[("U05", "Eve", None)]))

    west = session.get_one(Team, "west")
    assert west.active
    assert members_of(session, "west") == {"U05": (None, None, True)}
    assert members_of(session, "north") == {"U05": ("Eve", None, True)}


def test_mirror_moves_updated_at_only_for_a_team_that_changed(session: Session) -> None:
    mirror(session, north(), north(team_id="south", channel="C2"))
    before = {t.id: t.updated_at for t in session.exec(select(Team))}

    mirror(session, north(), north(team_id="south", channel="C2", name="South"))

    after = {t.id: t.updated_at for t in session.exec(select(Team))}
    assert after["north"] == before["north"]
    assert after["south"] > before["south"]


def test_mirror_takes_a_few_statements_however_many_teams(engine: Engine, session: Session) -> None:
    rosters = [
        north(
            team_id=f"team-{n:03d}",
            channel=f"C{n:03d}",
            members=[(f"U{n:03d}M{m}", None, "Europe/London") for m in range(12)],
            coaches=[(f"U{n // 10:03d}COACH", None)],
        )
        for n in range(300)
    ]
    with statements(engine) as fresh:
        mirror(session, *rosters)
    with statements(engine) as unchanged:
        mirror(session, *rosters)
    changed_rosters = [*rosters[:-1], replace(rosters[-1], members=[])]
    with statements(engine) as changed:
        mirror(session, *changed_rosters)

    assert len(session.exec(select(Member).where(Member.active)).all()) == 299 * 12
    reads = [("SELECT", "team"), ("SELECT", "member"), ("SELECT", "coach")]
    # One executemany per table (PostgreSQL sends a long one in batches of rows).
    assert sorted(set(fresh)) == sorted(
        [*reads, ("INSERT", "team"), ("INSERT", "member"), ("INSERT", "coach")]
    )
    assert len(fresh) <= 12
    assert unchanged == reads
    assert changed == [*reads[:2], ("UPDATE", "member"), reads[2]]
