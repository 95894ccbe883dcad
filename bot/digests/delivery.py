"""Sending a team's weekly summary and a coach's digest, each once: words, thread and chart.

A summary goes to the team channel: a headline, its details in the headline's thread, and the
chart attached there. A digest goes to the coach's DM: its messages, then its chart. Each
delivery is claimed before anything is sent and recorded as it goes (:mod:`bot.digests.ledger`),
so it happens once across restarts and concurrent runs. A refusal by Slack is recorded and may
be retried; a chart that cannot be attached leaves the words sent.

The functions take the session their use case opened (:mod:`bot.digests.usecases`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.digests import charts, ledger, views
from bot.digests.model import (
    CoachDigest,
    DeliveryOutcome,
    DeliveryReport,
    TeamFigures,
    TeamSummary,
)
from bot.slack.client import TIMEOUT, may_have_arrived
from prompts import Renderer
from storage.models import DigestKind

logger = logging.getLogger(__name__)


# --- the team summary --------------------------------------------------------------------------


def deliver_team_summary(
    client: WebClient, renderer: Renderer, session: Session, summary: TeamSummary, *, now: datetime
) -> DeliveryReport:
    """Post the team's summary to its channel, once: headline, thread, chart.

    The delivery is recorded before anything is posted, so a second run (now, after a restart,
    or at the same moment elsewhere) finds it and sends nothing. A summary left unconfirmed
    (Slack's answer lost, or the run stopped) is looked for in the channel by its metadata:
    found, it is recorded (and finished); not there, it is sent; when Slack cannot say, it is
    left in doubt, never sent blind.
    """
    figures = summary.figures
    kind, channel, week = DigestKind.TEAM_SUMMARY, figures.channel, figures.week
    claims = ledger.claim(
        session, kind=kind, recipient=channel, team_ids=[figures.team_id], week=week, now=now
    )
    if not claims.fresh and not claims.unconfirmed:
        return ledger.not_sent_again(kind, channel, week, claims.taken)
    with ledger.released_on_failure(session, claims.fresh) as guard:
        headline, details = views.build_summary_messages(renderer, summary)
        bodies = {figures.team_id: views.summary_body(renderer, summary)}
        if claims.unconfirmed:
            settled = ledger.settle(
                client,
                session,
                claims.unconfirmed,
                kind=kind,
                recipient=channel,
                week=week,
                bodies=bodies,
                now=now,
            )
            if settled.in_doubt or settled.found:
                return _settled_summary(
                    client, renderer, session, figures, settled, details=details, now=now
                )
        [claimed] = claims.fresh or claims.unconfirmed
        metadata = ledger.digest_metadata(
            kind, week=week, recipient=channel, team_ids=[figures.team_id]
        )
        posted = ledger.post_claimed(
            client,
            session,
            [claimed],
            guard,
            recipient=channel,
            payloads=[headline, *details],
            metadata=metadata,
            bodies=bodies,
            now=now,
            in_thread=True,
        )
    return _posted_summary(client, renderer, figures, posted, now=now)


def _posted_summary(
    client: WebClient,
    renderer: Renderer,
    figures: TeamFigures,
    posted: ledger.Posted,
    *,
    now: datetime,
) -> DeliveryReport:
    """The report of a summary this run posted; its chart attached when the words went."""
    delivery = posted.delivery
    if not delivery.ok:
        return _summary_report(figures, DeliveryOutcome.FAILED, error=delivery.error)
    chart_error = _summary_chart(
        client, renderer, figures, channel=delivery.channel, thread_ts=delivery.ts
    )
    return _summary_report(
        figures,
        DeliveryOutcome.SENT,
        channel=delivery.channel,
        message_ts=delivery.ts,
        messages=posted.messages,
        sent_at=now,
        error=posted.error,
        chart_error=chart_error,
    )


def _summary_report(
    figures: TeamFigures, outcome: DeliveryOutcome, **details: Any
) -> DeliveryReport:
    """What became of the team's summary of the week."""
    return DeliveryReport(
        kind=DigestKind.TEAM_SUMMARY,
        recipient=figures.channel,
        week=figures.week,
        outcome=outcome,
        team_ids=[figures.team_id],
        **details,
    )


def _settled_summary(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    figures: TeamFigures,
    settled: ledger.Settled,
    *,
    details: Sequence[dict[str, Any]],
    now: datetime,
) -> DeliveryReport:
    """The report of a summary an earlier run left unconfirmed: in doubt, or found (and
    finished)."""
    if settled.in_doubt:
        return _summary_report(
            figures, DeliveryOutcome.IN_DOUBT, in_doubt=[figures.team_id], error=settled.error
        )
    return _finish_found_summary(
        client, renderer, session, figures, settled, details=details, now=now
    )


def _finish_found_summary(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    figures: TeamFigures,
    settled: ledger.Settled,
    *,
    details: Sequence[dict[str, Any]],
    now: datetime,
) -> DeliveryReport:
    """A summary found in its channel: recorded; its thread and chart follow if they never did."""
    [row] = settled.found
    found = settled.unfinished.get(figures.team_id)
    error = chart_error = None
    messages = 0
    if found is not None:
        channel = found.channel or figures.channel
        error = ledger.finish_found(
            client, session, [row], channel=channel, payloads=details, thread_ts=found.ts
        )
        messages = len(details)
        chart_error = _summary_chart(client, renderer, figures, channel=channel, thread_ts=found.ts)
    return _summary_report(
        figures,
        DeliveryOutcome.FOUND,
        found=[figures.team_id],
        channel=found.channel if found is not None else None,
        message_ts=row.message_ts,
        messages=messages,
        sent_at=now,
        error=error,
        chart_error=chart_error,
    )


def _summary_chart(
    client: WebClient,
    renderer: Renderer,
    figures: TeamFigures,
    *,
    channel: str | None,
    thread_ts: str | None,
) -> str | None:
    """Attach the summary's chart in its thread; the error as text when that fails."""
    return _upload_chart(
        client,
        channel=channel,
        thread_ts=thread_ts,
        render=lambda: charts.summary_chart(renderer, figures),
        filename=f"{figures.team_id}-{figures.week}.png",
        title=renderer.plain("summary.chart_title", f=figures),
    )


# --- the coach digest --------------------------------------------------------------------------


@dataclass(frozen=True)
class _DigestRun:
    """What one run did with a digest's claims: the unconfirmed ones settled, and what it
    posted (the digest narrowed to the teams it was still to send about)."""

    settled: ledger.Settled
    digest: CoachDigest | None = None
    posted: ledger.Posted | None = None


@dataclass(frozen=True)
class _Finished:
    """What followed the first messages of digests found in the coach's DM."""

    messages: int = 0
    error: str | None = None
    chart_error: str | None = None


def deliver_coach_digest(
    client: WebClient, renderer: Renderer, session: Session, full: CoachDigest, *, now: datetime
) -> DeliveryReport:
    """DM the coach ``full``, their digest of the week, each team once only.

    Each (coach, team, week) is recorded before sending; teams some earlier run already covered
    are left out, and when none is left nothing is sent. Teams whose digest an earlier run left
    unconfirmed are looked for in the coach's DM first (as in :func:`deliver_team_summary`).
    """
    kind, coach_id, week = DigestKind.COACH_DIGEST, full.coach_id, full.week
    team_ids = [team.figures.team_id for team in full.teams]
    claims = ledger.claim(
        session, kind=kind, recipient=coach_id, team_ids=team_ids, week=week, now=now
    )
    if not claims.fresh and not claims.unconfirmed:
        return ledger.not_sent_again(kind, coach_id, week, claims.taken)
    run = _send_digest(client, renderer, session, full, claims, now=now)
    finished = _finish_found_digest(client, renderer, session, full, run.settled)
    if run.posted is None or run.digest is None:  # every team was found, or is in doubt
        return _found_digest_report(full, claims, run.settled, finished, now=now)
    delivery = run.posted.delivery
    sent_ids = [team.figures.team_id for team in run.digest.teams]
    if not delivery.ok:
        return _digest_report(
            full,
            claims,
            run.settled,
            DeliveryOutcome.FAILED,
            team_ids=sent_ids,
            error=delivery.error,
        )
    chart_error = _digest_chart(client, renderer, run.digest, channel=delivery.channel)
    return _digest_report(
        full,
        claims,
        run.settled,
        DeliveryOutcome.SENT,
        team_ids=sent_ids,
        channel=delivery.channel,
        message_ts=delivery.ts,
        messages=run.posted.messages,
        sent_at=now,
        error=run.posted.error or run.settled.error,
        chart_error=chart_error or finished.chart_error,
    )


def _send_digest(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    full: CoachDigest,
    claims: ledger.Claims,
    *,
    now: datetime,
) -> _DigestRun:
    """Settle the claims an earlier run left unconfirmed, then post the teams still to send."""
    kind = DigestKind.COACH_DIGEST
    settled = ledger.Settled()
    claimed = list(claims.fresh)
    with ledger.released_on_failure(session, claims.fresh) as guard:
        bodies = {
            team.figures.team_id: views.digest_team_body(renderer, team) for team in full.teams
        }
        if claims.unconfirmed:
            settled = ledger.settle(
                client,
                session,
                claims.unconfirmed,
                kind=kind,
                recipient=full.coach_id,
                week=full.week,
                bodies=bodies,
                now=now,
            )
            claimed += settled.send
        if not claimed:
            return _DigestRun(settled)
        mine = {row.team_id for row in claimed}
        digest = _digest_of(full, mine)
        metadata = ledger.digest_metadata(
            kind, week=full.week, recipient=full.coach_id, team_ids=sorted(mine)
        )
        posted = ledger.post_claimed(
            client,
            session,
            claimed,
            guard,
            recipient=full.coach_id,
            payloads=views.build_digest_messages(renderer, digest),
            metadata=metadata,
            bodies=bodies,
            now=now,
            in_thread=False,
        )
    return _DigestRun(settled, digest, posted)


def _digest_of(digest: CoachDigest, team_ids: set[str]) -> CoachDigest:
    """The digest narrowed to some of its teams."""
    return CoachDigest(
        digest.coach_id,
        digest.week,
        [team for team in digest.teams if team.figures.team_id in team_ids],
    )


def _finish_found_digest(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    full: CoachDigest,
    settled: ledger.Settled,
) -> _Finished:
    """A digest found in the coach's DM with nothing sent after its first message (its run
    stopped, or Slack's answer was lost): the rest of its messages and its chart follow."""
    if not settled.unfinished:
        return _Finished()
    digest = _digest_of(full, set(settled.unfinished))
    rest = views.build_digest_messages(renderer, digest)[1:]
    rows = [row for row in settled.found if row.team_id in settled.unfinished]
    error = ledger.finish_found(client, session, rows, channel=full.coach_id, payloads=rest)
    channel = next(iter(settled.unfinished.values())).channel
    chart_error = _digest_chart(client, renderer, digest, channel=channel)
    return _Finished(len(rest), error, chart_error)


def _digest_report(
    full: CoachDigest,
    claims: ledger.Claims,
    settled: ledger.Settled,
    outcome: DeliveryOutcome,
    **details: Any,
) -> DeliveryReport:
    """What became of the coach's digest of the week, team by team."""
    return DeliveryReport(
        kind=DigestKind.COACH_DIGEST,
        recipient=full.coach_id,
        week=full.week,
        outcome=outcome,
        already_sent=[row.team_id for row in claims.taken],
        found=[row.team_id for row in settled.found],
        in_doubt=[row.team_id for row in settled.in_doubt],
        **details,
    )


def _found_digest_report(
    full: CoachDigest,
    claims: ledger.Claims,
    settled: ledger.Settled,
    finished: _Finished,
    *,
    now: datetime,
) -> DeliveryReport:
    """The report of a run that had nothing left to post: found in Slack, or in doubt."""
    found = [row.team_id for row in settled.found]
    in_doubt = bool(settled.in_doubt)
    return _digest_report(
        full,
        claims,
        settled,
        DeliveryOutcome.IN_DOUBT if in_doubt else DeliveryOutcome.FOUND,
        team_ids=found,
        message_ts=settled.found[0].message_ts if settled.found else None,
        messages=finished.messages,
        sent_at=now if found else None,
        error=settled.error if in_doubt else finished.error,
        chart_error=finished.chart_error,
    )


def _digest_chart(
    client: WebClient, renderer: Renderer, digest: CoachDigest, *, channel: str | None
) -> str | None:
    """Attach the digest's chart in the coach's DM; the error as text when that fails."""
    return _upload_chart(
        client,
        channel=channel,
        thread_ts=None,
        render=lambda: charts.digest_chart(renderer, [t.figures for t in digest.teams]),
        filename=f"coach-digest-{digest.week}.png",
        title=renderer.plain("digest.chart_title", digest=digest),
    )


# --- charts --------------------------------------------------------------------------------------


def _upload_chart(
    client: WebClient,
    *,
    channel: str | None,
    thread_ts: str | None,
    render: Callable[[], bytes],
    filename: str,
    title: str,
) -> str | None:
    """Render and attach a chart; the error as text when that fails (the words already went)."""
    if channel is None:
        return "no channel to attach the chart in"
    try:
        png = render()
    except Exception as error:
        logger.exception("Could not draw the chart %s", filename)
        return f"chart: {type(error).__name__}"
    try:
        client.files_upload_v2(
            channel=channel,
            file=png,
            filename=filename,
            title=title,
            alt_txt=title,
            thread_ts=thread_ts,
        )
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        logger.warning("Slack refused the chart %s: %s", filename, code)
        return str(code or "upload_failed")
    except Exception as error:
        if may_have_arrived(error):  # it may be there: not attached a second time
            logger.warning("Slack did not answer about the chart %s", filename)
            return TIMEOUT
        logger.exception("Could not upload the chart %s", filename)
        return type(error).__name__
    return None
