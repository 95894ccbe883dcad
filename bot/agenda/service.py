"""The tactical meeting's agenda: ONE message in the team channel, its details in the thread.

The agenda follows the Holacracy order: check-in round (the shared check-in answers), checklist
and metrics, progress updates (open next actions and projects, overdue ones marked), then the
agenda proper: the team's open tensions, oldest first, each with a Triage button. The channel
message carries a summary of each part and the tensions; each part's details are one reply in its
thread, and tensions that do not fit Slack's 50 blocks continue in further replies.

Posting again for the same meeting — from ``/tactical``, ``retrobot agenda post`` or the
scheduler ``agenda_lead`` before the meeting — updates those messages with ``chat.update``
(only those whose content changed) and never adds a second agenda. What was posted where is
recorded on the meeting's check-in round, so a restart changes nothing. Each reply in the thread
goes through the outbox, named in its metadata, so one whose answer was lost is looked for rather
than posted twice; Slack's refusals are recorded for `retrobot status`.

A tension triaged on an agenda stays on it, showing its outcome; progress updates report only
what was decided at earlier meetings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from bot.agenda.model import Agenda, AgendaPost, ChecklistSummary, MetricSummary
from bot.agenda.views import build_agenda_messages
from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import NotAllowedError, NotInTeamError, RetrobotError
from bot.core.meetings import Meeting, local_today, meeting_on, next_meeting, previous_meeting
from bot.services import Services
from bot.slack import client as delivery
from bot.slack import outbox
from bot.slack.outbox import Envelope
from storage import queries
from storage.locks import LeaseLock, instance_name
from storage.models import (
    CheckinResponse,
    CheckinRound,
    RefusedKind,
    Tension,
    TensionStatus,
)
from storage.queries import open_actions_of_team

logger = logging.getLogger(__name__)

# A meeting that began less than this long ago is still the one an agenda is for: someone who
# posts or updates it during the meeting means today's, not next week's.
MEETING_GRACE = timedelta(hours=2)
MAIN_MESSAGE = "main"
# The agenda's channel message names its round in its metadata, so that one posted by an
# attempt that never heard back is found (in the newest messages) rather than posted again.
AGENDA_METADATA_TYPE = "retrobot_agenda"
# Each reply in its thread names its round and part, so that one whose post got no answer (or
# was made by a process that stopped before recording it) is found rather than posted twice.
AGENDA_PART_METADATA_TYPE = "retrobot_agenda_part"
AGENDA_HISTORY_PAGES = 1
# On SQLite, updates of one agenda take turns through a lease row (see _agenda_turn): how long
# one may hold it (longer than any update takes), and how long another waits for its turn.
AGENDA_LEASE = timedelta(minutes=5)
AGENDA_TURN_WAIT = 120.0


class AgendaBusyError(RetrobotError):
    """Another update of the same agenda held it for longer than anyone should wait."""


class WrongChannelError(NotAllowedError):
    """``/tactical`` was run outside the person's team channel(s)."""

    def __init__(self, teams: list[TeamConfig]) -> None:
        self.teams = teams
        names = ", ".join(team.name for team in teams)
        super().__init__(f"Run /tactical in your team's channel ({names}).")


class CoachNotMemberError(NotAllowedError):
    """A coach asked for the agenda of a team they coach; the agenda is the team's to post."""

    def __init__(self, team: TeamConfig) -> None:
        self.team = team
        super().__init__(f"Any member of {team.name} can post its agenda with /tactical.")


# --- which team, which meeting ----------------------------------------------------------------


def team_for_tactical(config: AppConfig, *, user_id: str, channel_id: str | None) -> TeamConfig:
    """The team whose agenda ``/tactical`` posts: the person's team whose channel this is.

    NotInTeamError for someone in no team; CoachNotMemberError for a coach in a coached team's
    channel; WrongChannelError (naming the right channels) anywhere else.
    """
    teams = config.teams_of(user_id)
    for team in teams:
        if team.channel == channel_id:
            return team
    if teams:
        raise WrongChannelError(teams)
    for team in config.coached_by(user_id):
        if team.channel == channel_id:
            raise CoachNotMemberError(team)
    raise NotInTeamError("You're not in a retrobot team, so there is no agenda to post.")


def agenda_meeting(team: TeamConfig, now: datetime) -> Meeting:
    """The meeting an agenda posted now is for: one under way (begun < 2 h ago), else the next."""
    latest = previous_meeting(team, now)
    if latest is not None and now - latest.at < MEETING_GRACE:
        return latest
    return next_meeting(team, now)


def ensure_round(session: Session, *, team: TeamConfig, meeting: Meeting) -> CheckinRound:
    """The check-in round of this meeting, created if the check-in has not made it yet."""
    statement = select(CheckinRound).where(
        CheckinRound.team_id == team.id, CheckinRound.meeting_date == meeting.date
    )
    found = session.exec(statement).first()
    if found is not None:
        return found
    session.add(
        CheckinRound(
            team_id=team.id,
            meeting_date=meeting.date,
            meeting_at=meeting.at,
            opens_at=meeting.checkin_opens(team),
        )
    )
    try:
        session.commit()
    except IntegrityError:
        # The check-in (or another agenda post) created it a moment ago: use theirs.
        session.rollback()
    return session.exec(statement).one()


# --- what the agenda shows --------------------------------------------------------------------


def agenda_items(session: Session, *, team_id: str, round_id: int) -> list[Tension]:
    """The tensions on a meeting's agenda: open ones, and those triaged at this meeting.

    Oldest first; private tensions never appear.
    """
    statement = (
        select(Tension)
        .where(
            Tension.team_id == team_id,
            col(Tension.private).is_(False),
            (col(Tension.status) == TensionStatus.OPEN)
            | (
                (col(Tension.triaged_round_id) == round_id)
                & col(Tension.status).in_((TensionStatus.TRIAGED, TensionStatus.CLOSED))
            ),
        )
        .order_by(col(Tension.created_at), col(Tension.id))
    )
    return list(session.exec(statement))


def shared_answers(session: Session, *, round_id: int) -> list[CheckinResponse]:
    """The round's check-in answers their authors shared with the team, in the order given."""
    statement = (
        select(CheckinResponse)
        .where(CheckinResponse.round_id == round_id, col(CheckinResponse.shared).is_(True))
        .order_by(col(CheckinResponse.created_at), col(CheckinResponse.id))
    )
    return list(session.exec(statement))


def summarise_metrics(team: TeamConfig, answers: list[CheckinResponse]) -> list[MetricSummary]:
    """Each of the team's metrics over the answers that reported it (none: left out)."""
    summaries = []
    for metric in team.metrics:
        values = [
            float(a.metric_values[metric.id])
            for a in answers
            if isinstance(a.metric_values.get(metric.id), int | float)
        ]
        if values:
            summaries.append(
                MetricSummary(
                    id=metric.id,
                    label=metric.label,
                    unit=metric.unit,
                    total=sum(values),
                    average=sum(values) / len(values),
                    answers=len(values),
                )
            )
    return summaries


def summarise_checklist(team: TeamConfig, answers: list[CheckinResponse]) -> list[ChecklistSummary]:
    """Each recurring duty with its checks and no-checks (duties nobody answered: left out).

    A check-in answer records each duty under the duty's own words.
    """
    summaries = []
    for duty in team.checklist:
        given = [a.checklist[duty] for a in answers if isinstance(a.checklist.get(duty), bool)]
        if given:
            checked = sum(1 for done in given if done)
            summaries.append(ChecklistSummary(duty, checked, len(given) - checked))
    return summaries


def gather_agenda(
    session: Session, *, team: TeamConfig, checkin_round: CheckinRound, now: datetime
) -> Agenda:
    """Read everything the meeting's agenda shows."""
    assert checkin_round.id is not None
    answers = shared_answers(session, round_id=checkin_round.id)
    return Agenda(
        team=team,
        meeting=meeting_on(team, checkin_round.meeting_date),
        round_id=checkin_round.id,
        today=local_today(team, now),
        answers=answers,
        checklist=summarise_checklist(team, answers),
        metrics=summarise_metrics(team, answers),
        progress=open_actions_of_team(session, team_id=team.id, excluding_round=checkin_round.id),
        items=agenda_items(session, team_id=team.id, round_id=checkin_round.id),
    )


# --- posting and updating ---------------------------------------------------------------------


def post_agenda(services: Services, *, team_id: str, now: datetime) -> AgendaPost:
    """Post the team's agenda for its next meeting, or update it if it is already posted."""
    team = services.config.team(team_id)
    meeting = agenda_meeting(team, now)
    with services.session() as session:
        checkin_round = ensure_round(session, team=team, meeting=meeting)
    assert checkin_round.id is not None
    post = _publish(services, round_id=checkin_round.id, now=now, create=True)
    assert post is not None
    return _noted(services, post, now)


def refresh_agenda(services: Services, *, round_id: int, now: datetime) -> AgendaPost | None:
    """Update a meeting's agenda in place after a change; None when it was never posted."""
    post = _publish(services, round_id=round_id, now=now, create=False)
    return _noted(services, post, now) if post is not None else None


def _noted(services: Services, post: AgendaPost, now: datetime) -> AgendaPost:
    """Record Slack's refusal of the agenda (or of its thread), for `retrobot status`."""
    if post.error is not None:
        with services.session() as session:
            refused = delivery.Delivery(post.channel, error=post.error)
            outbox.note_refused(
                session, [refused], team_id=post.team_id, kind=RefusedKind.AGENDA, now=now
            )
    return post


def current_round_id(session: Session, *, team: TeamConfig, now: datetime) -> int | None:
    """The round of the team's latest posted agenda for a meeting today or later, if any."""
    return queries.posted_agenda_round(session, team_id=team.id, today=local_today(team, now))


def refresh_agendas(
    services: Services, *, team_id: str, now: datetime, round_id: int | None = None
) -> list[AgendaPost]:
    """Update, after a change, the agenda it was made on and the team's current agenda.

    A tension raised, edited, withdrawn or reopened after the agenda went out shows up (or goes)
    at once; one triaged on an agenda shows its outcome there. Agendas never posted stay so.
    """
    team = services.config.team(team_id)
    with services.session() as session:
        current = current_round_id(session, team=team, now=now)
    return refresh_posted_agendas(services, round_ids=(round_id, current), now=now)


def refresh_posted_agendas(
    services: Services, *, round_ids: Iterable[int | None], now: datetime
) -> list[AgendaPost]:
    """Update these rounds' agendas in place (each once; None and never-posted ones skipped),
    for a caller that already knows which (see ``current_round_id``)."""
    rounds = list(dict.fromkeys(r for r in round_ids if r is not None))
    return [
        post
        for post in (refresh_agenda(services, round_id=r, now=now) for r in rounds)
        if post is not None
    ]


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def _slack_call(call: Callable[..., Any], **arguments: Any) -> tuple[Any, str | None]:
    """Make one Web API call; Slack's refusal (or a lost connection) becomes an error code."""
    try:
        return call(**arguments), None
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        logger.warning("Slack refused %s: %s", getattr(call, "__name__", "a call"), code)
        return None, str(code or "slack_error")
    except Exception as error:
        logger.exception("Could not reach Slack for the agenda")
        return None, type(error).__name__


def _publish(
    services: Services, *, round_id: int, now: datetime, create: bool
) -> AgendaPost | None:
    """Bring the round's agenda messages in line with the database (posting them if ``create``).

    The round's row is locked while its messages are written, so two updates at once (two
    triages, a command and the scheduler) take turns and the later one shows both changes;
    and one agenda is posted, never two.
    """
    client: WebClient = services.client
    with _agenda_turn(services, round_id), services.session() as session:
        if services.engine.dialect.name != "sqlite":
            # An UPDATE as the transaction's first statement takes the round's row lock,
            # held until the commit below.
            session.exec(
                update(CheckinRound)
                .where(col(CheckinRound.id) == round_id)
                .values(agenda_channel=col(CheckinRound.agenda_channel))
            )
        checkin_round = session.get(CheckinRound, round_id, populate_existing=True)
        if checkin_round is None or (checkin_round.agenda_ts is None and not create):
            session.rollback()
            return None
        team = services.config.team(checkin_round.team_id)
        agenda = gather_agenda(session, team=team, checkin_round=checkin_round, now=now)
        messages = build_agenda_messages(services.renderer, agenda=agenda)
        post = AgendaPost(
            team_id=team.id,
            team_name=team.name,
            meeting_date=agenda.meeting.date,
            meeting_at=agenda.meeting.at,
            channel=checkin_round.agenda_channel or team.channel,
            ts=checkin_round.agenda_ts,
            items=len(agenda.items),
            replies=len(messages.thread),
        )
        stored: dict[str, Any] = dict(checkin_round.agenda_messages or {})
        post = _sync_main(client, post, messages.main, stored, rewrite=create, round_id=round_id)
        if post.ts is None:
            session.rollback()  # nothing was posted: the next attempt posts it
            return post
        if post.error is None:
            thread = _Thread(client, post.channel, post.ts, round_id, look=post.found)
            post = replace(post, error=_sync_thread(thread, messages.thread, stored))
        checkin_round.agenda_channel, checkin_round.agenda_ts = post.channel, post.ts
        checkin_round.agenda_messages = stored
        session.add(checkin_round)
        session.commit()
    return post


@contextmanager
def _agenda_turn(services: Services, round_id: int) -> Iterator[None]:
    """Take turns with every other update of the same agenda, in any thread or process.

    PostgreSQL locks the round's row in the update's own transaction (see :func:`_publish`).
    SQLite can only lock the whole database, which must never be held while Slack is called —
    every other request would wait for Slack — so there a lease row names the one updating it.
    """
    if services.engine.dialect.name != "sqlite":
        yield
        return
    lease = LeaseLock(
        services,
        holder=f"{instance_name()}:{threading.get_ident()}",
        lease=AGENDA_LEASE,
        name=f"agenda:{round_id}",
    )
    deadline = time.monotonic() + AGENDA_TURN_WAIT
    while not lease.acquire():
        if time.monotonic() > deadline:
            raise AgendaBusyError(f"another update of agenda {round_id} did not finish in time")
        time.sleep(0.05)
    try:
        yield
    finally:
        lease.release()


def _sync_main(
    client: WebClient,
    post: AgendaPost,
    payload: dict[str, Any],
    stored: dict[str, Any],
    *,
    rewrite: bool,
    round_id: int,
) -> AgendaPost:
    """Post the agenda's channel message, or update it; ``stored`` learns its digest.

    An explicit post (``rewrite``) always rewrites the message, which also finds out whether
    someone deleted it; an update after a change only when what it shows has changed. Before
    posting one, the channel is searched for one an earlier attempt posted without hearing back.
    """
    digest = _digest(payload)
    if post.ts is None and (earlier := _posted_before(client, post.channel, round_id)):
        post, rewrite = replace(post, ts=earlier, found=True), True
    if post.ts is not None:
        if not rewrite and stored.get(MAIN_MESSAGE, {}).get("digest") == digest:
            return post
        _, error = _slack_call(client.chat_update, channel=post.channel, ts=post.ts, **payload)
        if error is None:
            stored[MAIN_MESSAGE] = {"ts": post.ts, "digest": digest}
            return post
        if error != "message_not_found":
            return replace(post, error=error)
        # Someone deleted the agenda: post it afresh, with a thread of its own.
        _forget_thread(client, post.channel, stored)
        stored.clear()
    sent = delivery.post(client, post.channel, payload, metadata=_envelope(round_id).metadata())
    if not sent.ok:
        return replace(post, ts=None, error=sent.error)
    stored[MAIN_MESSAGE] = {"ts": sent.ts, "digest": digest}
    return replace(post, channel=sent.channel or post.channel, ts=sent.ts, created=True)


def _posted_before(client: WebClient, channel: str, round_id: int) -> str | None:
    """The ts of this round's agenda if an attempt that never heard back (a timeout, a process
    stopped mid-post) did post it, found by its metadata among the channel's newest messages.

    None when there is none, or when Slack cannot tell (no history scope): then it is posted,
    since a team without its agenda is worse off than one with two.
    """
    try:
        found = outbox.find_sent(client, channel, _envelope(round_id), pages=AGENDA_HISTORY_PAGES)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        logger.info("Could not look for an earlier agenda in %s: %s", channel, code)
        return None
    except Exception:
        logger.warning("Could not look for an earlier agenda in %s", channel, exc_info=True)
        return None
    return found.ts if found is not None else None


def _envelope(round_id: int) -> Envelope:
    """What marks a channel message as this round's agenda."""
    return Envelope(AGENDA_METADATA_TYPE, {"round_id": round_id})


@dataclass(frozen=True)
class _Thread:
    """The agenda's thread: where its replies go, and whether some may be there unrecorded
    (``look``: the agenda was found again, posted by an attempt that never recorded it)."""

    client: WebClient
    channel: str
    ts: str | None
    round_id: int
    look: bool = False


def _sync_thread(
    thread: _Thread, wanted: dict[str, dict[str, Any]], stored: dict[str, Any]
) -> str | None:
    """Post, update or delete the thread's replies so they are ``wanted``; the first error.

    A reply goes through the outbox with its part named in its metadata: one whose post got no
    answer is recorded unconfirmed, and looked for in the thread before it is posted again.
    """
    client, channel = thread.client, thread.channel
    first_error: str | None = None
    for key, payload in wanted.items():
        digest = _digest(payload)
        known = stored.get(key) or {}
        if known.get("ts") and known.get("digest") == digest:
            continue
        error = _update_reply(client, channel, known, payload) if known.get("ts") else None
        if known.get("ts") and error is None:
            stored[key] = {"ts": known["ts"], "digest": digest}
            continue
        if error not in (None, "message_not_found"):
            first_error = first_error or error
            continue
        posted = _post_reply(thread, key, payload, look=bool(known.get("unconfirmed")))
        if "error" in posted:
            first_error = first_error or posted.pop("error")
        elif posted.get("ts"):
            posted["digest"] = digest
        if posted:
            stored[key] = posted
        else:
            stored.pop(key, None)
    return first_error or _drop_unwanted(client, channel, wanted, stored)


def _drop_unwanted(
    client: WebClient, channel: str, wanted: dict[str, Any], stored: dict[str, Any]
) -> str | None:
    """Remove, quietly, the continuations no longer needed (tensions were withdrawn)."""
    first_error: str | None = None
    for key in [k for k in stored if k != MAIN_MESSAGE and k not in wanted]:
        if not stored[key].get("ts"):  # never confirmed: nothing known to remove
            del stored[key]
            continue
        _, error = _slack_call(client.chat_delete, channel=channel, ts=stored[key]["ts"])
        if error in (None, "message_not_found"):
            del stored[key]
        else:
            first_error = first_error or error
    return first_error


def _update_reply(
    client: WebClient, channel: str, known: dict[str, Any], payload: dict[str, Any]
) -> str | None:
    """Rewrite a reply already in the thread; Slack's error, if any."""
    _, error = _slack_call(client.chat_update, channel=channel, ts=known["ts"], **payload)
    return error


def _post_reply(
    thread: _Thread, key: str, payload: dict[str, Any], *, look: bool
) -> dict[str, Any]:
    """Post one part of the thread exactly once; what to store for it (with ``error`` when it
    did not go: ``unconfirmed`` too when it may have, so that the next attempt looks first)."""
    envelope = Envelope(AGENDA_PART_METADATA_TYPE, {"round_id": thread.round_id, "part": key})
    sent = outbox.send_once(
        thread.client,
        thread.channel,
        payload,
        envelope,
        look_first=look or thread.look,
        thread_ts=thread.ts,
    )
    if isinstance(sent, outbox.FoundDelivery):
        # Posted by the attempt that never heard back: brought up to date rather than doubled.
        error = _update_reply(thread.client, thread.channel, {"ts": sent.ts}, payload)
        if error is not None:
            return {"ts": sent.ts, "digest": "", "error": error}
        return {"ts": sent.ts}
    if sent.ok:
        return {"ts": sent.ts}
    if outbox.unconfirmed(sent):
        return {"unconfirmed": True, "error": sent.error}
    return {"error": sent.error}


def _forget_thread(client: WebClient, channel: str, stored: dict[str, Any]) -> None:
    """Delete the replies of an agenda someone deleted, before posting it again."""
    for key, entry in stored.items():
        if key != MAIN_MESSAGE and entry.get("ts"):
            _slack_call(client.chat_delete, channel=channel, ts=entry["ts"])


def agenda_link(services: Services, post: AgendaPost) -> str | None:
    """A link to the posted agenda message, or None when Slack cannot give one."""
    if not post.ok:
        return None
    response, _ = _slack_call(
        services.client.chat_getPermalink, channel=post.channel, message_ts=post.ts
    )
    return response.get("permalink") if response is not None else None
