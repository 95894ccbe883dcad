"""What deciding sends: the proposal's channel message (posted once, then updated in place) and
its thread notes, the DMs that ask for advice and consent, the reminders, and DMs changed in
place when a proposal is amended or closes.

Every DM that asks goes through the same steps: claimed in the database, posted with message
metadata naming its row and version, recorded (bot.decisions.asks). A claim left in doubt is
looked for in the person's DM before anything is posted again, so nothing is sent twice after
a crash or a lost answer. One person's refusal (a deactivated account, ...) is recorded on
their row — the proposal shows "could not reach 1" — and the rest go on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import col, select, update

from bot.decisions import asks
from bot.decisions.answers import answer_word, open_objection
from bot.decisions.asks import DueAsk, DueReminder
from bot.decisions.checks import closes_at
from bot.decisions.service import amendment, decision_of, tally
from bot.decisions.views import (
    ASK_METADATA_TYPE,
    CARD_METADATA_TYPE,
    build_advice_ask,
    build_card,
    build_note,
    build_proposer_reminder,
    build_reminder,
    build_round_ask,
    build_told_amended,
)
from bot.services import Services
from bot.shifts import service as shifts
from bot.shifts.gate import ScheduledDm, ShiftGate
from bot.slack import client as slack
from bot.slack import outbox
from bot.slack.outbox import Envelope
from bot.slack.pacing import Pace, paced_client
from storage.models import Advice, Objection, Proposal

logger = logging.getLogger(__name__)

HISTORY_PAGES = 2  # the newest 200 messages of a DM or channel are searched for one in doubt


@dataclass
class SendReport:
    """What one pass of sending did: who was reached, who Slack refused (and why)."""

    reached: list[str] = field(default_factory=list)
    missed: dict[str, str] = field(default_factory=dict)
    proposals: set[int] = field(default_factory=set)
    # Shifts (bot/shifts): asked at their next working time, or off shift until the date.
    waiting: dict[str, datetime] = field(default_factory=dict)
    off_shift: list[str] = field(default_factory=list)


# --- the channel message ----------------------------------------------------------------------


def card_payload(services: Services, proposal: Proposal) -> dict[str, Any]:
    """The proposal's channel message as it should read now: read again from the database,
    so that an update built late (a listener behind a job) never shows an older state."""
    team = services.config.team(proposal.team_id)
    with services.session() as session:
        proposal = session.get(Proposal, proposal.id, populate_existing=True) or proposal
        counts = tally(session, proposal)
        decision = decision_of(session, proposal.id or 0)
    blocked = proposal.round_closed_at is not None and counts.objections > 0
    return build_card(
        services.renderer,
        proposal=proposal,
        team=team,
        tally=counts,
        decision=decision,
        blocked=blocked,
    )


def _find_in(client: WebClient, channel: str, event_type: str, match: dict[str, Any]):
    """The ts of the message tagged ``event_type`` whose payload holds ``match``, if any."""
    for ts, payload in slack.tagged_messages(client, channel, event_type, pages=HISTORY_PAGES):
        if all(payload.get(k) == v for k, v in match.items()):
            return ts
    return None


def post_card(services: Services, client: WebClient, proposal: Proposal, *, look_first: bool):
    """Post the proposal's one channel message (and its thread's first note); a Delivery.

    ``look_first`` looks for it in the channel before posting (the job's second try).
    """
    team = services.config.team(proposal.team_id)
    metadata = {"event_type": CARD_METADATA_TYPE, "event_payload": {"proposal_id": proposal.id}}
    ts = None
    if look_first:
        try:
            ts = _find_in(client, team.channel, CARD_METADATA_TYPE, {"proposal_id": proposal.id})
        except SlackApiError:
            logger.warning("Could not look in %s for proposal %s", team.channel, proposal.id)
            return slack.Delivery(recipient=team.channel, error="in_doubt")
    if ts is None:
        sent = slack.post(client, team.channel, card_payload(services, proposal), metadata=metadata)
    else:
        sent = slack.Delivery(recipient=team.channel, channel=team.channel, ts=ts)
    if not sent.ok or not sent.ts:
        return sent
    with services.session() as session:
        session.exec(
            update(Proposal)
            .where(col(Proposal.id) == proposal.id, col(Proposal.message_ts).is_(None))
            .values(channel=sent.channel or team.channel, message_ts=sent.ts)
        )
        session.commit()
    proposal.channel, proposal.message_ts = sent.channel or team.channel, sent.ts
    if ts is None:
        with services.session() as session:
            advisors = list(
                session.exec(_advisor_ids(proposal.id or 0))  # type: ignore[call-overload]
            )
            members = len(list(session.exec(_member_ids(proposal.id or 0))))  # type: ignore[call-overload]
        names = [
            services.config.team(t).name for t in proposal.ask_teams if services.config.find_team(t)
        ]
        note = build_note(
            services.renderer,
            "thread_opened",
            proposal=proposal,
            advisors=advisors,
            teams=names,
            members=members,
        )
        post_in_thread(client, proposal, note)
    return sent


def _advisor_ids(proposal_id: int) -> Any:
    return select(Advice.user_id).where(Advice.proposal_id == proposal_id).order_by(col(Advice.id))


def _member_ids(proposal_id: int) -> Any:
    return select(Objection.user_id).where(Objection.proposal_id == proposal_id)


# How many times one refresh updates the card, at most, when the proposal changes meanwhile.
CARD_UPDATES = 3


def refresh_card(services: Services, client: WebClient, proposal: Proposal) -> None:
    """Update the proposal's channel message in place (nothing when it was never posted).

    Answers come in together, each refreshing the card from its own listener: an update built
    before the last answer was stored can reach Slack after the one built after it. So each
    refresh reads the proposal again once its update is sent, and sends it again when it has
    changed meanwhile: whichever update is sent last, the card ends as the proposal stands.
    """
    if not proposal.channel or not proposal.message_ts:
        return
    payload = card_payload(services, proposal)
    for _ in range(CARD_UPDATES):
        try:
            client.chat_update(channel=proposal.channel, ts=proposal.message_ts, **payload)
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else "error"
            logger.warning("Could not update proposal %s's message: %s", proposal.id, code)
            return
        now = card_payload(services, proposal)
        if now == payload:
            return
        payload = now


def post_in_thread(client: WebClient, proposal: Proposal, payload: dict[str, Any]) -> None:
    """A note in the proposal's thread, where its process lives (skipped if never posted)."""
    if proposal.channel and proposal.message_ts:
        slack.post(client, proposal.channel, payload, thread_ts=proposal.message_ts)


# --- the DMs that ask ---------------------------------------------------------------------------


class _Payloads:
    """The DM each ask gets, built once per proposal and variant (500 people, one build)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._proposals: dict[int, tuple[Proposal, Any]] = {}
        self._built: dict[tuple[Any, ...], dict[str, Any]] = {}

    def proposal(self, proposal_id: int) -> Proposal:
        return self._context(proposal_id)[0]

    def _context(self, proposal_id: int) -> tuple[Proposal, Any]:
        if proposal_id not in self._proposals:
            with self.services.session() as session:
                proposal = session.get(Proposal, proposal_id)
                assert proposal is not None
                change = amendment(session, proposal_id=proposal_id, version=proposal.version)
                session.expunge_all()
            self._proposals[proposal_id] = (proposal, change)
        return self._proposals[proposal_id]

    def for_ask(self, ask: DueAsk, row: Advice | Objection) -> dict[str, Any]:
        proposal, change = self._context(ask.proposal_id)
        team = self.services.config.team(proposal.team_id)
        renderer = self.services.renderer
        if isinstance(row, Advice):
            told = row.answer is not None and change is not None
            key: tuple[Any, ...] = ("advice", ask.proposal_id, told)
            if key not in self._built:
                self._built[key] = (
                    build_told_amended(renderer, proposal=proposal, amendment=change, team=team)
                    if told
                    else build_advice_ask(renderer, proposal=proposal, team=team)
                )
            return self._built[key]
        if row.answered_version is None or change is None:
            key = ("round", ask.proposal_id)
            if key not in self._built:
                self._built[key] = build_round_ask(renderer, proposal=proposal, team=team)
            return self._built[key]
        key = ("reask", ask.proposal_id, row.answer, open_objection(row), row.id)
        return build_round_ask(
            renderer,
            proposal=proposal,
            team=team,
            row=row,
            amendment=change,
            answered=answer_word(row.answer),
        )


def ask_envelope(ask: DueAsk, version: int) -> Envelope:
    """What marks an ask's DM as this row's and version's, for finding it again."""
    return Envelope(ASK_METADATA_TYPE, {"kind": ask.kind, "row_id": ask.row_id, "version": version})


def send_asks(services: Services, *, now: datetime, proposal_id: int | None = None) -> SendReport:
    """DM everyone still to be asked (one proposal's people, or every open proposal's), from
    the shared sender pool at Slack's pace (bot.slack.pacing).

    Safe from any number of processes at once, and after a crash: each DM is claimed just ahead
    of the senders, and one whose claim was left in doubt is looked for before it is posted.
    """
    report = SendReport()
    payloads = _Payloads(services)
    pace = services.pace()
    client = paced_client(services.client, pace)
    for kind in ("advice", "round"):
        due = _all_due(services, kind=kind, now=now, proposal_id=proposal_id)
        if due:
            _send_batch(services, client, pace, payloads, due, report, now)
    return report


def _all_due(
    services: Services, *, kind: asks.AskKind, now: datetime, proposal_id: int | None
) -> list[DueAsk]:
    """Every ask of this kind still to send, read a page at a time: one queue for the senders,
    so they never wait between pages."""
    due: list[DueAsk] = []
    while True:
        with services.session() as session:
            page = asks.due_asks(
                session,
                kind=kind,
                now=now,
                proposal_id=proposal_id,
                after_id=due[-1].row_id if due else 0,
            )
        if not page:
            return due
        due += page


def _send_batch(
    services: Services,
    client: WebClient,
    pace: Pace,
    payloads: _Payloads,
    ready: list[DueAsk],
    report: SendReport,
    now: datetime,
) -> None:
    """Claim, post and record these asks through the outbox (bot.slack.outbox), past the
    shift gate: only those on shift and not in do-not-disturb now are claimed (bot/shifts)."""
    prepared: dict[DueAsk, tuple[dict[str, Any], int]] = {}
    gate = _shift_gate(services, payloads, ready, now)

    def claim(rows: Sequence[DueAsk]) -> list[DueAsk]:
        with services.session() as session:
            claimed = asks.claim(session, rows, now=now)
            found = asks.ask_rows(session, claimed)
        got = []
        for ask in claimed:
            row = found.get((ask.kind, ask.row_id))
            if row is None:
                continue
            try:  # built here, once per variant, so the senders only post
                prepared[ask] = (
                    payloads.for_ask(ask, row),
                    payloads.proposal(ask.proposal_id).version,
                )
            except Exception:  # a bug, not Slack: record it and go on with the others
                logger.exception("Asking %s about proposal %s failed", ask.user_id, ask.proposal_id)
                prepared[ask] = ({}, 0)
            got.append(ask)
        return got

    def send(ask: DueAsk) -> slack.Delivery:
        payload, version = prepared.pop(ask)
        if not payload:
            return slack.Delivery(recipient=ask.user_id, error="error")
        return outbox.send_once(
            client,
            ask.user_id,
            payload,
            ask_envelope(ask, version),
            look_first=ask.in_doubt,
            pace=pace,
        )

    def record(sent: Sequence[outbox.Sent[DueAsk]]) -> None:
        with services.session() as session:
            asks.record_asks(session, _outcomes(sent, report), now=now)

    batch = outbox.Batch(
        claim=gate.wrap(claim), send=send, record=record, recipient=lambda a: a.user_id
    )
    outbox.send_all(ready, batch)
    shifted = gate.finish()
    report.waiting.update(shifted.waiting)
    report.off_shift += shifted.off_shift


def _outcomes(sent: Sequence[outbox.Sent[DueAsk]], report: SendReport) -> list[asks.AskOutcome]:
    """What to record of what Slack said, counted in the report; a DM Slack could not say had
    arrived is left claimed (in doubt), to be looked for before it is ever posted again."""
    outcomes = []
    for item in sent:
        ask, result = item.row, item.result
        report.proposals.add(ask.proposal_id)
        if result.ok:
            report.reached.append(ask.user_id)
            outcomes.append(asks.AskOutcome(ask, result.channel, result.ts))
        elif result.error == slack.TIMEOUT or (result.error or "").startswith(outbox.IN_DOUBT):
            continue
        else:
            report.missed[ask.user_id] = result.error or "error"
            outcomes.append(asks.AskOutcome(ask, error=result.error or "error"))
    return outcomes


def update_dms(
    client: WebClient, dms: list[tuple[str, str, str]], payloads: dict[str, dict[str, Any]]
) -> None:
    """Change DMs in place (``(kind, channel, ts)``), each with the payload of its kind."""
    for kind, channel, ts in dms:
        try:
            client.chat_update(channel=channel, ts=ts, **payloads[kind])
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else "error"
            logger.warning("Could not update a proposal DM: %s", code)


def update_dm(client: WebClient, channel: str | None, ts: str | None, payload: dict) -> None:
    """Change one DM in place, when we know where it is."""
    if channel and ts:
        update_dms(client, [("one", channel, ts)], {"one": payload})


# --- reminders ------------------------------------------------------------------------------


def send_reminders(services: Services, *, now: datetime) -> int:
    """The one reminder the day before a proposal's date, to those who have not answered (and
    an advice process's proposer); each claimed before it goes. How many were sent."""
    with services.session() as session:
        due = asks.reminders_due(session, config=services.config, now=now)
        session.expunge_all()
    due = _reminders_on_shift(services, due, now)  # shifts
    sent = 0
    for reminder in due:
        with services.session() as session:
            if not asks.claim_reminder(session, reminder, now=now):
                continue
            counts = tally(session, reminder.proposal) if reminder.kind == "proposer" else None
        if counts is not None:
            payload = build_proposer_reminder(
                services.renderer, proposal=reminder.proposal, tally=counts
            )
        else:
            payload = build_reminder(
                services.renderer, proposal=reminder.proposal, kind=reminder.kind
            )
        if slack.post(services.client, reminder.user_id, payload).ok:
            sent += 1
    if due:
        logger.info("Sent %d of %d proposal reminders due", sent, len(due))
    return sent


# --- Shifts and do-not-disturb (bot/shifts) ---------------------------------------------------


def _deadline(services: Services, proposal: Proposal) -> datetime:
    """When asking about a proposal is of no more use: the end of its date, in its team's zone."""
    team = services.config.find_team(proposal.team_id)
    return (
        closes_at(team, proposal.decide_by)
        if team is not None
        else datetime.max.replace(tzinfo=UTC)
    )


def _shift_gate(
    services: Services, payloads: _Payloads, due: list[DueAsk], now: datetime
) -> ShiftGate[DueAsk]:
    """The gate the asks pass just before they are claimed: those whose person is on shift and
    not in do-not-disturb now go; the others wait for their next working time (in shift_hold),
    or are marked off shift when it comes after the proposal's date. An ask in doubt is never
    held: it may have arrived."""

    def describe(ask: DueAsk) -> ScheduledDm:
        proposal = payloads.proposal(ask.proposal_id)
        deadline = _deadline(services, proposal)
        return ScheduledDm(
            ask.kind, ask.row_id, ask.user_id, deadline, proposal.team_id, in_doubt=ask.in_doubt
        )

    return ShiftGate(
        services, due, describe=describe, now=now, what="proposals' asks", mark=shifts.skip_asks
    )


def _reminders_on_shift(
    services: Services, due: list[DueReminder], now: datetime
) -> list[DueReminder]:
    """The reminders whose person is on shift and not in do-not-disturb now; the others wait
    (in shift_hold) for their next working time before the proposal's date, or do not go."""

    def describe(reminder: DueReminder) -> ScheduledDm:
        proposal = reminder.proposal
        return ScheduledDm(
            f"{reminder.kind}_reminder",
            reminder.row_id or proposal.id or 0,
            reminder.user_id,
            _deadline(services, proposal),
            proposal.team_id,
        )

    gate = ShiftGate(services, due, describe=describe, now=now, what="proposals' reminders")
    ready = gate.admit(due)
    gate.finish()
    return ready
