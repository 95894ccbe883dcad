"""What check-ins send: the round's DMs, the one reminder, and the DM redrawn once answered.

Each prompt is claimed in the database before its DM is posted and marked with what Slack said
after (bot.checkins.rounds), so restarts and concurrent runs never post twice. Every DM carries
its prompt's id in its message metadata: a claim left behind by a process that stopped, or a post
Slack never answered, is looked up in the DM's history before anything is posted again. DMs go
out from the shared sender pool at Slack's pace (bot.slack.pacing); a member Slack refuses is
recorded on their prompt and the round goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.checkins import rounds
from bot.checkins.model import (
    ASKED,
    DeliveryReport,
    DuePrompt,
    PostOutcome,
    Roster,
    RoundSnapshot,
)
from bot.checkins.views import build_prompt_message, build_reminder_message
from bot.core.config import TeamConfig
from bot.core.meetings import Meeting
from bot.services import Services
from bot.shifts import service as shifts
from bot.shifts.gate import GateReport, ScheduledDm, ShiftGate
from bot.slack import client as slack
from bot.slack import outbox
from bot.slack.client import Delivery
from bot.slack.outbox import Envelope, FoundDelivery
from bot.slack.pacing import SEND_WORKERS, paced_client
from storage.models import CheckinPrompt, CheckinRound, PromptStatus

logger = logging.getLogger(__name__)

DM_METADATA_TYPE = "retrobot_checkin_prompt"


@dataclass(frozen=True)
class Posted:
    """One due prompt and what Slack said to its DM or reminder."""

    due: DuePrompt
    result: Delivery


class _Claim(Protocol):
    def __call__(
        self, session: Session, batch: Sequence[DuePrompt], *, now: datetime
    ) -> list[DuePrompt]: ...


class _Record(Protocol):
    def __call__(
        self, session: Session, outcomes: Sequence[PostOutcome], *, now: datetime
    ) -> None: ...


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


# --- Posting ----------------------------------------------------------------------------------


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


def prompt_envelope(prompt_id: int, round_id: int) -> Envelope:
    """What marks a check-in DM as this prompt's, for finding it again."""
    return Envelope(DM_METADATA_TYPE, {"prompt_id": prompt_id, "round_id": round_id})


def dm_metadata(prompt_id: int, round_id: int) -> dict[str, Any]:
    """The message metadata that marks a check-in DM as this prompt's, for reconciling."""
    return prompt_envelope(prompt_id, round_id).metadata()


def _send_through_outbox(
    services: Services,
    session: Session,
    due: list[DuePrompt],
    *,
    send: Callable[[DuePrompt], Delivery],
    claim: _Claim,
    record: _Record,
    workers: int,
) -> list[Posted]:
    """Claim the due prompts, post them from the outbox's pool, record what Slack said."""

    def record_sent(sent: Sequence[outbox.Sent[DuePrompt]]) -> None:
        outcomes = [
            PostOutcome(s.row.prompt_id, s.result.channel, s.result.ts, s.result.error)
            for s in sent
        ]
        record(session, outcomes, now=services.now())

    batch = outbox.Batch(
        claim=lambda rows: claim(session, rows, now=services.now()),
        send=send,
        record=record_sent,
        recipient=lambda row: row.user_id,
        workers=workers,
    )
    return [Posted(s.row, s.result) for s in outbox.send_all(due, batch)]


# --- The round's DMs and the reminders --------------------------------------------------------


def send_prompts(
    services: Services,
    session: Session,
    *,
    team: TeamConfig,
    round_: CheckinRound,
    snapshot: RoundSnapshot,
    late: bool,
    workers: int = SEND_WORKERS,
    gate: ShiftGate[DuePrompt] | None = None,
) -> list[Posted]:
    """DM each member the snapshot says is due, in their own time zone; each once (and, through
    ``gate``, only those on shift and not in do-not-disturb now)."""
    payloads = {
        flag: _per_zone(
            snapshot.zones,
            team.zone,
            lambda zone, flag=flag: build_prompt_message(
                services.renderer,
                team_name=team.name,
                round_id=round_.id,
                meeting_at=round_.meeting_at,
                zone=zone,
                late=flag,
            ),
        )
        for flag in {late, False}
    }
    pace = services.pace()
    client = paced_client(services.client, pace)

    def send(item: DuePrompt) -> Delivery:
        # A DM held for its member's morning or shift comes when meant to: it is not late.
        held = snapshot.not_before.get(item.user_id) is not None
        # Looked for first when an earlier claim was left, or the last try was not answered.
        return outbox.send_once(
            client,
            item.user_id,
            payloads[late and not held](item.user_id),
            prompt_envelope(item.prompt_id, round_.id or 0),
            look_first=item.in_doubt_since is not None or item.look_first,
            pace=pace,
        )

    return _send_through_outbox(
        services,
        session,
        snapshot.due,
        send=send,
        claim=gate.wrap(rounds.claim_prompts) if gate else rounds.claim_prompts,  # shifts
        record=rounds.record_prompts,
        workers=workers,
    )


def round_report(
    *,
    team: TeamConfig,
    round_: CheckinRound,
    snapshot: RoundSnapshot,
    posted: Sequence[Posted],
    now: datetime,
    shifted: GateReport | None = None,
) -> DeliveryReport:
    """The round as this run found it and left it, sorted into the report's piles (with what
    the shift gate held or skipped: ``shifted``)."""
    report = DeliveryReport(
        team_id=team.id,
        team_name=team.name,
        meeting=Meeting(team.id, round_.meeting_date, round_.meeting_at),
        zone=team.zone,
        round_id=round_.id or 0,
    )
    status, error = dict(snapshot.status), dict(snapshot.error)
    held = dict(snapshot.not_before)
    if shifted is not None:  # shifts: held for their working time, or off shift until the meeting
        held.update(shifted.waiting)
        status.update(dict.fromkeys(shifted.off_shift, PromptStatus.OFF_SHIFT))
        report.dnd_problem = shifted.dnd_failed
    for item in posted:
        user = item.due.user_id
        if item.result.ok:
            if not isinstance(item.result, FoundDelivery) and user not in snapshot.asked:
                report.asked.append(user)
            status[user] = PromptStatus.SENT
        else:
            status[user], error[user] = PromptStatus.FAILED, item.result.error
    for user in sorted(status):
        if user not in report.asked:
            _pile(report, user, status[user], error.get(user), held.get(user), now)
    report.asked.sort()
    return report


def _pile(
    report: DeliveryReport,
    user: str,
    status: PromptStatus,
    error: str | None,
    held: datetime | None,
    now: datetime,
) -> None:
    """Put one member not asked by this run on the report's pile for where they stand."""
    if status in ASKED:
        report.already_asked.append(user)
    elif status == PromptStatus.AWAY:
        report.away.append(user)
    elif status == PromptStatus.FAILED:
        report.failed[user] = error or "unknown error"
    elif status == PromptStatus.OFF_SHIFT:  # shifts: no working time before the meeting
        report.off_shift.append(user)
    elif held is not None and held > now:
        report.waiting[user] = held
    else:
        report.in_progress.append(user)


def send_reminder_dms(
    services: Services,
    session: Session,
    *,
    team: TeamConfig,
    round_: CheckinRound,
    due: list[DuePrompt],
    zones: dict[str, ZoneInfo],
    workers: int = SEND_WORKERS,
    gate: ShiftGate[DuePrompt] | None = None,
) -> list[Posted]:
    """Remind each due member, once, with the DM's buttons, in their own time zone (and,
    through ``gate``, only those on shift and not in do-not-disturb now)."""
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
    pace = services.pace()
    client = paced_client(services.client, pace)

    def send(item: DuePrompt) -> Delivery:
        pace.wait()
        return slack.post(client, item.user_id, payload_for(item.user_id))

    return _send_through_outbox(
        services,
        session,
        due,
        send=send,
        claim=gate.wrap(rounds.claim_reminders) if gate else rounds.claim_reminders,  # shifts
        record=rounds.record_reminders,
        workers=workers,
    )


# --- Shifts and do-not-disturb (bot/shifts) ---------------------------------------------------


def shift_gate(
    services: Services,
    *,
    team: TeamConfig,
    round_: CheckinRound,
    due: Sequence[DuePrompt],
    now: datetime,
    reminders: bool = False,
) -> ShiftGate[DuePrompt]:
    """The shift gate of a round's DMs (or its reminders): a DM held for its person's working
    time keeps it as its prompt's ``not_before`` (the sweep sends it then), one that cannot go
    before the meeting is marked off shift; a held reminder waits in shift_hold alone."""
    kind = shifts.CHECKIN_REMINDER if reminders else shifts.CHECKIN

    def describe(item: DuePrompt) -> ScheduledDm:
        in_doubt = item.in_doubt_since is not None or item.look_first
        return ScheduledDm(
            kind, item.prompt_id, item.user_id, round_.meeting_at, team.id, in_doubt=in_doubt
        )

    return ShiftGate(
        services,
        due,
        describe=describe,
        now=now,
        what=f"team {team.id}'s check-in {'reminders' if reminders else 'round'}",
        mark=None if reminders else shifts.hold_checkin_prompts,
    )


# --- The DM redrawn ---------------------------------------------------------------------------


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
