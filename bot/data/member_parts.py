"""The parts of `retrobot export --member`: what retrobot holds about one person, table by table.

A :class:`Part` is one list in the export ("checkin_answers", "feedback_received", ...): a
SELECT of the rows that concern the person, with the columns they may read. It holds what they
wrote, with its date and where it was shown (``shown``, one of :data:`SHOWN`); what others wrote
to them; and the deliveries sent to them. Other people appear only where the person already saw
them (who asked them for advice, the owner of a tension they raised); the giver of anonymous
feedback never does (none is stored), nor who answered a feedback request they made (an
answer may have been anonymous).

Each part is read a few hundred rows at a time (:meth:`Part.statement`, keyset on ``key``).
The registry of tables (:mod:`bot.data.member`) lists the parts of each table, so a capability
that adds a table adds its parts there too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, null, or_, select
from sqlmodel import col

from storage.models import (
    Advice,
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    Coach,
    Decision,
    DigestKind,
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestRecipient,
    Member,
    Objection,
    Proposal,
    ProposalAmendment,
    SentDigest,
    Tension,
)

# Where something a person wrote was shown (the export's ``shown`` column); the summary on top
# of the export says what each means (prompts/templates/member.j2, ``shown``).
SHOWN = ("you", "team", "coaches", "receiver", "asked")


@dataclass(frozen=True)
class Part:
    """One list in a person's export: the rows of ``base`` (joined to ``joins``) that
    ``where(user_id)`` picks, as ``columns``, in ``key`` order, dated by ``moment``."""

    name: str
    columns: tuple[tuple[str, Any], ...]
    base: Any
    where: Callable[[str], ColumnElement[bool]]
    key: Any
    moment: Any = None
    joins: tuple[tuple[Any, Any], ...] = ()

    @property
    def about(self) -> str:
        """The macro that says what the part holds (``member.part_<name>``)."""
        return f"member.part_{self.name}"

    @property
    def column_names(self) -> list[str]:
        """The part's columns, in order."""
        return [name for name, _ in self.columns]

    def _from(self, statement: Select[Any]) -> Select[Any]:
        statement = statement.select_from(self.base)
        for target, onclause in self.joins:
            statement = statement.join(target, onclause)
        return statement

    def statement(self, user_id: str) -> Select[Any]:
        """SELECT the person's rows with their key last (``_key``); the caller pages on it."""
        labelled = [expression.label(name) for name, expression in self.columns]
        return self._from(select(*labelled, self.key.label("_key"))).where(self.where(user_id))

    def extent(self, user_id: str) -> Select[Any]:
        """SELECT how many rows, and the first and last moment among them (None, None for a
        part with no dates)."""
        dates = (func.min(self.moment), func.max(self.moment)) if self.moment is not None else ()
        counted = select(func.count(), *(dates or (null(), null())))
        return self._from(counted).where(self.where(user_id))


def _seen_unless(hidden: ColumnElement[bool], person: Any) -> Any:
    """``person``, or nothing when ``hidden`` (an anonymous giver, a private tension's raiser)."""
    return case((hidden, null()), else_=person)


_ROUND = ((CheckinRound, col(CheckinRound.id) == col(CheckinResponse.round_id)),)
_PROMPT_ROUND = ((CheckinRound, col(CheckinRound.id) == col(CheckinPrompt.round_id)),)
_PROPOSAL_OF_ADVICE = ((Proposal, col(Proposal.id) == col(Advice.proposal_id)),)
_PROPOSAL_OF_OBJECTION = ((Proposal, col(Proposal.id) == col(Objection.proposal_id)),)
_PRIVATE = col(Tension.private).is_(True)

MEMBERSHIPS = Part(
    name="memberships",
    columns=(
        ("team", Member.team_id),
        ("name", Member.name),
        ("timezone", Member.timezone),
        ("active", Member.active),
        ("away_until", Member.away_until),
    ),
    base=Member,
    where=lambda user_id: col(Member.user_id) == user_id,
    key=Member.id,
)

COACHING = Part(
    name="coaching",
    columns=(("team", Coach.team_id), ("timezone", Coach.timezone), ("active", Coach.active)),
    base=Coach,
    where=lambda user_id: col(Coach.user_id) == user_id,
    key=Coach.id,
)

CHECKIN_ANSWERS = Part(
    name="checkin_answers",
    columns=(
        ("team", CheckinRound.team_id),
        ("meeting_date", CheckinRound.meeting_date),
        ("mood", CheckinResponse.mood),
        ("note", CheckinResponse.note),
        ("progress", CheckinResponse.progress),
        ("story", CheckinResponse.story),
        ("metric_values", CheckinResponse.metric_values),
        ("checklist", CheckinResponse.checklist),
        ("answers", CheckinResponse.answers),
        ("shared", CheckinResponse.shared),
        ("shown", case((col(CheckinResponse.shared).is_(True), "team"), else_="you")),
        ("created_at", CheckinResponse.created_at),
        ("updated_at", CheckinResponse.updated_at),
    ),
    base=CheckinResponse,
    joins=_ROUND,
    where=lambda user_id: col(CheckinResponse.user_id) == user_id,
    key=CheckinResponse.id,
    moment=CheckinResponse.created_at,
)

CHECKIN_DMS = Part(
    name="checkin_dms",
    columns=(
        ("team", CheckinRound.team_id),
        ("meeting_date", CheckinRound.meeting_date),
        ("status", CheckinPrompt.status),
        ("sent_at", CheckinPrompt.sent_at),
        ("reminded_at", CheckinPrompt.reminded_at),
        ("error", CheckinPrompt.error),
    ),
    base=CheckinPrompt,
    joins=_PROMPT_ROUND,
    where=lambda user_id: col(CheckinPrompt.user_id) == user_id,
    key=CheckinPrompt.id,
    moment=CheckinPrompt.created_at,
)

_TENSION_DATES = (
    ("created_at", Tension.created_at),
    ("triaged_at", Tension.triaged_at),
    ("due_date", Tension.due_date),
    ("done_at", Tension.done_at),
    ("resolved_at", Tension.resolved_at),
)

TENSIONS_RAISED = Part(
    name="tensions_raised",
    columns=(
        ("id", Tension.id),
        ("team", Tension.team_id),
        ("text", Tension.text),
        ("area", Tension.area),
        ("source_permalink", Tension.source_permalink),
        ("private", Tension.private),
        ("shown", case((_PRIVATE, "coaches"), else_="team")),
        ("status", Tension.status),
        ("outcome", Tension.outcome),
        ("owner", Tension.owner),
        ("needs_met", Tension.needs_met),
        *_TENSION_DATES,
    ),
    base=Tension,
    where=lambda user_id: col(Tension.raised_by) == user_id,
    key=Tension.id,
    moment=Tension.created_at,
)

TENSIONS_OWNED = Part(
    name="tensions_owned",
    columns=(
        ("id", Tension.id),
        ("team", Tension.team_id),
        ("raised_by", _seen_unless(_PRIVATE, Tension.raised_by)),
        ("text", Tension.text),
        ("status", Tension.status),
        ("outcome", Tension.outcome),
        *_TENSION_DATES,
    ),
    base=Tension,
    where=lambda user_id: col(Tension.owner) == user_id,
    key=Tension.id,
    moment=Tension.triaged_at,
)

TENSIONS_TRIAGED = Part(
    name="tensions_triaged",
    columns=(
        ("id", Tension.id),
        ("team", Tension.team_id),
        ("triaged_at", Tension.triaged_at),
        ("outcome", Tension.outcome),
        ("owner", Tension.owner),
        ("triage_note", Tension.triage_note),
        ("shown", case((_PRIVATE, "coaches"), else_="team")),
    ),
    base=Tension,
    where=lambda user_id: col(Tension.triaged_by) == user_id,
    key=Tension.id,
    moment=Tension.triaged_at,
)

_SHARED_APPRECIATION = and_(
    col(Feedback.shared).is_(True), col(Feedback.kind) == FeedbackKind.APPRECIATION
)

FEEDBACK_GIVEN = Part(
    name="feedback_given",
    columns=(
        ("id", Feedback.id),
        ("team", Feedback.team_id),
        ("receiver", Feedback.receiver),
        ("kind", Feedback.kind),
        ("values", Feedback.values),
        ("text", Feedback.text),
        ("shared", Feedback.shared),
        ("shown", case((_SHARED_APPRECIATION, "team"), else_="receiver")),
        ("created_at", Feedback.created_at),
        ("thanked_at", Feedback.thanked_at),
    ),
    base=Feedback,
    where=lambda user_id: col(Feedback.giver) == user_id,
    key=Feedback.id,
    moment=Feedback.created_at,
)

FEEDBACK_RECEIVED = Part(
    name="feedback_received",
    columns=(
        ("id", Feedback.id),
        ("team", Feedback.team_id),
        ("giver", _seen_unless(col(Feedback.anonymous).is_(True), Feedback.giver)),
        ("anonymous", Feedback.anonymous),
        ("kind", Feedback.kind),
        ("values", Feedback.values),
        ("text", Feedback.text),
        ("shared", Feedback.shared),
        ("created_at", Feedback.created_at),
        ("thanked_at", Feedback.thanked_at),
    ),
    base=Feedback,
    where=lambda user_id: col(Feedback.receiver) == user_id,
    key=Feedback.id,
    moment=Feedback.created_at,
)


def _asked(*conditions: ColumnElement[bool]) -> Any:
    """How many colleagues a feedback request asked (who answered is not said: it may have
    been anonymous)."""
    return (
        select(func.count())
        .where(col(FeedbackRequestRecipient.request_id) == col(FeedbackRequest.id), *conditions)
        .scalar_subquery()
    )


FEEDBACK_REQUESTS_MADE = Part(
    name="feedback_requests_made",
    columns=(
        ("id", FeedbackRequest.id),
        ("team", FeedbackRequest.team_id),
        ("about", FeedbackRequest.about),
        ("due_date", FeedbackRequest.due_date),
        ("asked", _asked()),
        ("answered", _asked(col(FeedbackRequestRecipient.answered_at).is_not(None))),
        ("shown", literal("asked")),
        ("created_at", FeedbackRequest.created_at),
    ),
    base=FeedbackRequest,
    where=lambda user_id: col(FeedbackRequest.requester) == user_id,
    key=FeedbackRequest.id,
    moment=FeedbackRequest.created_at,
)

FEEDBACK_REQUESTS_RECEIVED = Part(
    name="feedback_requests_received",
    columns=(
        ("request_id", FeedbackRequest.id),
        ("team", FeedbackRequest.team_id),
        ("requester", FeedbackRequest.requester),
        ("about", FeedbackRequest.about),
        ("due_date", FeedbackRequest.due_date),
        ("asked_at", FeedbackRequest.created_at),
        ("reminded_at", FeedbackRequestRecipient.reminded_at),
        ("answered_at", FeedbackRequestRecipient.answered_at),
    ),
    base=FeedbackRequestRecipient,
    joins=((FeedbackRequest, col(FeedbackRequest.id) == col(FeedbackRequestRecipient.request_id)),),
    where=lambda user_id: col(FeedbackRequestRecipient.user_id) == user_id,
    key=FeedbackRequestRecipient.id,
    moment=FeedbackRequest.created_at,
)

COACH_DIGESTS = Part(
    name="coach_digests",
    columns=(
        ("team", SentDigest.team_id),
        ("week", SentDigest.iso_week),
        ("status", SentDigest.status),
        ("sent_at", SentDigest.sent_at),
        ("error", SentDigest.error),
        ("body", SentDigest.body),
    ),
    base=SentDigest,
    where=lambda user_id: and_(
        col(SentDigest.recipient) == user_id, col(SentDigest.kind) == DigestKind.COACH_DIGEST
    ),
    key=SentDigest.id,
    moment=SentDigest.created_at,
)

PROPOSALS = Part(
    name="proposals",
    columns=(
        ("id", Proposal.id),
        ("team", Proposal.team_id),
        ("text", Proposal.text),
        ("why", Proposal.why),
        ("method", Proposal.method),
        ("status", Proposal.status),
        ("version", Proposal.version),
        ("decide_by", Proposal.decide_by),
        ("review_date", Proposal.review_date),
        ("values", Proposal.values),
        ("source_permalink", Proposal.source_permalink),
        ("shown", literal("team")),
        ("created_at", Proposal.created_at),
        ("withdrawn_at", Proposal.withdrawn_at),
    ),
    base=Proposal,
    where=lambda user_id: col(Proposal.proposer) == user_id,
    key=Proposal.id,
    moment=Proposal.created_at,
)

PROPOSAL_AMENDMENTS = Part(
    name="proposal_amendments",
    columns=(
        ("proposal_id", ProposalAmendment.proposal_id),
        ("version", ProposalAmendment.version),
        ("text", ProposalAmendment.text),
        ("why", ProposalAmendment.why),
        ("note", ProposalAmendment.note),
        ("decide_by", ProposalAmendment.decide_by),
        ("shown", literal("team")),
        ("created_at", ProposalAmendment.created_at),
    ),
    base=ProposalAmendment,
    joins=((Proposal, col(Proposal.id) == col(ProposalAmendment.proposal_id)),),
    where=lambda user_id: col(Proposal.proposer) == user_id,
    key=ProposalAmendment.id,
    moment=ProposalAmendment.created_at,
)

DECISIONS_DECIDED = Part(
    name="decisions_decided",
    columns=(
        ("id", Decision.id),
        ("team", Decision.team_id),
        ("proposal_id", Decision.proposal_id),
        ("method", Decision.method),
        ("text", Decision.text),
        ("shaped_by", Decision.shaped_by),
        ("shown", literal("team")),
        ("decided_at", Decision.decided_at),
        ("review_date", Decision.review_date),
    ),
    base=Decision,
    where=lambda user_id: col(Decision.decided_by) == user_id,
    key=Decision.id,
    moment=Decision.decided_at,
)

ADVICE_GIVEN = Part(
    name="advice_given",
    columns=(
        ("proposal_id", Advice.proposal_id),
        ("team", Proposal.team_id),
        ("proposer", Proposal.proposer),
        ("asked", Advice.status),
        ("asked_at", Advice.sent_at),
        ("reminded_at", Advice.reminded_at),
        ("answer", Advice.answer),
        ("text", Advice.text),
        ("earlier", Advice.earlier),
        ("shown", literal("team")),
        ("answered_at", Advice.answered_at),
    ),
    base=Advice,
    joins=_PROPOSAL_OF_ADVICE,
    where=lambda user_id: col(Advice.user_id) == user_id,
    key=Advice.id,
    moment=func.coalesce(Advice.answered_at, Advice.sent_at),
)

ADVICE_RECEIVED = Part(
    name="advice_received",
    columns=(
        ("proposal_id", Advice.proposal_id),
        ("advisor", Advice.user_id),
        ("answer", Advice.answer),
        ("text", Advice.text),
        ("earlier", Advice.earlier),
        ("answered_at", Advice.answered_at),
        ("answered_version", Advice.answered_version),
    ),
    base=Advice,
    joins=_PROPOSAL_OF_ADVICE,
    where=lambda user_id: and_(
        col(Proposal.proposer) == user_id,
        col(Advice.user_id) != user_id,
        col(Advice.answer).is_not(None),
    ),
    key=Advice.id,
    moment=Advice.answered_at,
)

_OBJECTION_ANSWER = (
    ("answer", Objection.answer),
    ("reason", Objection.reason),
    ("objection", Objection.objection),
    ("objected_at", Objection.objected_at),
    ("resolution", Objection.resolution),
    ("resolved_at", Objection.resolved_at),
    ("answered_at", Objection.answered_at),
)

ROUND_ANSWERS = Part(
    name="round_answers",
    columns=(
        ("proposal_id", Objection.proposal_id),
        ("team", Proposal.team_id),
        ("proposer", Proposal.proposer),
        ("asked", Objection.status),
        ("asked_at", Objection.sent_at),
        ("asked_version", Objection.asked_version),
        *_OBJECTION_ANSWER,
        ("shown", literal("team")),
    ),
    base=Objection,
    joins=_PROPOSAL_OF_OBJECTION,
    where=lambda user_id: col(Objection.user_id) == user_id,
    key=Objection.id,
    moment=func.coalesce(Objection.answered_at, Objection.sent_at),
)

ROUND_ANSWERS_RECEIVED = Part(
    name="round_answers_received",
    columns=(
        ("proposal_id", Objection.proposal_id),
        ("member", Objection.user_id),
        *_OBJECTION_ANSWER,
    ),
    base=Objection,
    joins=_PROPOSAL_OF_OBJECTION,
    where=lambda user_id: and_(
        col(Proposal.proposer) == user_id,
        col(Objection.user_id) != user_id,
        or_(col(Objection.answer).is_not(None), col(Objection.objected_at).is_not(None)),
    ),
    key=Objection.id,
    moment=Objection.answered_at,
)
