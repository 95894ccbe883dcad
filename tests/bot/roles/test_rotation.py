"""Rotation: a rotating role passes around the team's members at each meeting (or every N
weeks), skipping the away; recorded per meeting, announced once, and the facilitator briefed
once with the agenda's link — after a restart, nothing doubles."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import event, update
from sqlmodel import select

from bot.agenda.service import post_agenda
from bot.roles import service as roles
from bot.roles import usecases
from bot.roles.model import KeptReason
from bot.roles.rotation import next_holder
from bot.services import Services
from bot.standin.web_api import FakeSlack
from storage.models import Member, RoleChange, RoleChangeKind, RoleTurn, TurnDelivery
from tests.conftest import ANA, BEN, CARA, DEV, NORTH_CHANNEL, SHARED, SOUTH_CHANNEL

ORDER = [ANA, BEN, CARA, DEV, SHARED]
# North meets on Tuesdays at 10:00 London (09:00 UTC in summer); its check-in opens on Monday.
BEFORE_CHECKIN = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
MONDAY = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the check-in for Tuesday 2 June is open


def holders(services: Services) -> dict[str, tuple[str, ...]]:
    with services.session() as session:
        return {r.key: r.holders for r in roles.team_roles(session, team_id="north")}


def channel_texts(fake: FakeSlack, channel: str = NORTH_CHANNEL) -> list[str]:
    return [m.all_text for m in fake.messages(channel)]


def test_next_holder_skips_the_away_and_wraps_around() -> None:
    assert next_holder(ORDER, [BEN], set()) == (CARA, None)
    assert next_holder(ORDER, [BEN], {CARA, DEV}) == (SHARED, None)
    assert next_holder(ORDER, [SHARED], set()) == (ANA, None)
    assert next_holder(ORDER, [], {ANA}) == (BEN, None)
    assert next_holder(ORDER, ["U0GONE"], set()) == (ANA, None)  # a holder who left the team


def test_when_everyone_else_is_away_the_holder_keeps_the_role() -> None:
    assert next_holder(ORDER, [BEN], {ANA, CARA, DEV, SHARED}) == (BEN, KeptReason.ALL_AWAY)
    assert next_holder(ORDER, [], set(ORDER)) == (None, KeptReason.ALL_AWAY)


def test_nothing_rotates_before_the_meetings_checkin_opens(
    services: Services, fake_slack: FakeSlack
) -> None:
    report = usecases.rotate_roles(services, now=BEFORE_CHECKIN)
    assert report.turns == 0 and channel_texts(fake_slack) == []


def test_the_facilitator_rotates_each_meeting_and_is_announced_once(
    services: Services, fake_slack: FakeSlack
) -> None:
    first = usecases.rotate_roles(services, now=MONDAY)
    assert (first.turns, first.rotated, first.announced) == (2, 1, 1)
    assert holders(services)["facilitator"] == (ANA,)
    assert holders(services)["rep-training"] == (DEV,)  # its first turn: Dev starts
    [announcement] = channel_texts(fake_slack)
    assert "*Facilitator* for the meeting on Tuesday 2 June: <@U0ANA>" in announcement
    assert "Training circle rep" not in announcement
    assert channel_texts(fake_slack, SOUTH_CHANNEL) == []

    # The scheduler runs again, or restarts: nothing is rotated, recorded or posted twice.
    again = usecases.rotate_roles(services, now=MONDAY.replace(hour=13))
    assert (again.turns, again.announced) == (0, 0)
    assert len(channel_texts(fake_slack)) == 1

    usecases.rotate_roles(services, now=datetime(2026, 6, 8, 12, 0, tzinfo=UTC))
    assert holders(services)["facilitator"] == (BEN,)
    assert "(taking over from <@U0ANA>)" in channel_texts(fake_slack)[-1]
    with services.session() as session:
        changes = session.exec(
            select(RoleChange).where(RoleChange.kind == RoleChangeKind.ROTATE)
        ).all()
    assert [(c.meeting_date, c.before, c.after) for c in changes] == [
        (date(2026, 6, 2), {"holders": []}, {"holders": [ANA]}),
        (date(2026, 6, 9), {"holders": [ANA]}, {"holders": [BEN]}),
    ]


def test_a_role_rotating_every_four_weeks_passes_on_the_fourth_week(services: Services) -> None:
    for day in (1, 8, 15, 22):
        usecases.rotate_roles(services, now=datetime(2026, 6, day, 12, 0, tzinfo=UTC), send=False)
        assert holders(services)["rep-training"] == (DEV,)
    usecases.rotate_roles(services, now=datetime(2026, 6, 29, 12, 0, tzinfo=UTC), send=False)
    assert holders(services)["rep-training"] == (SHARED,)


def test_the_away_are_skipped(services: Services) -> None:
    with services.session() as session:
        session.execute(
            update(Member)
            .where(Member.team_id == "north", Member.user_id == ANA)
            .values(away_until=date(2026, 6, 5))
        )
        session.commit()
    usecases.rotate_roles(services, now=MONDAY, send=False)
    assert holders(services)["facilitator"] == (BEN,)


def test_with_everyone_else_away_the_holder_keeps_it_and_the_channel_is_told(
    services: Services, fake_slack: FakeSlack
) -> None:
    usecases.rotate_roles(services, now=MONDAY)  # Ana facilitates on 2 June
    with services.session() as session:
        session.execute(
            update(Member)
            .where(Member.team_id == "north", Member.user_id != ANA)
            .values(away_until=date(2026, 6, 30))
        )
        session.commit()
    usecases.rotate_roles(services, now=datetime(2026, 6, 8, 12, 0, tzinfo=UTC))
    assert holders(services)["facilitator"] == (ANA,)
    told = channel_texts(fake_slack)[-1]
    assert "Everyone else is away for the meeting on Tuesday 9 June" in told
    assert "<@U0ANA> keeps *Facilitator*" in told


def test_the_facilitator_gets_the_brief_with_the_agenda_link_once(
    services: Services, fake_slack: FakeSlack
) -> None:
    usecases.rotate_roles(services, now=MONDAY)
    assert fake_slack.dms(ANA) == []  # not before the agenda is due
    agenda_time = datetime(2026, 6, 2, 8, 31, tzinfo=UTC)  # 29 minutes before the meeting
    post_agenda(services, team_id="north", now=agenda_time)
    report = usecases.rotate_roles(services, now=agenda_time)
    assert report.briefed == 1
    [brief] = fake_slack.dms(ANA)
    text = brief.all_text
    assert "You're facilitating *North Neighbourhood Team*'s tactical meeting" in text
    assert "Tuesday 2 June at 10:00" in text
    assert "open it in the channel" in text and "https://" in text
    assert "*Triage*" in text and "Closing round" in text
    usecases.rotate_roles(services, now=agenda_time.replace(minute=40))
    assert len(fake_slack.dms(ANA)) == 1
    with services.session() as session:
        turn = session.exec(select(RoleTurn).where(RoleTurn.holder == ANA)).one()
    assert turn.brief_status == TurnDelivery.SENT and turn.briefed_at == agenda_time


def test_without_an_agenda_the_brief_waits_then_goes_without_a_link(
    services: Services, fake_slack: FakeSlack
) -> None:
    usecases.rotate_roles(services, now=MONDAY)
    usecases.rotate_roles(services, now=datetime(2026, 6, 2, 8, 35, tzinfo=UTC))
    assert fake_slack.dms(ANA) == []
    usecases.rotate_roles(services, now=datetime(2026, 6, 2, 8, 51, tzinfo=UTC))
    [brief] = fake_slack.dms(ANA)
    assert "The agenda will be in the team channel shortly" in brief.all_text


def test_an_announcement_whose_answer_was_lost_is_found_not_posted_again(
    services: Services, fake_slack: FakeSlack
) -> None:
    usecases.rotate_roles(services, now=MONDAY)
    with services.session() as session:  # as if the process stopped before recording it
        session.execute(
            update(RoleTurn)
            .where(RoleTurn.announce_status == TurnDelivery.SENT)
            .values(announce_status=TurnDelivery.SENDING)
        )
        session.commit()
    usecases.rotate_roles(services, now=MONDAY.replace(hour=14))
    assert len(channel_texts(fake_slack)) == 1
    with services.session() as session:
        statuses = session.exec(select(RoleTurn.announce_status)).all()
    assert TurnDelivery.SENDING not in statuses


def test_rotation_costs_the_same_statements_for_ten_teams_as_for_one_hundred(
    services: Services,
) -> None:
    """One batch's reads and writes do not grow with its teams (docs/benchmarks.md)."""
    from tests.bot.roles.many import many_teams_services

    counts = []
    for size, prefix in ((10, "a"), (100, "b")):
        with many_teams_services(services, size, prefix) as (big, teams):
            statements: list[str] = []

            def count(*args: object, into: list[str] = statements) -> None:
                into.append(str(args[2]))

            event.listen(big.engine, "before_cursor_execute", count)
            try:
                plans = usecases.rotate_batch(big, teams=teams, now=MONDAY)
            finally:
                event.remove(big.engine, "before_cursor_execute", count)
            assert len(plans) == 2 * size  # a facilitator and a rota organiser each
            counts.append(len(statements))
    assert counts[0] == counts[1] <= 10
