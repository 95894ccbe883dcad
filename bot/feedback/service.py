"""Peer feedback: appreciation and suggestions between colleagues, and feedback people ask for.

Private by design (DESIGN.md, Privacy): a piece of feedback reaches its receiver only, and the
team channel when the giver shares an appreciation; coaches and summaries get counts by kind and
value (:func:`storage.queries.feedback_counts`), never text or who gave to whom. Anonymous
feedback, where app.yaml allows it, is stored with no giver at all, and its team is chosen from
the receiver alone, so not even the team hints at who gave it.

Nothing here knows Slack's JSON: handlers pass plain values in and render what comes back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import (
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    NotInTeamError,
)
from bot.core.meetings import local_moment
from bot.core.text import (
    describe_client_identifiers,
    find_client_identifiers,
    normalise_input,
    strip_slack_links,
)
from bot.slack.users import Account, AccountKind
from storage import claims, queries
from storage.models import (
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestRecipient,
    ProcessedEvent,
)

TEXT_LIMIT = 2000
ABOUT_LIMIT = 300
REPLY_LIMIT = 1000
MAX_PEOPLE = 10
RATE_WINDOW = timedelta(hours=1)
RECEIVED_PAGE_SIZE = 5
WAITING_SHOWN = 5
MY_REQUESTS_SHOWN = 5
DEFAULT_DUE_DAYS = 7
LATEST_DUE_DAYS = 90
# Requests stay in "waiting for you" a week past their date: late feedback is still welcome.
WAITING_GRACE_DAYS = 7
# The one reminder goes the day before the due date, from this local time on (never at night).
REMINDER_TIME = time(9, 0)

REQUEST_WORDS = ("request", "ask")
HELP_WORDS = ("help", "?")

_LEADING_MENTION = re.compile(r"^[\s,;:]*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SEPARATORS = re.compile(r"^[\s,;:\-–—]+")


# --- the command ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackCommand:
    """What `/feedback ...` asks for: give (to these people), request (from them), or help."""

    action: Literal["give", "request", "help"]
    people: tuple[str, ...] = ()
    text: str = ""


def parse_command(text: str | None) -> FeedbackCommand:
    """Read `/feedback [@person ...] [text]`, `/feedback request [@person ...] [about]` or help.

    The manifest sets ``should_escape``, so Slack sends mentions as ``<@U123|bob>``; leading
    mentions become the people, and the rest (as the person saw it) becomes the text.
    """
    rest = (text or "").strip()
    first, _, after = rest.partition(" ")
    word = first.lower()
    if word in HELP_WORDS and not after.strip():
        return FeedbackCommand("help")
    action: Literal["give", "request"] = "give"
    if word in REQUEST_WORDS:
        action, rest = "request", after
    people: list[str] = []
    while match := _LEADING_MENTION.match(rest):
        if match[1] not in people:
            people.append(match[1])
        rest = rest[match.end() :]
    rest = _SEPARATORS.sub("", rest)
    return FeedbackCommand(action, tuple(people), strip_slack_links(rest).strip())


# --- who may give to whom -------------------------------------------------------------------


def teams_around(config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The teams a person is a member of or coaches, in app.yaml's order."""
    return config.teams_with(user_id)


def require_teams(config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The person's teams; NotInTeamError when they have none (feedback lives in teams)."""
    teams = teams_around(config, user_id)
    if not teams:
        raise NotInTeamError("You're not in a retrobot team yet, so there is no one to ask.")
    return teams


def teammates(config: AppConfig, user_id: str) -> dict[str, str | None]:
    """The members and coaches of the person's teams, by id, with their names from app.yaml."""
    people: dict[str, str | None] = {}
    for team in teams_around(config, user_id):
        for person in (*team.members, *team.coaches):
            if people.get(person.id) is None:
                people[person.id] = person.name
    return people


def zone_of(config: AppConfig, user_id: str, team_id: str | None = None) -> ZoneInfo:
    """The person's time zone: their own in app.yaml, else their team's, else UTC."""
    team = config.find_team(team_id) if team_id else None
    teams = [team] if team is not None else teams_around(config, user_id)
    return teams[0].zone_of(user_id) if teams else ZoneInfo("UTC")


def local_today(config: AppConfig, user_id: str, now: datetime) -> date:
    """Today's date where the person is."""
    return now.astimezone(zone_of(config, user_id)).date()


def default_due_date(config: AppConfig, user_id: str, now: datetime) -> date:
    """The date a new feedback request suggests: a week from today."""
    return local_today(config, user_id, now) + timedelta(days=DEFAULT_DUE_DAYS)


def may_reach(config: AppConfig, giver: str, receiver: str) -> bool:
    """Whether app.yaml lets ``giver`` give feedback to (or ask it of) ``receiver``."""
    if config.organisation.cross_team_feedback:
        return True
    return any(receiver in t.member_ids + t.coach_ids for t in teams_around(config, giver))


def team_for(config: AppConfig, *, giver: str | None, receiver: str) -> str | None:
    """The team a piece of feedback counts for: one the two share, else the receiver's.

    Anonymous feedback passes no giver, so its team depends on the receiver alone.
    """
    giver_teams = teams_around(config, giver) if giver else []
    for team in giver_teams:
        if receiver in team.member_ids:
            return team.id
    receiver_teams = config.teams_of(receiver)
    if receiver_teams:
        return receiver_teams[0].id
    return giver_teams[0].id if giver_teams else None


def _name(account: Account | None) -> str:
    return account.name if account and account.name else "Someone you chose"


def _people_problem(
    config: AppConfig,
    actor: str,
    people: Sequence[str],
    accounts: Mapping[str, Account],
    *,
    asking: bool,
) -> str | None:
    """Why these people cannot be given feedback (or asked for it), or None when they can."""
    if not people:
        return "Choose whom to ask." if asking else "Choose who the feedback is for."
    if len(people) > MAX_PEOPLE:
        return f"Choose at most {MAX_PEOPLE} people at a time."
    if actor in people:
        if asking:
            return "You can't ask yourself — choose the colleagues whose view you'd value."
        return (
            "Feedback is for someone else, so you can't give it to yourself — "
            "your own reflections fit the check-in."
        )
    problems: list[str] = []
    for user_id in people:
        account = accounts.get(user_id)
        kind = account.kind if account else AccountKind.UNKNOWN
        if kind is AccountKind.BOT:
            problems.append(
                f"{_name(account)} is an app, not a person: feedback is for colleagues."
            )
        elif kind is AccountKind.DEACTIVATED:
            problems.append(f"{_name(account)}'s Slack account is deactivated.")
        elif kind is AccountKind.UNKNOWN:
            problems.append("Someone you chose isn't in this Slack workspace.")
        elif not may_reach(config, actor, user_id):
            problems.append(
                f"{_name(account)} isn't in one of your teams, and "
                f"{config.organisation.name} keeps feedback within teams."
            )
        elif asking and not teams_around(config, user_id):
            problems.append(
                f"{_name(account)} isn't in a retrobot team, so they couldn't answer here."
            )
    if not problems:
        return None
    return " ".join(dict.fromkeys(problems)) + " Please remove them and try again."


def _text_problem(text: str, *, limit: int, empty: str) -> str | None:
    """Why a person's text cannot be stored, or None when it can."""
    if not text:
        return empty
    if len(text) > limit:
        return f"That's {len(text):,} characters; please keep it under {limit:,}."
    if found := find_client_identifiers(text):
        return describe_client_identifiers(found)
    return None


# --- giving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackDraft:
    """Feedback as typed in the modal, checked and ready to store."""

    receivers: tuple[str, ...]
    kind: FeedbackKind
    values: tuple[str, ...]
    text: str
    shared: bool = False
    anonymous: bool = False
    request_id: int | None = None


def check_feedback(
    *,
    config: AppConfig,
    giver: str,
    receivers: Sequence[str],
    kind: str | None,
    values: Sequence[str],
    text: str | None,
    shared: bool,
    anonymous: bool,
    accounts: Mapping[str, Account],
    request_id: int | None = None,
) -> FeedbackDraft:
    """Check what was typed in the feedback modal; InvalidInputError names each field at fault."""
    require_teams(config, giver)
    organisation = config.organisation
    errors: dict[str, str] = {}
    people = list(dict.fromkeys(receivers))
    if problem := _people_problem(config, giver, people, accounts, asking=False):
        errors["receivers"] = problem
    try:
        chosen = FeedbackKind(kind or "")
    except ValueError:
        chosen = FeedbackKind.APPRECIATION
        errors["kind"] = "Choose whether this is an appreciation or a suggestion."
    if unknown := [v for v in values if v not in organisation.values]:
        errors["values"] = (
            f"{', '.join(unknown)} isn't one of {organisation.name}'s values any more; "
            "please choose again."
        )
    clean = normalise_input(text)
    if problem := _text_problem(
        clean, limit=TEXT_LIMIT, empty="Say in a few words what you noticed — this can't be empty."
    ):
        errors["text"] = problem
    if shared and chosen is FeedbackKind.SUGGESTION:
        errors["shared"] = (
            "Only appreciations are shared with the team; a suggestion stays between you and "
            "the person. Untick this to send it."
        )
    if anonymous and not organisation.anonymous_feedback:
        errors["anonymous"] = (
            f"{organisation.name} doesn't use anonymous feedback; untick this to give it "
            "with your name."
        )
    elif anonymous and request_id is not None:
        errors["anonymous"] = "An answer to a request carries your name: they asked you."
    if errors:
        raise InvalidInputError(errors)
    in_order = tuple(v for v in organisation.values if v in values)
    return FeedbackDraft(
        receivers=tuple(people),
        kind=chosen,
        values=in_order,
        text=clean,
        shared=shared,
        anonymous=anonymous,
        request_id=request_id,
    )


@dataclass(frozen=True)
class GivenFeedback:
    """What giving stored: one row per receiver, and the request it answered, if any."""

    feedback: list[Feedback]
    answered: FeedbackRequest | None = None

    @property
    def first(self) -> Feedback:
        """Any one of the rows (they share kind, values, text, sharing and anonymity)."""
        return self.feedback[0]


def _check_rate(
    session: Session, *, config: AppConfig, giver: str, draft: FeedbackDraft, now: datetime
) -> None:
    """Refuse, kindly, feedback beyond ``feedback_per_hour``, counted in the database.

    Named feedback is counted per giver. Anonymous feedback stores no giver, so it cannot be
    counted per giver without remembering who gave it; it is counted per receiver instead, so
    nobody can be flooded with anonymous feedback.
    """
    limit = config.organisation.feedback_per_hour
    since = now - RATE_WINDOW
    if draft.anonymous:
        busy = [
            receiver
            for receiver in draft.receivers
            if queries.anonymous_feedback_received_since(session, receiver=receiver, since=since)
            >= limit
        ]
        if busy:
            who = "Someone you chose has" if len(busy) == 1 else "Some of the people you chose have"
            raise InvalidInputError(
                {
                    "receivers": (
                        f"{who} had {limit} pieces of anonymous feedback in the last hour, which "
                        "is as much as retrobot passes on in an hour. Please try again later — "
                        "nothing you typed is lost."
                    )
                }
            )
        return
    given, oldest = queries.feedback_given_since(session, giver=giver, since=since)
    if given + len(draft.receivers) <= limit:
        return
    left = max(limit - given, 0)
    if left:
        advice = f"You can send this to {left} {'person' if left == 1 else 'people'} now"
        advice += ", or to everyone a little later."
    else:
        again = (oldest or now) + RATE_WINDOW
        advice = (
            f"Please try again after {again.astimezone(zone_of(config, giver)):%H:%M} — "
            "nothing you typed is lost."
        )
    raise InvalidInputError(
        {
            "receivers": (
                f"That's a lot of feedback in one hour: {config.organisation.name} keeps it to "
                f"{limit} an hour, so that nobody is flooded. {advice}"
            )
        }
    )


def give_feedback(
    session: Session,
    *,
    config: AppConfig,
    giver: str,
    draft: FeedbackDraft,
    now: datetime,
    request_key: str | None = None,
) -> GivenFeedback | None:
    """Store checked feedback, one row per receiver, and mark the request it answers.

    Anonymous feedback stores no giver. InvalidInputError when the giver is over the hourly
    limit. ``request_key`` names the submission (the modal's view id): the same submission
    arriving twice (a double click, a retry) stores the feedback once and returns None after.
    """
    key = f"feedback:{request_key}" if request_key else None
    if key and session.get(ProcessedEvent, key) is not None:
        return None
    _check_rate(session, config=config, giver=giver, draft=draft, now=now)
    if key:
        session.add(ProcessedEvent(event_id=key, received_at=now))
    named_giver = None if draft.anonymous else giver
    rows = [
        Feedback(
            team_id=team_for(config, giver=named_giver, receiver=receiver),
            giver=named_giver,
            receiver=receiver,
            kind=draft.kind,
            values=list(draft.values),
            text=draft.text,
            shared=draft.shared and draft.kind is FeedbackKind.APPRECIATION,
            anonymous=draft.anonymous,
            created_at=now,
        )
        for receiver in draft.receivers
    ]
    session.add_all(rows)
    answered = _answer_request(session, giver=giver, draft=draft, rows=rows, now=now)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    for row in rows:
        session.refresh(row)
    return GivenFeedback(feedback=rows, answered=answered)


def _answer_request(
    session: Session, *, giver: str, draft: FeedbackDraft, rows: list[Feedback], now: datetime
) -> FeedbackRequest | None:
    """Link the feedback to the request it answers, when the giver was asked and answers it."""
    if draft.request_id is None or draft.anonymous:
        return None
    request = session.get(FeedbackRequest, draft.request_id)
    asked = queries.request_recipient(session, request_id=draft.request_id, user_id=giver)
    if request is None or asked is None or asked.answered_at is not None:
        return None
    answer = next((row for row in rows if row.receiver == request.requester), None)
    if answer is None:
        return None
    answer.request_id = request.id
    session.flush()
    asked.answered_at = now
    asked.feedback_id = answer.id
    return request


def record_feedback_dm(
    session: Session, *, feedback_id: int, channel: str | None, ts: str | None
) -> None:
    """Remember where the receiver's DM is, so thanks can update it."""
    feedback = session.get(Feedback, feedback_id)
    if feedback is not None and ts:
        feedback.dm_channel = channel
        feedback.dm_ts = ts
        session.commit()


def _received(session: Session, *, feedback_id: int, user_id: str) -> Feedback:
    """Feedback the person received; NotFoundError or NotAllowedError otherwise."""
    feedback = session.get(Feedback, feedback_id)
    if feedback is None:
        raise NotFoundError("That feedback no longer exists.")
    if feedback.receiver != user_id:
        raise NotAllowedError("Only the person who received this feedback can do that.")
    return feedback


@dataclass(frozen=True)
class Thanks:
    """The receiver's thanks for a piece of feedback; ``new`` is False for a second click."""

    feedback: Feedback
    new: bool


def thank_for_feedback(
    session: Session, *, feedback_id: int, user_id: str, now: datetime
) -> Thanks:
    """Record the receiver's thanks, once: a second click changes nothing and says so."""
    feedback = _received(session, feedback_id=feedback_id, user_id=user_id)
    new = queries.mark_feedback_thanked(session, feedback_id=feedback_id, now=now)
    session.commit()
    session.refresh(feedback)
    return Thanks(feedback=feedback, new=new)


def feedback_to_reply_to(session: Session, *, feedback_id: int, user_id: str) -> Feedback:
    """Feedback the person received from someone named, to reply to privately."""
    feedback = _received(session, feedback_id=feedback_id, user_id=user_id)
    if feedback.giver is None:
        raise NotAllowedError(
            "This feedback was given anonymously, so there is no one to reply to."
        )
    return feedback


@dataclass(frozen=True)
class Reply:
    """A private reply to a piece of feedback, on its way to the giver (it is not stored)."""

    feedback: Feedback
    text: str


def reply_to_feedback(
    session: Session,
    *,
    feedback_id: int,
    user_id: str,
    text: str | None,
    now: datetime,
    request_key: str | None = None,
) -> Reply | None:
    """Check a private reply; it is passed on to the giver, never stored.

    InvalidInputError names the field at fault. The same submission twice returns None after.
    """
    try:
        feedback = feedback_to_reply_to(session, feedback_id=feedback_id, user_id=user_id)
    except (NotFoundError, NotAllowedError) as error:
        raise InvalidInputError({"reply": str(error)}) from None
    clean = normalise_input(text)
    if problem := _text_problem(clean, limit=REPLY_LIMIT, empty="Write a few words to send."):
        raise InvalidInputError({"reply": problem})
    if request_key:
        session.add(ProcessedEvent(event_id=f"feedback-reply:{request_key}", received_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
    return Reply(feedback=feedback, text=clean)


# --- asking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestDraft:
    """A feedback request as typed in the modal, checked and ready to store."""

    team_id: str
    recipients: tuple[str, ...]
    about: str
    due_date: date


def check_request(
    *,
    config: AppConfig,
    requester: str,
    recipients: Sequence[str],
    about: str | None,
    due_date: str | None,
    accounts: Mapping[str, Account],
    now: datetime,
) -> RequestDraft:
    """Check what was typed in the request modal; InvalidInputError names each field at fault."""
    teams = require_teams(config, requester)
    errors: dict[str, str] = {}
    people = list(dict.fromkeys(recipients))
    if problem := _people_problem(config, requester, people, accounts, asking=True):
        errors["recipients"] = problem
    clean = normalise_input(about)
    if problem := _text_problem(
        clean, limit=ABOUT_LIMIT, empty="Say in a sentence what you'd like feedback on."
    ):
        errors["about"] = problem
    today = local_today(config, requester, now)
    due: date | None = None
    try:
        due = date.fromisoformat(due_date) if due_date else None
    except ValueError:
        due = None
    if due is None:
        errors["due_date"] = "Choose the date you'd like the feedback by."
    elif due < today:
        errors["due_date"] = "That date has passed — choose today or a later day."
    elif due > today + timedelta(days=LATEST_DUE_DAYS):
        errors["due_date"] = f"Choose a date within the next {LATEST_DUE_DAYS} days."
    if errors or due is None:
        raise InvalidInputError(errors)
    return RequestDraft(team_id=teams[0].id, recipients=tuple(people), about=clean, due_date=due)


@dataclass(frozen=True)
class AskedForFeedback:
    """A stored feedback request and the people asked."""

    request: FeedbackRequest
    asked: list[FeedbackRequestRecipient]


def ask_for_feedback(
    session: Session,
    *,
    config: AppConfig,
    requester: str,
    draft: RequestDraft,
    now: datetime,
    request_key: str | None = None,
) -> AskedForFeedback | None:
    """Store a checked request and the people asked; None when this submission was stored.

    Each person asked counts towards ``feedback_per_hour``, as each DM is one more message.
    """
    key = f"feedback-request:{request_key}" if request_key else None
    if key and session.get(ProcessedEvent, key) is not None:
        return None
    limit = config.organisation.feedback_per_hour
    asked_lately = queries.people_asked_since(session, requester=requester, since=now - RATE_WINDOW)
    if asked_lately + len(draft.recipients) > limit:
        raise InvalidInputError(
            {
                "recipients": (
                    f"You've asked {asked_lately} people in the last hour, and "
                    f"{config.organisation.name} keeps it to {limit} an hour. "
                    "Please ask fewer people, or try again later."
                )
            }
        )
    if key:
        session.add(ProcessedEvent(event_id=key, received_at=now))
    request = FeedbackRequest(
        team_id=draft.team_id,
        requester=requester,
        about=draft.about,
        due_date=draft.due_date,
        created_at=now,
    )
    session.add(request)
    try:
        session.flush()
        asked = [
            FeedbackRequestRecipient(request_id=request.id, user_id=user_id)  # type: ignore[arg-type]
            for user_id in draft.recipients
        ]
        session.add_all(asked)
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    for row in asked:
        session.refresh(row)
    return AskedForFeedback(request=request, asked=asked)


def record_request_dm(session: Session, *, asked_id: int, ts: str | None) -> None:
    """Remember the ts of the DM that asked a person."""
    asked = session.get(FeedbackRequestRecipient, asked_id)
    if asked is not None and ts:
        asked.dm_ts = ts
        session.commit()


@dataclass(frozen=True)
class RequestToAnswer:
    """A request someone was asked, as the give-modal shows it."""

    request: FeedbackRequest
    answered: bool


def request_to_answer(session: Session, *, request_id: int, user_id: str) -> RequestToAnswer:
    """A request the person was asked; NotFoundError or NotAllowedError otherwise."""
    request = session.get(FeedbackRequest, request_id)
    if request is None:
        raise NotFoundError("That feedback request no longer exists.")
    asked = queries.request_recipient(session, request_id=request_id, user_id=user_id)
    if asked is None:
        raise NotAllowedError("This feedback request was for someone else.")
    return RequestToAnswer(request=request, answered=asked.answered_at is not None)


# --- reminders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    """One person to remind, gently, of a request they have not answered."""

    request: FeedbackRequest
    asked: FeedbackRequestRecipient
    due_today: bool = False  # the day before passed while retrobot was down


def reminders_due(session: Session, *, config: AppConfig, now: datetime) -> list[DueReminder]:
    """The people to remind now: the day before the due date, from 09:00 their time.

    Nobody is reminded twice, nor after answering, nor while away; a request made on the day
    before its date (or on it) gets no reminder, since the ask itself is still fresh.
    """
    today = now.astimezone(UTC).date()
    # Time zones put "the day before" anywhere from yesterday to the day after tomorrow in UTC.
    candidates = queries.unanswered_requests_due_between(
        session, first=today - timedelta(days=1), last=today + timedelta(days=2)
    )
    due = []
    for request, asked in candidates:
        if request.due_date is None:
            continue
        zone = zone_of(config, asked.user_id, request.team_id)
        local_day = now.astimezone(zone).date()
        remind_from = local_moment(request.due_date - timedelta(days=1), REMINDER_TIME, zone)
        if now < remind_from or local_day > request.due_date or request.created_at >= remind_from:
            continue
        if queries.is_away(session, user_id=asked.user_id, day=local_day):
            continue
        due.append(
            DueReminder(request=request, asked=asked, due_today=local_day == request.due_date)
        )
    return due


def claim_reminder(session: Session, *, asked_id: int, now: datetime) -> bool:
    """Mark the person reminded before the DM goes; False when someone else already did."""
    claimed = claims.claim_feedback_reminder(session, recipient_id=asked_id, now=now)
    session.commit()
    return claimed


# --- the App Home ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MyRequest:
    """A request the person made, with who has answered and who not yet."""

    request: FeedbackRequest
    asked: list[FeedbackRequestRecipient]

    @property
    def answered(self) -> list[str]:
        """The people who have answered."""
        return [a.user_id for a in self.asked if a.answered_at is not None]

    @property
    def waiting(self) -> list[str]:
        """The people who have not answered yet."""
        return [a.user_id for a in self.asked if a.answered_at is None]


@dataclass(frozen=True)
class FeedbackHome:
    """The person's feedback, as their App Home shows it (only what is theirs to see)."""

    received: list[Feedback]
    received_total: int
    page: int
    pages: int
    waiting: list[FeedbackRequest]
    waiting_total: int
    mine: list[MyRequest]


def feedback_home(
    session: Session, *, config: AppConfig, user_id: str, now: datetime, page: int = 0
) -> FeedbackHome:
    """Feedback the person received (one page, newest first), requests waiting for them, theirs."""
    total = queries.count_feedback_received(session, receiver=user_id)
    pages = max(1, math.ceil(total / RECEIVED_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    received = queries.feedback_received(
        session, receiver=user_id, limit=RECEIVED_PAGE_SIZE, offset=page * RECEIVED_PAGE_SIZE
    )
    today = local_today(config, user_id, now)
    waiting, waiting_total = queries.requests_waiting_for(
        session,
        user_id=user_id,
        due_from=today - timedelta(days=WAITING_GRACE_DAYS),
        limit=WAITING_SHOWN,
    )
    mine = queries.requests_made_by(session, requester=user_id, limit=MY_REQUESTS_SHOWN)
    return FeedbackHome(
        received=received,
        received_total=total,
        page=page,
        pages=pages,
        waiting=[request for request, _ in waiting],
        waiting_total=waiting_total,
        mine=[MyRequest(request=request, asked=asked) for request, asked in mine],
    )
