"""The DMs that ask people about a proposal, as the database keeps them: which are due, who
claims each, what Slack answered; and the reminders, the rounds to settle, the reviews due and
what a person's App Home shows.

A DM is claimed (status ``sending``) by exactly one process before it is posted, and recorded
with its ts after, so a restart or two schedulers never ask anyone twice. A claim left by a
process that died (or a post Slack never answered) is *in doubt*: the DM is looked for in Slack,
by the message metadata it carries, before anything is posted again (bot.decisions.delivery).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import and_, bindparam, or_
from sqlmodel import Session, col, select, update

from bot.core.config import AppConfig
from bot.core.meetings import local_moment
from bot.decisions.checks import closes_at, local_today
from bot.decisions.service import REMINDER_TIME
from storage.models import (
    Advice,
    AskStatus,
    Decision,
    Member,
    Objection,
    Proposal,
    ProposalMethod,
    ProposalStatus,
)

AskKind = Literal["advice", "round"]
MODELS: dict[str, type[Advice] | type[Objection]] = {"advice": Advice, "round": Objection}
# A claim older than this, never recorded as sent or failed, is in doubt.
IN_DOUBT_AFTER = timedelta(minutes=2)
# How many due DMs one pass takes from the database at a time.
BATCH = 100
# A proposal's channel message not posted this long after it was stored is posted by the job.
CARD_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class DueAsk:
    """One DM to send: which row of which table, to whom, about which proposal."""

    kind: AskKind
    row_id: int
    user_id: str
    proposal_id: int
    in_doubt: bool = False


def due_asks(
    session: Session,
    *,
    kind: AskKind,
    now: datetime,
    proposal_id: int | None = None,
    after_id: int = 0,
    limit: int = BATCH,
) -> list[DueAsk]:
    """The asks of open proposals still to send, by id from ``after_id``: pending ones, and
    claims left in doubt."""
    model = MODELS[kind]
    stale = now - IN_DOUBT_AFTER
    statement = (
        select(model.id, model.user_id, model.proposal_id, model.status)
        .join(Proposal, col(Proposal.id) == col(model.proposal_id))
        .where(
            col(Proposal.status) == ProposalStatus.OPEN,
            col(model.id) > after_id,
            or_(
                col(model.status) == AskStatus.PENDING,
                and_(col(model.status) == AskStatus.SENDING, col(model.claimed_at) <= stale),
            ),
        )
        .order_by(col(model.id))
        .limit(limit)
    )
    if proposal_id is not None:
        statement = statement.where(col(model.proposal_id) == proposal_id)
    return [
        DueAsk(kind, row_id, user_id, pid, in_doubt=status == AskStatus.SENDING)
        for row_id, user_id, pid, status in session.exec(statement)
    ]


def claim(session: Session, batch: Sequence[DueAsk], *, now: datetime) -> list[DueAsk]:
    """Claim these asks for this process; only the ones it got come back (one UPDATE each
    table: of two processes claiming the same ask, exactly one sees it)."""
    got: list[DueAsk] = []
    stale = now - IN_DOUBT_AFTER
    for kind, model in MODELS.items():
        mine = [d for d in batch if d.kind == kind]
        if not mine:
            continue
        fresh = [d.row_id for d in mine if not d.in_doubt]
        doubtful = [d.row_id for d in mine if d.in_doubt]
        claimable = or_(
            and_(col(model.id).in_(fresh), col(model.status) == AskStatus.PENDING),
            and_(
                col(model.id).in_(doubtful),
                col(model.status) == AskStatus.SENDING,
                col(model.claimed_at) <= stale,
            ),
        )
        claimed = set(
            session.execute(
                update(model)
                .where(claimable)
                .values(status=AskStatus.SENDING, claimed_at=now, error=None)
                .returning(col(model.id))
                .execution_options(synchronize_session=False)
            ).scalars()
        )
        got += [d for d in mine if d.row_id in claimed]
    session.commit()
    return got


@dataclass(frozen=True)
class AskOutcome:
    """What Slack said to one claimed ask: where it went, or its error (None: sent)."""

    ask: DueAsk
    channel: str | None = None
    ts: str | None = None
    error: str | None = None


def record_asks(session: Session, outcomes: Sequence[AskOutcome], *, now: datetime) -> None:
    """Write what Slack said to claimed asks, one statement per table and kind: a DM that went
    out is remembered where it is (to change it in place later); one Slack refused for good is
    recorded ("could not reach"), never retried. Only rows still claimed change."""
    for kind, model in MODELS.items():
        table = model.__table__  # type: ignore[attr-defined]
        still_sending = table.c.status == AskStatus.SENDING.value
        mine = [o for o in outcomes if o.ask.kind == kind]
        sent = [
            {"rid": o.ask.row_id, "channel_": o.channel, "ts_": o.ts}
            for o in mine
            if o.error is None
        ]
        failed = [{"rid": o.ask.row_id, "error_": o.error} for o in mine if o.error is not None]
        if sent:
            session.execute(
                update(table)
                .where(table.c.id == bindparam("rid"), still_sending)
                .values(
                    status=AskStatus.SENT.value,
                    dm_channel=bindparam("channel_"),
                    dm_ts=bindparam("ts_"),
                    sent_at=now,
                    error=None,
                ),
                sent,
            )
        if failed:
            session.execute(
                update(table)
                .where(table.c.id == bindparam("rid"), still_sending)
                .values(status=AskStatus.FAILED.value, error=bindparam("error_")),
                failed,
            )
    session.commit()


def ask_rows(
    session: Session, claimed: Sequence[DueAsk]
) -> dict[tuple[str, int], Advice | Objection]:
    """The rows these asks stand for, as they are now, read in one statement per table."""
    found: dict[tuple[str, int], Advice | Objection] = {}
    for kind, model in MODELS.items():
        wanted = [d.row_id for d in claimed if d.kind == kind]
        if wanted:
            for row in session.exec(select(model).where(col(model.id).in_(wanted))):
                found[(kind, row.id or 0)] = row
    session.expunge_all()
    return found


def failed_people(session: Session, proposal_id: int) -> list[str]:
    """Who Slack would not let retrobot ask about this proposal."""
    found: list[str] = []
    for model in MODELS.values():
        found += session.exec(
            select(model.user_id).where(
                col(model.proposal_id) == proposal_id, col(model.status) == AskStatus.FAILED
            )
        )
    return list(dict.fromkeys(found))


# --- the reminders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    """One reminder to send: to someone asked (``kind``), or to the proposer (``"proposer"``)."""

    kind: Literal["advice", "round", "proposer"]
    row_id: int
    user_id: str
    proposal: Proposal


def _away(session: Session, user_ids: Sequence[str], day: datetime) -> set[str]:
    if not user_ids:
        return set()
    statement = select(Member.user_id).where(
        col(Member.user_id).in_(list(user_ids)),
        col(Member.away_until).is_not(None),
        col(Member.away_until) >= day,
    )
    return set(session.exec(statement))


def reminders_due(session: Session, *, config: AppConfig, now: datetime) -> list[DueReminder]:
    """Who to remind now: the day before a proposal's date, from 09:00 in its team's zone,
    those asked who have not answered (never the away), and an advice process's proposer.

    A proposal made on the day before its date gets none: the ask itself is still fresh.
    """
    today = now.astimezone(UTC).date()
    proposals = session.exec(
        select(Proposal).where(
            col(Proposal.status) == ProposalStatus.OPEN,
            col(Proposal.decide_by).between(today, today + timedelta(days=2)),
        )
    ).all()
    due: list[DueReminder] = []
    for proposal in proposals:
        team = config.find_team(proposal.team_id)
        if team is None:
            continue
        remind_from = local_moment(proposal.decide_by - timedelta(days=1), REMINDER_TIME, team.zone)
        if not remind_from <= now < closes_at(team, proposal.decide_by - timedelta(days=1)):
            continue
        if proposal.created_at >= remind_from:
            continue
        waiting: list[DueReminder] = []
        if proposal.method == ProposalMethod.ADVICE and proposal.reminded_at is None:
            waiting.append(DueReminder("proposer", 0, proposal.proposer, proposal))
        for row in session.exec(
            select(Advice).where(
                Advice.proposal_id == proposal.id,
                col(Advice.answer).is_(None),
                col(Advice.status) == AskStatus.SENT,
                col(Advice.reminded_at).is_(None),
            )
        ):
            waiting.append(DueReminder("advice", row.id or 0, row.user_id, proposal))
        if proposal.round_closed_at is None:
            for row in session.exec(
                select(Objection).where(
                    Objection.proposal_id == proposal.id,
                    or_(
                        col(Objection.answered_version).is_(None),
                        col(Objection.answered_version) != proposal.version,
                    ),
                    col(Objection.status) == AskStatus.SENT,
                    col(Objection.reminded_at).is_(None),
                )
            ):
                waiting.append(DueReminder("round", row.id or 0, row.user_id, proposal))
        away = _away(session, [w.user_id for w in waiting], local_today(team, now))
        due += [w for w in waiting if w.user_id not in away or w.kind == "proposer"]
    return due


def claim_reminder(session: Session, reminder: DueReminder, *, now: datetime) -> bool:
    """Mark the reminder sent before it goes; False when another process already did."""
    if reminder.kind == "proposer":
        statement = update(Proposal).where(
            col(Proposal.id) == reminder.proposal.id, col(Proposal.reminded_at).is_(None)
        )
    else:
        model = MODELS[reminder.kind]
        statement = update(model).where(
            col(model.id) == reminder.row_id, col(model.reminded_at).is_(None)
        )
    claimed = session.exec(statement.values(reminded_at=now)).rowcount == 1
    session.commit()
    return claimed


# --- what the job looks after -----------------------------------------------------------------


def rounds_to_settle(session: Session, *, now: datetime) -> list[Proposal]:
    """Open integrated decisions whose date may be over (or that are blocked, waiting)."""
    today = now.astimezone(UTC).date()
    return list(
        session.exec(
            select(Proposal).where(
                col(Proposal.status) == ProposalStatus.OPEN,
                col(Proposal.method) == ProposalMethod.INTEGRATED,
                col(Proposal.round_closed_at).is_(None),
                col(Proposal.decide_by) <= today,
            )
        )
    )


def cards_unposted(session: Session, *, now: datetime) -> list[Proposal]:
    """Proposals whose channel message never went out (the process stopped first)."""
    return list(
        session.exec(
            select(Proposal).where(
                col(Proposal.status) == ProposalStatus.OPEN,
                col(Proposal.message_ts).is_(None),
                col(Proposal.created_at) <= now - CARD_GRACE,
            )
        )
    )


def reviews_due(session: Session, *, config: AppConfig, now: datetime) -> list[Decision]:
    """Decisions whose review date has come in their team's zone, not yet brought back."""
    today = now.astimezone(UTC).date()
    found = session.exec(
        select(Decision).where(
            col(Decision.review_date).is_not(None),
            col(Decision.review_date) <= today + timedelta(days=1),
            col(Decision.reviewed_at).is_(None),
        )
    ).all()
    due = []
    for decision in found:
        team = config.find_team(decision.team_id)
        if team is not None and decision.review_date <= local_today(team, now):  # type: ignore[operator]
            due.append(decision)
    return due


def claim_review(session: Session, decision_id: int, *, now: datetime) -> bool:
    """Mark the decision brought back for review; False when another process already did."""
    claimed = (
        session.exec(
            update(Decision)
            .where(col(Decision.id) == decision_id, col(Decision.reviewed_at).is_(None))
            .values(reviewed_at=now)
        ).rowcount
        == 1
    )
    session.commit()
    return claimed


def record_review_tension(session: Session, decision_id: int, tension_id: int) -> None:
    """Remember the tension that brought the decision back on the agenda."""
    session.exec(
        update(Decision).where(col(Decision.id) == decision_id).values(review_tension_id=tension_id)
    )
    session.commit()


# --- the App Home ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AskedOfYou:
    """A proposal waiting for this person's advice or consent."""

    proposal: Proposal
    kind: AskKind


# Built once: the App Home asks these on every publish (building one cost about as much CPU as
# running it).
_ADVICE_ASKED_OF = (
    select(Proposal)
    .join(Advice, col(Advice.proposal_id) == col(Proposal.id))
    .where(
        col(Proposal.status) == ProposalStatus.OPEN,
        Advice.user_id == bindparam("user_id"),
        col(Advice.answer).is_(None),
    )
)
_ROUND_ASKED_OF = (
    select(Proposal)
    .join(Objection, col(Objection.proposal_id) == col(Proposal.id))
    .where(
        col(Proposal.status) == ProposalStatus.OPEN,
        col(Proposal.round_closed_at).is_(None),
        Objection.user_id == bindparam("user_id"),
        or_(
            col(Objection.answered_version).is_(None),
            col(Objection.answered_version) != col(Proposal.version),
        ),
    )
)
_PROPOSALS_OF = (
    select(Proposal)
    .where(Proposal.proposer == bindparam("user_id"), col(Proposal.status) == ProposalStatus.OPEN)
    .order_by(col(Proposal.created_at).desc(), col(Proposal.id).desc())
)


def asked_of(session: Session, *, user_id: str, limit: int) -> tuple[list[AskedOfYou], int]:
    """Open proposals waiting for this person's advice or consent (oldest date first), and how
    many there are."""
    advice = session.exec(_ADVICE_ASKED_OF, params={"user_id": user_id}).all()
    round_ = session.exec(_ROUND_ASKED_OF, params={"user_id": user_id}).all()
    items = [AskedOfYou(p, "advice") for p in advice] + [AskedOfYou(p, "round") for p in round_]
    items.sort(key=lambda item: (item.proposal.decide_by, item.proposal.id or 0))
    return items[:limit], len(items)


def proposals_of(session: Session, *, user_id: str, limit: int) -> tuple[list[Proposal], int]:
    """The person's open proposals, newest first, and how many there are."""
    found = session.exec(_PROPOSALS_OF, params={"user_id": user_id}).all()
    return list(found[:limit]), len(found)
