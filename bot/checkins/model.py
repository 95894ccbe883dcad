"""Check-ins' vocabulary: limits and timings, what Slack's refusals mean, and the dataclasses
that the database rules, the builders, the sending and the use cases pass between them.

Nothing here reads the database or talks to Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from bot.core.config import TeamConfig
from bot.core.meetings import Meeting
from bot.tensions.service import TensionDraft
from storage.models import CheckinPrompt, CheckinResponse, CheckinRound, PromptStatus, Tension

# --- Limits and timing ------------------------------------------------------------------------

MOODS = (1, 2, 3, 4, 5)
NOTE_LIMIT = 500
STORY_LIMIT = 2000
PROGRESS_LIMIT = 2000
ANSWER_LIMIT = 1000
ACTIONS_SHOWN = 20  # open actions and projects listed in the modal, soonest due first
AWAY_AT_MOST = timedelta(days=366)

LATE_AFTER = timedelta(minutes=15)  # a round sent this long after it was due says it is late
# Members in a time zone other than the team's get their DM between these local hours.
SENSIBLE_FROM = clock_time(8, 0)
SENSIBLE_UNTIL = clock_time(21, 0)

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
REMINDABLE = (PromptStatus.SENT,)


def worth_retrying(error: str | None) -> bool:
    """True for a failure another attempt may cure (Slack's 5xx, a lost connection).

    A DM that may already have arrived (``in_doubt``) is never retried on its own: only
    `retrobot checkin send` asks again, when a person decides to.
    """
    code = error or ""
    return not code.startswith("in_doubt") and code not in PERMANENT_ERRORS


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


def checklist_key(index: int) -> str:
    """The value that stands for the checklist item at ``index`` in the modal."""
    return str(index)


# --- A round's sending ------------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """Who is in a team for this round: app.yaml's members plus its Slack user group's."""

    members: list[tuple[str, str | None, str | None]]  # (user id, name, time zone)
    complete: bool = True  # False when the user group could not be read
    problem: str | None = None


@dataclass(frozen=True)
class DuePrompt:
    """A member's prompt whose DM (or reminder) is to be posted by this run."""

    prompt_id: int
    user_id: str
    in_doubt_since: datetime | None = None  # a claim left by a process that stopped
    look_first: bool = False  # Slack timed out on the last try: the DM may be there already


@dataclass(frozen=True)
class PostOutcome:
    """What Slack said to one prompt's DM or reminder: its channel and ts, else its error."""

    prompt_id: int
    channel: str | None = None
    ts: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when Slack took the message."""
        return self.error is None


@dataclass
class RoundSnapshot:
    """The round as this run found it: every active member's prompt (written now if missing),
    what to post, who had a DM already, and each member's zone."""

    status: dict[str, PromptStatus] = field(default_factory=dict)
    error: dict[str, str | None] = field(default_factory=dict)
    not_before: dict[str, datetime | None] = field(default_factory=dict)
    due: list[DuePrompt] = field(default_factory=list)
    asked: set[str] = field(default_factory=set)
    zones: dict[str, ZoneInfo] = field(default_factory=dict)


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
    waiting: dict[str, datetime] = field(default_factory=dict)  # held for a sensible hour or shift
    in_progress: list[str] = field(default_factory=list)  # another process is sending these
    failed: dict[str, str] = field(default_factory=dict)  # user id → Slack's error
    roster_problem: str | None = None
    # Shifts (bot/shifts): off shift until the meeting (not asked); DND not readable, and why.
    off_shift: list[str] = field(default_factory=list)
    dnd_problem: str | None = None


@dataclass
class ReminderReport:
    """Who was reminded now, and whose reminder Slack refused."""

    team_id: str
    round_id: int | None
    reminded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


# --- A member's check-in ----------------------------------------------------------------------


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
    tension: TensionDraft | None = None
    shared: bool = True


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
