"""A person's own data: every table that names a person, and what becomes of its rows.

`retrobot export --member U…` (:mod:`bot.data.member_export`) and `retrobot forget --member U…`
(:mod:`bot.data.member_forget`) both read :data:`REGISTRY`: one :class:`PersonTable` per table
that holds a Slack member id, saying

- which columns name a person (``people``; ``people_lists`` for JSON holding ids, in lists or
  objects: a role change's holders before and after), and which
  hold what a person typed (``words``);
- what forget does with a row that names them (``forget``): **delete** it, **erase** it (their
  words blanked, their id replaced by a former member id; the row stays, so the figures of past
  weeks — who answered, moods, counts — are unchanged), or **anonymise** it (their id replaced,
  the words kept: the team's record, such as an adopted decision or a tension handed to an
  owner). A rule may decide row by row, and may set other columns too (an open proposal of
  theirs is withdrawn);
- the parts of the export the table feeds (:mod:`bot.data.member_parts`).

Every other table is listed in :data:`NAMES_NOBODY`, with why. A capability that adds a table
adds it to one or the other (tests/bot/member_data/test_registry.py fails until it does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, String, Table, cast, false, or_, select
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel, col

from bot.core.errors import RetrobotError
from bot.core.people import SLACK_BOT_ID, SLACK_MEMBER_ID, SLACKBOT, is_former_member
from bot.data import member_parts as parts
from bot.data import member_parts_rhythm as rhythm
from bot.data.member_parts import Part
from storage.models import (
    AskStatus,
    CheckinRound,
    ObjectionResolution,
    PromptStatus,
    Proposal,
    ProposalAmendment,
    ProposalStatus,
    Retrospective,
    RetroStatus,
    RoundStatus,
    TurnDelivery,
)

# What a delivery not made reads once its person is forgotten (a check-in DM, a request for
# advice): like Slack's own reasons, a code.
FORGOTTEN = "member_forgotten"


class Forget(StrEnum):
    """What `retrobot forget` does with a row that names the person."""

    DELETE = "delete"  # the row goes
    ERASE = "erase"  # their words blanked, their id replaced; the row's figures stay
    ANONYMISE = "anonymise"  # their id replaced; the words stay (the team's record)


@dataclass(frozen=True)
class Forgetting:
    """The person being forgotten, the former member id that replaces them, and the moment."""

    user_id: str
    former_id: str
    now: datetime


@dataclass(frozen=True)
class Change:
    """What happens to one row: the action, and other columns set at the same time."""

    action: Forget
    values: tuple[tuple[str, Any], ...] = ()


Rule = Callable[[Mapping[str, Any], Forgetting], Change]


@dataclass(frozen=True)
class PersonTable:
    """One table that names people: see the module's docstring."""

    table: str
    people: tuple[str, ...] = ()
    people_lists: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    # Emptied when the named column is the person's (a DM channel is theirs, not the row's).
    cleared: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    forget: Forget | Rule = Forget.ERASE
    # Rows that concern the person although no column of theirs names them (through a parent).
    naming: Callable[[str], ColumnElement[bool]] | None = None
    # The row as a rule reads it, with columns of a parent (a round's status) when it needs them.
    rows: Callable[[Table], Select[Any]] | None = None
    parts: tuple[Part, ...] = ()

    @property
    def sql_table(self) -> Table:
        """The table itself."""
        return SQLModel.metadata.tables[self.table]

    def names(self, user_id: str) -> ColumnElement[bool]:
        """SQL true for the rows that name the person (or concern them, through ``naming``)."""
        table = self.sql_table
        conditions = [table.c[name] == user_id for name in self.people]
        conditions += [
            cast(table.c[name], String).contains(f'"{user_id}"') for name in self.people_lists
        ]
        if self.naming is not None:
            conditions.append(self.naming(user_id))
        return or_(*conditions) if conditions else false()

    def select_rows(self) -> Select[Any]:
        """SELECT the table's rows as the rules read them."""
        return self.rows(self.sql_table) if self.rows is not None else select(self.sql_table)

    def change(self, row: Mapping[str, Any], forgetting: Forgetting) -> Change:
        """What forget does with this row."""
        if isinstance(self.forget, Forget):
            return Change(self.forget)
        return self.forget(row, forgetting)


# --- the rules --------------------------------------------------------------------------------


def _with_round_status(table: Table) -> Select[Any]:
    return select(table, col(CheckinRound.status).label("round_status")).join(
        CheckinRound, col(CheckinRound.id) == table.c.round_id
    )


def _with_proposal_status(table: Table) -> Select[Any]:
    return select(table, col(Proposal.status).label("proposal_status")).join(
        Proposal, col(Proposal.id) == table.c.proposal_id
    )


def _checkin_dm(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """In a round still open, a DM not yet sent is not sent, and one sent is not reminded."""
    values: dict[str, Any] = {}
    if row["round_status"] == RoundStatus.OPEN:
        if row["status"] in (PromptStatus.PENDING, PromptStatus.SENDING, PromptStatus.FAILED):
            values = {"status": PromptStatus.SKIPPED, "error": FORGOTTEN}
        elif row["status"] == PromptStatus.SENT and row["reminded_at"] is None:
            values = {"reminded_at": forgetting.now}
    return Change(Forget.ANONYMISE, tuple(values.items()))


def _tension(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """A tension they raised is erased unless triaged and handed over to an owner."""
    handed_over = row["triaged_at"] is not None and row["owner"] not in (None, forgetting.user_id)
    if row["raised_by"] == forgetting.user_id and not handed_over:
        return Change(Forget.ERASE)
    return Change(Forget.ANONYMISE)


def _feedback(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """Feedback they gave is erased; feedback they received keeps its giver's words."""
    if row["giver"] == forgetting.user_id:
        return Change(Forget.ERASE)
    return Change(Forget.ANONYMISE)


def _feedback_request(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """Their request is erased, and nobody is reminded of it any more."""
    return Change(Forget.ERASE, (("due_date", None),))


def _asked_for_feedback(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """Someone asked them for feedback: no reminder goes to a former member."""
    if row["answered_at"] is None and row["reminded_at"] is None:
        return Change(Forget.ANONYMISE, (("reminded_at", forgetting.now),))
    return Change(Forget.ANONYMISE)


def _proposal(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """An adopted proposal is the team's record; any other is erased, an open one withdrawn.
    Someone else's proposal that names them only as a role's holder keeps its words."""
    if row["status"] == ProposalStatus.ADOPTED or row["proposer"] != forgetting.user_id:
        return Change(Forget.ANONYMISE)
    if row["status"] == ProposalStatus.OPEN:
        return Change(
            Forget.ERASE,
            (("status", ProposalStatus.WITHDRAWN), ("withdrawn_at", forgetting.now)),
        )
    return Change(Forget.ERASE)


def _ask_not_made(row: Mapping[str, Any], forgetting: Forgetting) -> dict[str, Any]:
    """On a proposal still open: an ask not yet sent is not sent, and nobody is reminded."""
    if row["proposal_status"] != ProposalStatus.OPEN:
        return {}
    values: dict[str, Any] = {}
    if row["status"] in (AskStatus.PENDING, AskStatus.SENDING):
        values |= {"status": AskStatus.FAILED, "error": FORGOTTEN}
    if row["reminded_at"] is None:
        values["reminded_at"] = forgetting.now
    return values


def _advice(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """Their advice is erased."""
    return Change(Forget.ERASE, tuple(_ask_not_made(row, forgetting).items()))


def _round_answer(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """Their answer and objection are erased; an objection still open no longer blocks."""
    values = _ask_not_made(row, forgetting)
    if row["objected_at"] is not None and row["resolution"] is None:
        values |= {
            "resolution": ObjectionResolution.WITHDRAWN,
            "resolved_at": forgetting.now,
            "resolved_version": row["objected_version"],
        }
    return Change(Forget.ERASE, tuple(values.items()))


def _with_retro_status(table: Table) -> Select[Any]:
    return select(table, col(Retrospective.status).label("retro_status")).join(
        Retrospective, col(Retrospective.id) == table.c.retro_id
    )


def _retro_dm(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """Who took part keeps its figures (reflected, voted); in a retrospective still in progress
    their DM is not sent, nor any reminder (neither goes to a DM that did not reach them)."""
    settled = (PromptStatus.AWAY, PromptStatus.OFF_SHIFT)
    if row["retro_status"] != RetroStatus.CLOSED and row["status"] not in settled:
        return Change(Forget.ERASE, (("status", PromptStatus.FAILED), ("error", FORGOTTEN)))
    return Change(Forget.ERASE)


def _reflection(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """While reflection is open, nobody has voted on it yet: it goes. Once voting opened it is
    on the team's board and counted (votes, an improvement): its words go, the row stays."""
    if row["retro_status"] == RetroStatus.REFLECTING:
        return Change(Forget.DELETE)
    return Change(Forget.ERASE)


def _health_answer(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """An answer still has its author only while reflection is open, before anything counted
    it: it goes. (Were one counted, only its author would go: its score stays in the average.)"""
    if row["retro_status"] == RetroStatus.REFLECTING:
        return Change(Forget.DELETE)
    return Change(Forget.ANONYMISE)


def _role_turn(row: Mapping[str, Any], forgetting: Forgetting) -> Change:
    """Who held a rotating role at a meeting is the team's record; a brief not yet sent to them
    is not sent."""
    if row["holder"] == forgetting.user_id and row["brief_status"] in (
        TurnDelivery.PENDING,
        TurnDelivery.SENDING,
    ):
        return Change(
            Forget.ANONYMISE, (("brief_status", TurnDelivery.FAILED), ("error", FORGOTTEN))
        )
    return Change(Forget.ANONYMISE)


def _amendments_not_adopted(user_id: str) -> ColumnElement[bool]:
    """The amendments of their proposals that were not adopted (adopted ones are the record)."""
    return col(ProposalAmendment.proposal_id).in_(
        select(Proposal.id).where(
            col(Proposal.proposer) == user_id, col(Proposal.status) != ProposalStatus.ADOPTED
        )
    )


# --- the registry -----------------------------------------------------------------------------

REGISTRY: tuple[PersonTable, ...] = (
    # app.yaml's mirror: the person's places in teams go (they are no longer in app.yaml).
    PersonTable("member", people=("user_id",), forget=Forget.DELETE, parts=(parts.MEMBERSHIPS,)),
    PersonTable("coach", people=("user_id",), forget=Forget.DELETE, parts=(parts.COACHING,)),
    PersonTable(
        "checkin_prompt",
        people=("user_id",),
        cleared={"user_id": ("channel",)},
        forget=_checkin_dm,
        rows=_with_round_status,
        parts=(parts.CHECKIN_DMS,),
    ),
    PersonTable(
        "checkin_response",
        people=("user_id",),
        words=("note", "progress", "story", "answers"),
        forget=Forget.ERASE,
        parts=(parts.CHECKIN_ANSWERS,),
    ),
    PersonTable(
        "tension",
        people=("raised_by", "owner", "triaged_by"),
        words=("text", "area", "source_permalink", "triage_note"),
        forget=_tension,
        parts=(parts.TENSIONS_RAISED, parts.TENSIONS_OWNED, parts.TENSIONS_TRIAGED),
    ),
    PersonTable(
        "feedback_request",
        people=("requester",),
        words=("about",),
        forget=_feedback_request,
        parts=(parts.FEEDBACK_REQUESTS_MADE,),
    ),
    PersonTable(
        "feedback_request_recipient",
        people=("user_id",),
        forget=_asked_for_feedback,
        parts=(parts.FEEDBACK_REQUESTS_RECEIVED,),
    ),
    PersonTable(
        "feedback",
        people=("giver", "receiver"),
        words=("text",),
        cleared={"receiver": ("dm_channel",)},
        forget=_feedback,
        parts=(parts.FEEDBACK_GIVEN, parts.FEEDBACK_RECEIVED),
    ),
    # A coach's digests: what the team's coaches received stays the team's to read.
    PersonTable(
        "sent_digest",
        people=("recipient",),
        forget=Forget.ANONYMISE,
        parts=(parts.COACH_DIGESTS,),
    ),
    # Deciding (bot/decisions). Amendments before their proposals: both are read before any
    # change, but an amendment is found through its proposal's proposer.
    PersonTable(
        "proposal_amendment",
        words=("text", "why", "note"),
        naming=_amendments_not_adopted,
        forget=Forget.ERASE,
        parts=(parts.PROPOSAL_AMENDMENTS,),
    ),
    PersonTable(
        "proposal",
        people=("proposer",),
        people_lists=("role_change",),
        words=("text", "why", "source_permalink", "role_change"),
        forget=_proposal,
        parts=(parts.PROPOSALS,),
    ),
    PersonTable(
        "advice",
        people=("user_id",),
        words=("text", "earlier"),
        cleared={"user_id": ("dm_channel",)},
        forget=_advice,
        rows=_with_proposal_status,
        parts=(parts.ADVICE_GIVEN, parts.ADVICE_RECEIVED),
    ),
    PersonTable(
        "objection",
        people=("user_id",),
        words=("reason", "objection"),
        cleared={"user_id": ("dm_channel",)},
        forget=_round_answer,
        rows=_with_proposal_status,
        parts=(parts.ROUND_ANSWERS, parts.ROUND_ANSWERS_RECEIVED),
    ),
    PersonTable(
        "decision",
        people=("decided_by",),
        people_lists=("unanswered",),
        forget=Forget.ANONYMISE,
        parts=(parts.DECISIONS_DECIDED,),
    ),
    # Retrospectives (bot/retros). Who took part stays counted; what they wrote goes (a
    # reflection or health answer on an anonymous retrospective no longer names anyone once
    # reflection closed, so nothing of it is found). Their ballots, while voting is open, go.
    PersonTable(
        "retro_participant",
        people=("user_id",),
        cleared={"user_id": ("dm_channel", "dm_ts")},
        forget=_retro_dm,
        rows=_with_retro_status,
        parts=(rhythm.RETROS_ASKED,),
    ),
    PersonTable(
        "reflection",
        people=("author",),
        words=("text",),
        forget=_reflection,
        rows=_with_retro_status,
        parts=(rhythm.REFLECTIONS,),
    ),
    PersonTable("retro_vote", people=("voter",), forget=Forget.DELETE, parts=(rhythm.RETRO_VOTES,)),
    PersonTable(
        "health_answer",
        people=("author",),
        forget=_health_answer,
        rows=_with_retro_status,
        parts=(rhythm.HEALTH_ANSWERS,),
    ),
    # Shifts (bot/shifts): when they work, and the DMs held for it, are theirs alone.
    PersonTable(
        "working_pattern",
        people=("user_id",),
        forget=Forget.DELETE,
        parts=(rhythm.WORKING_PATTERNS,),
    ),
    PersonTable(
        "shift_hold", people=("user_id",), forget=Forget.DELETE, parts=(rhythm.SHIFT_HOLDS,)
    ),
    # Roles (bot/roles): a role they hold now is given up; its history (who held it, each
    # change's holders before and after, each meeting's turn) is the team's, and reads "a
    # former member".
    PersonTable(
        "role_holder", people=("user_id",), forget=Forget.DELETE, parts=(rhythm.ROLES_HELD,)
    ),
    PersonTable(
        "role_change",
        people_lists=("before", "after"),
        forget=Forget.ANONYMISE,
        parts=(rhythm.ROLE_HISTORY,),
    ),
    PersonTable(
        "role_turn",
        people=("holder", "previous"),
        forget=_role_turn,
        parts=(rhythm.ROLE_TURNS,),
    ),
)

# Tables that name nobody, and why.
NAMES_NOBODY: dict[str, str] = {
    "team": "a team: its name, channel and time zone",
    "checkin_round": "a meeting's round: dates and the agenda's message ids",
    "processed_event": "Slack event ids already handled",
    "scheduler_lock": "which process leads the scheduler",
    "member_erasure": "a hash of a forgotten member's id, never the id",
    "retrospective": "a team's retrospective: its dates, questions, channel and message ids",
    "retro_improvement": "a reflection the team voted for, and the tension it became",
    "role": "a team's role: its name, purpose, accountabilities and expertise",
    "tension_role": "the role a tension was raised about",
    "circle_notice": "what a circle posted once, and where",
    "refused_delivery": "a message Slack refused: its team, kind and Slack's error, no recipient",
}

# Columns whose names sound like a person's but hold something else.
NOT_PEOPLE: dict[str, str] = {
    "decision.shaped_by": "words: how the advice shaped the decision",
}


def holds_text(column: Any) -> bool:
    """True for a column that can hold a Slack id or a person's words: text, or JSON."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, String | JSON)


def registry_entry(table: str) -> PersonTable | None:
    """The registry's entry for ``table``, if it names people."""
    return next((entry for entry in REGISTRY if entry.table == table), None)


def export_parts() -> list[Part]:
    """Every part of a person's export, in the registry's order."""
    return [part for entry in REGISTRY for part in entry.parts]


def check_member_id(text: str) -> str:
    """The Slack member id typed on the command line, or a plain one-line refusal."""
    user_id = text.strip().upper()
    if user_id == SLACKBOT or SLACK_BOT_ID.match(user_id):
        raise RetrobotError(
            f"{text.strip()} is a bot, not a person: retrobot keeps data about people only."
        )
    if is_former_member(text.strip()):
        raise RetrobotError(
            f"{text.strip()} is a former member retrobot has already forgotten: "
            "nothing links it to a person any more."
        )
    if not SLACK_MEMBER_ID.match(user_id):
        raise RetrobotError(
            f"{text.strip()!r} is not a Slack member id: they look like U012AB3CD "
            "(in Slack, a person's profile, ⋮, Copy member ID)."
        )
    return user_id
