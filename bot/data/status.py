"""`retrobot status`: what became of each team's last check-in round and last weekly deliveries.

For each team: how many members its last check-in round asked, how many answered, were away,
skipped or off shift (no working time before the meeting, bot/shifts), how many DMs (or
reminders) failed and with which Slack error; and for the latest week of each kind of weekly
delivery (coach digest, team summary), how many went out, failed (and why) or wait (and why,
when unconfirmed: Slack timed out, or could not say whether it arrived — ``in_doubt``; the next
run looks for them in Slack before sending); and the messages sent at once that Slack refused
over the last :data:`REFUSALS_SHOWN` (triage DMs, appreciations shared in the team channel,
agendas: counted per team and kind, with Slack's errors; never their words nor whom they were
for). Every figure is counted in SQL, in a fixed number of statements whatever the number of
teams.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, func, select
from sqlmodel import Session, col

from bot.core.errors import NotFoundError
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    DeliveryStatus,
    PromptStatus,
    RefusedDelivery,
    SentDigest,
    Team,
)

ASKED = (PromptStatus.SENT, PromptStatus.ANSWERED)
NOT_SENT_YET_LABEL = "not sent yet"
REFUSALS_SHOWN = timedelta(days=7)  # refused triage DMs, shared appreciations, agendas


@dataclass(frozen=True)
class Failure:
    """One reason deliveries failed: Slack's error, how many, and to whom."""

    error: str
    count: int
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class RoundReport:
    """A check-in round's delivery: prompts by status, answers, and failures by error."""

    meeting_date: date
    meeting_at: datetime
    status: str
    prompts: dict[str, int]
    answered: int
    failures: tuple[Failure, ...] = ()

    @property
    def asked(self) -> int:
        """Members whose check-in DM reached Slack."""
        return sum(self.prompts.get(status, 0) for status in ASKED)

    @property
    def away(self) -> int:
        """Members not asked because they were away."""
        return self.prompts.get(PromptStatus.AWAY, 0)

    @property
    def skipped(self) -> int:
        """Members not asked for another reason (the round was missed, they left, ...)."""
        return self.prompts.get(PromptStatus.SKIPPED, 0)

    @property
    def off_shift(self) -> int:
        """Members not asked: off shift or in do-not-disturb until the meeting (bot/shifts)."""
        return self.prompts.get(PromptStatus.OFF_SHIFT, 0)

    @property
    def failed(self) -> int:
        """Members whose DM Slack refused."""
        return self.prompts.get(PromptStatus.FAILED, 0)

    @property
    def not_sent_yet(self) -> int:
        """Members whose DM is still waiting to go (pending, or being sent right now)."""
        settled = {
            *ASKED,
            PromptStatus.AWAY,
            PromptStatus.SKIPPED,
            PromptStatus.OFF_SHIFT,
            PromptStatus.FAILED,
        }
        return sum(count for status, count in self.prompts.items() if status not in settled)


@dataclass(frozen=True)
class DigestReport:
    """The latest week of one kind of weekly delivery: counts by status, failures by error."""

    kind: str
    iso_week: str
    statuses: dict[str, int]
    failures: tuple[Failure, ...] = ()

    def count(self, status: DeliveryStatus) -> int:
        """How many deliveries of that week have this status."""
        return self.statuses.get(status, 0)


@dataclass(frozen=True)
class RefusedReport:
    """One kind of message sent at once that Slack refused lately: how many, and why."""

    kind: str
    count: int
    failures: tuple[Failure, ...] = ()


@dataclass(frozen=True)
class TeamStatus:
    """One team's delivery report; ``round`` is None before its first check-in round."""

    team_id: str
    name: str
    round: RoundReport | None = None
    digests: tuple[DigestReport, ...] = field(default_factory=tuple)
    refused: tuple[RefusedReport, ...] = field(default_factory=tuple)


def delivery_report(
    session: Session, *, now: datetime, team_id: str | None = None
) -> list[TeamStatus]:
    """Each team's (or one team's) last round that has opened and latest weekly deliveries."""
    connection = session.connection()
    teams_query = select(Team.id, Team.name).order_by(col(Team.id))
    if team_id is not None:
        teams_query = teams_query.where(Team.id == team_id)
    teams = connection.execute(teams_query).all()
    if team_id is not None and not teams:
        known = connection.execute(select(Team.id).order_by(col(Team.id))).scalars().all()
        listed = ", ".join(known) if known else "none yet"
        raise NotFoundError(f"No team {team_id!r} in the database (teams: {listed}).")
    team_ids = [team for team, _ in teams]
    rounds = _last_rounds(connection, team_ids, now)
    digests = _latest_digests(connection, team_ids)
    refused = _recent_refusals(connection, team_ids, since=now - REFUSALS_SHOWN)
    session.rollback()  # read only: end the transaction
    return [
        TeamStatus(
            team_id=team,
            name=name,
            round=rounds.get(team),
            digests=tuple(sorted(digests.get(team, []), key=lambda d: d.kind)),
            refused=tuple(refused.get(team, [])),
        )
        for team, name in teams
    ]


def _recent_refusals(
    connection: Connection, team_ids: list[str], *, since: datetime
) -> dict[str, list[RefusedReport]]:
    """Each team's refused messages since ``since``, by kind, with Slack's errors (one query)."""
    counted: dict[tuple[str, str], list[Failure]] = defaultdict(list)
    for team, kind, error, count in connection.execute(
        select(RefusedDelivery.team_id, RefusedDelivery.kind, RefusedDelivery.error, func.count())
        .where(col(RefusedDelivery.team_id).in_(team_ids), col(RefusedDelivery.refused_at) >= since)
        .group_by(
            col(RefusedDelivery.team_id), col(RefusedDelivery.kind), col(RefusedDelivery.error)
        )
    ):
        counted[(team, str(kind))].append(Failure(error, count, ()))
    reports: dict[str, list[RefusedReport]] = defaultdict(list)
    for (team, kind), failures in sorted(counted.items()):
        failures.sort(key=lambda failure: (-failure.count, failure.error))
        total = sum(failure.count for failure in failures)
        reports[team].append(RefusedReport(kind, total, tuple(failures)))
    return reports


def _last_rounds(
    connection: Connection, team_ids: list[str], now: datetime
) -> dict[str, RoundReport]:
    """Each team's last round that has opened, with its prompts, answers and failures."""
    rounds = _latest_opened_rounds(connection, team_ids, now)
    round_ids = [row.id for row in rounds]
    prompts, answered = _prompt_and_answer_counts(connection, round_ids)
    failures = _failures(
        connection,
        owner=col(CheckinPrompt.round_id),
        recipient=col(CheckinPrompt.user_id),
        error=col(CheckinPrompt.error),
        where=and_(
            col(CheckinPrompt.round_id).in_(round_ids),
            # A refused reminder leaves the prompt asked, its error "reminder:<Slack's error>".
            (col(CheckinPrompt.status) == PromptStatus.FAILED)
            | col(CheckinPrompt.error).startswith("reminder:"),
        ),
    )
    return {
        row.team_id: RoundReport(
            meeting_date=row.meeting_date,
            meeting_at=row.meeting_at,
            status=str(row.status),
            prompts=prompts.get(row.id, {}),
            answered=answered.get(row.id, 0),
            failures=tuple(failures.get((row.id,), [])),
        )
        for row in rounds
    }


def _latest_opened_rounds(connection: Connection, team_ids: list[str], now: datetime) -> list:
    """The last round of each team that has opened (by the clock, or early by hand)."""
    latest = (
        select(CheckinRound.team_id, func.max(CheckinRound.meeting_at).label("meeting_at"))
        .where(
            col(CheckinRound.team_id).in_(team_ids),
            # Open by the clock, or opened early by `retrobot checkin send` (someone was asked).
            (col(CheckinRound.opens_at) <= now)
            | exists().where(col(CheckinPrompt.round_id) == col(CheckinRound.id)),
        )
        .group_by(col(CheckinRound.team_id))
        .subquery()
    )
    rounds = connection.execute(
        select(
            CheckinRound.id,
            CheckinRound.team_id,
            CheckinRound.meeting_date,
            CheckinRound.meeting_at,
            CheckinRound.status,
        ).join(
            latest,
            and_(
                col(CheckinRound.team_id) == latest.c.team_id,
                col(CheckinRound.meeting_at) == latest.c.meeting_at,
            ),
        )
    ).all()
    return list(rounds)


def _prompt_and_answer_counts(
    connection: Connection, round_ids: list[int]
) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
    """Each round's prompts counted by status, and its answers counted."""
    prompts: dict[int, dict[str, int]] = defaultdict(dict)
    for round_id, status, count in connection.execute(
        select(CheckinPrompt.round_id, CheckinPrompt.status, func.count())
        .where(col(CheckinPrompt.round_id).in_(round_ids))
        .group_by(col(CheckinPrompt.round_id), col(CheckinPrompt.status))
    ):
        prompts[round_id][str(status)] = count
    answered = dict(
        connection.execute(
            select(CheckinResponse.round_id, func.count())
            .where(col(CheckinResponse.round_id).in_(round_ids))
            .group_by(col(CheckinResponse.round_id))
        ).all()
    )
    return prompts, answered


def _latest_digests(connection: Connection, team_ids: list[str]) -> dict[str, list[DigestReport]]:
    latest = (
        select(SentDigest.team_id, SentDigest.kind, func.max(SentDigest.iso_week).label("week"))
        .where(col(SentDigest.team_id).in_(team_ids))
        .group_by(col(SentDigest.team_id), col(SentDigest.kind))
        .subquery()
    )
    in_latest_week = and_(
        col(SentDigest.team_id) == latest.c.team_id,
        col(SentDigest.kind) == latest.c.kind,
        col(SentDigest.iso_week) == latest.c.week,
    )
    counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for team, kind, week, status, count in connection.execute(
        select(
            SentDigest.team_id,
            SentDigest.kind,
            SentDigest.iso_week,
            SentDigest.status,
            func.count(),
        )
        .join(latest, in_latest_week)
        .group_by(
            col(SentDigest.team_id),
            col(SentDigest.kind),
            col(SentDigest.iso_week),
            col(SentDigest.status),
        )
    ):
        counts[(team, str(kind), week)][str(status)] = count
    failures = _failures(
        connection,
        owner=(col(SentDigest.team_id), col(SentDigest.kind)),
        recipient=col(SentDigest.recipient),
        error=col(SentDigest.error),
        # A delivery that may have arrived stays pending with why (Slack did not answer:
        # ``timeout``; Slack could not say whether it arrived: ``in_doubt:…``): shown too.
        where=(col(SentDigest.status) == DeliveryStatus.FAILED)
        | ((col(SentDigest.status) == DeliveryStatus.PENDING) & col(SentDigest.error).is_not(None)),
        join=(latest, in_latest_week),
    )
    reports: dict[str, list[DigestReport]] = defaultdict(list)
    for (team, kind, week), statuses in counts.items():
        reports[team].append(
            DigestReport(
                kind=kind,
                iso_week=week,
                statuses=statuses,
                failures=tuple(failures.get((team, kind), [])),
            )
        )
    return reports


def _failures(
    connection: Connection,
    *,
    owner: Any,
    recipient: Any,
    error: Any,
    where: Any,
    join: tuple[Any, Any] | None = None,
) -> dict[tuple[Any, ...], list[Failure]]:
    """Failed deliveries grouped by ``owner`` (column or columns) and Slack's error, in SQL."""
    owners = owner if isinstance(owner, tuple) else (owner,)
    reason = func.coalesce(error, "unknown error")
    query = select(
        *owners, reason, func.count(), func.aggregate_strings(recipient, ",")
    ).select_from(recipient.table)
    if join is not None:
        query = query.join(*join)
    query = query.where(where).group_by(*owners, reason)
    found: dict[tuple[Any, ...], list[Failure]] = defaultdict(list)
    for *keys, why, count, who in connection.execute(query):
        owner_key = tuple(str(k) for k in keys) if isinstance(owner, tuple) else tuple(keys)
        found[owner_key].append(Failure(why, count, tuple(sorted((who or "").split(",")))))
    for failures in found.values():
        failures.sort(key=lambda failure: (-failure.count, failure.error))
    return found


# --- on the terminal --------------------------------------------------------------------------

_KIND_LABELS = {
    "coach_digest": "coach digest",
    "team_summary": "team summary",
    "triage_dm": "triage DM",
    "shared_appreciation": "shared appreciation",
    "agenda": "agenda",
}
ROUND_COLUMNS = ("TEAM", "CHECK-IN ROUND", "ASKED", "ANSWERED", "AWAY", "SKIPPED", "OFF SHIFT")
ROUND_COLUMNS += ("FAILED", "NOT SENT")
_RECIPIENTS_SHOWN = 6


def format_report(report: list[TeamStatus]) -> str:
    """The report as plain-text tables for the terminal."""
    if not report:
        return "No teams in the database yet: `retrobot serve` adds app.yaml's teams.\n"
    rounds = [list(ROUND_COLUMNS)]
    round_failures: list[list[str]] = []
    digests = [["TEAM", "WEEKLY DELIVERY", "WEEK", "SENT", "FAILED", "PENDING"]]
    digest_failures: list[list[str]] = []
    for team in report:
        last = team.round
        if last is None:
            rounds.append([team.team_id, "no round yet"])
        else:
            figures = (last.asked, last.answered, last.away, last.skipped)
            figures += (last.off_shift, last.failed)
            rounds.append(
                [
                    team.team_id,
                    f"{last.meeting_date:%a %d %b %Y} ({last.status})",
                    *map(str, figures),
                    str(last.not_sent_yet),
                ]
            )
            round_failures += [[team.team_id, *_failure_cells(f)] for f in last.failures]
        if not team.digests:
            digests.append([team.team_id, "no digest or summary yet"])
        for digest in team.digests:
            label = _KIND_LABELS.get(digest.kind, digest.kind.replace("_", " "))
            sent, failed, pending = (
                digest.count(status)
                for status in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.PENDING)
            )
            digests.append(
                [team.team_id, label, digest.iso_week, *map(str, (sent, failed, pending))]
            )
            digest_failures += [[team.team_id, label, *_failure_cells(f)] for f in digest.failures]
    parts = [_table(rounds, figures_from=2)]
    if round_failures:
        parts.append("Check-in DMs that failed:\n" + _table(round_failures, indent="  "))
    parts.append(_table(digests, figures_from=3))
    if digest_failures:
        parts.append("Weekly deliveries that failed:\n" + _table(digest_failures, indent="  "))
    refused = _refused_rows(report)
    if refused:
        days = REFUSALS_SHOWN.days
        parts.append(
            f"Messages Slack refused in the last {days} days:\n" + _table(refused, indent="  ")
        )
    return "\n".join(parts)


def _refused_rows(report: list[TeamStatus]) -> list[list[str]]:
    """One row per team and kind of refused message: how many, and Slack's errors."""
    return [
        [
            team.team_id,
            _KIND_LABELS.get(refused.kind, refused.kind.replace("_", " ")),
            f"×{refused.count}",
            ", ".join(f"{f.error} ×{f.count}" for f in refused.failures),
        ]
        for team in report
        for refused in team.refused
    ]


def _failure_cells(failure: Failure) -> list[str]:
    shown = ", ".join(failure.recipients[:_RECIPIENTS_SHOWN])
    if len(failure.recipients) > _RECIPIENTS_SHOWN:
        shown += f" and {len(failure.recipients) - _RECIPIENTS_SHOWN} more"
    return [failure.error, f"×{failure.count}", shown]


def _table(rows: list[list[str]], *, figures_from: int | None = None, indent: str = "") -> str:
    """Rows as aligned columns, figures (from column ``figures_from`` on) to the right.

    A row shorter than the header ("no round yet") ends with its last cell as it is.
    """
    full = len(rows[0])
    widths = [
        max(len(row[i]) for row in rows if i < len(row) - 1 or len(row) == full)
        for i in range(full)
    ]
    lines = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            figure = figures_from is not None and index >= figures_from and len(row) == full
            if figure:
                cells.append(cell.rjust(widths[index]))
            elif index == len(row) - 1:
                cells.append(cell)
            else:
                cells.append(cell.ljust(widths[index]))
        lines.append(indent + "  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
