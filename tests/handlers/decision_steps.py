"""Steps the deciding tests share: propose, find the proposal's message and DMs, click, answer.

Each step goes through the real app as Slack would (signed requests to its listeners) and waits
on the Slack stand-in for what is new, never for a fixed time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.core import ids
from bot.services import Services
from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import FakeSlack, Message
from storage.models import Advice, Decision, Objection, Proposal
from tests.conftest import NORTH_CHANNEL
from tests.journeys.steps import command_for_view, new_dm, newest_ephemeral, newest_view

# Monday 1 June 2026, 10:00 in London.
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
DECIDE_BY = date(2026, 6, 8)


class Clock:
    """The app's clock, moved by the test (Slack's signatures keep real time)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move(self, delta: timedelta) -> datetime:
        """Move on by ``delta``; the new now."""
        self.now += delta
        return self.now


def open_proposal_modal(
    slack: SlackSender, fake: FakeSlack, user: str, text: str = "", channel: str = NORTH_CHANNEL
) -> dict[str, Any]:
    """`/propose text` as ``user``; the modal it opens."""
    return command_for_view(slack, fake, ids.PROPOSE_COMMAND, user, text, channel)


def proposal_values(
    text: str = "Friday handovers start at 14:30 and use the shared checklist",
    *,
    method: str = "advice",
    people: list[str] | None = None,
    decide_by: date = DECIDE_BY,
    **more: Any,
) -> dict[str, Any]:
    """The values to submit in the proposal modal."""
    values: dict[str, Any] = {
        ids.PROPOSAL_TEXT_ACTION: text,
        ids.PROPOSAL_WHY_ACTION: "Handovers run late and things get missed",
        ids.PROPOSAL_METHOD_ACTION: method,
        ids.PROPOSAL_PEOPLE_ACTION: people or [],
        ids.PROPOSAL_DECIDE_BY_ACTION: decide_by.isoformat(),
    }
    return values | more


def submit(slack: SlackSender, view: dict[str, Any], user: str, values: dict[str, Any]) -> Response:
    """Submit a modal; the ack."""
    answer = slack.submit_view(view, user_id=user, values=values)
    assert answer.status == 200
    return answer


def field_errors(answer: Response) -> dict[str, str]:
    """The field errors a submission's ack showed (empty when it was accepted)."""
    shown = answer.json or {}
    assert not shown or shown.get("response_action") == "errors", shown
    return shown.get("errors") or {}


def propose(
    slack: SlackSender,
    fake: FakeSlack,
    services: Services,
    user: str,
    values: dict[str, Any],
    *,
    text: str = "",
) -> Proposal:
    """Propose through the modal and wait for the proposal's channel message; the proposal."""
    before = len(stored_proposals(services))
    posted = len([m for m in fake.dms(user) if "is posted in" in m.all_text])
    view = open_proposal_modal(slack, fake, user, text)
    assert field_errors(submit(slack, view, user, values)) == {}
    fake.wait_for(lambda: len(stored_proposals(services)) > before)
    proposal = stored_proposals(services)[-1]
    fake.wait_for(lambda: stored(services, proposal.id).message_ts is not None)
    # The proposer's confirmation is the last thing the listener sends: then all is out.
    fake.wait_for(lambda: len([m for m in fake.dms(user) if "is posted in" in m.all_text]) > posted)
    return stored(services, proposal.id)


def stored_proposals(services: Services) -> list[Proposal]:
    """Every proposal, in the order they were made."""
    with services.session() as session:
        return list(session.exec(select(Proposal).order_by(Proposal.id)))  # type: ignore[arg-type]


def stored(services: Services, proposal_id: int | None) -> Proposal:
    """The proposal as stored now."""
    with services.session() as session:
        found = session.get(Proposal, proposal_id, populate_existing=True)
        assert found is not None
        return found


def advice_rows(services: Services, proposal_id: int | None) -> dict[str, Advice]:
    """Those asked for advice, by user id."""
    with services.session() as session:
        rows = session.exec(select(Advice).where(Advice.proposal_id == proposal_id))
        return {row.user_id: row for row in rows}


def round_rows(services: Services, proposal_id: int | None) -> dict[str, Objection]:
    """The objection round's members, by user id."""
    with services.session() as session:
        rows = session.exec(select(Objection).where(Objection.proposal_id == proposal_id))
        return {row.user_id: row for row in rows}


def decision(services: Services, proposal_id: int | None) -> Decision | None:
    """The decision that adopted the proposal, if any."""
    with services.session() as session:
        return session.exec(select(Decision).where(Decision.proposal_id == proposal_id)).first()


def card(fake: FakeSlack, proposal: Proposal) -> Message:
    """The proposal's channel message as it reads now."""
    found = fake.message(proposal.channel or "", proposal.message_ts or "")
    assert found is not None
    return found


def thread(fake: FakeSlack, proposal: Proposal) -> list[Message]:
    """The notes in the proposal's thread."""
    return [m for m in fake.messages(proposal.channel) if m.thread_ts == proposal.message_ts]


def dm_asking(fake: FakeSlack, user: str, action_id: str) -> Message:
    """The newest DM to ``user`` with a button ``action_id`` (waits for it)."""

    def find() -> Message | None:
        for message in reversed(fake.dms(user)):
            current = fake.message(message.channel, message.ts) or message
            if action_id in str(current.blocks):
                return current
        return None

    return fake.wait_for(find)


def click(
    slack: SlackSender, container: Any, action_id: str, user: str, value: str | None = None
) -> None:
    """Click a button as ``user``."""
    assert slack.click(container, action_id, user_id=user, value=value).status == 200


def click_for_modal(
    slack: SlackSender, fake: FakeSlack, container: Any, action_id: str, user: str
) -> dict[str, Any]:
    """Click a button that opens a modal; the modal."""
    before = len(fake.views_opened(user))
    click(slack, container, action_id, user)
    return newest_view(fake, user, before)


def click_for_notice(
    slack: SlackSender, fake: FakeSlack, container: Any, action_id: str, user: str
) -> str:
    """Click a button that is refused; the words only the clicker sees."""
    before = len(fake.ephemerals(user))
    click(slack, container, action_id, user)
    return newest_ephemeral(fake, user, before).all_text


__all__ = ["new_dm"]
