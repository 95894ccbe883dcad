"""What check-ins send: the round's DMs, the one reminder, and the DM redrawn once answered.

Each prompt is claimed in the database before its DM is posted and marked with what Slack said
after (bot.checkins.rounds), so restarts and concurrent runs never post twice. Every DM carries
its prompt's id in its message metadata: a claim left behind by a process that stopped, or a post
Slack never answered, is looked up in the DM's history before anything is posted again. DMs go
out from the shared sender pool at Slack's pace (bot.checkins.pacing); a member Slack refuses is
recorded on their prompt and the round goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.checkins import pacing, rounds
from bot.checkins.model import (
    ASKED,
    DeliveryReport,
    DuePrompt,
    PostOutcome,
    Roster,
    RoundSnapshot,
)
from bot.checkins.pacing import SEND_WORKERS, SENDERS, Pace, RealClock, paced_client
from bot.checkins.views import build_prompt_message, build_reminder_message
from bot.core.config import TeamConfig
from bot.core.meetings import Meeting
from bot.services import Services
from bot.slack import client as slack
from bot.slack.client import Delivery
from storage.models import CheckinPrompt, CheckinRound, PromptStatus

logger = logging.getLogger(__name__)

CLAIM_BATCH = 25  # prompts claimed per statement, just ahead of the pool
FLUSH_EVERY = 50  # results written per statement...
FLUSH_SECONDS = 1.0  # ...or at least this often
DM_METADATA_TYPE = "retrobot_checkin_prompt"
HISTORY_PAGES = 3  # of 100 DM messages read to find a DM that may have gone out


@dataclass(frozen=True)
class Posted:
    """One due prompt and what Slack said to its DM or reminder."""

    due: DuePrompt
    result: Delivery


@dataclass(frozen=True)
class FoundDelivery(Delivery):
    """A DM found in Slack's history: posted by an earlier run, not by this one."""


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
    for ts, payload in slack.tagged_messages(
        client, channel, DM_METADATA_TYPE, pages=HISTORY_PAGES
    ):
        if payload.get("prompt_id") == prompt_id:
            return FoundDelivery(recipient=user_id, channel=channel, ts=ts)
    return None


def _post_prompt(
    client: WebClient, due: DuePrompt, payload: dict[str, Any], round_id: int, pace: Pace
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
    return slack.post(client, due.user_id, payload, metadata=dm_metadata(due.prompt_id, round_id))


class _Results:
    """What Slack said to each DM posted so far, written to the database in batches: at least
    every second, so a process that stops leaves few results unwritten."""

    def __init__(self, services: Services, session: Session, record: _Record) -> None:
        self.posted: list[Posted] = []
        self._unwritten: list[Posted] = []
        self._last_flush = RealClock.monotonic()
        self._services, self._session, self._record = services, session, record

    def collect(
        self, done: Iterable[Future[Delivery]], inflight: dict[Future[Delivery], DuePrompt]
    ) -> None:
        """Take in the finished posts (a bug in one is recorded as its failure)."""
        for future in done:
            item = inflight.pop(future)
            try:
                result = future.result()
            except Exception as error:  # a bug, not Slack: record it and go on
                logger.exception("Sending to %s failed", item.user_id)
                result = Delivery(recipient=item.user_id, error=type(error).__name__)
            outcome = Posted(item, result)
            self.posted.append(outcome)
            self._unwritten.append(outcome)

    def flush(self, force: bool = False) -> None:
        """Write the results taken in, when enough are waiting or a second has gone by."""
        elapsed = RealClock.monotonic() - self._last_flush
        waiting = self._unwritten
        if waiting and (force or len(waiting) >= FLUSH_EVERY or elapsed >= FLUSH_SECONDS):
            outcomes = [
                PostOutcome(p.due.prompt_id, p.result.channel, p.result.ts, p.result.error)
                for p in waiting
            ]
            self._record(self._session, outcomes, now=self._services.now())
            waiting.clear()
            self._last_flush = RealClock.monotonic()


def _deliver(
    services: Services,
    session: Session,
    due: list[DuePrompt],
    *,
    payload_for: Callable[[str], dict[str, Any]],
    send: Callable[[DuePrompt, dict[str, Any]], Delivery],
    claim: _Claim,
    record: _Record,
    workers: int,
) -> list[Posted]:
    """Claim the due items a batch at a time, post them from a pool, and record the results.

    Claims run just ahead of the pool, so a process that stops leaves few claims behind;
    results are written in batches, at least every second.
    """
    results = _Results(services, session, record)
    pool = SENDERS.get()
    inflight: dict[Future[Delivery], DuePrompt] = {}
    for start in range(0, len(due), CLAIM_BATCH):
        for item in claim(session, due[start : start + CLAIM_BATCH], now=services.now()):
            inflight[pool.submit(send, item, payload_for(item.user_id))] = item
        while len(inflight) >= workers * 2:
            done, _ = wait(inflight, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            results.collect(done, inflight)
            results.flush()
    while inflight:  # all submitted: wake once a second, or when the last one is done
        done, _ = wait(inflight, timeout=FLUSH_SECONDS, return_when=ALL_COMPLETED)
        results.collect(done, inflight)
        results.flush()
    results.flush(force=True)
    return results.posted


# --- The round's DMs and the reminders --------------------------------------------------------


def send_prompts(
    services: Services,
    session: Session,
    *,
    team: TeamConfig,
    round_: CheckinRound,
    snapshot: RoundSnapshot,
    late: bool,
    pace: Pace | None = None,
    workers: int = SEND_WORKERS,
) -> list[Posted]:
    """DM each member the snapshot says is due, in their own time zone; each once."""
    payload_for = _per_zone(
        snapshot.zones,
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
    chosen = pace or pacing.PACE
    client = paced_client(services.client, chosen)

    def send(item: DuePrompt, payload: dict[str, Any]) -> Delivery:
        return _post_prompt(client, item, payload, round_.id or 0, chosen)

    return _deliver(
        services,
        session,
        snapshot.due,
        payload_for=payload_for,
        send=send,
        claim=rounds.claim_prompts,
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


def send_reminder_dms(
    services: Services,
    session: Session,
    *,
    team: TeamConfig,
    round_: CheckinRound,
    due: list[DuePrompt],
    zones: dict[str, ZoneInfo],
    pace: Pace | None = None,
    workers: int = SEND_WORKERS,
) -> list[Posted]:
    """Remind each due member, once, with the DM's buttons, in their own time zone."""
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
    chosen = pace or pacing.PACE
    client = paced_client(services.client, chosen)

    def send(item: DuePrompt, payload: dict[str, Any]) -> Delivery:
        chosen.wait()
        return slack.post(client, item.user_id, payload)

    return _deliver(
        services,
        session,
        due,
        payload_for=payload_for,
        send=send,
        claim=rounds.claim_reminders,
        record=rounds.record_reminders,
        workers=workers,
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
