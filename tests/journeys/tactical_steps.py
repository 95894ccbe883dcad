"""Steps shared by the tactical-meeting journeys: seeding tensions, /tactical, the agenda's
messages as people see them, and the triage modal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.core import ids
from bot.services import Services
from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import Ephemeral, FakeSlack, Message
from storage.models import CheckinRound, Tension
from tests.conftest import ANA, NORTH_CHANNEL
from tests.journeys.steps import click_for_view, newest_ephemeral
from tests.journeys.steps import new_dm as new_dm  # where the tactical journeys have found it

# North meets on Tuesdays at 10:00 London; 1 December 2026 is a Tuesday, in GMT (UTC+0).
MEETING_DAY = date(2026, 12, 1)
MEETING_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
BEFORE_MEETING = MEETING_AT - timedelta(minutes=30)  # when the scheduler posts the agenda
RAISED_AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def seed_tensions(
    services: Services,
    texts: list[str],
    *,
    raised_by: str = ANA,
    team_id: str = "north",
    private: bool = False,
    start: datetime = RAISED_AT,
    **fields: Any,
) -> list[int]:
    """Store open tensions directly (raising them over HTTP is its own journey); oldest first."""
    with services.session() as session:
        rows = [
            Tension(
                team_id=team_id,
                raised_by=raised_by,
                text=text,
                private=private,
                created_at=start + timedelta(minutes=i),
                updated_at=start + timedelta(minutes=i),
                **fields,
            )
            for i, text in enumerate(texts)
        ]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows if row.id is not None]


def stored(services: Services, tension_id: int) -> Tension:
    """The tension as stored now."""
    with services.session() as session:
        tension = session.get(Tension, tension_id)
        assert tension is not None
        return tension


def rounds(services: Services) -> list[CheckinRound]:
    """Every check-in round, oldest meeting first."""
    with services.session() as session:
        return list(session.exec(select(CheckinRound).order_by(CheckinRound.meeting_date)))


def tactical(
    slack: SlackSender, fake: FakeSlack, user_id: str, channel_id: str = NORTH_CHANNEL
) -> Ephemeral:
    """Run /tactical and return what only that person sees in reply (the ack or the result)."""
    before = len(fake.ephemerals(user_id))
    response = slack.command(ids.TACTICAL_COMMAND, user_id=user_id, channel_id=channel_id)
    assert response.status == 200
    return newest_ephemeral(fake, user_id, before)


def agenda_roots(fake: FakeSlack, channel: str = NORTH_CHANNEL) -> list[Message]:
    """The agenda messages in the channel itself (not in a thread), as they are now."""
    found = []
    for posted in fake.messages(channel):
        now = fake.message(channel, posted.ts)
        if posted.thread_ts is None and now is not None:
            found.append(now)
    return found


def the_agenda(fake: FakeSlack, channel: str = NORTH_CHANNEL) -> Message:
    """The one agenda message in the channel, as it is now."""
    [root] = agenda_roots(fake, channel)
    return root


def thread(fake: FakeSlack, root: Message) -> list[Message]:
    """The agenda's thread replies as they are now, in posting order (deleted ones left out)."""
    replies = []
    for posted in fake.messages(root.channel):
        if posted.thread_ts == root.ts:
            now = fake.message(root.channel, posted.ts)
            if now is not None:
                replies.append(now)
    return replies


def triage_buttons(message: Message) -> dict[int, str]:
    """Tension id → the value of its Triage button, for each open tension in the message."""
    values = {}
    for block in message.blocks:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == ids.AGENDA_TRIAGE:
            values[int(accessory["value"].split(":")[0])] = accessory["value"]
    return values


def find_item(fake: FakeSlack, root: Message, tension_id: int) -> Message:
    """The agenda message (the root or a continuation) holding this tension's Triage button."""
    for message in [root, *thread(fake, root)]:
        if tension_id in triage_buttons(message):
            return message
    raise AssertionError(f"tension {tension_id} has no Triage button on the agenda")


def open_triage(
    slack: SlackSender, fake: FakeSlack, user_id: str, message: Message, tension_id: int
) -> dict[str, Any]:
    """Click a tension's Triage button and return the modal that opens."""
    value = triage_buttons(message)[tension_id]
    return click_for_view(slack, fake, message, ids.AGENDA_TRIAGE, user_id, value=value)


def submit_triage(
    slack: SlackSender,
    view: dict[str, Any],
    user_id: str,
    *,
    outcome: str,
    owner: str | None = None,
    due: date | None = None,
    note: str | None = None,
) -> Response:
    """Fill in and submit the triage modal."""
    values: dict[str, Any] = {ids.TRIAGE_OUTCOME_ACTION: outcome}
    if owner is not None:
        values[ids.TRIAGE_OWNER_ACTION] = owner
    if due is not None:
        values[ids.TRIAGE_DUE_ACTION] = due
    if note is not None:
        values[ids.TRIAGE_NOTE_ACTION] = note
    return slack.submit_view(view, user_id=user_id, values=values)


def triage(
    slack: SlackSender,
    fake: FakeSlack,
    user_id: str,
    message: Message,
    tension_id: int,
    **answers: Any,
) -> Response:
    """Open a tension's triage modal from the agenda and submit ``answers`` in it (the keyword
    arguments of :func:`submit_triage`)."""
    view = open_triage(slack, fake, user_id, message, tension_id)
    return submit_triage(slack, view, user_id, **answers)
