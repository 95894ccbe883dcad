"""retrobot's tables: teams and their people, check-in rounds, tensions, feedback, deliveries.

Every datetime column is :class:`~storage.types.UTCDateTime` (aware in, aware UTC out); every
status is a :class:`~enum.StrEnum` stored as its plain string value. Constraint names follow
one naming convention, so later migrations (batch mode on SQLite included) can address them.
Rows are never deleted when someone leaves a team: they are marked inactive, so history stays.
"""

# Longer than 600 lines: every table is here, so Alembic, the export and the tests read one
# metadata; each capability's tables are one block (the newest, retrospectives, at the end).

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from storage.columns import created_at as _created_at
from storage.columns import datetime_column as _datetime
from storage.columns import json_dict as _json_dict
from storage.columns import json_list as _json_list
from storage.columns import text as _text
from storage.columns import updated_at as _updated_at
from storage.types import StrEnumType

# Deterministic constraint names on every database; the initial migration spells out the same.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class RoundStatus(StrEnum):
    """Where a check-in round stands."""

    OPEN = "open"
    CLOSED = "closed"
    MISSED = "missed"  # the app was down past the meeting: recorded, never sent late


class PromptStatus(StrEnum):
    """What happened to one member's check-in DM."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by one process, which is posting the DM right now
    SENT = "sent"
    FAILED = "failed"
    AWAY = "away"
    SKIPPED = "skipped"
    ANSWERED = "answered"
    # Off shift (bot/shifts): outside their working time or in do-not-disturb until the meeting.
    OFF_SHIFT = "off_shift"


class TensionStatus(StrEnum):
    """Where a tension is between being raised and being closed."""

    OPEN = "open"
    TRIAGED = "triaged"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class OutcomeKind(StrEnum):
    """What triage turned a tension into."""

    NEXT_ACTION = "next_action"
    PROJECT = "project"
    INFORMATION = "information"
    SPACE = "space"
    PROPOSAL = "proposal"
    RESOLVED = "resolved"
    DROPPED = "dropped"
    CIRCLE = "circle"  # taken to a circle the team belongs to (bot/circles)


# Outcomes that make a tension someone's work to do (and to mark done), and the statuses of a
# tension once triaged.
ACTION_OUTCOMES = (OutcomeKind.NEXT_ACTION, OutcomeKind.PROJECT)
TRIAGED_STATUSES = (TensionStatus.TRIAGED, TensionStatus.CLOSED)


class FeedbackKind(StrEnum):
    """The two kinds of peer feedback."""

    APPRECIATION = "appreciation"
    SUGGESTION = "suggestion"


class DigestKind(StrEnum):
    """The weekly deliveries recorded in ``sent_digest``."""

    COACH_DIGEST = "coach_digest"
    TEAM_SUMMARY = "team_summary"


class DeliveryStatus(StrEnum):
    """Whether a weekly delivery reached Slack."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Team(SQLModel, table=True):
    """A self-organising team as app.yaml describes it; ``id`` is the key in app.yaml."""

    __tablename__ = "team"

    id: str = Field(primary_key=True)
    name: str
    channel: str
    timezone: str
    active: bool = True
    updated_at: datetime = _updated_at()


class Member(SQLModel, table=True):
    """A person in a team; leaving sets ``active`` False so their history stays."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id")
    user_id: str = Field(index=True)
    name: str | None = None
    timezone: str | None = None
    active: bool = True
    away_until: date | None = None


class Coach(SQLModel, table=True):
    """A coach who supports a team; receives the weekly digest, has no power over the team."""

    __tablename__ = "coach"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id")
    user_id: str = Field(index=True)
    timezone: str | None = None
    active: bool = True


class CheckinRound(SQLModel, table=True):
    """One tactical meeting's check-in: DMs go out at ``opens_at``, it meets at ``meeting_at``."""

    __tablename__ = "checkin_round"
    __table_args__ = (UniqueConstraint("team_id", "meeting_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id")
    meeting_date: date
    meeting_at: datetime = _datetime()
    opens_at: datetime = _datetime()
    status: RoundStatus = Field(default=RoundStatus.OPEN, sa_type=StrEnumType(RoundStatus))
    created_at: datetime = _created_at()
    agenda_channel: str | None = None
    agenda_ts: str | None = None
    # The agenda's other messages (its thread replies and continuations) by part name, each
    # {"ts": ..., "digest": ...}, plus the main message's digest: reposting updates, never adds.
    agenda_messages: dict[str, Any] = _json_dict(server_default="{}")


class CheckinPrompt(SQLModel, table=True):
    """The check-in DM to one member for one round, and what became of it."""

    __tablename__ = "checkin_prompt"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="checkin_round.id")
    user_id: str
    status: PromptStatus = Field(default=PromptStatus.PENDING, sa_type=StrEnumType(PromptStatus))
    channel: str | None = None
    message_ts: str | None = None
    error: str | None = Field(default=None, sa_type=Text())
    created_at: datetime = _created_at()
    sent_at: datetime | None = _datetime(nullable=True, default=None)
    reminded_at: datetime | None = _datetime(nullable=True, default=None)
    # When a process claimed the prompt to post it; a claim that never turned into SENT or
    # FAILED is checked against the DM channel's history before anything is posted again.
    claimed_at: datetime | None = _datetime(nullable=True, default=None)
    # Not before this moment: a member in another time zone is not woken by the DM.
    not_before: datetime | None = _datetime(nullable=True, default=None)
    reminder_ts: str | None = None


class CheckinResponse(SQLModel, table=True):
    """A member's check-in answer; ``shared`` False keeps it out of the team's agenda."""

    __tablename__ = "checkin_response"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        CheckConstraint("mood BETWEEN 1 AND 5", name="mood_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="checkin_round.id")
    user_id: str
    mood: int | None = None
    note: str = _text()
    shared: bool = True
    metric_values: dict[str, float] = _json_dict()
    checklist: dict[str, bool] = _json_dict()
    progress: str = _text()
    story: str = _text()
    # The teller's consent to show the story beyond the team, in the organisation report
    # (issue 20); off unless they tick it in the check-in.
    story_beyond_team: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Answers to the team's own check-in questions (app.yaml ``questions``), by question.
    answers: dict[str, str] = _json_dict(server_default="{}")
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()


class Tension(SQLModel, table=True):
    """A gap someone senses, from being raised through triage to "did you get what you need?"."""

    __tablename__ = "tension"
    __table_args__ = (
        Index("ix_tension_team_id_status", "team_id", "status"),
        Index("ix_tension_request_key", "request_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Indexed through ix_tension_team_id_status, whose first column it is.
    team_id: str = Field(foreign_key="team.id")
    raised_by: str = Field(index=True)
    text: str = _text()
    area: str = ""
    source_permalink: str | None = None
    private: bool = False
    status: TensionStatus = Field(default=TensionStatus.OPEN, sa_type=StrEnumType(TensionStatus))
    outcome: OutcomeKind | None = Field(default=None, sa_type=StrEnumType(OutcomeKind))
    owner: str | None = Field(default=None, index=True)
    due_date: date | None = None
    triage_note: str = _text()
    governance: bool = False
    done_at: datetime | None = _datetime(nullable=True, default=None)
    needs_met: bool | None = None
    created_at: datetime = _created_at(index=True)
    triaged_at: datetime | None = _datetime(nullable=True, default=None)
    triaged_by: str | None = None
    # The check-in round (meeting) whose agenda it was triaged on. Indexed, as every foreign
    # key is: deleting an old round (bot.data.retention) must not read every tension to check it.
    triaged_round_id: int | None = Field(default=None, foreign_key="checkin_round.id", index=True)
    resolved_at: datetime | None = _datetime(nullable=True, default=None)
    updated_at: datetime = _updated_at()
    # The request that raised it (the modal's view id), unique: the same submission arriving
    # twice stores one tension. None for tensions raised otherwise (a check-in's, an import's).
    request_key: str | None = None


class FeedbackRequest(SQLModel, table=True):
    """Someone asking colleagues for feedback about something, perhaps by a date."""

    __tablename__ = "feedback_request"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str | None = Field(default=None, foreign_key="team.id")
    requester: str = Field(index=True)
    about: str = _text()
    # Indexed: the hourly reminder job looks for requests due in the next days.
    due_date: date | None = Field(default=None, index=True)
    created_at: datetime = _created_at()


class Feedback(SQLModel, table=True):
    """Peer feedback to its receiver; ``giver`` is None when it was given anonymously."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str | None = Field(default=None, foreign_key="team.id", index=True)
    giver: str | None = None
    receiver: str = Field(index=True)
    kind: FeedbackKind = Field(sa_type=StrEnumType(FeedbackKind))
    values: list[str] = _json_list()
    text: str = _text()
    shared: bool = False
    anonymous: bool = False
    request_id: int | None = Field(default=None, foreign_key="feedback_request.id", index=True)
    dm_channel: str | None = None
    dm_ts: str | None = None
    thanked_at: datetime | None = _datetime(nullable=True, default=None)
    created_at: datetime = _created_at(index=True)


class FeedbackRequestRecipient(SQLModel, table=True):
    """One colleague asked in a feedback request, and whether they have answered."""

    __tablename__ = "feedback_request_recipient"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="feedback_request.id")
    user_id: str = Field(index=True)
    dm_ts: str | None = None
    reminded_at: datetime | None = _datetime(nullable=True, default=None)
    answered_at: datetime | None = _datetime(nullable=True, default=None)
    feedback_id: int | None = Field(default=None, foreign_key="feedback.id", index=True)


class SentDigest(SQLModel, table=True):
    """A weekly coach digest or team summary; the unique key makes each go out once a week."""

    __tablename__ = "sent_digest"
    __table_args__ = (UniqueConstraint("kind", "recipient", "team_id", "iso_week"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: DigestKind = Field(sa_type=StrEnumType(DigestKind))
    recipient: str  # the coach's user id, or the channel id of a team summary
    team_id: str = Field(foreign_key="team.id", index=True)
    iso_week: str  # "2026-W48", in the team's time zone
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=StrEnumType(DeliveryStatus)
    )
    message_ts: str | None = None
    error: str | None = Field(default=None, sa_type=Text())
    created_at: datetime = _created_at()
    sent_at: datetime | None = _datetime(nullable=True, default=None)
    # What the recipient read about this team (mrkdwn), kept so that the team can see every
    # digest its coaches received exactly as it was sent (`/retro digest`).
    body: str = _text(server_default="")


class RefusedKind(StrEnum):
    """A message sent at once (not in a round or a weekly delivery) whose refusal is recorded."""

    TRIAGE_DM = "triage_dm"  # the owner's work, the raiser's "did you get what you need?"
    SHARED_APPRECIATION = "shared_appreciation"  # an appreciation shared in the team channel
    AGENDA = "agenda"  # the tactical meeting's agenda (or its thread) in the team channel


class RefusedDelivery(SQLModel, table=True):
    """A message Slack refused (or never answered about), so that `retrobot status` shows it:
    what it was, for which team, when, and Slack's error — never its words, nor whom it was for."""

    __tablename__ = "refused_delivery"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id", index=True)
    kind: RefusedKind = Field(sa_type=StrEnumType(RefusedKind))
    error: str = Field(max_length=200)
    refused_at: datetime = _datetime(index=True)


class ProcessedEvent(SQLModel, table=True):
    """A Slack event id already handled, so Slack's retries change nothing twice."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True)
    received_at: datetime = _created_at(index=True)


class SchedulerLock(SQLModel, table=True):
    """The lease that elects the one active scheduler among several app instances."""

    __tablename__ = "scheduler_lock"

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = _datetime()


# --- Deciding: proposals, advice, the objection round, decisions (bot/decisions) ------------


class ProposalMethod(StrEnum):
    """How a proposal is decided (DESIGN.md, Deciding)."""

    ADVICE = "advice"  # the proposer decides, after asking the affected and the experts
    INTEGRATED = "integrated"  # the team decides by consent, in an objection round


class ProposalStatus(StrEnum):
    """Where a proposal stands."""

    OPEN = "open"
    ADOPTED = "adopted"
    WITHDRAWN = "withdrawn"


class AskStatus(StrEnum):
    """What happened to the DM that asks one person for advice or for their consent."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by one process, which is posting the DM right now
    SENT = "sent"
    FAILED = "failed"
    # Off shift (bot/shifts): outside their working time or in do-not-disturb until the date.
    OFF_SHIFT = "off_shift"


class AdviceAnswer(StrEnum):
    """What a person asked for advice answered."""

    ADVICE = "advice"
    NO_ADVICE = "no_advice"


class RoundAnswer(StrEnum):
    """A member's answer in an integrated decision's objection round."""

    NO_OBJECTION = "no_objection"
    CONCERN = "concern"  # recorded, does not block
    OBJECTION = "objection"  # blocks adoption until integrated or withdrawn


class ObjectionResolution(StrEnum):
    """How an objection stopped blocking."""

    INTEGRATED = "integrated"  # the objector confirmed an amendment integrated it
    WITHDRAWN = "withdrawn"  # the objector withdrew it


class DecisionKind(StrEnum):
    """What an adopted decision changes: an ongoing expectation, or also one of the team's roles
    (created, changed, assigned or removed; ``decision.role_id`` names it). Stored as text, so
    a new kind needs no migration."""

    EXPECTATION = "expectation"
    ROLE_CREATE = "role_create"
    ROLE_CHANGE = "role_change"
    ROLE_ASSIGN = "role_assign"
    ROLE_REMOVE = "role_remove"


class Proposal(SQLModel, table=True):
    """A proposal for an ongoing expectation, from its draft to adopted or withdrawn.

    ``version`` counts amendments (1 as first posted); the channel message (``channel``,
    ``message_ts``) is updated in place and the process lives in its thread.
    """

    __tablename__ = "proposal"
    __table_args__ = (
        Index("ix_proposal_team_id_status", "team_id", "status"),
        Index("ix_proposal_request_key", "request_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Indexed through ix_proposal_team_id_status, whose first column it is.
    team_id: str = Field(foreign_key="team.id")
    proposer: str = Field(index=True)
    text: str = _text()
    why: str = _text()
    method: ProposalMethod = Field(sa_type=StrEnumType(ProposalMethod))
    status: ProposalStatus = Field(
        default=ProposalStatus.OPEN, sa_type=StrEnumType(ProposalStatus), index=True
    )
    version: int = 1
    decide_by: date = Field(index=True)
    review_date: date | None = None
    values: list[str] = _json_list()
    # Whole teams asked for advice (their members each get a request), by team id.
    ask_teams: list[str] = _json_list()
    # Roles asked for advice, by role id: kept for the roles capability (their holders asked).
    ask_roles: list[str] = _json_list()
    # What the proposal does to one of the team's roles, applied once when it is adopted
    # (bot.decisions.role_change), or None: {"kind", "role", "role_name", the new words,
    # "holders", "rotation"}, and "not_made" with the reason when it could not be made then.
    role_change: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The tension it resolves, when drafted from one triaged as a proposal (no foreign key:
    # retention may delete an old tension; the decision log keeps its own words).
    tension_id: int | None = None
    source_permalink: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    # Integrated decisions: when the objection round closed (the date, or everyone answered).
    round_closed_at: datetime | None = _datetime(nullable=True, default=None)
    # The proposer was reminded the day before the date (advice process: time to decide).
    reminded_at: datetime | None = _datetime(nullable=True, default=None)
    withdrawn_at: datetime | None = _datetime(nullable=True, default=None)
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()
    # The submission that made it (the modal's view id), unique: stored once however often sent.
    request_key: str | None = None


class ProposalAmendment(SQLModel, table=True):
    """One amendment of a proposal: the new words, and what changed as its proposer put it."""

    __tablename__ = "proposal_amendment"
    __table_args__ = (UniqueConstraint("proposal_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id")
    version: int
    text: str = _text()
    why: str = _text()
    note: str = _text()
    decide_by: date
    created_at: datetime = _created_at()


class Advice(SQLModel, table=True):
    """One person asked for advice on a proposal: the DM that asked them, and their advice."""

    __tablename__ = "advice"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id")
    user_id: str = Field(index=True)
    # The advisor's own team when it is not the proposal's (informational; no foreign key).
    from_team: str | None = None
    coach: bool = False
    status: AskStatus = Field(default=AskStatus.PENDING, sa_type=StrEnumType(AskStatus), index=True)
    error: str | None = Field(default=None, sa_type=Text())
    claimed_at: datetime | None = _datetime(nullable=True, default=None)
    sent_at: datetime | None = _datetime(nullable=True, default=None)
    dm_channel: str | None = None
    dm_ts: str | None = None
    reminded_at: datetime | None = _datetime(nullable=True, default=None)
    answer: AdviceAnswer | None = Field(default=None, sa_type=StrEnumType(AdviceAnswer))
    text: str = _text()
    answered_at: datetime | None = _datetime(nullable=True, default=None)
    answered_version: int | None = None
    # Advice given on earlier versions, kept when the advisor advises again after an amendment:
    # [{"version": 1, "text": "...", "at": "2026-06-01T12:00:00+00:00"}].
    earlier: list[dict[str, Any]] = _json_list()


class Objection(SQLModel, table=True):
    """One member's place in an integrated decision's objection round: the DM that asked them,
    their answer to the current version, and the objection they raised, if any, until it is
    integrated or withdrawn."""

    __tablename__ = "objection"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id")
    user_id: str = Field(index=True)
    status: AskStatus = Field(default=AskStatus.PENDING, sa_type=StrEnumType(AskStatus), index=True)
    error: str | None = Field(default=None, sa_type=Text())
    claimed_at: datetime | None = _datetime(nullable=True, default=None)
    sent_at: datetime | None = _datetime(nullable=True, default=None)
    dm_channel: str | None = None
    dm_ts: str | None = None
    reminded_at: datetime | None = _datetime(nullable=True, default=None)
    # The version this member is asked about: an amendment asks again those who answered.
    asked_version: int = 1
    answer: RoundAnswer | None = Field(default=None, sa_type=StrEnumType(RoundAnswer))
    reason: str = _text()
    answered_at: datetime | None = _datetime(nullable=True, default=None)
    answered_version: int | None = None
    # The objection as raised (kept for the decision log), and how it stopped blocking.
    objection: str = _text()
    objected_at: datetime | None = _datetime(nullable=True, default=None)
    objected_version: int | None = None
    resolution: ObjectionResolution | None = Field(
        default=None, sa_type=StrEnumType(ObjectionResolution)
    )
    resolved_at: datetime | None = _datetime(nullable=True, default=None)
    resolved_version: int | None = None


class Decision(SQLModel, table=True):
    """An adopted proposal in the team's decision log; ``decided_by`` is None when the team
    decided by consent (integrated decision-making)."""

    __tablename__ = "decision"
    # `/decisions` reads a team's newest first: this index gives them in order, ten at a time,
    # however long the log (a sort of the whole team's log otherwise).
    __table_args__ = (Index("ix_decision_team_id_decided_at", "team_id", "decided_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    # Indexed through ix_decision_team_id_decided_at, whose first column it is.
    team_id: str = Field(foreign_key="team.id")
    proposal_id: int = Field(foreign_key="proposal.id", unique=True)
    kind: DecisionKind = Field(default=DecisionKind.EXPECTATION, sa_type=StrEnumType(DecisionKind))
    # The role a role decision creates, changes, assigns or removes (the roles capability).
    role_id: str | None = None
    method: ProposalMethod = Field(sa_type=StrEnumType(ProposalMethod))
    text: str = _text()
    shaped_by: str = _text()
    decided_by: str | None = None
    decided_at: datetime = _datetime(index=True)
    # Who was asked and did not answer by the decision: recorded, not waited for.
    unanswered: list[str] = _json_list()
    review_date: date | None = Field(default=None, index=True)
    reviewed_at: datetime | None = _datetime(nullable=True, default=None)
    # The tension that brought it back on the agenda at its review date (no foreign key, as
    # for proposal.tension_id).
    review_tension_id: int | None = None


# --- Retrospective and team health (issue 18) -------------------------------------------------
# Who took part is kept apart from what anyone wrote (retro_participant vs reflection and
# health_answer); once reflection closes, an anonymous reflection and every health answer lose
# their author (bot.retros.service.close_reflection), and once voting closes the votes are
# counted onto the reflections and the ballots deleted.


class RetroStatus(StrEnum):
    """Where a retrospective stands."""

    REFLECTING = "reflecting"
    VOTING = "voting"
    CLOSED = "closed"


class ReflectionKind(StrEnum):
    """The three questions of the Reflect modal."""

    WENT_WELL = "went_well"
    COULD_BE_BETTER = "could_be_better"
    IDEA = "idea"


class Retrospective(SQLModel, table=True):
    """One team's retrospective: the period it looks back on, and its reflection and voting.

    At most one per team is in progress: ``in_progress_team`` holds the team's id until it
    closes, and is unique. Its channel message and thread replies are recorded in ``messages``
    by part name, each ``{"ts": ..., "digest": ...}``, so publishing again updates them and
    never posts twice.
    """

    __tablename__ = "retrospective"
    __table_args__ = (
        UniqueConstraint("in_progress_team"),
        Index("ix_retrospective_team_id_opened_at", "team_id", "opened_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id")
    status: RetroStatus = Field(
        default=RetroStatus.REFLECTING, sa_type=StrEnumType(RetroStatus), index=True
    )
    in_progress_team: str | None = None  # the team's id while reflecting or voting, else None
    anonymous: bool = True
    # The questions asked this time, in order (app.yaml's `health:` may change later).
    health_questions: list[str] = _json_list()
    period_start: datetime = _datetime()
    opened_at: datetime = _datetime()  # also the end of the period looked back on
    reflection_closes_at: datetime = _datetime()
    reflection_closed_at: datetime | None = _datetime(nullable=True, default=None)
    voting_closes_at: datetime | None = _datetime(nullable=True, default=None)
    voting_closed_at: datetime | None = _datetime(nullable=True, default=None)
    reflect_reminders_at: datetime | None = _datetime(nullable=True, default=None)
    vote_reminders_at: datetime | None = _datetime(nullable=True, default=None)
    channel: str
    message_ts: str | None = None
    messages: dict[str, Any] = _json_dict()
    chart_posted: bool = False
    created_at: datetime = _created_at()


class RetroParticipant(SQLModel, table=True):
    """A member asked to reflect: their DM, and whether they reflected and voted — never what."""

    __tablename__ = "retro_participant"
    __table_args__ = (UniqueConstraint("retro_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    retro_id: int = Field(foreign_key="retrospective.id")
    user_id: str = Field(index=True)
    status: PromptStatus = Field(default=PromptStatus.PENDING, sa_type=StrEnumType(PromptStatus))
    not_before: datetime | None = _datetime(nullable=True, default=None)
    claimed_at: datetime | None = _datetime(nullable=True, default=None)
    dm_channel: str | None = None
    dm_ts: str | None = None
    error: str | None = Field(default=None, sa_type=Text())
    reflected: bool = False
    voted: bool = False
    reflect_reminded: bool = False
    vote_reminded: bool = False


class Reflection(SQLModel, table=True):
    """One thing someone noticed: what went well, what could be better, or an idea to try.

    ``author`` is kept while reflection is open (so its author can edit it) and for a team that
    reflects with names; it is removed when reflection closes on an anonymous retrospective.
    ``votes`` is filled in when voting closes, never before.
    """

    __tablename__ = "reflection"

    id: int | None = Field(default=None, primary_key=True)
    retro_id: int = Field(foreign_key="retrospective.id", index=True)
    kind: ReflectionKind = Field(sa_type=StrEnumType(ReflectionKind))
    text: str = _text()
    author: str | None = None
    votes: int | None = None


class RetroVote(SQLModel, table=True):
    """One of a member's three votes while voting is open; deleted once they are counted.

    ``slot`` (1 to 3) makes a fourth vote impossible whatever runs at once: the pair
    (retro, voter, slot) is unique, and so is a voter's vote on one reflection.
    """

    __tablename__ = "retro_vote"
    __table_args__ = (
        UniqueConstraint("retro_id", "voter", "slot"),
        UniqueConstraint("reflection_id", "voter"),
        CheckConstraint("slot BETWEEN 1 AND 3", name="slot_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    retro_id: int = Field(foreign_key="retrospective.id", index=True)
    reflection_id: int = Field(foreign_key="reflection.id")
    voter: str
    slot: int


class HealthAnswer(SQLModel, table=True):
    """An answer, 1 to 5, to one of the team's health questions; shown only as an average over
    at least 3 answers. ``author`` goes when reflection closes."""

    __tablename__ = "health_answer"
    __table_args__ = (
        UniqueConstraint("retro_id", "author", "question"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    retro_id: int = Field(foreign_key="retrospective.id", index=True)
    question: str = _text()
    score: int
    author: str | None = None


class RetroImprovement(SQLModel, table=True):
    """A reflection the team voted for, and the tension it became on the tactical agenda."""

    __tablename__ = "retro_improvement"
    __table_args__ = (UniqueConstraint("retro_id", "reflection_id"),)

    id: int | None = Field(default=None, primary_key=True)
    retro_id: int = Field(foreign_key="retrospective.id", index=True)
    reflection_id: int = Field(foreign_key="reflection.id", index=True)
    tension_id: int = Field(foreign_key="tension.id", index=True)
    votes: int = 0


# --- Shifts and do-not-disturb: working patterns, and DMs held for them (bot/shifts) ---------


class PatternKind(StrEnum):
    """How a person's working time repeats."""

    DAYS = "days"  # the same hours on each working day
    NIGHTS = "nights"  # a shift that starts on each chosen evening and ends the next morning
    PART_TIME = "part_time"  # the chosen days only, at the day's usual hours


class WorkingPattern(SQLModel, table=True):
    """When a member works, as they set it on the App Home: retrobot's scheduled DMs wait for it.

    One row per team the person is in, written together so they always agree (a pattern is the
    person's, and each team's export carries it). ``starts`` and ``ends`` are local wall-clock
    times ("HH:MM") in ``timezone``; a night shift ends on the next day.
    """

    __tablename__ = "working_pattern"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id")
    user_id: str = Field(index=True)
    kind: PatternKind = Field(sa_type=StrEnumType(PatternKind))
    days: list[int] = _json_list()  # 0 is Monday … 6 Sunday
    starts: str
    ends: str
    timezone: str
    updated_at: datetime = _updated_at()


class ShiftHold(SQLModel, table=True):
    """When retrobot decided a scheduled DM should go, because its person was off shift or in
    do-not-disturb: at ``send_at``, or (``send_at`` None) not at all, off shift until the DM's
    ``deadline`` (the meeting, the decision date, the end of reflection).

    ``kind`` names what the DM is and ``ref_id`` its row in that capability's table (a check-in
    prompt, an advice request...), so a restart neither sends it early nor forgets it.
    """

    __tablename__ = "shift_hold"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    ref_id: int
    user_id: str = Field(index=True)
    # The team whose DM it is (None for a DM no team owns, a feedback request across teams).
    team_id: str | None = Field(default=None, foreign_key="team.id", index=True)
    send_at: datetime | None = _datetime(nullable=True, default=None)
    deadline: datetime = _datetime()
    # Why: "pattern" (outside their working time), "dnd" (Slack's do-not-disturb), or both.
    reason: str = Field(default="", max_length=20)
    decided_at: datetime = _datetime(index=True)


# --- A person's own data: `retrobot forget` (bot/data/member_forget.py) ----------------------


class MemberErasure(SQLModel, table=True):
    """One `retrobot forget`: who ran it, when, for which member — as a hash of their Slack id,
    never the id — and how many rows it changed in each table. It holds no content."""

    __tablename__ = "member_erasure"

    id: int | None = Field(default=None, primary_key=True)
    # sha256 of the Slack id (bot.core.people.member_hash): answers "was U… forgotten?".
    member_hash: str = Field(index=True)
    run_by: str
    run_at: datetime = _datetime()
    # {"checkin_response": {"erase": 12}, "member": {"delete": 2}, ...}
    changes: dict[str, Any] = _json_dict()


# Roles and circles (bot/roles, bot/circles) have their tables in a module of their own, part of
# the same metadata: everything imports them from here.
from storage.role_tables import (  # noqa: E402
    CircleNotice,
    Role,
    RoleChange,
    RoleChangeKind,
    RoleHolder,
    RoleTurn,
    TensionRole,
    TurnDelivery,
)

__all__ = [
    "CircleNotice",
    "Role",
    "RoleChange",
    "RoleChangeKind",
    "RoleHolder",
    "RoleTurn",
    "TensionRole",
    "TurnDelivery",
]
