"""Sending a team's weekly summary and a coach's digest, each once: words, thread and chart.

A summary goes to the team channel: a headline, its details in the headline's thread, and the
chart attached there. A digest goes to the coach's DM: its messages, then its chart. Each
delivery is claimed before anything is sent and recorded as it goes (:mod:`bot.digests.ledger`),
so it happens once across restarts and concurrent runs: a run that stopped after the first
message (or whose answers were lost) is finished by the next run, which sends only the messages
and chart Slack does not have. A refusal by Slack is recorded and may be retried; a chart that
cannot be attached leaves the words sent.

The functions take the session their use case opened (:mod:`bot.digests.usecases`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core.charts import Drawing, draw_later
from bot.digests import charts, ledger, views
from bot.digests.model import (
    CoachDigest,
    DeliveryOutcome,
    DeliveryReport,
    TeamFigures,
    TeamSummary,
)
from bot.slack.client import TIMEOUT, Delivery, may_have_arrived
from prompts import Renderer
from storage.models import DigestKind, SentDigest

logger = logging.getLogger(__name__)


# --- the team summary --------------------------------------------------------------------------


def deliver_team_summary(
    client: WebClient, renderer: Renderer, session: Session, summary: TeamSummary, *, now: datetime
) -> DeliveryReport:
    """Post the team's summary to its channel, once: headline, thread, chart.

    The delivery is recorded before anything is posted, so a second run (now, after a restart,
    or at the same moment elsewhere) finds it and sends nothing. A summary left unconfirmed
    (Slack's answer lost, or the run stopped) is looked for in the channel by its metadata:
    found, what never followed it (its thread's replies, its chart) is sent, each once; not
    there, it is sent; when Slack cannot say, it is left in doubt, never sent blind.
    """
    figures = summary.figures
    kind, channel, week = DigestKind.TEAM_SUMMARY, figures.channel, figures.week
    claims = ledger.claim(
        session, kind=kind, recipient=channel, team_ids=[figures.team_id], week=week, now=now
    )
    if not claims.fresh and not claims.unconfirmed:
        return ledger.not_sent_again(kind, channel, week, claims.taken)
    # The chart is drawn (by a chart helper, where the process has one) while the words go.
    chart = draw_later(charts.summary_chart, renderer, figures)
    try:
        return _send_summary(client, renderer, session, summary, claims, chart, now=now)
    finally:
        chart.cancel()  # not needed after all when the words did not go


def _send_summary(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    summary: TeamSummary,
    claims: ledger.Claims,
    chart: Drawing[bytes],
    *,
    now: datetime,
) -> DeliveryReport:
    """Settle what an earlier run left unconfirmed, or post the headline; then what follows."""
    figures = summary.figures
    kind, channel, week = DigestKind.TEAM_SUMMARY, figures.channel, figures.week
    with ledger.released_on_failure(session, claims.fresh) as guard:
        headline, details = views.build_summary_messages(renderer, summary)
        body = {figures.team_id: views.summary_body(renderer, summary)}
        summed = _Summed(figures, details, body, chart)
        if claims.unconfirmed:
            settled = ledger.settle(
                client, session, claims.unconfirmed, kind=kind, recipient=channel, week=week
            )
            if settled.in_doubt:
                return _summary_report(
                    figures,
                    DeliveryOutcome.IN_DOUBT,
                    in_doubt=[figures.team_id],
                    error=settled.error,
                )
            if settled.found:
                first = settled.unfinished[figures.team_id]
                return _follow_summary(client, renderer, session, summed, settled.found, first, now)
        [claimed] = claims.fresh or claims.unconfirmed
        posted = ledger.post_claimed(
            client,
            session,
            [claimed],
            guard,
            recipient=channel,
            first=headline,
            metadata=ledger.digest_metadata(
                kind, week=week, recipient=channel, team_ids=[figures.team_id]
            ),
            bodies=summed.bodies,
            now=now,
        )
    if not posted.ok:
        return _summary_report(figures, DeliveryOutcome.FAILED, error=posted.error)
    return _follow_summary(client, renderer, session, summed, [claimed], posted, now, look=False)


@dataclass(frozen=True)
class _Summed:
    """A summary as it goes out: its figures, the replies in its headline's thread, and the
    text kept for the team."""

    figures: TeamFigures
    details: Sequence[dict[str, Any]]
    bodies: dict[str, str]
    chart: Drawing[bytes]


def _follow_summary(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    summed: _Summed,
    rows: Sequence[SentDigest],
    first: Delivery,
    now: datetime,
    *,
    look: bool = True,
) -> DeliveryReport:
    """Send the thread and chart after the summary's headline — only what Slack does not have
    when ``look`` (an earlier run posted the headline) — and report it, sent or found."""
    figures = summed.figures
    rest = ledger.Rest(
        channel=first.channel or figures.channel,
        first_ts=str(first.ts),
        payloads=summed.details,
        in_thread=True,
        chart_name=_summary_chart_name(figures),
        attach=lambda channel, thread_ts: _summary_chart(
            client, renderer, summed, channel=channel, thread_ts=thread_ts
        ),
    )
    followed = ledger.follow(client, session, rows, rest, look=look, bodies=summed.bodies, now=now)
    if followed.in_doubt:
        return _summary_report(
            figures, DeliveryOutcome.IN_DOUBT, in_doubt=[figures.team_id], error=followed.in_doubt
        )
    return _summary_report(
        figures,
        DeliveryOutcome.FOUND if look else DeliveryOutcome.SENT,
        found=[figures.team_id] if look else [],
        channel=first.channel or figures.channel,
        message_ts=first.ts,
        messages=followed.messages + (0 if look else 1),
        sent_at=now,
        error=followed.error,
        chart_error=followed.chart_error,
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


def _summary_chart_name(figures: TeamFigures) -> str:
    """The file name of the summary's chart (how it is found in the thread again)."""
    return f"{figures.team_id}-{figures.week}.png"


def _summary_chart(
    client: WebClient,
    renderer: Renderer,
    summed: _Summed,
    *,
    channel: str | None,
    thread_ts: str | None,
) -> str | None:
    """Attach the summary's chart in its thread; the error as text when that fails."""
    return _upload_chart(
        client,
        channel=channel,
        thread_ts=thread_ts,
        render=summed.chart.result,
        filename=_summary_chart_name(summed.figures),
        title=renderer.plain("summary.chart_title", f=summed.figures),
    )


# --- the coach digest --------------------------------------------------------------------------


@dataclass(frozen=True)
class _DigestRun:
    """What one run did with a digest's claims: the unconfirmed ones settled, and what it
    posted (the digest narrowed to the teams it was still to send about, its messages, and the
    rows of those teams)."""

    settled: ledger.Settled
    digest: CoachDigest | None = None
    posted: Delivery | None = None
    messages: Sequence[dict[str, Any]] = ()
    rows: Sequence[SentDigest] = ()


@dataclass(frozen=True)
class _Finished:
    """What followed the first messages of digests found in the coach's DM."""

    messages: int = 0
    error: str | None = None
    chart_error: str | None = None
    in_doubt: list[str] = field(default_factory=list)


def deliver_coach_digest(
    client: WebClient, renderer: Renderer, session: Session, full: CoachDigest, *, now: datetime
) -> DeliveryReport:
    """DM the coach ``full``, their digest of the week, each team once only.

    Each (coach, team, week) is recorded before sending; teams some earlier run already covered
    are left out, and when none is left nothing is sent. Teams whose digest an earlier run left
    unconfirmed are looked for in the coach's DM first, and what never followed a digest found
    there is sent (as in :func:`deliver_team_summary`).
    """
    kind, coach_id, week = DigestKind.COACH_DIGEST, full.coach_id, full.week
    team_ids = [team.figures.team_id for team in full.teams]
    claims = ledger.claim(
        session, kind=kind, recipient=coach_id, team_ids=team_ids, week=week, now=now
    )
    if not claims.fresh and not claims.unconfirmed:
        return ledger.not_sent_again(kind, coach_id, week, claims.taken)
    # As a summary's, the chart is drawn while the words go when the teams to send are those
    # claimed now; after a run that stopped, it is drawn when it is attached.
    chart = None
    if not claims.unconfirmed:
        fresh = _digest_of(full, {row.team_id for row in claims.fresh})
        chart = _digest_chart_later(renderer, fresh)
    try:
        return _deliver_digest(client, renderer, session, full, claims, chart, now=now)
    finally:
        if chart is not None:
            chart.cancel()


def _deliver_digest(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    full: CoachDigest,
    claims: ledger.Claims,
    chart: Drawing[bytes] | None,
    *,
    now: datetime,
) -> DeliveryReport:
    """Send what the claims leave to send, finish what an earlier run left, and report;
    ``chart``, when given, is the sent digest's, already being drawn."""
    bodies = {team.figures.team_id: views.digest_team_body(renderer, team) for team in full.teams}
    run = _send_digest(client, renderer, session, full, claims, bodies, now=now)
    finished = _finish_found_digest(client, renderer, session, full, run.settled, bodies, now=now)
    if run.posted is None or run.digest is None:  # every team was found, or is in doubt
        return _found_digest_report(full, claims, run.settled, finished, now=now)
    delivery = run.posted
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
    rest = _DigestRest(run.digest, run.messages[1:], bodies, chart)
    followed = _follow_digest(client, renderer, session, rest, run.rows, delivery, now, look=False)
    return _digest_report(
        full,
        claims,
        run.settled,
        DeliveryOutcome.SENT,
        team_ids=sent_ids,
        channel=delivery.channel,
        message_ts=delivery.ts,
        messages=1 + followed.messages,
        sent_at=now,
        error=followed.error or finished.error or run.settled.error,
        chart_error=followed.chart_error or finished.chart_error,
    )


def _send_digest(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    full: CoachDigest,
    claims: ledger.Claims,
    bodies: dict[str, str],
    *,
    now: datetime,
) -> _DigestRun:
    """Settle the claims an earlier run left unconfirmed, then post the first message of the
    teams still to send."""
    kind = DigestKind.COACH_DIGEST
    settled = ledger.Settled()
    claimed = list(claims.fresh)
    with ledger.released_on_failure(session, claims.fresh) as guard:
        if claims.unconfirmed:
            settled = ledger.settle(
                client,
                session,
                claims.unconfirmed,
                kind=kind,
                recipient=full.coach_id,
                week=full.week,
            )
            claimed += settled.send
        if not claimed:
            return _DigestRun(settled)
        mine = {row.team_id for row in claimed}
        digest = _digest_of(full, mine)
        messages = views.build_digest_messages(renderer, digest)
        posted = ledger.post_claimed(
            client,
            session,
            claimed,
            guard,
            recipient=full.coach_id,
            first=messages[0],
            metadata=ledger.digest_metadata(
                kind, week=full.week, recipient=full.coach_id, team_ids=sorted(mine)
            ),
            bodies=bodies,
            now=now,
        )
    return _DigestRun(settled, digest, posted, messages, claimed)


def _digest_of(digest: CoachDigest, team_ids: set[str]) -> CoachDigest:
    """The digest narrowed to some of its teams."""
    return CoachDigest(
        digest.coach_id,
        digest.week,
        [team for team in digest.teams if team.figures.team_id in team_ids],
    )


@dataclass(frozen=True)
class _DigestRest:
    """A digest as it goes out after its first message: the other messages, the texts kept."""

    digest: CoachDigest
    messages: Sequence[dict[str, Any]]
    bodies: dict[str, str]
    chart: Drawing[bytes] | None = None  # drawn already, when it is the digest's own


def _follow_digest(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    rest: _DigestRest,
    rows: Sequence[SentDigest],
    first: Delivery,
    now: datetime,
    *,
    look: bool,
) -> ledger.Followed:
    """Send the digest's other messages and its chart after its first message in the coach's
    DM — only what Slack does not have when ``look`` — and record its rows."""
    digest = rest.digest
    following = ledger.Rest(
        channel=first.channel or digest.coach_id,
        first_ts=str(first.ts),
        payloads=rest.messages,
        in_thread=False,
        chart_name=_digest_chart_name(digest),
        attach=lambda channel, _thread: _digest_chart(client, renderer, rest, channel=channel),
    )
    return ledger.follow(client, session, rows, following, look=look, bodies=rest.bodies, now=now)


def _finish_found_digest(
    client: WebClient,
    renderer: Renderer,
    session: Session,
    full: CoachDigest,
    settled: ledger.Settled,
    bodies: dict[str, str],
    *,
    now: datetime,
) -> _Finished:
    """Digests found in the coach's DM (an earlier run stopped after their first message, or
    Slack's answer was lost): what never followed each is looked for, and sent if missing."""
    finished = _Finished()
    by_first: dict[str | None, list[SentDigest]] = {}
    for row in settled.found:
        by_first.setdefault(row.message_ts, []).append(row)
    for rows in by_first.values():
        digest = _digest_of(full, {row.team_id for row in rows})
        rest = _DigestRest(digest, views.build_digest_messages(renderer, digest)[1:], bodies)
        first = settled.unfinished[rows[0].team_id]
        followed = _follow_digest(client, renderer, session, rest, rows, first, now, look=True)
        finished = _Finished(
            finished.messages + followed.messages,
            finished.error or followed.error,
            finished.chart_error or followed.chart_error,
            finished.in_doubt + ([row.team_id for row in rows] if followed.in_doubt else []),
        )
    return finished


def _digest_report(
    full: CoachDigest,
    claims: ledger.Claims,
    settled: ledger.Settled,
    outcome: DeliveryOutcome,
    *,
    finished: _Finished | None = None,
    **details: Any,
) -> DeliveryReport:
    """What became of the coach's digest of the week, team by team (those whose found digest
    could not be checked for what followed it counted in doubt, not found)."""
    doubted = finished.in_doubt if finished is not None else []
    return DeliveryReport(
        kind=DigestKind.COACH_DIGEST,
        recipient=full.coach_id,
        week=full.week,
        outcome=outcome,
        already_sent=[row.team_id for row in claims.taken],
        found=[row.team_id for row in settled.found if row.team_id not in doubted],
        in_doubt=[row.team_id for row in settled.in_doubt] + doubted,
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
    found = [row.team_id for row in settled.found if row.team_id not in finished.in_doubt]
    in_doubt = bool(settled.in_doubt or finished.in_doubt)
    return _digest_report(
        full,
        claims,
        settled,
        DeliveryOutcome.IN_DOUBT if in_doubt else DeliveryOutcome.FOUND,
        finished=finished,
        team_ids=found,
        message_ts=settled.found[0].message_ts if settled.found else None,
        messages=finished.messages,
        sent_at=now if found else None,
        error=(settled.error or finished.error) if in_doubt else finished.error,
        chart_error=finished.chart_error,
    )


def _digest_chart_name(digest: CoachDigest) -> str:
    """The file name of the digest's chart (how it is found in the coach's DM again)."""
    return f"coach-digest-{digest.week}.png"


def _digest_chart_later(renderer: Renderer, digest: CoachDigest) -> Drawing[bytes]:
    """The digest's chart, started (bot.core.charts.draw_later)."""
    return draw_later(charts.digest_chart, renderer, [team.figures for team in digest.teams])


def _digest_chart(
    client: WebClient, renderer: Renderer, rest: _DigestRest, *, channel: str | None
) -> str | None:
    """Attach the digest's chart in the coach's DM; the error as text when that fails."""
    digest = rest.digest
    drawn = rest.chart or _digest_chart_later(renderer, digest)
    return _upload_chart(
        client,
        channel=channel,
        thread_ts=None,
        render=drawn.result,
        filename=_digest_chart_name(digest),
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
