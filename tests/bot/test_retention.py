"""Data retention: rows older than organisation.retention go, with what hangs from them; the rest
stays exactly as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func
from sqlmodel import Session, SQLModel, select

from bot.core.config import AppConfig, parse_config
from bot.data.retention import EXPIRES, KEPT, purge_expired
from bot.services import Services
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    Coach,
    Feedback,
    FeedbackRequest,
    FeedbackRequestRecipient,
    Member,
    ProcessedEvent,
    SentDigest,
    Team,
    Tension,
)
from tests.conftest import TEST_APP_YAML
from tests.storage.conftest import engine, session  # noqa: F401
from tests.storage.factories import (
    make_feedback,
    make_member,
    make_prompt,
    make_response,
    make_round,
    make_sent_digest,
    make_team,
    make_tension,
)

NOW = datetime(2028, 6, 1, 12, 0, tzinfo=UTC)
OLD = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # more than a year before NOW
RECENT = datetime(2028, 5, 20, 12, 0, tzinfo=UTC)


def config_with(retention: str | None) -> AppConfig:
    line = f"  retention: {retention}\n" if retention else ""
    return parse_config(
        TEST_APP_YAML.replace("organisation:\n", "organisation:\n" + line, 1), source="t.yaml"
    )


def a_round(db: Session, when: datetime) -> CheckinRound:
    return make_round(
        db,
        meeting_date=when.date(),
        meeting_at=when,
        opens_at=when - timedelta(days=1),
        created_at=when - timedelta(days=1),
    )


def count(db: Session, table: object) -> int:
    return db.exec(select(func.count()).select_from(table)).one()  # type: ignore[call-overload,arg-type]


@pytest.fixture
def history(session: Session) -> dict[str, int]:  # noqa: F811
    """A team with a year and more of history: old rows, recent rows, and links between them."""
    make_team(session)
    make_member(session)
    session.add(Coach(team_id="north", user_id="U09"))
    old_round, new_round = a_round(session, OLD), a_round(session, RECENT)
    for round_ in (old_round, new_round):
        for user in ("U01", "U02"):
            make_prompt(session, round_id=round_.id, user_id=user, created_at=round_.created_at)
            make_response(session, round_id=round_.id, user_id=user, created_at=round_.created_at)
    make_tension(session, text="old and done", created_at=OLD, updated_at=OLD)
    make_tension(session, text="old, still worked on", created_at=OLD, updated_at=RECENT)
    make_tension(
        session,
        text="recent, triaged in the old meeting",
        created_at=RECENT,
        updated_at=RECENT,
        triaged_round_id=old_round.id,
    )
    old_request = FeedbackRequest(team_id="north", requester="U01", about="old", created_at=OLD)
    new_request = FeedbackRequest(team_id="north", requester="U01", about="new", created_at=RECENT)
    session.add_all([old_request, new_request])
    session.flush()
    old_feedback = make_feedback(session, created_at=OLD, text="old")
    new_feedback = make_feedback(
        session, created_at=RECENT, text="answers the old request", request_id=old_request.id
    )
    session.add_all(
        [
            FeedbackRequestRecipient(request_id=old_request.id, user_id="U02"),
            FeedbackRequestRecipient(
                request_id=new_request.id, user_id="U02", feedback_id=old_feedback.id
            ),
        ]
    )
    make_sent_digest(session, created_at=OLD, sent_at=OLD, iso_week="2027-W09")
    make_sent_digest(session, created_at=RECENT, sent_at=RECENT, iso_week="2028-W20")
    session.add_all(
        [
            ProcessedEvent(event_id="Ev0OLD", received_at=OLD),
            ProcessedEvent(event_id="Ev0NEW", received_at=RECENT),
        ]
    )
    session.commit()
    return {
        "old_round": old_round.id,
        "new_round": new_round.id,
        "new_feedback": new_feedback.id,
    }  # type: ignore[dict-item]


def test_rows_older_than_the_retention_go_with_what_hangs_from_them(
    session: Session,  # noqa: F811
    history: dict[str, int],
) -> None:
    deleted = purge_expired(session, config=config_with("1y"), now=NOW)

    assert deleted == {
        "checkin_round": 1,
        "checkin_prompt": 2,
        "checkin_response": 2,
        "tension": 1,
        "feedback_request": 1,
        "feedback_request_recipient": 1,
        "feedback": 1,
        "sent_digest": 1,
        "processed_event": 1,
    }
    session.expire_all()
    assert [r.id for r in session.exec(select(CheckinRound))] == [history["new_round"]]
    assert {p.round_id for p in session.exec(select(CheckinPrompt))} == {history["new_round"]}
    assert {r.round_id for r in session.exec(select(CheckinResponse))} == {history["new_round"]}
    tensions = {t.text: t for t in session.exec(select(Tension))}
    assert set(tensions) == {"old, still worked on", "recent, triaged in the old meeting"}
    assert tensions["recent, triaged in the old meeting"].triaged_round_id is None
    [feedback] = session.exec(select(Feedback)).all()
    assert (feedback.id, feedback.request_id) == (history["new_feedback"], None)
    [recipient] = session.exec(select(FeedbackRequestRecipient)).all()
    assert recipient.feedback_id is None
    assert [r.about for r in session.exec(select(FeedbackRequest))] == ["new"]
    assert [d.iso_week for d in session.exec(select(SentDigest))] == ["2028-W20"]
    assert [e.event_id for e in session.exec(select(ProcessedEvent))] == ["Ev0NEW"]
    assert (count(session, Team), count(session, Member), count(session, Coach)) == (1, 1, 1)


def test_without_a_retention_nothing_is_deleted(
    session: Session,  # noqa: F811
    history: dict[str, int],
) -> None:
    before = {t.name: count(session, t) for t in SQLModel.metadata.sorted_tables}  # type: ignore[arg-type]

    assert purge_expired(session, config=config_with(None), now=NOW) == {}

    assert {t.name: count(session, t) for t in SQLModel.metadata.sorted_tables} == before  # type: ignore[arg-type]


def test_a_second_purge_finds_nothing_more(
    session: Session,  # noqa: F811
    history: dict[str, int],
) -> None:
    purge_expired(session, config=config_with("1y"), now=NOW)
    assert purge_expired(session, config=config_with("1y"), now=NOW) == {}


def test_many_old_rows_go_in_short_batches(session: Session) -> None:  # noqa: F811
    make_team(session)
    for day in range(7):
        make_tension(session, created_at=OLD + timedelta(days=day), updated_at=OLD)
    make_tension(session, text="recent", created_at=RECENT, updated_at=RECENT)
    session.commit()
    commits: list[object] = []

    def committed(db: Session) -> None:
        commits.append(db)

    event.listen(session, "after_commit", committed)
    try:
        deleted = purge_expired(session, config=config_with("1y"), now=NOW, batch_size=3)
    finally:
        event.remove(session, "after_commit", committed)

    assert deleted == {"tension": 7}
    assert len(commits) == 3  # 3 + 3 + 1
    assert [t.text for t in session.exec(select(Tension))] == ["recent"]


def test_the_cutoff_is_the_retention_before_now(session: Session) -> None:  # noqa: F811
    make_team(session)
    make_tension(session, text="just inside", created_at=NOW - timedelta(days=89, hours=23))
    make_tension(session, text="just outside", created_at=NOW - timedelta(days=90, minutes=1))
    session.commit()
    for tension in session.exec(select(Tension)):
        tension.updated_at = tension.created_at
    session.commit()

    assert purge_expired(session, config=config_with("90d"), now=NOW) == {"tension": 1}
    assert [t.text for t in session.exec(select(Tension))] == ["just inside"]


def test_every_table_is_expired_kept_or_goes_with_its_parent() -> None:
    tables = SQLModel.metadata.tables
    handled = set(EXPIRES) | KEPT
    grew = True
    while grew:  # a table whose required foreign key is to a handled table goes with it
        grew = False
        for name, table in tables.items():
            if name in handled:
                continue
            parents = {
                fk.column.table.name
                for c in table.columns
                if not c.nullable
                for fk in c.foreign_keys
            }
            if parents & (set(EXPIRES) | (handled - KEPT)):
                handled.add(name)
                grew = True
    assert handled == set(tables), "say in bot/data/retention.py when rows of the new table expire"
    assert set(EXPIRES) & KEPT == set()


def test_the_scheduler_purges_daily_while_it_leads(services: Services) -> None:
    from bot.jobs.scheduler import RETENTION_FIRST_AFTER, Scheduler
    from storage.locks import LeaseLock

    services.config = config_with("30d")
    today, long_ago = services.now(), services.now() - timedelta(days=60)
    with services.session() as db:
        make_tension(db, text="long ago", created_at=long_ago, updated_at=long_ago)
        make_tension(db, text="today", created_at=today, updated_at=today)
        db.commit()
    scheduler = Scheduler(services, lock=LeaseLock(services, holder="test"))
    try:
        assert scheduler.step()
        next_run = dict(scheduler.jobs())["retention"]
        assert next_run is not None
        assert next_run - services.now() <= RETENTION_FIRST_AFTER

        scheduler.purge_expired()
    finally:
        scheduler.stop()

    with services.session() as db:
        assert [t.text for t in db.exec(select(Tension))] == ["today"]
