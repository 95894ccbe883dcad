"""`retrobot status`: each team's last check-in round and weekly deliveries, counted in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import Session

from bot.cli import main
from bot.core.errors import NotFoundError
from bot.data.status import Failure, delivery_report, format_report
from storage.models import DeliveryStatus, DigestKind, PromptStatus, RoundStatus
from tests.storage.conftest import engine, session  # noqa: F401
from tests.storage.factories import (
    make_prompt,
    make_response,
    make_round,
    make_sent_digest,
    make_team,
)

NOW = datetime(2026, 6, 9, 12, 0, tzinfo=UTC)


def a_round(db: Session, team: str, meeting: datetime, status: RoundStatus = RoundStatus.OPEN):
    return make_round(
        db,
        team_id=team,
        meeting_date=meeting.date(),
        meeting_at=meeting,
        opens_at=meeting - timedelta(days=1),
        status=status,
    )


@pytest.fixture
def deliveries(session: Session) -> None:  # noqa: F811
    """North: an old round, the last one (mixed fortunes), a round not yet open; digests of two
    weeks. South: nothing yet."""
    make_team(session)
    make_team(session, id="south", name="South Neighbourhood Team", channel="C0SOUTH")
    old = a_round(session, "north", datetime(2026, 6, 2, 9, 0, tzinfo=UTC), RoundStatus.CLOSED)
    make_prompt(session, round_id=old.id, user_id="U01", status=PromptStatus.FAILED, error="x")
    last = a_round(session, "north", datetime(2026, 6, 9, 9, 0, tzinfo=UTC))
    a_round(session, "north", datetime(2026, 6, 16, 9, 0, tzinfo=UTC))  # opens on the 15th
    for user, status, error in [
        ("U01", PromptStatus.ANSWERED, None),
        ("U02", PromptStatus.ANSWERED, None),
        ("U03", PromptStatus.SENT, None),
        ("U04", PromptStatus.AWAY, None),
        ("U05", PromptStatus.SKIPPED, None),
        ("U06", PromptStatus.FAILED, "user_disabled"),
        ("U07", PromptStatus.FAILED, "user_not_found"),
        ("U08", PromptStatus.FAILED, "user_disabled"),
        ("U09", PromptStatus.PENDING, None),
        ("U11", PromptStatus.OFF_SHIFT, None),  # no working time before the meeting
    ]:
        make_prompt(session, round_id=last.id, user_id=user, status=status, error=error)
    for user in ("U01", "U02", "U10"):  # U10 answered with /checkin, without a DM
        make_response(session, round_id=last.id, user_id=user)
    make_sent_digest(session, iso_week="2026-W22", recipient="U0C1")
    for recipient, status, error in [
        ("U0C1", DeliveryStatus.SENT, None),
        ("U0C2", DeliveryStatus.FAILED, "user_disabled"),
        ("U0C3", DeliveryStatus.PENDING, None),
    ]:
        make_sent_digest(
            session, iso_week="2026-W23", recipient=recipient, status=status, error=error
        )
    make_sent_digest(
        session,
        kind=DigestKind.TEAM_SUMMARY,
        recipient="C0123ABCD",
        iso_week="2026-W23",
        status=DeliveryStatus.FAILED,
        error="not_in_channel",
    )
    session.commit()


def test_the_last_open_round_and_latest_week_of_each_team(
    session: Session,  # noqa: F811
    deliveries: None,
) -> None:
    north, south = delivery_report(session, now=NOW)

    assert (south.team_id, south.round, south.digests) == ("south", None, ())
    last = north.round
    assert last is not None
    assert (last.meeting_date, last.status) == (date(2026, 6, 9), "open")
    assert (last.asked, last.answered, last.away, last.skipped, last.failed) == (3, 3, 1, 1, 3)
    assert last.off_shift == 1  # not asked, and not waiting to be: not "not sent yet"
    assert last.not_sent_yet == 1
    assert last.failures == (
        Failure("user_disabled", 2, ("U06", "U08")),
        Failure("user_not_found", 1, ("U07",)),
    )
    digest, summary = north.digests
    assert (digest.kind, digest.iso_week) == ("coach_digest", "2026-W23")
    assert [digest.count(s) for s in DeliveryStatus] == [1, 1, 1]  # pending, sent, failed
    assert digest.failures == (Failure("user_disabled", 1, ("U0C2",)),)
    assert (summary.kind, summary.count(DeliveryStatus.FAILED)) == ("team_summary", 1)
    assert summary.failures == (Failure("not_in_channel", 1, ("C0123ABCD",)),)


def test_the_report_reads_as_tables(session: Session, deliveries: None) -> None:  # noqa: F811
    text = format_report(delivery_report(session, now=NOW))

    assert text == (
        "TEAM   CHECK-IN ROUND          ASKED  ANSWERED  AWAY  SKIPPED  OFF SHIFT  FAILED  "
        "NOT SENT\n"
        "north  Tue 09 Jun 2026 (open)      3         3     1        1          1       3         "
        "1\n"
        "south  no round yet\n"
        "\n"
        "Check-in DMs that failed:\n"
        "  north  user_disabled   ×2  U06, U08\n"
        "  north  user_not_found  ×1  U07\n"
        "\n"
        "TEAM   WEEKLY DELIVERY  WEEK      SENT  FAILED  PENDING\n"
        "north  coach digest     2026-W23     1       1        1\n"
        "north  team summary     2026-W23     0       1        0\n"
        "south  no digest or summary yet\n"
        "\n"
        "Weekly deliveries that failed:\n"
        "  north  coach digest  user_disabled   ×1  U0C2\n"
        "  north  team summary  not_in_channel  ×1  C0123ABCD\n"
    )


def test_one_team_or_an_unknown_one(session: Session, deliveries: None) -> None:  # noqa: F811
    [south] = delivery_report(session, now=NOW, team_id="south")
    assert south.team_id == "south"
    with pytest.raises(NotFoundError, match=r"No team 'west' in the database \(teams: north"):
        delivery_report(session, now=NOW, team_id="west")


def test_an_empty_database(session: Session) -> None:  # noqa: F811
    assert delivery_report(session, now=NOW) == []
    assert "No teams in the database yet" in format_report([])


def test_the_number_of_statements_does_not_grow_with_the_teams(
    session: Session,  # noqa: F811
    engine,  # noqa: F811
) -> None:
    def statements_for_report() -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            delivery_report(session, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    make_team(session, id="t0", channel="C0T0")
    a_round(session, "t0", datetime(2026, 6, 9, 9, 0, tzinfo=UTC))
    session.commit()
    one = statements_for_report()
    for number in range(1, 30):
        make_team(session, id=f"t{number}", channel=f"C0T{number}")
        round_ = a_round(session, f"t{number}", datetime(2026, 6, 9, 9, 0, tzinfo=UTC))
        make_prompt(session, round_id=round_.id, status=PromptStatus.FAILED, error="x")
        make_sent_digest(session, team_id=f"t{number}", status=DeliveryStatus.FAILED, error="y")
    session.commit()

    assert statements_for_report() == one


def test_the_command_prints_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'status.db'}")

    assert main(["status"]) == 0
    assert "No teams in the database yet" in capsys.readouterr().out

    assert main(["status", "--team", "north"]) == 1
    err = capsys.readouterr().err
    assert err == "retrobot: No team 'north' in the database (teams: none yet).\n"
