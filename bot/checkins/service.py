"""Check-in rounds: before each tactical meeting every member is asked, in a DM, how they arrive.

The database is the source of truth (DESIGN.md, Time and Reliability). A round is one row per
(team, meeting date) and each member's prompt one row per (round, member), both written before
any DM goes out. A prompt is *claimed* (status ``sending``) by exactly one process before its DM
is posted, and marked with the DM's ts after, so restarts and concurrent runs never post twice.
A claim left behind by a process that died is checked against the DM's history (each DM carries
the prompt's id in its message metadata) before anything is posted again.

DMs go out from a small thread pool, paced to Slack's budget, through a copy of
``services.client`` with its retry handlers (5xx and lost connections retried; a 429's
Retry-After holds every sender, then the retry waits its turn); a member Slack refuses is
recorded on their prompt and the round goes on. Reminders go once, only to members who have
not answered, skipped or said they are away. Answers are validated here (field errors name the
field) and resubmitting edits the answer. Apart from sending, nothing here knows Slack:
builders make the messages.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import bindparam, case, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.config import AppConfig, MetricConfig, TeamConfig
from bot.core.errors import (
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    NotInTeamError,
    StaleActionError,
)
from bot.core.meetings import Meeting, local_moment, meetings_from, next_meeting
from bot.core.text import describe_client_identifiers, find_client_identifiers, normalise_input
from bot.services import Services
from bot.slack import client as delivery
from bot.slack.client import Delivery
from bot.tensions import service as tensions
from bot.triage import service as triage
from storage import queries
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    Member,
    PromptStatus,
    RoundStatus,
    Tension,
)

logger = logging.getLogger(__name__)

# --- Limits and timing ------------------------------------------------------------------------

MOODS = (1, 2, 3, 4, 5)
NOTE_LIMIT = 500
STORY_LIMIT = 2000
PROGRESS_LIMIT = 2000
ANSWER_LIMIT = 1000
ACTIONS_SHOWN = 20  # open actions and projects listed in the modal, soonest due first
AWAY_AT_MOST = timedelta(days=366)

SEND_WORKERS = 8  # threads posting DMs, for all rounds; the pace, not the pool, sets the speed
CLAIM_BATCH = 25  # prompts claimed per statement, just ahead of the pool
FLUSH_EVERY = 50  # results written per statement...
FLUSH_SECONDS = 1.0  # ...or at least this often
# Slack allows chat.postMessage about once a second per DM channel and "several hundred per
# minute" per workspace (SLACK.md): five a second stays inside that. No burst is spent, so
# Slack's own bucket stays full and absorbs the jitter of calls in flight.
DMS_PER_SECOND = 5.0
DM_BURST = 1
# A claim older than this, never marked sent or failed, was left by a process that stopped.
# It is longer than one post can take with every retry the client makes (5 waits on 429).
IN_DOUBT_AFTER = timedelta(minutes=10)
LATE_AFTER = timedelta(minutes=15)  # a round sent this long after it was due says it is late
# Members in a time zone other than the team's get their DM between these local hours.
SENSIBLE_FROM = clock_time(8, 0)
SENSIBLE_UNTIL = clock_time(21, 0)

DM_METADATA_TYPE = "retrobot_checkin_prompt"
HISTORY_PAGES = 3  # of 100 DM messages read to find a DM that may have gone out
# Errors a second attempt will not cure: the person is gone, or the DM cannot exist.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "msg_too_long",
    }
)
ERROR_MEANINGS = {
    "user_not_found": "Slack does not know this user id",
    "user_disabled": "their Slack account is deactivated",
    "account_inactive": "their Slack account is deactivated",
    "cannot_dm_bot": "it is a bot, which cannot be sent DMs",
    "channel_not_found": "Slack found no DM channel with them",
    "not_in_channel": "retrobot is not in that channel",
    "ratelimited": "Slack kept refusing for the rate limit",
    "timeout": "Slack did not answer in time; the next try looks for the DM before sending",
    "in_doubt": "retrobot stopped while sending and could not check whether it arrived",
}

ASKED = (PromptStatus.SENT, PromptStatus.ANSWERED, PromptStatus.SKIPPED)


def worth_retrying(error: str | None) -> bool:
    """True for a failure another attempt may cure (Slack's 5xx, a lost connection).

    A DM that may already have arrived (``in_doubt``) is never retried on its own: only
    `retrobot checkin send` asks again, when a person decides to.
    """
    code = error or ""
    return not code.startswith("in_doubt") and code not in PERMANENT_ERRORS


REMINDABLE = (PromptStatus.SENT,)


def describe_error(code: str | None) -> str:
    """A Slack error code followed by what it means for the person, when that is known."""
    if not code:
        return "unknown error"
    kind, _, detail = code.partition(":")
    if kind == "in_doubt":
        return f"{code} ({ERROR_MEANINGS['in_doubt']}; `--retry-failed` asks again)"
    base = (detail or kind).strip()
    if base.startswith("http_5") or base in ("internal_error", "fatal_error"):
        return f"{code} (Slack had an error; tried again and gave up)"
    meaning = ERROR_MEANINGS.get(base)
    return f"{code} ({meaning})" if meaning else code


# --- Pacing -----------------------------------------------------------------------------------


class _Clock:
    """The real monotonic clock and sleep, held where freezegun's module scan leaves them.

    Tests freeze the app's clock; pacing Slack calls is about real seconds all the same.
    """

    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)


class Pace:
    """Spaces calls at most ``per_second`` apart across every thread, after a short burst.

    A 12,000-member round is a queue that drains at Slack's pace (SLACK.md). Pacing it keeps
    429s rare; one that still comes holds every sender for its Retry-After, and its retry waits
    its turn like any call (:class:`PacedRateLimitRetryHandler`), so retries never add up.
    """

    def __init__(self, per_second: float, burst: int = 1) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be positive and burst at least 1")
        self.per_second = per_second
        self.burst = burst
        self._interval = 1.0 / per_second
        self._next = -math.inf
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this call may go."""
        with self._lock:
            now = _Clock.monotonic()
            start = max(self._next, now - (self.burst - 1) * self._interval)
            self._next = start + self._interval
        if start > now:
            _Clock.sleep(start - now)

    def hold(self, seconds: float) -> None:
        """Let no call go for ``seconds`` (Slack said Retry-After)."""
        with self._lock:
            self._next = max(self._next, _Clock.monotonic() + seconds)


# One workspace's budget is shared by every round this process sends.
PACE = Pace(DMS_PER_SECOND, DM_BURST)


class PacedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, made to keep the pace: Slack's Retry-After holds every sender of
    this process (Slack limits the app, not the request), then the retry waits its turn."""

    def __init__(self, pace: Pace, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pace = pace

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Hold the pace for Retry-After seconds (1 if Slack gave none), then queue the retry."""
        if response is None:
            raise error or RuntimeError("a 429 without a response")
        state.next_attempt_requested = True
        retry_after = 1
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                with contextlib.suppress(ValueError):
                    retry_after = max(1, int(values[0]))
        self.pace.hold(retry_after)
        self.pace.wait()
        state.increment_current_attempt()


def paced_client(client: WebClient, pace: Pace) -> WebClient:
    """A client like ``client`` (same token, URL and retry handlers) whose 429 handling keeps
    ``pace``: the fan-out's way through Slack."""
    handlers = [
        PacedRateLimitRetryHandler(pace, max_retry_count=handler.max_retry_count)
        if isinstance(handler, RateLimitErrorRetryHandler)
        else handler
        for handler in client.retry_handlers
    ]
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=handlers,
    )


class _SenderPool:
    """The few threads that post this process's DMs, shared by every round (bounded concurrency:
    the pace is one workspace's, so more threads would only wait longer)."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def get(self) -> ThreadPoolExecutor:
        """The pool, started on first use."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(SEND_WORKERS, thread_name_prefix="retrobot-dm")
            return self._pool

    def forget(self) -> None:
        """In a forked child: the parent's threads are not here; start afresh if ever needed."""
        self._pool = None
        self._lock = threading.Lock()


SENDERS = _SenderPool()
os.register_at_fork(after_in_child=SENDERS.forget)


# --- What the functions return ----------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """Who is in a team for this round: app.yaml's members plus its Slack user group's."""

    members: list[tuple[str, str | None, str | None]]  # (user id, name, time zone)
    complete: bool = True  # False when the user group could not be read
    problem: str | None = None


@dataclass
class DeliveryReport:
    """What a round's send did: who was asked now, who before, who is away, who failed and why."""

    team_id: str
    team_name: str
    meeting: Meeting
    zone: ZoneInfo
    round_id: int
    late: bool = False
    asked: list[str] = field(default_factory=list)
    already_asked: list[str] = field(default_factory=list)
    away: list[str] = field(default_factory=list)
    waiting: dict[str, datetime] = field(default_factory=dict)  # held for a sensible hour
    in_progress: list[str] = field(default_factory=list)  # another process is sending these
    failed: dict[str, str] = field(default_factory=dict)  # user id → Slack's error
    roster_problem: str | None = None


@dataclass
class ReminderReport:
    """Who was reminded now, and whose reminder Slack refused."""

    team_id: str
    round_id: int | None
    reminded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckinContext:
    """Everything the check-in modal shows one member for one round."""

    team: TeamConfig
    round: CheckinRound
    user_id: str
    zone: ZoneInfo
    response: CheckinResponse | None
    actions: list[Tension]


@dataclass(frozen=True)
class NextCheckin:
    """No round is open for the person: when the next one opens, and for which meeting."""

    team: TeamConfig
    opens_at: datetime
    meeting_at: datetime
    zone: ZoneInfo


@dataclass(frozen=True)
class CheckinAnswers:
    """A check-in as typed in the modal, checked and ready to store."""

    mood: int
    note: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    checklist: dict[str, bool] = field(default_factory=dict)
    done_actions: tuple[int, ...] = ()
    progress: str = ""
    story: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    tension: tensions.TensionDraft | None = None
    shared: bool = True
    story_beyond_team: bool = False  # the teller's consent for the organisation report


@dataclass(frozen=True)
class SavedCheckin:
    """A stored check-in: the answer, the member's prompt (its DM), and what changed."""

    response: CheckinResponse
    prompt: CheckinPrompt
    edited: bool
    actions_done: int


@dataclass(frozen=True)
class TeamCheckin:
    """A member's check-in in one team, as the App Home shows it."""

    team: TeamConfig
    meeting: Meeting
    round: CheckinRound | None  # the open round for that meeting, if it has opened
    status: PromptStatus | None
    response: CheckinResponse | None
    away_until: date | None
    zone: ZoneInfo


# --- Rounds -----------------------------------------------------------------------------------


def round_for(session: Session, *, team_id: str, meeting_date: date) -> CheckinRound | None:
    """The team's round for the meeting on that local date, if it exists."""
    statement = select(CheckinRound).where(
        CheckinRound.team_id == team_id, CheckinRound.meeting_date == meeting_date
    )
    return session.exec(statement).first()


def open_round(
    session: Session, *, team: TeamConfig, meeting: Meeting, now: datetime
) -> tuple[CheckinRound, bool]:
    """The round for ``meeting``, created (and committed) if it did not exist; True if created.

    Two processes opening the same round at once both get the one row the unique key allows.
    """
    found = round_for(session, team_id=team.id, meeting_date=meeting.date)
    if found is not None:
        return found, False
    new = CheckinRound(
        team_id=team.id,
        meeting_date=meeting.date,
        meeting_at=meeting.at,
        opens_at=meeting.checkin_opens(team),
        status=RoundStatus.OPEN,
        created_at=now,
    )
    session.add(new)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        found = round_for(session, team_id=team.id, meeting_date=meeting.date)
        if found is None:
            raise
        return found, False
    return new, True


def close_past_rounds(session: Session, *, team_id: str | None, now: datetime) -> int:
    """Close the open rounds (of one team, or all) whose meeting has started; commits."""
    statement = (
        update(CheckinRound)
        .where(col(CheckinRound.status) == RoundStatus.OPEN, col(CheckinRound.meeting_at) <= now)
        .values(status=RoundStatus.CLOSED)
        .execution_options(synchronize_session=False)
    )
    if team_id is not None:
        statement = statement.where(col(CheckinRound.team_id) == team_id)
    closed = session.execute(statement).rowcount
    session.commit()
    return int(closed or 0)


def record_missed(session: Session, *, team: TeamConfig, now: datetime) -> list[date]:
    """Record as missed every meeting since the team's last round that passed with no round.

    Only a team that has had a round counts: before its first one retrobot was not running for
    it, and nothing was missed. Commits; returns the dates recorded.
    """
    last = session.exec(
        select(CheckinRound)
        .where(CheckinRound.team_id == team.id)
        .order_by(col(CheckinRound.meeting_date).desc())
        .limit(1)
    ).first()
    if last is None:
        return []
    recorded = []
    for meeting in meetings_from(team, last.meeting_at, 60):
        if meeting.at > now:
            break
        session.add(
            CheckinRound(
                team_id=team.id,
                meeting_date=meeting.date,
                meeting_at=meeting.at,
                opens_at=meeting.checkin_opens(team),
                status=RoundStatus.MISSED,
                created_at=now,
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another process recorded it first
            continue
        recorded.append(meeting.date)
        logger.warning(
            "Team %s: the check-in for the meeting on %s was missed while retrobot was down",
            team.id,
            meeting.date,
        )
    return recorded


def current_round(session: Session, *, team: TeamConfig, now: datetime) -> CheckinRound | None:
    """The team's open round for its next meeting, if it has opened."""
    meeting = next_meeting(team, now)
    found = round_for(session, team_id=team.id, meeting_date=meeting.date)
    if found is not None and found.status == RoundStatus.OPEN:
        return found
    return None


# --- The roster -------------------------------------------------------------------------------


def read_roster(client: WebClient, team: TeamConfig) -> Roster:
    """The team's members now: app.yaml's list, plus its user group as Slack has it today."""
    listed = [(m.id, m.name, m.timezone or team.timezone) for m in team.members]
    if team.usergroup is None:
        return Roster(listed)
    try:
        response = client.usergroups_users_list(usergroup=team.usergroup)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        problem = f"could not read user group {team.usergroup}: {code or 'error'}"
        logger.warning("Team %s: %s; using the members already known", team.id, problem)
        return Roster(listed, complete=False, problem=problem)
    except Exception as error:  # the connection stayed down after the client's retries
        problem = f"could not reach Slack to read user group {team.usergroup}: {error}"
        logger.warning("Team %s: %s; using the members already known", team.id, problem)
        return Roster(listed, complete=False, problem=problem)
    seen = {user_id for user_id, _, _ in listed}
    group = []
    for user_id in response.get("users") or []:
        if isinstance(user_id, str) and user_id not in seen:
            seen.add(user_id)
            group.append((user_id, None, None))
    return Roster(listed + group)


def sync_roster(session: Session, *, team: TeamConfig, roster: Roster) -> None:
    """Make the team's active members those of the roster (only adding, if it is incomplete)."""
    queries.sync_members(
        session,
        team_id=team.id,
        members=roster.members,
        coaches=[(c.id, c.timezone or team.timezone) for c in team.coaches],
        keep_unlisted_members=not roster.complete,
    )
    session.commit()


def _per_zone(
    zones: dict[str, ZoneInfo], default: ZoneInfo, build: Callable[[ZoneInfo], dict[str, Any]]
) -> Callable[[str], dict[str, Any]]:
    """A member's message, built once per time zone (times are shown in the member's own)."""
    payloads: dict[str, dict[str, Any]] = {}

    def payload_for(user_id: str) -> dict[str, Any]:
        zone = zones.get(user_id, default)
        if zone.key not in payloads:
            payloads[zone.key] = build(zone)
        return payloads[zone.key]

    return payload_for


def _zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return fallback


def is_away(member: Member, meeting_date: date) -> bool:
    """True when the member said they are away on the meeting's date (inclusive)."""
    return member.away_until is not None and meeting_date <= member.away_until


def sensible_from(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment``, or, when it falls at night in ``zone``, the next morning's first hour there."""
    local = moment.astimezone(zone)
    if SENSIBLE_FROM <= local.time() < SENSIBLE_UNTIL:
        return moment
    day = local.date() if local.time() < SENSIBLE_FROM else local.date() + timedelta(days=1)
    return local_moment(day, SENSIBLE_FROM, zone)


def _hold_until(
    *, zone: ZoneInfo, team: TeamConfig, now: datetime, meeting_at: datetime
) -> datetime | None:
    """When a member in another zone should get a DM that is due now, if not now.

    Never after the meeting: a DM held past it would ask about a meeting already held.
    """
    if zone.key == team.zone.key:
        return None
    later = sensible_from(now, zone)
    return later if now < later < meeting_at else None


# --- Sending the round ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    prompt_id: int
    user_id: str
    in_doubt_since: datetime | None = None  # a claim left by a process that stopped
    look_first: bool = False  # Slack timed out on the last try: the DM may be there already


@dataclass(frozen=True)
class _Posted:
    due: _Due
    result: Delivery


@dataclass(frozen=True)
class FoundDelivery(Delivery):
    """A DM found in Slack's history: posted by an earlier run, not by this one."""


@dataclass
class _Snapshot:
    """The round as this run found it: every active member's prompt (written now if missing),
    what to post, who had a DM already, and each member's zone."""

    status: dict[str, PromptStatus] = field(default_factory=dict)
    error: dict[str, str | None] = field(default_factory=dict)
    not_before: dict[str, datetime | None] = field(default_factory=dict)
    due: list[_Due] = field(default_factory=list)
    asked: set[str] = field(default_factory=set)
    zones: dict[str, ZoneInfo] = field(default_factory=dict)


def _prepare_round(
    session: Session, *, round_: CheckinRound, team: TeamConfig, now: datetime, retry_failed: bool
) -> _Snapshot:
    """Write a prompt for each active member who has none yet, then say what to post. Commits.

    A member away on the meeting's date gets an ``away`` prompt and no DM; a member in another
    time zone whose night it is gets a prompt held until their morning. Due: pending prompts
    whose time has come, failures worth another try, and claims a stopped process left behind.
    Two statements and a commit, however large the round.
    """
    for _ in range(3):
        rows = session.exec(
            select(
                Member.user_id,
                Member.timezone,
                Member.away_until,
                CheckinPrompt.id,
                CheckinPrompt.status,
                CheckinPrompt.not_before,
                CheckinPrompt.claimed_at,
                CheckinPrompt.error,
                CheckinPrompt.message_ts,
            )
            .select_from(Member)
            .join(
                CheckinPrompt,
                (col(CheckinPrompt.round_id) == round_.id)
                & (col(CheckinPrompt.user_id) == col(Member.user_id)),
                isouter=True,
            )
            .where(Member.team_id == team.id, col(Member.active))
            .order_by(col(Member.user_id))
        ).all()
        snapshot = _Snapshot()
        new: list[dict[str, Any]] = []
        for (
            user_id,
            timezone,
            away_until,
            prompt_id,
            status,
            not_before,
            claimed,
            error,
            ts,
        ) in rows:
            zone = _zone(timezone, team.zone)
            snapshot.zones[user_id] = zone
            if prompt_id is None:
                away = away_until is not None and round_.meeting_date <= away_until
                hold = (
                    None
                    if away
                    else _hold_until(zone=zone, team=team, now=now, meeting_at=round_.meeting_at)
                )
                new.append(
                    {
                        "round_id": round_.id,
                        "user_id": user_id,
                        "status": PromptStatus.AWAY if away else PromptStatus.PENDING,
                        "not_before": hold,
                        "created_at": now,
                    }
                )
                continue
            snapshot.status[user_id] = status
            snapshot.error[user_id] = error
            snapshot.not_before[user_id] = not_before
            if ts is not None:
                snapshot.asked.add(user_id)
            if status == PromptStatus.PENDING:
                if not_before is None or not_before <= now:
                    snapshot.due.append(_Due(prompt_id, user_id))
            elif status == PromptStatus.FAILED:
                if retry_failed or worth_retrying(error):
                    snapshot.due.append(
                        _Due(prompt_id, user_id, look_first=error == delivery.TIMEOUT)
                    )
            elif (
                status == PromptStatus.SENDING
                and claimed is not None
                and claimed <= now - IN_DOUBT_AFTER
            ):
                snapshot.due.append(_Due(prompt_id, user_id, in_doubt_since=claimed))
        if not new:
            return snapshot
        try:
            written = session.execute(
                insert(CheckinPrompt).returning(
                    col(CheckinPrompt.id), col(CheckinPrompt.user_id), sort_by_parameter_order=True
                ),
                new,
            ).all()
            session.commit()
        except IntegrityError:
            session.rollback()  # another process wrote some of them first: look again
            continue
        for (prompt_id, user_id), row in zip(written, new, strict=True):
            snapshot.status[user_id] = row["status"]
            snapshot.error[user_id] = None
            snapshot.not_before[user_id] = row["not_before"]
            if row["status"] == PromptStatus.PENDING and row["not_before"] is None:
                snapshot.due.append(_Due(prompt_id, user_id))
        snapshot.due.sort(key=lambda item: item.prompt_id)
        return snapshot
    raise RuntimeError(f"Could not write the prompts of round {round_.id}")


def _claim(session: Session, batch: Sequence[_Due], *, now: datetime) -> list[_Due]:
    """Claim prompts for this process (status ``sending``); only the ones it got come back.

    One UPDATE … RETURNING: of two processes claiming the same prompt, exactly one sees it.
    """
    if not batch:
        return []
    fresh = [d.prompt_id for d in batch if d.in_doubt_since is None]
    stale = [d.prompt_id for d in batch if d.in_doubt_since is not None]
    claimable = (
        col(CheckinPrompt.id).in_(fresh)
        & col(CheckinPrompt.status).in_([PromptStatus.PENDING, PromptStatus.FAILED])
    ) | (
        col(CheckinPrompt.id).in_(stale)
        & (col(CheckinPrompt.status) == PromptStatus.SENDING)
        & (col(CheckinPrompt.claimed_at) <= now - IN_DOUBT_AFTER)
    )
    statement = (
        update(CheckinPrompt)
        .where(claimable)
        .values(status=PromptStatus.SENDING, claimed_at=now, error=None)
        .returning(col(CheckinPrompt.id))
        .execution_options(synchronize_session=False)
    )
    claimed = set(session.execute(statement).scalars())
    session.commit()
    return [d for d in batch if d.prompt_id in claimed]


def _record(session: Session, posted: Sequence[_Posted], *, now: datetime) -> None:
    """Write what Slack said to each claimed prompt; an answer given meanwhile is kept."""
    if not posted:
        return
    table = CheckinPrompt.__table__  # type: ignore[attr-defined]
    still_sending = table.c.status == PromptStatus.SENDING.value
    sent = [
        {"pid": p.due.prompt_id, "channel_": p.result.channel, "ts_": p.result.ts}
        for p in posted
        if p.result.ok
    ]
    failed = [{"pid": p.due.prompt_id, "error_": p.result.error} for p in posted if not p.result.ok]
    if sent:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values(
                channel=bindparam("channel_"),
                message_ts=bindparam("ts_"),
                sent_at=now,
                error=None,
                status=case((still_sending, PromptStatus.SENT.value), else_=table.c.status),
            ),
            sent,
        )
    if failed:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("pid"), still_sending)
            .values(status=PromptStatus.FAILED.value, error=bindparam("error_")),
            failed,
        )
    session.commit()


def dm_metadata(prompt_id: int, round_id: int) -> dict[str, Any]:
    """The message metadata that marks a check-in DM as this prompt's, for reconciling."""
    return {
        "event_type": DM_METADATA_TYPE,
        "event_payload": {"prompt_id": prompt_id, "round_id": round_id},
    }


def find_posted(client: WebClient, *, user_id: str, prompt_id: int) -> Delivery | None:
    """The prompt's DM if Slack has it (found by its metadata), None if it never arrived.

    The bot's DM with a person holds few messages, and the DM sought is among the newest, so
    the newest few hundred are read. Raises SlackApiError when Slack cannot tell; then nothing
    is posted, to never post twice.
    """
    opened = client.conversations_open(users=user_id)
    channel = (opened.get("channel") or {}).get("id")
    if not channel:
        return None
    for ts, payload in delivery.tagged_messages(
        client, channel, DM_METADATA_TYPE, pages=HISTORY_PAGES
    ):
        if payload.get("prompt_id") == prompt_id:
            return FoundDelivery(recipient=user_id, channel=channel, ts=ts)
    return None


def _post_prompt(
    client: WebClient, due: _Due, payload: dict[str, Any], round_id: int, pace: Pace
) -> Delivery:
    """Post one member's DM (after checking Slack for it, if an earlier claim was left or the
    last try timed out)."""
    if due.in_doubt_since is not None or due.look_first:
        try:
            found = find_posted(client, user_id=due.user_id, prompt_id=due.prompt_id)
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            logger.warning("Could not check whether %s got their check-in DM", due.user_id)
            return Delivery(recipient=due.user_id, error=f"in_doubt:{code or 'error'}")
        except Exception:
            logger.exception("Could not check whether %s got their check-in DM", due.user_id)
            return Delivery(recipient=due.user_id, error="in_doubt")
        if found is not None:
            return found
    pace.wait()
    return delivery.post(
        client, due.user_id, payload, metadata=dm_metadata(due.prompt_id, round_id)
    )


def _deliver(
    services: Services,
    session: Session,
    due: list[_Due],
    *,
    payload_for: Any,
    send: Any,
    claim: Any,
    record: Any,
    workers: int,
) -> list[_Posted]:
    """Claim the due items a batch at a time, post them from a pool, and record the results.

    Claims run just ahead of the pool, so a process that stops leaves few claims behind;
    results are written in batches, at least every second.
    """
    posted: list[_Posted] = []
    unwritten: list[_Posted] = []
    last_flush = _Clock.monotonic()

    def collect(done: Iterable[Future[Delivery]], inflight: dict[Future[Delivery], _Due]) -> None:
        for future in done:
            item = inflight.pop(future)
            try:
                result = future.result()
            except Exception as error:  # a bug, not Slack: record it and go on
                logger.exception("Sending to %s failed", item.user_id)
                result = Delivery(recipient=item.user_id, error=type(error).__name__)
            outcome = _Posted(item, result)
            posted.append(outcome)
            unwritten.append(outcome)

    def flush(force: bool = False) -> None:
        nonlocal last_flush
        elapsed = _Clock.monotonic() - last_flush
        if unwritten and (force or len(unwritten) >= FLUSH_EVERY or elapsed >= FLUSH_SECONDS):
            record(session, list(unwritten), now=services.now())
            unwritten.clear()
            last_flush = _Clock.monotonic()

    pool = SENDERS.get()
    inflight: dict[Future[Delivery], _Due] = {}
    for start in range(0, len(due), CLAIM_BATCH):
        for item in claim(session, due[start : start + CLAIM_BATCH], now=services.now()):
            inflight[pool.submit(send, item, payload_for(item.user_id))] = item
        while len(inflight) >= workers * 2:
            done, _ = wait(inflight, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            collect(done, inflight)
            flush()
    while inflight:  # all submitted: wake once a second, or when the last one is done
        done, _ = wait(inflight, timeout=FLUSH_SECONDS, return_when=ALL_COMPLETED)
        collect(done, inflight)
        flush()
    flush(force=True)
    return posted


def send_round(
    services: Services,
    *,
    team_id: str,
    now: datetime | None = None,
    retry_failed: bool = False,
    read_members: bool = True,
    pace: Pace | None = None,
    workers: int = SEND_WORKERS,
) -> DeliveryReport:
    """Open the team's round for its next meeting and DM every member not yet asked.

    Safe to run any number of times, from any number of processes: a member is asked once.
    ``retry_failed`` also retries members Slack refused for good (a deactivated account...);
    ``read_members`` False skips reading the team's user group (the sweep's later sends).
    """
    from bot.checkins.views import build_prompt_message

    now = now or services.now()
    team = services.config.team(team_id)
    meeting = next_meeting(team, now)
    # app.yaml's own members are mirrored at start-up and on reload; a user group is read now.
    listed = services.listed_config.team(team_id)  # app.yaml's members, then the group's
    roster = read_roster(services.client, listed) if read_members and team.usergroup else None
    with services.session() as session:
        if roster is not None:
            sync_roster(session, team=team, roster=roster)
            services.refresh_rosters()
        round_, _ = open_round(session, team=team, meeting=meeting, now=now)
        if round_.status != RoundStatus.OPEN:
            raise StaleActionError(f"The check-in for {meeting.date:%A %-d %B} is closed.")
        assert round_.id is not None
        snapshot = _prepare_round(
            session, round_=round_, team=team, now=now, retry_failed=retry_failed
        )
        zones = snapshot.zones
        late = now > round_.opens_at + LATE_AFTER
        payload_for = _per_zone(
            zones,
            team.zone,
            lambda zone: build_prompt_message(
                services.renderer,
                team_name=team.name,
                round_id=round_.id,
                meeting_at=round_.meeting_at,
                zone=zone,
                late=late,
            ),
        )

        chosen = pace or PACE
        client = paced_client(services.client, chosen)

        def send(item: _Due, payload: dict[str, Any]) -> Delivery:
            return _post_prompt(client, item, payload, round_.id or 0, chosen)

        posted = _deliver(
            services,
            session,
            snapshot.due,
            payload_for=payload_for,
            send=send,
            claim=_claim,
            record=_record,
            workers=workers,
        )
    report = _report(team=team, round_=round_, snapshot=snapshot, posted=posted, now=now)
    report.late = late
    report.roster_problem = roster.problem if roster else None
    logger.info(
        "Team %s check-in for %s: %d asked, %d already, %d away, %d failed",
        team.id,
        meeting.date,
        len(report.asked),
        len(report.already_asked),
        len(report.away),
        len(report.failed),
    )
    return report


def _report(
    *,
    team: TeamConfig,
    round_: CheckinRound,
    snapshot: _Snapshot,
    posted: Sequence[_Posted],
    now: datetime,
) -> DeliveryReport:
    """The round as this run found it and left it, sorted into the report's piles."""
    report = DeliveryReport(
        team_id=team.id,
        team_name=team.name,
        meeting=Meeting(team.id, round_.meeting_date, round_.meeting_at),
        zone=team.zone,
        round_id=round_.id or 0,
    )
    status, error = dict(snapshot.status), dict(snapshot.error)
    for item in posted:
        user = item.due.user_id
        if item.result.ok:
            if not isinstance(item.result, FoundDelivery) and user not in snapshot.asked:
                report.asked.append(user)
            status[user] = PromptStatus.SENT
        else:
            status[user], error[user] = PromptStatus.FAILED, item.result.error
    for user in sorted(status):
        if user in report.asked:
            continue
        if status[user] in ASKED:
            report.already_asked.append(user)
        elif status[user] == PromptStatus.AWAY:
            report.away.append(user)
        elif status[user] == PromptStatus.FAILED:
            report.failed[user] = error.get(user) or "unknown error"
        elif (held := snapshot.not_before.get(user)) is not None and held > now:
            report.waiting[user] = held
        else:
            report.in_progress.append(user)
    report.asked.sort()
    return report


# --- Reminders --------------------------------------------------------------------------------


def send_reminders(
    services: Services,
    *,
    team_id: str,
    now: datetime | None = None,
    pace: Pace | None = None,
    workers: int = SEND_WORKERS,
) -> ReminderReport:
    """Remind, once, the members asked at least ``reminder_after`` ago who have not answered,
    skipped or said they are away — and, in another zone than the team's, only by day there."""
    from bot.checkins.views import build_reminder_message

    now = now or services.now()
    team = services.config.team(team_id)
    with services.session() as session:
        round_ = current_round(session, team=team, now=now)
        report = ReminderReport(team_id=team.id, round_id=round_.id if round_ else None)
        if round_ is None or round_.id is None or now >= round_.meeting_at:
            return report
        after = team.tactical.reminder_after
        # The reminder job fires as the first DMs turn reminder_after old; DMs of a large round
        # sent a little later are included rather than left to the next sweep.
        cutoff = now - after + min(after / 4, timedelta(minutes=15))
        members = {
            m.user_id: m for m in session.exec(select(Member).where(Member.team_id == team.id))
        }
        candidates = session.exec(
            select(CheckinPrompt.id, CheckinPrompt.user_id)
            .where(
                CheckinPrompt.round_id == round_.id,
                col(CheckinPrompt.status).in_(REMINDABLE),
                col(CheckinPrompt.reminded_at).is_(None),
                col(CheckinPrompt.sent_at) <= cutoff,
            )
            .order_by(col(CheckinPrompt.id))
        ).all()
        due = []
        for prompt_id, user_id in candidates:
            member = members.get(user_id)
            if member is None or not member.active or is_away(member, round_.meeting_date):
                continue
            zone = _zone(member.timezone, team.zone)
            if zone.key != team.zone.key and sensible_from(now, zone) != now:
                continue  # night where they are: a later sweep reminds them in the morning
            assert prompt_id is not None
            due.append(_Due(prompt_id, user_id))
        zones = {u: _zone(m.timezone, team.zone) for u, m in members.items()}
        payload_for = _per_zone(
            zones,
            team.zone,
            lambda zone: build_reminder_message(
                services.renderer,
                team_name=team.name,
                round_id=round_.id,
                meeting_at=round_.meeting_at,
                zone=zone,
            ),
        )

        chosen = pace or PACE
        client = paced_client(services.client, chosen)

        def send(item: _Due, payload: dict[str, Any]) -> Delivery:
            chosen.wait()
            return delivery.post(client, item.user_id, payload)

        posted = _deliver(
            services,
            session,
            due,
            payload_for=payload_for,
            send=send,
            claim=_claim_reminders,
            record=_record_reminders,
            workers=workers,
        )
    for item in posted:
        if item.result.ok:
            report.reminded.append(item.due.user_id)
        else:
            report.failed[item.due.user_id] = item.result.error or "unknown error"
    report.reminded.sort()
    return report


def _claim_reminders(session: Session, batch: Sequence[_Due], *, now: datetime) -> list[_Due]:
    """Claim reminders (set ``reminded_at``): each member is reminded once, by one process."""
    if not batch:
        return []
    statement = (
        update(CheckinPrompt)
        .where(
            col(CheckinPrompt.id).in_([d.prompt_id for d in batch]),
            col(CheckinPrompt.reminded_at).is_(None),
            col(CheckinPrompt.status).in_(REMINDABLE),
        )
        .values(reminded_at=now)
        .returning(col(CheckinPrompt.id))
        .execution_options(synchronize_session=False)
    )
    claimed = set(session.execute(statement).scalars())
    session.commit()
    return [d for d in batch if d.prompt_id in claimed]


def _record_reminders(session: Session, posted: Sequence[_Posted], *, now: datetime) -> None:
    """Keep each reminder's ts (to update it with the DM), or why Slack refused it."""
    table = CheckinPrompt.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "pid": p.due.prompt_id,
            "ts_": p.result.ts,
            "error_": None if p.result.ok else f"reminder:{p.result.error}",
        }
        for p in posted
    ]
    if rows:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values(reminder_ts=bindparam("ts_"), error=bindparam("error_")),
            rows,
        )
    session.commit()


# --- Answers ----------------------------------------------------------------------------------


def checklist_key(index: int) -> str:
    """The value that stands for the checklist item at ``index`` in the modal."""
    return str(index)


def _text_field(errors: dict[str, str], key: str, raw: str | None, limit: int, what: str) -> str:
    """Clean one free-text answer, noting an error when it is too long or names a client."""
    text = normalise_input(raw)
    if len(text) > limit:
        errors[key] = f"That's {len(text):,} characters; please keep {what} under {limit:,}."
    elif found := find_client_identifiers(text):
        errors[key] = describe_client_identifiers(found)
    return text


def _number(value: float) -> float:
    return int(value) if float(value).is_integer() else value


def _format(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def check_metric(metric: MetricConfig, raw: str | None) -> float | None:
    """A metric's answer as a number, None when left empty; InvalidInputError when it is not a
    number within the metric's range."""
    text = (raw or "").strip().replace(",", "")
    if not text:
        return None
    unit = f" {metric.unit}" if metric.unit else ""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInputError(
            {f"metric:{metric.id}": f"Please enter a number of {metric.unit or 'units'}, like 12."}
        )
    if not metric.min <= value <= metric.max:
        raise InvalidInputError(
            {
                f"metric:{metric.id}": (
                    f"Please enter a number between {_format(metric.min)} and "
                    f"{_format(metric.max)}{unit}."
                )
            }
        )
    return _number(value)


def check_answers(
    *,
    config: AppConfig,
    team: TeamConfig,
    user_id: str,
    mood: str | None,
    note: str | None = None,
    metrics: dict[str, str | None] | None = None,
    checklist_ticked: Iterable[str] = (),
    done_ticked: Iterable[str] = (),
    progress: str | None = None,
    story: str | None = None,
    answers: dict[int, str | None] | None = None,
    tension_text: str | None = None,
    shared: bool = True,
    story_beyond_team: bool = False,  # the organisation report (issue 20)
) -> CheckinAnswers:
    """Check what was typed in the check-in modal; InvalidInputError names each field at fault.

    Field names: ``mood``, ``note``, ``metric:<id>``, ``progress``, ``story``,
    ``question:<index>`` and ``tension``.
    """
    errors: dict[str, str] = {}
    chosen_mood = None
    if mood is not None and mood.strip().isdigit() and int(mood) in MOODS:
        chosen_mood = int(mood)
    else:
        errors["mood"] = "Pick how you're arriving, from 1 to 5."
    clean_note = _text_field(errors, "note", note, NOTE_LIMIT, "it")
    values: dict[str, float] = {}
    for metric in team.metrics:
        try:
            value = check_metric(metric, (metrics or {}).get(metric.id))
        except InvalidInputError as error:
            errors.update(error.field_errors)
            continue
        if value is not None:
            values[metric.id] = value
    ticked = set(checklist_ticked)
    checklist = {item: checklist_key(i) in ticked for i, item in enumerate(team.checklist)}
    done = tuple(sorted({int(v) for v in done_ticked if str(v).isdigit()}))
    clean_progress = _text_field(errors, "progress", progress, PROGRESS_LIMIT, "progress")
    clean_story = _text_field(errors, "story", story, STORY_LIMIT, "the story")
    typed: dict[str, str] = {}
    for index, question in enumerate(team.questions or []):
        text = _text_field(
            errors, f"question:{index}", (answers or {}).get(index), ANSWER_LIMIT, "each answer"
        )
        if text:
            typed[question] = text
    draft = None
    if normalise_input(tension_text):
        try:
            draft = tensions.check_draft(
                config=config,
                user_id=user_id,
                team_id=team.id,
                text=tension_text,
                area=None,
                private=False,
            )
        except InvalidInputError as error:
            errors["tension"] = next(iter(error.field_errors.values()))
        except NotInTeamError as error:
            errors["tension"] = str(error)
    if errors or chosen_mood is None:
        raise InvalidInputError(errors)
    return CheckinAnswers(
        mood=chosen_mood,
        note=clean_note,
        metrics=values,
        checklist=checklist,
        done_actions=done,
        progress=clean_progress,
        story=clean_story,
        answers=typed,
        tension=draft,
        shared=shared,
        story_beyond_team=story_beyond_team and bool(clean_story),
    )


def _round(session: Session, round_id: int) -> CheckinRound:
    found = session.get(CheckinRound, round_id)
    if found is None:
        raise NotFoundError("That check-in no longer exists.")
    return found


def _answerable(session: Session, round_id: int, now: datetime) -> CheckinRound:
    """The round, if answers may still go in: it is open and its meeting has not started."""
    found = _round(session, round_id)
    if found.status != RoundStatus.OPEN or now >= found.meeting_at:
        raise StaleActionError(
            "This check-in closed when the meeting started. "
            "The next one opens before the next tactical meeting."
        )
    return found


def _member(session: Session, *, team_id: str, user_id: str) -> Member:
    member = session.exec(
        select(Member).where(Member.team_id == team_id, Member.user_id == user_id)
    ).first()
    if member is None or not member.active:
        raise NotAllowedError("This check-in is for another team's members.")
    return member


def _prompt(session: Session, *, round_id: int, user_id: str) -> CheckinPrompt | None:
    return session.exec(
        select(CheckinPrompt).where(
            CheckinPrompt.round_id == round_id, CheckinPrompt.user_id == user_id
        )
    ).first()


def _set_prompt_status(
    session: Session, *, round_id: int, user_id: str, status: PromptStatus, now: datetime
) -> CheckinPrompt:
    """The member's prompt with its new status (written now if they had none); not committed."""
    prompt = _prompt(session, round_id=round_id, user_id=user_id)
    if prompt is None:
        prompt = CheckinPrompt(round_id=round_id, user_id=user_id, created_at=now)
    prompt.status = status
    session.add(prompt)
    return prompt


def save_checkin(
    session: Session,
    *,
    config: AppConfig,
    round_id: int,
    user_id: str,
    answers: CheckinAnswers,
    now: datetime,
) -> SavedCheckin:
    """Store a member's check-in for an open round; submitting again edits it. Commits once.

    Ticked actions and projects (the member's own, in this team) are marked done with it.
    """
    for attempt in range(2):
        round_ = _answerable(session, round_id, now)
        config.team(round_.team_id)
        _member(session, team_id=round_.team_id, user_id=user_id)
        response = session.exec(
            select(CheckinResponse).where(
                CheckinResponse.round_id == round_id, CheckinResponse.user_id == user_id
            )
        ).first()
        edited = response is not None
        if response is None:
            response = CheckinResponse(round_id=round_id, user_id=user_id, created_at=now)
        response.mood = answers.mood
        response.note = answers.note
        response.shared = answers.shared
        response.metric_values = dict(answers.metrics)
        response.checklist = dict(answers.checklist)
        response.progress = answers.progress
        response.story = answers.story
        response.story_beyond_team = answers.story_beyond_team  # the organisation report
        response.answers = dict(answers.answers)
        response.updated_at = now
        session.add(response)
        try:
            # Written now, not by the autoflush of a query below, where nothing would catch it.
            session.flush()
        except IntegrityError:
            # The same check-in submitted twice at once: the other wrote first; edit it.
            session.rollback()
            if attempt:
                raise
            continue
        done = 0
        if answers.done_actions:
            own = {
                t.id
                for t in triage.open_actions_of(session, user_id=user_id)
                if t.team_id == round_.team_id
            }
            chosen = [i for i in answers.done_actions if i in own]
            if chosen:
                done = session.execute(
                    update(Tension)
                    .where(col(Tension.id).in_(chosen), col(Tension.done_at).is_(None))
                    .values(done_at=now, updated_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
        prompt = _set_prompt_status(
            session, round_id=round_id, user_id=user_id, status=PromptStatus.ANSWERED, now=now
        )
        try:
            session.commit()
        except IntegrityError:
            # The same check-in submitted twice at once: the other wrote first; edit it.
            session.rollback()
            if attempt:
                raise
            continue
        return SavedCheckin(response, prompt, edited, int(done or 0))
    raise AssertionError("unreachable")


def raise_checkin_tension(
    session: Session, *, user_id: str, answers: CheckinAnswers, now: datetime, request_key: str
) -> Tension | None:
    """Put the tension typed in the check-in on the agenda (once per submitted modal)."""
    if answers.tension is None:
        return None
    return tensions.raise_tension(
        session,
        user_id=user_id,
        draft=answers.tension,
        now=now,
        request_key=f"checkin:{request_key}",
    )


def skip_checkin(session: Session, *, round_id: int, user_id: str, now: datetime) -> CheckinPrompt:
    """The member skips this round: no reminder, no answer. Commits."""
    round_ = _answerable(session, round_id, now)
    _member(session, team_id=round_.team_id, user_id=user_id)
    prompt = _prompt(session, round_id=round_id, user_id=user_id)
    if prompt is not None and prompt.status == PromptStatus.ANSWERED:
        raise StaleActionError(
            "You've already checked in this week; you can still edit your check-in."
        )
    prompt = _set_prompt_status(
        session, round_id=round_id, user_id=user_id, status=PromptStatus.SKIPPED, now=now
    )
    session.commit()
    return prompt


def person_today(session: Session, *, config: AppConfig, user_id: str, now: datetime) -> date:
    """Today's date where the person is (their own zone, else their first team's)."""
    member = session.exec(select(Member).where(Member.user_id == user_id)).first()
    fallback = ZoneInfo("UTC")
    if member is not None:
        with contextlib.suppress(NotFoundError):
            fallback = config.team(member.team_id).zone
        return now.astimezone(_zone(member.timezone, fallback)).date()
    return now.astimezone(fallback).date()


def check_away_date(raw: str | None, *, today: date) -> date:
    """The last day away as picked; InvalidInputError (field ``until``) when it cannot be."""
    try:
        chosen = date.fromisoformat(raw or "")
    except ValueError:
        raise InvalidInputError({"until": "Pick the last day you're away."}) from None
    if chosen < today:
        raise InvalidInputError(
            {"until": "That day has passed: pick the last day you're away, today or later."}
        )
    if chosen > today + AWAY_AT_MOST:
        raise InvalidInputError({"until": "Pick a day within the next year."})
    return chosen


def set_away(
    session: Session, *, user_id: str, until: date | None, now: datetime
) -> list[CheckinPrompt]:
    """Say the person is away until ``until`` (inclusive) in all their teams, or back (None).

    Open rounds follow at once: an away member's prompt there becomes ``away`` (an answer
    already given stays), and coming back makes it ``sent`` again, or ``pending`` if the DM
    never went, so the next sweep asks them. Commits; returns the prompts that changed.
    """
    members = list(
        session.exec(select(Member).where(Member.user_id == user_id, col(Member.active)))
    )
    if not members:
        raise NotInTeamError("You're not in a retrobot team, so there is nothing to be away from.")
    for member in members:
        member.away_until = until
        session.add(member)
    open_rounds = list(
        session.exec(
            select(CheckinRound).where(
                col(CheckinRound.team_id).in_([m.team_id for m in members]),
                CheckinRound.status == RoundStatus.OPEN,
                col(CheckinRound.meeting_at) > now,
            )
        )
    )
    changed = []
    for round_ in open_rounds:
        assert round_.id is not None
        prompt = _prompt(session, round_id=round_.id, user_id=user_id)
        away = until is not None and round_.meeting_date <= until
        if away and (prompt is None or prompt.status != PromptStatus.ANSWERED):
            prompt = _set_prompt_status(
                session, round_id=round_.id, user_id=user_id, status=PromptStatus.AWAY, now=now
            )
            changed.append(prompt)
        elif not away and prompt is not None and prompt.status == PromptStatus.AWAY:
            prompt.status = PromptStatus.SENT if prompt.message_ts else PromptStatus.PENDING
            prompt.not_before = None
            session.add(prompt)
            changed.append(prompt)
    session.commit()
    return changed


# --- Reading ----------------------------------------------------------------------------------


def _member_zone(session: Session, *, team: TeamConfig, user_id: str) -> ZoneInfo:
    timezone = session.exec(
        select(Member.timezone).where(Member.team_id == team.id, Member.user_id == user_id)
    ).first()
    return _zone(timezone, team.zone)


def checkin_context(
    session: Session, *, config: AppConfig, round_id: int, user_id: str, now: datetime
) -> CheckinContext:
    """What the modal shows the member for this round (their answer so far, their actions)."""
    round_ = _answerable(session, round_id, now)
    team = config.team(round_.team_id)
    _member(session, team_id=team.id, user_id=user_id)
    response = session.exec(
        select(CheckinResponse).where(
            CheckinResponse.round_id == round_id, CheckinResponse.user_id == user_id
        )
    ).first()
    actions = [t for t in triage.open_actions_of(session, user_id=user_id) if t.team_id == team.id]
    return CheckinContext(
        team=team,
        round=round_,
        user_id=user_id,
        zone=_member_zone(session, team=team, user_id=user_id),
        response=response,
        actions=actions[:ACTIONS_SHOWN],
    )


def teams_of(session: Session, *, config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The person's teams as the database knows them (a user group's members included)."""
    found = (config.find_team(team_id) for team_id in queries.teams_of_user(session, user_id))
    return [team for team in found if team is not None]


def checkin_for_command(
    session: Session,
    *,
    config: AppConfig,
    user_id: str,
    channel_id: str | None,
    now: datetime,
) -> CheckinContext | NextCheckin:
    """`/checkin`: the open round of the person's team (the channel's first), else the next.

    A round that should be open but has not gone out yet (its DMs are still to come) is opened
    here, so answering never waits for the scheduler.
    """
    teams = teams_of(session, config=config, user_id=user_id)
    if not teams:
        raise NotInTeamError("You're not in a retrobot team yet, so there is no check-in for you.")
    teams.sort(key=lambda team: team.channel != channel_id)
    upcoming: list[NextCheckin] = []
    for team in teams:
        meeting = next_meeting(team, now)
        opens = meeting.checkin_opens(team)
        found = round_for(session, team_id=team.id, meeting_date=meeting.date)
        if found is None and opens <= now:
            found, _ = open_round(session, team=team, meeting=meeting, now=now)
        if found is not None and found.status == RoundStatus.OPEN and found.id is not None:
            return checkin_context(
                session, config=config, round_id=found.id, user_id=user_id, now=now
            )
        zone = _member_zone(session, team=team, user_id=user_id)
        if opens <= now:  # this meeting's round is closed: the one after
            meeting = meetings_from(team, meeting.at, 1)[0]
            opens = meeting.checkin_opens(team)
        upcoming.append(NextCheckin(team, opens, meeting.at, zone))
    return min(upcoming, key=lambda n: n.opens_at)


def checkin_overview(
    session: Session, *, config: AppConfig, user_id: str, now: datetime
) -> list[TeamCheckin]:
    """For each of the person's teams: this week's check-in and whether they are away."""
    overview = []
    for team in teams_of(session, config=config, user_id=user_id):
        meeting = next_meeting(team, now)
        found = round_for(session, team_id=team.id, meeting_date=meeting.date)
        open_ = found if found is not None and found.status == RoundStatus.OPEN else None
        prompt = response = None
        if open_ is not None and open_.id is not None:
            prompt = _prompt(session, round_id=open_.id, user_id=user_id)
            response = session.exec(
                select(CheckinResponse).where(
                    CheckinResponse.round_id == open_.id, CheckinResponse.user_id == user_id
                )
            ).first()
        member = session.exec(
            select(Member).where(Member.team_id == team.id, Member.user_id == user_id)
        ).first()
        zone = _zone(member.timezone if member else None, team.zone)
        away_until = member.away_until if member else None
        if away_until is not None and away_until < now.astimezone(zone).date():
            away_until = None  # that absence is over
        overview.append(
            TeamCheckin(
                team=team,
                meeting=meeting,
                round=open_,
                status=prompt.status if prompt else None,
                response=response,
                away_until=away_until,
                zone=zone,
            )
        )
    return overview


def prompt_context(
    session: Session, *, config: AppConfig, prompt: CheckinPrompt
) -> tuple[TeamConfig, CheckinRound, ZoneInfo, date | None]:
    """The team, round, member's zone and away date behind a prompt, to redraw its DM."""
    round_ = _round(session, prompt.round_id)
    team = config.team(round_.team_id)
    member = session.exec(
        select(Member).where(Member.team_id == team.id, Member.user_id == prompt.user_id)
    ).first()
    zone = _zone(member.timezone if member else None, team.zone)
    return team, round_, zone, member.away_until if member else None


def refresh_prompt_dms(client: WebClient, prompt: CheckinPrompt, payload: dict[str, Any]) -> None:
    """Redraw the member's check-in DM (and its reminder) to show where they stand now."""
    for ts in (prompt.message_ts, prompt.reminder_ts):
        if not (ts and prompt.channel):
            continue
        try:
            client.chat_update(channel=prompt.channel, ts=ts, **payload)
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            logger.warning("Could not update %s's check-in DM: %s", prompt.user_id, code)
