"""Peer feedback: appreciation and suggestions between colleagues, and feedback people ask for.

Private by design (DESIGN.md, Privacy): a piece of feedback reaches its receiver only, and the
team channel when the giver shares an appreciation; coaches and summaries get counts by kind and
value (:func:`storage.queries.feedback_counts`), never text or who gave to whom. Anonymous
feedback, where app.yaml allows it, is stored with no giver at all, and its team is chosen from
the receiver alone, so not even the team hints at who gave it.

This module keeps the database rules: storing what was given or asked, the hourly limits, the
reminders, the App Home. Who may give to whom and what may be typed are in bot.feedback.rules;
the limits and shapes in bot.feedback.model. Nothing here knows Slack's JSON: handlers pass
plain values in and render what comes back.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.core.config import AppConfig
from bot.core.errors import InvalidInputError, NotAllowedError, NotFoundError
from bot.core.meetings import local_moment
from bot.core.text import normalise_input
from bot.feedback.model import (
    MY_REQUESTS_SHOWN,
    RATE_WINDOW,
    RECEIVED_PAGE_SIZE,
    REMINDER_TIME,
    REPLY_LIMIT,
    WAITING_GRACE_DAYS,
    WAITING_SHOWN,
    AskedForFeedback,
    DueReminder,
    FeedbackDraft,
    FeedbackHome,
    GivenFeedback,
    MyRequest,
    Reply,
    RequestDraft,
    RequestToAnswer,
    Thanks,
)
from bot.feedback.rules import local_today, team_for, text_problem, zone_of
from storage import claims, queries
from storage.models import (
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestRecipient,
    ProcessedEvent,
)

# --- giving ---------------------------------------------------------------------------------


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
    if problem := text_problem(clean, limit=REPLY_LIMIT, empty="Write a few words to send."):
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
