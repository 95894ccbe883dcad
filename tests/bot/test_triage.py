"""Triage's domain: checking the modal, recording an outcome once, yes / no, done, progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.core.config import AppConfig, parse_config
from bot.core.errors import InvalidInputError, NotAllowedError, NotFoundError
from bot.services import Services
from bot.triage import service as triage
from storage import queries
from storage.models import CheckinRound, OutcomeKind, Tension, TensionStatus
from tests.conftest import ANA, BEN, CARA, COACH, DEV, SAM, TEST_APP_YAML

NOW = datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
TODAY = NOW.date()


def decision(**fields: object) -> triage.TriageDecision:
    return triage.TriageDecision(**{"outcome": OutcomeKind.NEXT_ACTION, "owner": CARA, **fields})  # type: ignore[arg-type]


@pytest.fixture
def session(services: Services) -> Iterator[Session]:
    with services.session() as session:
        yield session


@pytest.fixture
def tension(session: Session) -> Callable[..., Tension]:
    def make(**fields: object) -> Tension:
        row = Tension(
            **{"team_id": "north", "raised_by": ANA, "text": "Handovers run late", **fields}  # type: ignore[arg-type]
        )
        session.add(row)
        session.commit()
        return row

    return make


@pytest.fixture
def round_id(session: Session) -> int:
    row = CheckinRound(
        team_id="north",
        meeting_date=TODAY,
        meeting_at=NOW - timedelta(minutes=15),
        opens_at=NOW - timedelta(days=1),
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


# --- checking the modal -----------------------------------------------------------------------


def check(config: AppConfig, **answers: object) -> triage.TriageDecision:
    given = {"outcome": "next_action", "owner": CARA, "due_date": None, "note": None} | answers
    return triage.check_triage(team=config.team("north"), today=TODAY, **given)  # type: ignore[arg-type]


def test_a_complete_answer_becomes_a_decision(config: AppConfig) -> None:
    made = check(config, due_date="2026-12-04", note="  Cara drafts a checklist \r\n")
    assert made == triage.TriageDecision(
        OutcomeKind.NEXT_ACTION, CARA, date(2026, 12, 4), "Cara drafts a checklist"
    )


def test_an_owner_is_optional_except_for_work_someone_owns(config: AppConfig) -> None:
    assert check(config, outcome="space", owner=None).owner is None
    assert check(config, outcome="information", owner=None).outcome == OutcomeKind.INFORMATION
    for kind in ("next_action", "project"):
        with pytest.raises(InvalidInputError) as raised:
            check(config, outcome=kind, owner=None)
        assert set(raised.value.field_errors) == {"owner"}


@pytest.mark.parametrize(
    ("answers", "field", "words"),
    [
        ({"outcome": None}, "outcome", "Choose what this tension becomes"),
        ({"outcome": "forged"}, "outcome", "Choose what this tension becomes"),
        ({"owner": SAM}, "owner", "must be a member of the team"),
        ({"owner": COACH}, "owner", "must be a member of the team"),
        ({"due_date": "2026-11-30"}, "due_date", "That date has passed"),
        ({"due_date": "30/11/2026"}, "due_date", "Pick a date"),
        ({"note": "x" * 1001}, "note", "under 1,000 characters"),
        ({"note": "DOB 12/03/1941, call her"}, "note", "date of birth"),
    ],
)
def test_bad_answers_name_their_field(
    config: AppConfig, answers: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check(config, **answers)
    assert words in raised.value.field_errors[field]


def test_due_today_is_fine(config: AppConfig) -> None:
    assert check(config, due_date=TODAY.isoformat()).due_date == TODAY


# --- recording --------------------------------------------------------------------------------


def test_triage_records_the_outcome_once(
    session: Session, config: AppConfig, tension: Callable[..., Tension], round_id: int
) -> None:
    open_one = tension()
    assert open_one.id is not None
    made = decision(due_date=date(2026, 12, 4), note="Checklist")

    recorded = triage.triage_tension(
        session,
        config=config,
        user_id=DEV,
        tension_id=open_one.id,
        round_id=round_id,
        decision=made,
        now=NOW,
    )

    assert recorded.status == TensionStatus.TRIAGED
    assert (recorded.outcome, recorded.owner, recorded.due_date) == (
        OutcomeKind.NEXT_ACTION,
        CARA,
        date(2026, 12, 4),
    )
    assert (recorded.triaged_by, recorded.triaged_round_id, recorded.triaged_at) == (
        DEV,
        round_id,
        NOW,
    )
    assert recorded.resolved_at is None and recorded.needs_met is None
    with pytest.raises(triage.AlreadyTriagedError) as stale:
        triage.triage_tension(
            session,
            config=config,
            user_id=BEN,
            tension_id=open_one.id,
            round_id=round_id,
            decision=decision(outcome=OutcomeKind.DROPPED, owner=None),
            now=NOW + timedelta(minutes=1),
        )
    assert stale.value.tension.triaged_by == DEV  # readable after the session rolled back
    assert session.get(Tension, open_one.id).outcome == OutcomeKind.NEXT_ACTION  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("outcome", "status", "governance"),
    [
        (OutcomeKind.RESOLVED, TensionStatus.CLOSED, False),
        (OutcomeKind.DROPPED, TensionStatus.CLOSED, False),
        (OutcomeKind.PROPOSAL, TensionStatus.TRIAGED, True),
        (OutcomeKind.SPACE, TensionStatus.TRIAGED, False),
    ],
)
def test_each_outcome_sets_status_and_governance(
    session: Session,
    config: AppConfig,
    tension: Callable[..., Tension],
    outcome: OutcomeKind,
    status: TensionStatus,
    governance: bool,
) -> None:
    row = tension()
    assert row.id is not None
    recorded = triage.triage_tension(
        session,
        config=config,
        user_id=DEV,
        tension_id=row.id,
        round_id=None,
        decision=decision(outcome=outcome, owner=None),
        now=NOW,
    )
    assert (recorded.status, recorded.governance) == (status, governance)
    assert (recorded.resolved_at is not None) == (status == TensionStatus.CLOSED)


def test_only_members_triage_and_private_tensions_are_on_no_agenda(
    session: Session, config: AppConfig, tension: Callable[..., Tension]
) -> None:
    public, private = tension(), tension(private=True)
    for outsider in (SAM, COACH, "U0NOBODY"):
        with pytest.raises(NotAllowedError):
            triage.triage_target(session, config=config, user_id=outsider, tension_id=public.id)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        triage.triage_target(session, config=config, user_id=BEN, tension_id=private.id)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        triage.triage_target(session, config=config, user_id=BEN, tension_id=9999)


# --- did you get what you need? ---------------------------------------------------------------


def test_yes_closes_and_no_reopens(
    session: Session, config: AppConfig, tension: Callable[..., Tension]
) -> None:
    first, second = tension(), tension()
    for row in (first, second):
        triage.triage_tension(
            session,
            config=config,
            user_id=DEV,
            tension_id=row.id,  # type: ignore[arg-type]
            round_id=None,
            decision=decision(),
            now=NOW,
        )
    later = NOW + timedelta(hours=1)

    closed = triage.answer_needs_met(session, user_id=ANA, tension_id=first.id, met=True, now=later)  # type: ignore[arg-type]
    reopened = triage.answer_needs_met(
        session,
        user_id=ANA,
        tension_id=second.id,  # type: ignore[arg-type]
        met=False,
        now=later,
    )

    assert (closed.status, closed.needs_met, closed.resolved_at) == (
        TensionStatus.CLOSED,
        True,
        later,
    )
    assert (reopened.status, reopened.needs_met, reopened.resolved_at) == (
        TensionStatus.OPEN,
        False,
        None,
    )
    with pytest.raises(triage.AlreadyAnsweredError):
        triage.answer_needs_met(session, user_id=ANA, tension_id=first.id, met=False, now=later)  # type: ignore[arg-type]
    with pytest.raises(NotAllowedError):
        triage.answer_needs_met(session, user_id=BEN, tension_id=first.id, met=False, now=later)  # type: ignore[arg-type]
    # Triaged again at the next meeting, the raiser is asked afresh.
    again = triage.triage_tension(
        session,
        config=config,
        user_id=DEV,
        tension_id=second.id,  # type: ignore[arg-type]
        round_id=None,
        decision=decision(outcome=OutcomeKind.INFORMATION, owner=None),
        now=later,
    )
    assert again.needs_met is None
    answered = triage.answer_needs_met(
        session,
        user_id=ANA,
        tension_id=second.id,  # type: ignore[arg-type]
        met=True,
        now=later,
    )
    assert answered.status == TensionStatus.CLOSED


# --- progress ---------------------------------------------------------------------------------


def test_done_once_by_a_member_and_only_for_work(
    session: Session, config: AppConfig, tension: Callable[..., Tension]
) -> None:
    work = tension(status=TensionStatus.TRIAGED, outcome=OutcomeKind.PROJECT, owner=CARA)
    talk = tension(status=TensionStatus.TRIAGED, outcome=OutcomeKind.SPACE)
    with pytest.raises(NotAllowedError):
        triage.mark_done(session, config=config, user_id=SAM, tension_id=work.id, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        triage.mark_done(session, config=config, user_id=CARA, tension_id=talk.id, now=NOW)  # type: ignore[arg-type]

    done = triage.mark_done(session, config=config, user_id=CARA, tension_id=work.id, now=NOW)  # type: ignore[arg-type]

    assert done.done_at == NOW
    with pytest.raises(triage.AlreadyDoneError) as stale:
        triage.mark_done(session, config=config, user_id=BEN, tension_id=work.id, now=NOW)  # type: ignore[arg-type]
    assert stale.value.tension.done_at == NOW


def test_open_work_is_listed_soonest_due_first_and_overdue_is_marked(
    session: Session, tension: Callable[..., Tension], round_id: int
) -> None:
    def work(text: str, **fields: object) -> Tension:
        base = {"status": TensionStatus.TRIAGED, "outcome": OutcomeKind.NEXT_ACTION, "owner": CARA}
        return tension(text=text, triaged_at=NOW - timedelta(days=7), **(base | fields))

    undated = work("Undated")
    late = work("Late", due_date=TODAY - timedelta(days=1))
    soon = work("Soon", due_date=TODAY + timedelta(days=2))
    work("Done", done_at=NOW)
    work("Someone else's", owner=DEV)
    work("Reopened", status=TensionStatus.OPEN)
    work("Closed but still to do", status=TensionStatus.CLOSED, due_date=TODAY)
    work("Decided at this meeting", triaged_round_id=round_id)
    tension(text="Information", status=TensionStatus.TRIAGED, outcome=OutcomeKind.INFORMATION)

    mine = queries.open_actions_of(session, user_id=CARA)
    team = queries.open_actions_of_team(session, team_id="north", excluding_round=round_id)

    assert [t.text for t in mine] == [
        "Late",
        "Closed but still to do",
        "Soon",
        "Undated",
        "Decided at this meeting",
    ]
    assert "Decided at this meeting" not in [t.text for t in team]
    assert "Someone else's" in [t.text for t in team]
    assert [queries.is_overdue(t, TODAY) for t in (late, soon, undated)] == [True, False, False]


def test_member_names_come_from_app_yaml(config: AppConfig) -> None:
    named = parse_config(
        TEST_APP_YAML.replace(f"members: [{ANA}, ", f"members: [{{id: {ANA}, name: Ana}}, "),
        source="named.yaml",
    )
    assert triage.member_name(named, ANA) == "Ana"
    assert triage.member_name(config, ANA) == "A teammate"  # app.yaml gives no name
