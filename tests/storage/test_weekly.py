"""The weekly aggregates: counted in SQL per team and per week, on hand-made rows."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from bot.digests.service import history_weeks
from storage import claims, weekly
from storage.db import session_factory
from storage.models import (
    DeliveryStatus,
    DigestKind,
    FeedbackKind,
    OutcomeKind,
    PromptStatus,
    RoundStatus,
    TensionStatus,
)
from tests.storage.factories import (
    make_feedback,
    make_prompt,
    make_response,
    make_round,
    make_sent_digest,
    make_team,
    make_tension,
)

LONDON = ZoneInfo("Europe/London")
WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026
AFTER_WEEK = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
THIS_WEEK = history_weeks(WEEK, LONDON, AFTER_WEEK)
STALE = timedelta(weeks=3)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_round(session: Session, *, team_id: str, meeting_at: datetime, **overrides: object):
    return make_round(
        session,
        team_id=team_id,
        meeting_date=meeting_at.date(),
        meeting_at=meeting_at,
        opens_at=meeting_at - timedelta(days=1),
        **overrides,
    )


def test_weeks_index_rows_by_their_week_in_the_zone() -> None:
    assert THIS_WEEK.count == 12
    assert THIS_WEEK.start == utc(2026, 11, 23)
    assert THIS_WEEK.end == utc(2026, 11, 30)
    assert THIS_WEEK.ref == utc(2026, 11, 30)  # the week is over: counted at its end
    assert THIS_WEEK.ref_date == date(2026, 11, 30)
    assert THIS_WEEK.since(4) == utc(2026, 11, 2)


def test_participation_mood_and_metrics_are_counted_per_team_and_week(session: Session) -> None:
    make_team(session, id="north")
    make_team(session, id="south", channel="C0SOUTH")
    this_week = add_round(session, team_id="north", meeting_at=utc(2026, 11, 24, 10))
    last_week = add_round(session, team_id="north", meeting_at=utc(2026, 11, 17, 10))
    for user_id, status in [("U01", "answered"), ("U02", "answered"), ("U03", "sent")]:
        make_prompt(session, round_id=this_week.id, user_id=user_id, status=PromptStatus(status))
    make_prompt(session, round_id=this_week.id, user_id="U04", status=PromptStatus.AWAY)
    make_prompt(session, round_id=this_week.id, user_id="U05", status=PromptStatus.SKIPPED)
    make_response(session, round_id=this_week.id, user_id="U01", mood=5, metric_values={"v": 3})
    make_response(session, round_id=this_week.id, user_id="U02", mood=2, metric_values={"v": 4.5})
    # Answered through /checkin without being prompted: asked as well as answered.
    make_response(session, round_id=this_week.id, user_id="U06", mood=None, metric_values={})
    make_prompt(session, round_id=last_week.id, user_id="U01")
    make_response(session, round_id=last_week.id, user_id="U01", mood=1)

    found = weekly.checkin_weeks(
        session, team_ids=["north", "south"], weeks=THIS_WEEK, metric_ids=["v", "w"]
    )

    assert set(found) == {("north", 11), ("north", 10)}
    week = found[("north", 11)]
    assert (week.rounds, week.asked, week.away, week.skipped, week.answered) == (1, 4, 1, 1, 3)
    assert (week.moods, week.mood_total) == (2, 7.0)
    assert week.metric_answers == {"v": 2, "w": 0}
    assert week.metric_totals == {"v": 7.5, "w": 0.0}
    before = found[("north", 10)]
    assert (before.rounds, before.asked, before.answered, before.mood_total) == (1, 1, 1, 1.0)


def test_a_round_with_no_prompts_and_a_missed_round(session: Session) -> None:
    make_team(session)
    add_round(session, team_id="north", meeting_at=utc(2026, 11, 24, 10))
    add_round(session, team_id="north", meeting_at=utc(2026, 11, 10, 10), status=RoundStatus.MISSED)
    found = weekly.checkin_weeks(session, team_ids=["north"], weeks=THIS_WEEK)
    assert found == {("north", 11): weekly.CheckinWeek(rounds=1, asked=0, away=0)}


def test_empty_weeks_and_unknown_teams_count_nothing(session: Session) -> None:
    make_team(session)
    assert weekly.checkin_weeks(session, team_ids=["north", "nowhere"], weeks=THIS_WEEK) == {}
    assert (
        weekly.tension_counts(session, team_ids=["north"], weeks=THIS_WEEK, stale_after=STALE) == {}
    )
    assert weekly.feedback_activity(session, team_ids=["north"], weeks=THIS_WEEK) == {}
    assert weekly.values_named(session, team_ids=["north"], weeks=THIS_WEEK) == {}
    assert weekly.shared_stories(session, team_ids=["north"], weeks=THIS_WEEK, limit=5) == {}
    assert weekly.owner_spread(session, team_ids=["north"], weeks=THIS_WEEK) == {}
    assert weekly.first_rounds(session, team_ids=[]) == {}


@pytest.mark.parametrize(
    ("zone", "inside", "outside"),
    [
        # Auckland is UTC+13 in November: its Monday starts on Sunday 11:00 UTC.
        ("Pacific/Auckland", utc(2026, 11, 22, 11, 30), utc(2026, 11, 29, 11, 30)),
        # Los Angeles is UTC-8: its Sunday evening is Monday morning in UTC.
        ("America/Los_Angeles", utc(2026, 11, 30, 7, 30), utc(2026, 11, 23, 7, 30)),
    ],
)
def test_week_boundaries_follow_the_teams_zone(
    session: Session, zone: str, inside: datetime, outside: datetime
) -> None:
    make_team(session, timezone=zone)
    weeks = history_weeks(WEEK, ZoneInfo(zone), AFTER_WEEK)
    kept = add_round(session, team_id="north", meeting_at=inside)
    elsewhere = add_round(session, team_id="north", meeting_at=outside)
    make_response(session, round_id=kept.id, user_id="U01", mood=5)
    make_response(session, round_id=elsewhere.id, user_id="U01", mood=1)
    make_tension(session, created_at=inside)
    make_tension(session, created_at=outside)
    make_feedback(session, created_at=inside)
    make_feedback(session, created_at=outside)

    found = weekly.checkin_weeks(session, team_ids=["north"], weeks=weeks)
    assert found[("north", 11)].mood_total == 5.0
    assert (
        weekly.tension_counts(session, team_ids=["north"], weeks=weeks, stale_after=STALE)[
            "north"
        ].raised
        == 1
    )
    assert (
        weekly.feedback_activity(session, team_ids=["north"], weeks=weeks)["north"].appreciations
        == 1
    )


def test_tensions_raised_triaged_closed_open_and_stale(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", channel="C0SOUTH")
    # Raised this week, still open.
    make_tension(session, created_at=utc(2026, 11, 24, 9))
    # Raised long ago and never triaged: open, stale, the oldest.
    make_tension(session, created_at=utc(2026, 10, 1, 12))
    # Raised three weeks ago and a day: stale; two weeks ago: not stale.
    make_tension(session, created_at=utc(2026, 11, 8, 12))
    make_tension(session, created_at=utc(2026, 11, 16, 12))
    # Triaged this week (raised before).
    make_tension(
        session,
        created_at=utc(2026, 11, 12),
        triaged_at=utc(2026, 11, 24, 10),
        status=TensionStatus.TRIAGED,
        outcome=OutcomeKind.INFORMATION,
    )
    # Closed this week; withdrawn this week with no resolution time (its last change counts).
    make_tension(
        session,
        created_at=utc(2026, 11, 2),
        triaged_at=utc(2026, 11, 3),
        resolved_at=utc(2026, 11, 26),
        status=TensionStatus.CLOSED,
    )
    make_tension(
        session,
        created_at=utc(2026, 11, 20),
        updated_at=utc(2026, 11, 25),
        status=TensionStatus.WITHDRAWN,
    )
    # Private: counted apart, never in the team's numbers.
    make_tension(session, created_at=utc(2026, 11, 25), private=True)
    make_tension(session, created_at=utc(2026, 10, 25), private=True)
    # Raised after the week: not yet there.
    make_tension(session, created_at=utc(2026, 11, 30, 8))
    make_tension(session, team_id="south", created_at=utc(2026, 11, 24))

    counts = weekly.tension_counts(
        session, team_ids=["north", "south"], weeks=THIS_WEEK, stale_after=STALE
    )

    north = counts["north"]
    assert (north.raised, north.triaged, north.closed) == (1, 1, 2)
    assert (north.open, north.stale_open) == (4, 2)
    assert north.oldest_open == utc(2026, 10, 1, 12)
    assert (north.private_raised, north.private_open) == (1, 2)
    assert north.first_raised == utc(2026, 10, 1, 12)
    assert (counts["south"].raised, counts["south"].open) == (1, 1)


def test_open_things_are_counted_now_while_the_week_runs(session: Session) -> None:
    make_team(session)
    make_tension(session, created_at=utc(2026, 11, 23, 9))
    make_tension(session, created_at=utc(2026, 11, 25, 9))  # after "now": not yet raised
    running = history_weeks(WEEK, LONDON, utc(2026, 11, 24, 12))
    north = weekly.tension_counts(session, team_ids=["north"], weeks=running, stale_after=STALE)[
        "north"
    ]
    assert running.ref == utc(2026, 11, 24, 12)
    assert (north.raised, north.open) == (2, 1)


def test_actions_done_overdue_and_open_and_who_owns_them(session: Session) -> None:
    make_team(session)
    triaged = {
        "created_at": utc(2026, 11, 1),
        "triaged_at": utc(2026, 11, 3),
        "status": TensionStatus.TRIAGED,
    }
    action = {**triaged, "outcome": OutcomeKind.NEXT_ACTION}
    make_tension(session, **action, owner="U01", due_date=date(2026, 11, 27))  # overdue
    make_tension(session, **action, owner="U01", due_date=date(2026, 11, 30))  # due Monday
    make_tension(session, **triaged, outcome=OutcomeKind.PROJECT, owner="U01")
    make_tension(session, **action, owner="U02")
    make_tension(session, **action, owner="U02", done_at=utc(2026, 11, 25))  # done this week
    make_tension(session, **action, owner="U03", done_at=utc(2026, 11, 10))  # done before
    make_tension(session, **triaged, outcome=OutcomeKind.INFORMATION, owner="U03")  # no action
    make_tension(session, **action, owner="U03", private=True)  # the coaches' alone

    north = weekly.tension_counts(session, team_ids=["north"], weeks=THIS_WEEK, stale_after=STALE)[
        "north"
    ]
    assert (north.actions_done, north.actions_overdue, north.actions_open) == (1, 1, 4)
    spread = weekly.owner_spread(session, team_ids=["north"], weeks=THIS_WEEK)["north"]
    assert spread == weekly.OwnerSpread(owners=2, top_owner_actions=3, actions=4)


def test_feedback_is_counted_by_kind_and_the_values_shared_are_named(session: Session) -> None:
    make_team(session)
    make_feedback(session, created_at=utc(2026, 11, 24), shared=True, values=["Trust", "Courage"])
    make_feedback(session, created_at=utc(2026, 11, 25), shared=True, values=["Trust"])
    make_feedback(session, created_at=utc(2026, 11, 25), values=["Compassion"])  # not shared
    make_feedback(session, created_at=utc(2026, 11, 26), kind=FeedbackKind.SUGGESTION)
    make_feedback(session, created_at=utc(2026, 11, 3), giver=None, anonymous=True)
    make_feedback(session, created_at=utc(2026, 9, 8), shared=True, values=["Trust"])
    make_feedback(session, created_at=utc(2026, 9, 1))  # before the twelve weeks: not read
    make_feedback(session, created_at=utc(2026, 11, 30, 1))  # after the week: not yet given

    north = weekly.feedback_activity(session, team_ids=["north"], weeks=THIS_WEEK)["north"]
    assert (north.appreciations, north.suggestions, north.shared_appreciations) == (3, 1, 2)
    assert north.month_total == 5
    assert (north.first_at, north.last_at) == (utc(2026, 9, 8), utc(2026, 11, 26))
    named = weekly.values_named(session, team_ids=["north"], weeks=THIS_WEEK)
    assert named == {"north": {"Trust": 2, "Courage": 1}}


def test_only_stories_shared_with_the_team_are_read_first_ones_first(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", channel="C0SOUTH")
    rnd = add_round(session, team_id="north", meeting_at=utc(2026, 11, 24, 10))
    south = add_round(session, team_id="south", meeting_at=utc(2026, 11, 24, 10))
    before = add_round(session, team_id="north", meeting_at=utc(2026, 11, 17, 10))
    for n, user_id in enumerate(["U01", "U02", "U03", "U04"]):
        make_response(
            session,
            round_id=rnd.id,
            user_id=user_id,
            story=f"story {n}",
            created_at=utc(2026, 11, 23, 12 + n),
        )
    make_response(session, round_id=rnd.id, user_id="U05", story="kept private", shared=False)
    make_response(session, round_id=rnd.id, user_id="U06", story="   ")
    make_response(session, round_id=before.id, user_id="U01", story="last week's")
    make_response(session, round_id=south.id, user_id="U09", story="south's")

    pages = weekly.shared_stories(session, team_ids=["north", "south"], weeks=THIS_WEEK, limit=3)

    assert [s.story for s in pages["north"].stories] == ["story 0", "story 1", "story 2"]
    assert pages["north"].total == 4
    assert [(s.user_id, s.story) for s in pages["south"].stories] == [("U09", "south's")]


def test_the_first_round_tells_how_long_a_team_has_used_retrobot(session: Session) -> None:
    make_team(session)
    add_round(session, team_id="north", meeting_at=utc(2026, 11, 24, 10))
    add_round(session, team_id="north", meeting_at=utc(2026, 3, 3, 10))
    assert weekly.first_rounds(session, team_ids=["north"]) == {"north": utc(2026, 3, 3, 10)}


def test_statements_do_not_grow_with_teams_or_rows(session: Session, engine: Engine) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    ids = []
    for n in range(30):
        make_team(session, id=f"t{n}", channel=f"C{n:04d}")
        ids.append(f"t{n}")
        for week in range(3):
            rnd = add_round(session, team_id=f"t{n}", meeting_at=utc(2026, 11, 10 + 7 * week, 9))
            make_response(session, round_id=rnd.id, user_id="U01", story="s")
            make_tension(session, team_id=f"t{n}", created_at=utc(2026, 11, 10 + 7 * week))
            make_feedback(session, team_id=f"t{n}", created_at=utc(2026, 11, 10 + 7 * week))
    session.commit()

    def run(team_ids: list[str]) -> int:
        statements.clear()
        weekly.checkin_weeks(session, team_ids=team_ids, weeks=THIS_WEEK, metric_ids=["v"])
        weekly.tension_counts(session, team_ids=team_ids, weeks=THIS_WEEK, stale_after=STALE)
        weekly.owner_spread(session, team_ids=team_ids, weeks=THIS_WEEK)
        weekly.feedback_activity(session, team_ids=team_ids, weeks=THIS_WEEK)
        weekly.values_named(session, team_ids=team_ids, weeks=THIS_WEEK)
        weekly.shared_stories(session, team_ids=team_ids, weeks=THIS_WEEK, limit=5)
        weekly.first_rounds(session, team_ids=team_ids)
        return len(statements)

    assert run(ids[:1]) == run(ids) == 8  # check-ins take two statements, the rest one each


# --- the record of deliveries -----------------------------------------------------------------


def claim(session: Session, **overrides: object) -> object:
    fields = {
        "kind": DigestKind.TEAM_SUMMARY,
        "recipient": "C0123ABCD",
        "team_id": "north",
        "iso_week": WEEK,
        "now": AFTER_WEEK,
    } | overrides
    return claims.claim_delivery(session, **fields)  # type: ignore[arg-type]


def test_a_delivery_is_claimed_once_and_a_failed_one_can_be_claimed_again(
    session: Session,
) -> None:
    make_team(session)
    session.commit()
    first = claim(session)
    assert first is not None and first.status is DeliveryStatus.PENDING
    assert claim(session) is None
    assert claim(session, kind=DigestKind.COACH_DIGEST, recipient="U09") is not None
    assert claim(session, iso_week="2026-W49") is not None

    first.status = DeliveryStatus.FAILED
    first.error = "not_in_channel"
    session.add(first)
    session.commit()
    again = claim(session, now=AFTER_WEEK + timedelta(hours=1))
    assert again is not None and again.id == first.id
    assert (again.status, again.error) == (DeliveryStatus.PENDING, None)
    assert claim(session) is None


def test_concurrent_claims_let_exactly_one_through(session: Session, engine: Engine) -> None:
    make_team(session)
    session.commit()
    new_session = session_factory(engine)
    results: list[object] = []
    barrier = threading.Barrier(6)

    def attempt() -> None:
        with new_session() as own:
            barrier.wait()
            results.append(claim(own))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1


def test_the_coach_digests_about_teams_sent_newest_first(session: Session) -> None:
    make_team(session)
    make_team(session, id="south", channel="C0SOUTH")
    make_sent_digest(session, iso_week="2026-W47", body="w47")
    make_sent_digest(session, iso_week="2026-W48", body="w48")
    make_sent_digest(session, iso_week="2026-W48", recipient="U08", body="w48 other coach")
    make_sent_digest(session, iso_week="2026-W49", status=DeliveryStatus.FAILED)
    make_sent_digest(session, iso_week="2026-W49", status=DeliveryStatus.PENDING, recipient="U07")
    make_sent_digest(session, iso_week="2026-W48", team_id="south", body="south")
    make_sent_digest(session, kind=DigestKind.TEAM_SUMMARY, recipient="C0123ABCD")

    rows = weekly.coach_digests_for_teams(session, team_ids=["north"], limit=10)
    assert [(r.iso_week, r.recipient, r.body) for r in rows] == [
        ("2026-W48", "U08", "w48 other coach"),
        ("2026-W48", "U09", "w48"),
        ("2026-W47", "U09", "w47"),
    ]
    assert len(weekly.coach_digests_for_teams(session, team_ids=["north"], limit=1)) == 1
