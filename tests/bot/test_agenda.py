"""The agenda's domain and its posting: which meeting, what it shows, one message kept current."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

import bot.standin  # noqa: F401  (imported before time is frozen, as freezegun needs)
from bot.agenda import service as agenda
from bot.agenda.model import AgendaPost, ChecklistSummary, MetricSummary
from bot.core.config import AppConfig, parse_config
from bot.core.errors import NotInTeamError
from bot.services import Services
from bot.standin.web_api import FakeSlack
from storage.models import CheckinResponse, CheckinRound, OutcomeKind, Tension, TensionStatus
from tests.conftest import ANA, BEN, COACH, NORTH_CHANNEL, OUTSIDER, SAM, SHARED, SOUTH_CHANNEL

# North meets on Tuesdays at 10:00 London.
TUESDAY = date(2026, 12, 1)
MEETING_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # GMT: London is UTC in December


@pytest.fixture
def session(services: Services) -> Iterator[Session]:
    with services.session() as session:
        yield session


def add_tensions(session: Session, *texts: str, **fields: object) -> list[Tension]:
    rows = [
        Tension(
            **{  # type: ignore[arg-type]
                "team_id": "north",
                "raised_by": ANA,
                "text": text,
                "created_at": MEETING_AT - timedelta(days=5, minutes=-i),
                **fields,
            }
        )
        for i, text in enumerate(texts)
    ]
    session.add_all(rows)
    session.commit()
    return rows


# --- which team and which meeting -------------------------------------------------------------


def test_tactical_is_for_the_team_whose_channel_it_is(config: AppConfig) -> None:
    assert agenda.team_for_tactical(config, user_id=SHARED, channel_id=SOUTH_CHANNEL).id == "south"
    assert agenda.team_for_tactical(config, user_id=SHARED, channel_id=NORTH_CHANNEL).id == "north"
    with pytest.raises(agenda.WrongChannelError) as wrong:
        agenda.team_for_tactical(config, user_id=SHARED, channel_id="C0ELSEWHERE")
    assert [t.id for t in wrong.value.teams] == ["north", "south"]
    with pytest.raises(agenda.CoachNotMemberError):
        agenda.team_for_tactical(config, user_id=COACH, channel_id=NORTH_CHANNEL)
    with pytest.raises(NotInTeamError):
        agenda.team_for_tactical(config, user_id=COACH, channel_id=SOUTH_CHANNEL)
    with pytest.raises(NotInTeamError):
        agenda.team_for_tactical(config, user_id=OUTSIDER, channel_id=NORTH_CHANNEL)


@pytest.mark.parametrize(
    ("now", "meeting_day"),
    [
        (MEETING_AT - timedelta(minutes=30), TUESDAY),  # agenda_lead before: this meeting
        (MEETING_AT + timedelta(minutes=90), TUESDAY),  # under way: still this meeting
        (MEETING_AT + timedelta(hours=2), date(2026, 12, 8)),  # over: next week's
        (MEETING_AT - timedelta(days=5), TUESDAY),
    ],
)
def test_the_agenda_is_for_the_meeting_under_way_or_the_next(
    config: AppConfig, now: datetime, meeting_day: date
) -> None:
    assert agenda.agenda_meeting(config.team("north"), now).date == meeting_day


def test_meeting_time_is_local_across_daylight_saving(config: AppConfig) -> None:
    # Tuesday 31 March 2026 is in British Summer Time: 10:00 London is 09:00 UTC.
    with freeze_time("2026-03-31 08:30:00"):
        meeting = agenda.agenda_meeting(config.team("north"), datetime.now(UTC))
    assert meeting.at == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)


def test_the_round_is_made_once_per_team_and_meeting(session: Session, config: AppConfig) -> None:
    team = config.team("north")
    meeting = agenda.agenda_meeting(team, MEETING_AT - timedelta(hours=1))

    first = agenda.ensure_round(session, team=team, meeting=meeting)
    second = agenda.ensure_round(session, team=team, meeting=meeting)

    assert first.id == second.id
    assert (first.meeting_date, first.meeting_at) == (TUESDAY, MEETING_AT)
    assert first.opens_at == MEETING_AT - timedelta(hours=24)
    assert len(list(session.exec(select(CheckinRound)))) == 1


# --- what it shows ----------------------------------------------------------------------------


def test_the_agenda_lists_open_and_just_triaged_tensions_never_private_ones(
    session: Session, config: AppConfig
) -> None:
    team = config.team("north")
    checkin_round = agenda.ensure_round(
        session, team=team, meeting=agenda.agenda_meeting(team, MEETING_AT)
    )
    earlier = CheckinRound(
        team_id="north",
        meeting_date=TUESDAY - timedelta(days=7),
        meeting_at=MEETING_AT - timedelta(days=7),
        opens_at=MEETING_AT - timedelta(days=8),
    )
    session.add(earlier)
    session.commit()
    add_tensions(session, "Open one")
    add_tensions(session, "Private one", private=True)
    add_tensions(session, "Withdrawn one", status=TensionStatus.WITHDRAWN)
    add_tensions(
        session, "Triaged here", status=TensionStatus.TRIAGED, triaged_round_id=checkin_round.id
    )
    add_tensions(
        session, "Closed here", status=TensionStatus.CLOSED, triaged_round_id=checkin_round.id
    )
    add_tensions(
        session, "Triaged last week", status=TensionStatus.TRIAGED, triaged_round_id=earlier.id
    )
    add_tensions(session, "Reopened", status=TensionStatus.OPEN, triaged_round_id=earlier.id)
    add_tensions(session, "South's", team_id="south", raised_by=SAM)

    shown = agenda.agenda_items(session, team_id="north", round_id=checkin_round.id)  # type: ignore[arg-type]

    assert [t.text for t in shown] == ["Open one", "Triaged here", "Closed here", "Reopened"]


def test_metrics_and_checklist_add_up_the_shared_answers(config: AppConfig) -> None:
    team = parse_config(
        """
organisation: {name: Care}
teams:
  - id: north
    name: North
    channel: C0NORTH
    members: [U0ANA, U0BEN, U0CARA]
    tactical: {day: tuesday, time: "10:00"}
    metrics:
      - {id: visits, label: Client visits, unit: visits}
      - {id: falls, label: Falls}
    checklist: [Medication audit, Car checks]
""",
        source="t.yaml",
    ).team("north")
    answers = [
        CheckinResponse(
            round_id=1,
            user_id=ANA,
            metric_values={"visits": 12},
            checklist={"Medication audit": True},
        ),
        CheckinResponse(
            round_id=1,
            user_id=BEN,
            metric_values={"visits": 7.5, "stray": 3},
            checklist={"Medication audit": False, "Car checks": True},
        ),
    ]

    metrics = agenda.summarise_metrics(team, answers)
    checklist = agenda.summarise_checklist(team, answers)

    assert metrics == [MetricSummary("visits", "Client visits", "visits", 19.5, 9.75, 2)]
    assert checklist == [
        ChecklistSummary("Medication audit", 1, 1),
        ChecklistSummary("Car checks", 1, 0),
    ]


# --- posting and keeping it current -----------------------------------------------------------


@pytest.fixture
def before_the_meeting(services: Services) -> Iterator[datetime]:
    with freeze_time(MEETING_AT - timedelta(minutes=30), tick=True):
        yield MEETING_AT - timedelta(minutes=30)


def test_posting_twice_at_once_posts_one_agenda(
    services: Services, fake_slack: FakeSlack, before_the_meeting: datetime
) -> None:
    with services.session() as session:
        add_tensions(session, "Handovers", "Rota")
    start = threading.Barrier(4)
    posts: list[AgendaPost] = []

    def post() -> None:
        start.wait()
        posts.append(agenda.post_agenda(services, team_id="north", now=before_the_meeting))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(posts) == 4 and all(p.ok for p in posts)
    assert len({p.ts for p in posts}) == 1
    assert [p.created for p in posts].count(True) == 1
    assert len(fake_slack.messages(NORTH_CHANNEL)) == 1


def test_an_agenda_someone_deleted_is_posted_afresh(
    services: Services, fake_slack: FakeSlack, before_the_meeting: datetime
) -> None:
    with services.session() as session:
        add_tensions(session, *(f"Tension {n}" for n in range(50)))
    first = agenda.post_agenda(services, team_id="north", now=before_the_meeting)
    assert first.replies == 1  # 40 in the message, 10 continued in the thread
    services.client.chat_delete(channel=NORTH_CHANNEL, ts=first.ts)

    second = agenda.post_agenda(services, team_id="north", now=before_the_meeting)

    assert second.created and second.ts != first.ts
    live = [m for m in fake_slack.messages(NORTH_CHANNEL) if fake_slack.message(m.channel, m.ts)]
    assert [m.thread_ts for m in live] == [None, second.ts]  # the old reply went with it


def test_a_continuation_no_longer_needed_is_removed(
    services: Services, fake_slack: FakeSlack, before_the_meeting: datetime
) -> None:
    with services.session() as session:
        rows = add_tensions(session, *(f"Tension {n}" for n in range(45)))
    first = agenda.post_agenda(services, team_id="north", now=before_the_meeting)
    [reply] = [m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts == first.ts]
    with services.session() as session:
        for row in rows[-5:]:
            stored = session.get(Tension, row.id)
            assert stored is not None
            stored.status = TensionStatus.WITHDRAWN
            session.add(stored)
        session.commit()

    refreshed = agenda.refresh_agendas(services, team_id="north", now=before_the_meeting)

    assert [p.ts for p in refreshed] == [first.ts] and refreshed[0].replies == 0
    assert fake_slack.message(NORTH_CHANNEL, reply.ts) is None
    assert "40 tensions" in fake_slack.message(NORTH_CHANNEL, first.ts).all_text  # type: ignore[union-attr]


def test_refreshing_never_posts_an_agenda_that_was_not_posted(
    services: Services, fake_slack: FakeSlack, before_the_meeting: datetime
) -> None:
    with services.session() as session:
        add_tensions(session, "Handovers")
    assert agenda.refresh_agendas(services, team_id="north", now=before_the_meeting) == []
    assert fake_slack.calls == []


def test_only_the_parts_that_changed_are_rewritten(
    services: Services, fake_slack: FakeSlack, before_the_meeting: datetime
) -> None:
    with services.session() as session:
        add_tensions(session, "Handovers")
        add_tensions(
            session,
            "Order cuffs",
            status=TensionStatus.TRIAGED,
            outcome=OutcomeKind.NEXT_ACTION,
            owner=BEN,
        )
    posted = agenda.post_agenda(services, team_id="north", now=before_the_meeting)
    assert posted.replies == 1  # the progress updates
    assert fake_slack.calls_to("chat.update") == []

    with services.session() as session:
        add_tensions(session, "Another")
    agenda.refresh_agendas(services, team_id="north", now=before_the_meeting)

    [update] = fake_slack.calls_to("chat.update")
    assert update.args["ts"] == posted.ts  # the message changed; the progress reply did not
    agenda.refresh_agendas(services, team_id="north", now=before_the_meeting)
    assert len(fake_slack.calls_to("chat.update")) == 1  # nothing changed: nothing rewritten


# --- exactly once: replies whose answer was lost, a post stopped half-way (issue 15, item 10) ---


class Stopped(BaseException):
    """The process stops here (as kill -9 would: nothing after it runs, nothing is recorded)."""


def thread_of(fake_slack: FakeSlack, ts: str | None) -> list[str]:
    """The texts of the replies people see in the agenda's thread."""
    return [
        m.all_text
        for m in fake_slack.messages(NORTH_CHANNEL)
        if m.thread_ts == ts and fake_slack.message(m.channel, m.ts) is not None
    ]


def add_progress_and_many_tensions(session: Session) -> None:
    """Enough for two replies in the thread: the progress updates, and a continuation."""
    add_tensions(session, *(f"Tension {n}" for n in range(45)))
    add_tensions(
        session, "Order cuffs", status=TensionStatus.TRIAGED, outcome=OutcomeKind.NEXT_ACTION
    )


def test_an_agenda_reply_whose_answer_was_lost_is_posted_once(
    services: Services, fake_slack: FakeSlack, before_the_meeting: datetime
) -> None:
    with services.session() as session:
        add_progress_and_many_tensions(session)
    # Slack posts the first reply, and the answer never comes back (a timeout after delivery).
    fake_slack.drop_after_acting_next("chat.postMessage", when=lambda args: "thread_ts" in args)

    first = agenda.post_agenda(services, team_id="north", now=before_the_meeting)
    assert first.error == "timeout"
    assert len(thread_of(fake_slack, first.ts)) == 2  # the lost one did arrive

    again = agenda.post_agenda(services, team_id="north", now=before_the_meeting)
    assert again.ok and again.ts == first.ts and again.replies == 2
    assert len(thread_of(fake_slack, first.ts)) == 2  # found in the thread, never posted twice
    assert fake_slack.calls_to("conversations.replies")  # it looked before posting again
    assert len([m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts is None]) == 1

    with services.session() as session:
        add_tensions(session, "One more")
    agenda.refresh_agendas(services, team_id="north", now=before_the_meeting)
    assert len(thread_of(fake_slack, first.ts)) == 2  # later updates rewrite, never add


def test_an_agenda_stopped_between_its_replies_finishes_its_thread_once(
    services: Services,
    fake_slack: FakeSlack,
    before_the_meeting: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with services.session() as session:
        add_progress_and_many_tensions(session)
    posted: list[str] = []
    real = agenda._post_reply

    def stop_after_one(*args: object, **kwargs: object) -> dict[str, object]:
        if posted:
            raise Stopped
        posted.append("one")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(agenda, "_post_reply", stop_after_one)
    with pytest.raises(Stopped):  # the message and one reply went; nothing was recorded
        agenda.post_agenda(services, team_id="north", now=before_the_meeting)
    monkeypatch.undo()
    [main] = [m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts is None]
    assert len(thread_of(fake_slack, main.ts)) == 1

    again = agenda.post_agenda(services, team_id="north", now=before_the_meeting)

    assert again.ok and again.ts == main.ts and not again.created
    assert len([m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts is None]) == 1
    replies = thread_of(fake_slack, main.ts)
    assert len(replies) == 2 and len(set(replies)) == 2  # each part once, the missing one added
