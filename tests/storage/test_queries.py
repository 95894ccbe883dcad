"""The shared queries of storage.queries, on every database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage import claims, queries
from storage.db import session_factory
from storage.models import Coach, Member, ProcessedEvent, Team, TensionStatus
from tests.storage.factories import MONDAY_NOON, make_member, make_team, make_tension


def members_of(session: Session, team_id: str) -> dict[str, tuple[str | None, str | None, bool]]:
    """user id -> (name, time zone, active) of every member row of the team, active or not."""
    rows = session.exec(select(Member).where(Member.team_id == team_id))
    return {m.user_id: (m.name, m.timezone, m.active) for m in rows}


def coaches_of(session: Session, team_id: str) -> dict[str, tuple[str | None, bool]]:
    """user id -> (time zone, active) of every coach row of the team."""
    rows = session.exec(select(Coach).where(Coach.team_id == team_id))
    return {c.user_id: (c.timezone, c.active) for c in rows}


def test_upsert_team_creates_then_updates_and_reactivates(session: Session) -> None:
    created = queries.upsert_team(
        session, team_id="north", name="North", channel="C1", timezone="Europe/London"
    )
    session.commit()
    created.active = False
    session.commit()

    updated = queries.upsert_team(
        session, team_id="north", name="North and East", channel="C2", timezone="Europe/Dublin"
    )
    session.commit()

    assert updated is created
    session.expire_all()
    teams = session.exec(select(Team)).all()
    assert [(t.id, t.name, t.channel, t.timezone, t.active) for t in teams] == [
        ("north", "North and East", "C2", "Europe/Dublin", True)
    ]


def test_sync_members_adds_updates_and_deactivates_without_deleting(session: Session) -> None:
    make_team(session)
    queries.sync_members(
        session,
        team_id="north",
        members=[("U01", "Ana", "Europe/London"), ("U02", "Ben", None), ("U03", None, None)],
        coaches=[("U09", "Europe/London"), ("U08", None)],
    )
    session.commit()
    first_ids = {m.user_id: m.id for m in session.exec(select(Member))}

    queries.sync_members(
        session,
        team_id="north",
        members=[("U01", "Ana Silva", None), ("U03", "Cara", "Europe/Paris"), ("U04", "Dev", None)],
        coaches=[("U08", "Europe/Madrid")],
    )
    session.commit()
    session.expire_all()

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


def test_sync_members_reactivates_the_same_row(session: Session) -> None:
    make_team(session)
    queries.sync_members(session, team_id="north", members=[("U01", None, None)], coaches=[])
    session.commit()
    queries.sync_members(session, team_id="north", members=[], coaches=[])
    session.commit()
    assert members_of(session, "north") == {"U01": (None, None, False)}

    queries.sync_members(
        session, team_id="north", members=[("U01", None, None)], coaches=[("U09", None)]
    )
    session.commit()

    assert members_of(session, "north") == {"U01": (None, None, True)}
    assert len(session.exec(select(Member)).all()) == 1
    assert coaches_of(session, "north") == {"U09": (None, True)}


def test_sync_members_takes_a_person_listed_twice_once(session: Session) -> None:
    make_team(session)
    queries.sync_members(
        session, team_id="north", members=[("U01", "Ana", None), ("U01", "Ana", None)], coaches=[]
    )
    session.commit()
    assert members_of(session, "north") == {"U01": ("Ana", None, True)}


def test_sync_members_leaves_other_teams_alone(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", channel="C0SOUTH")
    make_member(session, team_id="south", user_id="U05")
    queries.sync_members(session, team_id="north", members=[("U01", None, None)], coaches=[])
    session.commit()
    assert members_of(session, "south") == {"U05": (None, None, True)}


def test_teams_of_user_lists_active_memberships_of_active_teams(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", channel="C0SOUTH")
    make_team(session, id="east", channel="C0EAST")
    make_team(session, id="west", channel="C0WEST", active=False)
    make_member(session, team_id="south", user_id="U01")
    make_member(session, team_id="north", user_id="U01")
    make_member(session, team_id="east", user_id="U01", active=False)
    make_member(session, team_id="west", user_id="U01")
    make_member(session, team_id="east", user_id="U02")
    session.commit()

    assert queries.teams_of_user(session, "U01") == ["north", "south"]
    assert queries.teams_of_user(session, "U02") == ["east"]
    assert queries.teams_of_user(session, "U99") == []


def test_active_member_ids_are_sorted_and_leave_out_former_members(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", channel="C0SOUTH")
    make_member(session, user_id="U03")
    make_member(session, user_id="U01")
    make_member(session, user_id="U02", active=False)
    make_member(session, team_id="south", user_id="U04")
    session.commit()

    assert queries.active_member_ids(session, "north") == ["U01", "U03"]


def test_claim_event_is_true_once_per_event(engine: Engine) -> None:
    new_session = session_factory(engine)
    with new_session() as session:
        assert claims.claim_event(session, "Ev01", now=MONDAY_NOON) is True
        assert claims.claim_event(session, "Ev01", now=MONDAY_NOON) is False
        assert claims.claim_event(session, "Ev02", now=MONDAY_NOON) is True
    with new_session() as session:
        assert claims.claim_event(session, "Ev01", now=MONDAY_NOON) is False
        stored = session.exec(select(ProcessedEvent).order_by(ProcessedEvent.event_id)).all()
        assert [(e.event_id, e.received_at) for e in stored] == [
            ("Ev01", MONDAY_NOON),
            ("Ev02", MONDAY_NOON),
        ]


def test_claim_event_loses_a_race_gracefully(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_session = session_factory(engine)
    with new_session() as winner, new_session() as loser:
        # The loser looked before the winner inserted: its look finds nothing.
        monkeypatch.setattr(loser, "get", lambda *args, **kwargs: None)
        assert claims.claim_event(winner, "Ev01", now=MONDAY_NOON) is True

        assert claims.claim_event(loser, "Ev01", now=MONDAY_NOON) is False
        # The session was rolled back and can carry on.
        assert loser.exec(select(ProcessedEvent.event_id)).all() == ["Ev01"]


def test_open_tensions_are_the_teams_open_ones_oldest_first(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", channel="C0SOUTH")
    hour = timedelta(hours=1)
    newest = make_tension(session, text="newest", created_at=MONDAY_NOON + 3 * hour)
    oldest = make_tension(session, text="oldest", created_at=MONDAY_NOON)
    private = make_tension(session, text="private", private=True, created_at=MONDAY_NOON + hour)
    make_tension(session, text="triaged", status=TensionStatus.TRIAGED)
    make_tension(session, text="withdrawn", status=TensionStatus.WITHDRAWN)
    make_tension(session, text="south's", team_id="south")
    session.commit()

    assert queries.open_tensions(session, team_id="north") == [oldest, newest]
    assert queries.open_tensions(session, team_id="north", include_private=True) == [
        oldest,
        private,
        newest,
    ]
    assert queries.open_tensions(session, team_id="north", limit=1) == [oldest]
    assert queries.open_tensions(session, team_id="nowhere") == []


def test_tensions_raised_by_a_person_across_teams(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", channel="C0SOUTH")
    later = MONDAY_NOON + timedelta(days=1)
    south = make_tension(session, team_id="south", created_at=later)
    north = make_tension(session)
    triaged = make_tension(session, status=TensionStatus.TRIAGED, created_at=later)
    make_tension(session, status=TensionStatus.CLOSED)
    make_tension(session, raised_by="U02")
    session.commit()

    assert queries.tensions_raised_by(session, user_id="U01") == [north, south]
    mine = queries.tensions_raised_by(
        session, user_id="U01", statuses=(TensionStatus.OPEN, TensionStatus.TRIAGED)
    )
    assert mine == [north, south, triaged]  # a tie on created_at goes by id
    assert queries.tensions_raised_by(session, user_id="U01", statuses=()) == []
