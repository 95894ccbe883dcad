"""UTCDateTime and StrEnumType: what goes into the database and what comes back out."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from storage.db import session_factory
from storage.models import CheckinRound, RoundStatus, SchedulerLock
from storage.types import StrEnumType, UTCDateTime
from tests.storage.factories import make_round, make_team

LONDON = ZoneInfo("Europe/London")
# 10:00 in London during British Summer Time is 09:00 UTC.
SUMMER_MEETING = datetime(2026, 6, 2, 10, 0, tzinfo=LONDON)


def test_an_aware_datetime_comes_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    with session_factory(engine)() as session:
        session.add(SchedulerLock(name="scheduler", holder="web-1", expires_at=SUMMER_MEETING))
        session.commit()

    with session_factory(engine)() as session:
        lock = session.exec(select(SchedulerLock)).one()
        assert lock.expires_at == SUMMER_MEETING
        assert lock.expires_at.tzinfo is UTC
        assert lock.expires_at.hour == 9


def test_the_database_holds_naive_utc(engine: Engine) -> None:
    with session_factory(engine)() as session:
        session.add(SchedulerLock(name="scheduler", holder="web-1", expires_at=SUMMER_MEETING))
        session.commit()

    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT expires_at FROM scheduler_lock").scalar_one()
    # SQLite hands back text, PostgreSQL a naive datetime: both read 09:00, not 10:00+01:00.
    assert str(stored).startswith("2026-06-02 09:00:00")
    assert "+" not in str(stored)


def test_a_naive_datetime_is_refused(session: Session) -> None:
    session.add(SchedulerLock(name="scheduler", holder="web-1", expires_at=datetime(2026, 6, 2)))
    with pytest.raises(StatementError, match="naive"):
        session.flush()


def test_queries_compare_with_aware_datetimes(session: Session) -> None:
    session.add(SchedulerLock(name="scheduler", holder="web-1", expires_at=SUMMER_MEETING))
    session.flush()
    just_before = datetime(2026, 6, 2, 8, 59, tzinfo=UTC)
    just_after = datetime(2026, 6, 2, 10, 59, tzinfo=LONDON)

    expiring = select(SchedulerLock.name).where(SchedulerLock.expires_at <= just_before)
    assert session.exec(expiring).all() == []
    expired = select(SchedulerLock.name).where(SchedulerLock.expires_at <= just_after)
    assert session.exec(expired).all() == ["scheduler"]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_utc_datetime_binds_naive_utc_and_reads_aware_utc(dialect: object) -> None:
    column_type = UTCDateTime()
    assert column_type.process_bind_param(SUMMER_MEETING, dialect) == datetime(2026, 6, 2, 9, 0)  # type: ignore[arg-type]
    assert column_type.process_bind_param(None, dialect) is None  # type: ignore[arg-type]
    read = column_type.process_result_value(datetime(2026, 6, 2, 9, 0), dialect)  # type: ignore[arg-type]
    assert read == datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    assert read is not None and read.tzinfo is UTC


def test_utc_datetime_refuses_what_is_not_a_datetime() -> None:
    with pytest.raises(TypeError, match="needs a datetime"):
        UTCDateTime().process_bind_param("2026-06-02T09:00:00Z", sqlite.dialect())


def test_statuses_are_stored_as_plain_strings_and_read_as_enum_members(engine: Engine) -> None:
    with session_factory(engine)() as session:
        make_team(session)
        make_round(session, status=RoundStatus.MISSED)
        session.commit()

    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT status FROM checkin_round").scalar_one()
    assert type(stored) is str and stored == "missed"
    with session_factory(engine)() as session:
        status = session.exec(select(CheckinRound.status)).one()
    assert status is RoundStatus.MISSED


def test_a_status_outside_the_enum_is_refused(session: Session) -> None:
    make_team(session)
    session.add(
        CheckinRound(
            team_id="north",
            meeting_date=SUMMER_MEETING.date(),
            meeting_at=SUMMER_MEETING,
            opens_at=SUMMER_MEETING,
            status="postponed",  # type: ignore[arg-type]
        )
    )
    with pytest.raises(StatementError, match="postponed"):
        session.flush()


def test_str_enum_type_accepts_the_plain_value_of_a_member() -> None:
    column_type = StrEnumType(RoundStatus)
    assert column_type.process_bind_param("open", sqlite.dialect()) == "open"
    assert column_type.process_result_value("closed", sqlite.dialect()) is RoundStatus.CLOSED
    assert column_type.python_type is RoundStatus
