"""The feedback queries of storage.queries, on every database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from storage import claims, queries
from storage.models import (
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestRecipient,
)
from tests.storage.factories import MONDAY_NOON, make_member, make_team

APPRECIATION, SUGGESTION = FeedbackKind.APPRECIATION, FeedbackKind.SUGGESTION


def add_feedback(session: Session, **overrides: Any) -> Feedback:
    fields: dict[str, Any] = {
        "team_id": "north",
        "giver": "U01",
        "receiver": "U02",
        "kind": APPRECIATION,
        "text": "Thank you",
        "created_at": MONDAY_NOON,
    } | overrides
    row = Feedback(**fields)
    session.add(row)
    session.flush()
    return row


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session runs inside the block."""
    seen: list[str] = []
    engine = session.get_bind()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_feedback_counts_by_kind_and_value_in_the_period_and_team(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", name="South", channel="C0SOUTH")
    add_feedback(session, values=["Compassion", "Trust"])
    add_feedback(session, values=["Compassion"], giver=None, anonymous=True)
    add_feedback(session, kind=SUGGESTION, values=["Courage"], created_at=MONDAY_NOON)
    add_feedback(session, kind=SUGGESTION, values=[])
    add_feedback(session, values=["Compassion"], created_at=MONDAY_NOON - timedelta(days=8))
    add_feedback(session, values=["Compassion"], created_at=MONDAY_NOON + timedelta(days=7))
    add_feedback(session, team_id="south", values=["Compassion"])
    session.commit()

    start, end = MONDAY_NOON - timedelta(days=1), MONDAY_NOON + timedelta(days=7)
    with statements(session) as seen:
        counts = queries.feedback_counts(session, team_id="north", start=start, end=end)
    assert counts.by_kind == {APPRECIATION: 2, SUGGESTION: 2}
    assert counts.total == 4
    assert counts.by_value == {"Compassion": 2, "Courage": 1, "Trust": 1}
    assert list(counts.by_value) == ["Compassion", "Courage", "Trust"]  # most named first
    # Counted by the database: grouped queries that never read text or who gave to whom.
    assert len(seen) == 2 and all("GROUP BY" in s.upper() for s in seen)
    read = [c for c in ("feedback.text", "feedback.giver", "feedback.receiver") if c in str(seen)]
    assert read == []


def test_feedback_counts_of_a_quiet_team_are_zero(session: Session) -> None:
    make_team(session)
    counts = queries.feedback_counts(
        session, team_id="north", start=MONDAY_NOON, end=MONDAY_NOON + timedelta(days=7)
    )
    assert counts.by_kind == {APPRECIATION: 0, SUGGESTION: 0}
    assert counts.by_value == {} and counts.total == 0


def test_feedback_given_since_counts_named_feedback_of_the_giver(session: Session) -> None:
    make_team(session)
    add_feedback(session, created_at=MONDAY_NOON - timedelta(minutes=50))
    add_feedback(session, created_at=MONDAY_NOON - timedelta(minutes=10), receiver="U03")
    add_feedback(session, created_at=MONDAY_NOON - timedelta(minutes=90))
    add_feedback(session, giver="U05")
    add_feedback(session, giver=None, anonymous=True, receiver="U02")
    since = MONDAY_NOON - timedelta(hours=1)
    count, oldest = queries.feedback_given_since(session, giver="U01", since=since)
    assert (count, oldest) == (2, MONDAY_NOON - timedelta(minutes=50))
    assert queries.feedback_given_since(session, giver="U09", since=since) == (0, None)
    assert queries.anonymous_feedback_received_since(session, receiver="U02", since=since) == 1


def test_received_feedback_pages_newest_first(session: Session) -> None:
    make_team(session)
    for minute in range(5):
        add_feedback(session, text=f"n{minute}", created_at=MONDAY_NOON + timedelta(minutes=minute))
    add_feedback(session, receiver="U03")
    page = queries.feedback_received(session, receiver="U02", limit=2, offset=2)
    assert [f.text for f in page] == ["n2", "n1"]
    assert queries.count_feedback_received(session, receiver="U02") == 5


def test_thanks_is_marked_once(session: Session) -> None:
    make_team(session)
    row = add_feedback(session)
    assert queries.mark_feedback_thanked(session, feedback_id=row.id or 0, now=MONDAY_NOON)
    assert not queries.mark_feedback_thanked(session, feedback_id=row.id or 0, now=MONDAY_NOON)


def add_request(session: Session, *, due: date, asked: list[str], **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "team_id": "north",
        "requester": "U01",
        "about": "My handover",
        "due_date": due,
        "created_at": MONDAY_NOON,
    } | overrides
    request = FeedbackRequest(**fields)
    session.add(request)
    session.flush()
    for user_id in asked:
        session.add(FeedbackRequestRecipient(request_id=request.id or 0, user_id=user_id))
    session.flush()
    return request.id or 0


def test_requests_waiting_made_and_due(session: Session) -> None:
    make_team(session)
    soon = add_request(session, due=date(2026, 6, 5), asked=["U02", "U03"])
    later = add_request(session, due=date(2026, 6, 20), asked=["U02"])
    add_request(session, due=date(2026, 5, 1), asked=["U02"])
    answered = queries.request_recipient(session, request_id=later, user_id="U02")
    assert answered is not None
    answered.answered_at = MONDAY_NOON
    session.flush()

    waiting, total = queries.requests_waiting_for(
        session, user_id="U02", due_from=date(2026, 5, 25), limit=5
    )
    assert [(r.id, a.user_id) for r, a in waiting] == [(soon, "U02")] and total == 1

    made = queries.requests_made_by(session, requester="U01", limit=2)  # newest first
    assert [(r.due_date, [a.user_id for a in asked]) for r, asked in made] == [
        (date(2026, 5, 1), ["U02"]),
        (date(2026, 6, 20), ["U02"]),
    ]
    assert queries.requests_made_by(session, requester="U09", limit=2) == []

    due = queries.unanswered_requests_due_between(
        session, first=date(2026, 6, 4), last=date(2026, 6, 6)
    )
    assert [(r.id, a.user_id) for r, a in due] == [(soon, "U02"), (soon, "U03")]
    u02 = queries.request_recipient(session, request_id=soon, user_id="U02")
    assert u02 is not None
    assert claims.claim_feedback_reminder(session, recipient_id=u02.id or 0, now=MONDAY_NOON)
    assert not claims.claim_feedback_reminder(session, recipient_id=u02.id or 0, now=MONDAY_NOON)
    due = queries.unanswered_requests_due_between(
        session, first=date(2026, 6, 4), last=date(2026, 6, 6)
    )
    assert [a.user_id for _, a in due] == ["U03"]


def test_is_away(session: Session) -> None:
    make_team(session)
    make_member(session, user_id="U02", away_until=date(2026, 6, 3))
    assert queries.is_away(session, user_id="U02", day=date(2026, 6, 3))
    assert not queries.is_away(session, user_id="U02", day=date(2026, 6, 4))
    assert not queries.is_away(session, user_id="U03", day=date(2026, 6, 3))
